// grad() over graphs where Values and Tensors meet (Tensor::element, Tensor::from_values), in
// float64: first derivatives against backward() and five-point finite differences; second
// derivatives (create_graph, then grad again) against five-point differences of the first
// derivative and, for one case, a closed form; allow_unused and the errors across the boundary.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "error_message.hpp"

#include "gradcheck.hpp"

using tapegrad::DType;
using tapegrad::HigherOrder;
using tapegrad::Shape;
using tapegrad::Tape;
using tapegrad::Tensor;
using tapegrad::Value;
using tapegrad::testing::compare;
using tapegrad::testing::relative_error;
using tapegrad::testing::Stencil;

namespace {

constexpr double kH = 1e-4;
double worst_first = 0.0, worst_second = 0.0, worst_closed = 0.0;

// x with input i moved by offset.
std::vector<double> moved(std::vector<double> x, std::size_t i, double offset) {
    x[i] += offset;
    return x;
}

// analytic against the five-point differences of at(i, offset), the function with input i moved;
// the error joins `worst`, the tally this file reports.
void check_against_differences(const std::vector<double>& analytic,
                               const std::function<double(std::size_t, double)>& at, double& worst) {
    const tapegrad::testing::GradCheck r = compare(analytic, at, kH, Stencil::five_point);
    worst = std::max(worst, r.error);
    CHECK(r.spread < 1e-8);
    CHECK(r.error < 1e-8);
}

// ---- tensor input, one-element tensor output

using TensorFn = std::function<Tensor(const Tensor&)>;
using tapegrad::test::contains;
using tapegrad::test::message_of;

// (a) Tensor -> tensor ops -> Values -> scalar ops -> 0-d tensor, plus a tensor path beside it.
Tensor case_a(const Tensor& w) {
    const Tensor x = Tensor::from(std::vector<double>{0.7, -0.4}, {2, 1}, DType::f64);
    const Tensor y = w.matmul(x).tanh();
    const Value e = y.element({0, 0}) * y.element({1, 0}) + y.element({2, 0}).sin();
    return Tensor::from_values({e}, {}) + (w * w).sum() * 0.1;
}

// (c) Tensor -> elements -> scalar ops -> from_values -> tensor ops -> sum.
Tensor case_c(const Tensor& w) {
    const Value a = w.element({0, 0}), b = w.element({1, 1}), c = w.element({0, 1});
    const Tensor t = Tensor::from_values({a * b, c.sin() + a, b.exp(), c}, {2, 2});
    return (t.tanh() * t).matmul(w).sum();
}

std::vector<double> grad_of(const TensorFn& f, const std::vector<double>& w0, const Shape& shape) {
    Tape::current().clear();
    const Tensor w = Tensor::from(w0, shape, DType::f64, true);
    return tapegrad::grad(f(w), {w})[0].to_vector();
}

void check_tensor_case(const TensorFn& f, const std::vector<double>& w0, const Shape& shape) {
    Tape& tape = Tape::current();
    tape.clear();

    // First order: against backward() (and no leaf's grad touched), and against differences.
    const Tensor w = Tensor::from(w0, shape, DType::f64, true);
    const Tensor out = f(w);
    const std::vector<double> g = tapegrad::grad(out, {w})[0].to_vector();
    CHECK(w.grad().to_vector() == std::vector<double>(w0.size(), 0.0));
    out.backward();
    const std::vector<double> by_backward = w.grad().to_vector();
    REQUIRE(g.size() == by_backward.size());
    for (std::size_t i = 0; i < g.size(); ++i) {
        const double e = relative_error(g[i], by_backward[i]);
        worst_first = std::max(worst_first, e);
        CHECK(e < 1e-13);
    }
    const auto value_at = [&](std::size_t i, double offset) {
        tape.clear();
        const tapegrad::NoGrad no_grad;
        return f(Tensor::from(moved(w0, i, offset), shape, DType::f64)).item();
    };
    check_against_differences(g, value_at, worst_first);

    // Second order: d/dw <grad, d> for a fixed direction d, by create_graph then grad again.
    std::vector<double> d;
    for (std::size_t i = 0; i < w0.size(); ++i) d.push_back(0.3 + 0.25 * static_cast<double>(i % 5));
    std::vector<double> hv;
    {
        tape.clear();
        const HigherOrder guard;  // the scalar nodes' partials are rebuilt as Values
        const Tensor w2 = Tensor::from(w0, shape, DType::f64, true);
        const Tensor g2 = tapegrad::grad(f(w2), {w2}, {.create_graph = true})[0];
        CHECK(relative_error(g2.to_vector()[0], g[0]) < 1e-14);
        hv = tapegrad::grad((g2 * Tensor::from(d, shape, DType::f64)).sum(), {w2})[0].to_vector();
    }
    const auto slope_at = [&](std::size_t i, double offset) {
        const std::vector<double> gi = grad_of(f, moved(w0, i, offset), shape);
        double dot = 0.0;
        for (std::size_t j = 0; j < gi.size(); ++j) dot += gi[j] * d[j];
        return dot;
    };
    check_against_differences(hv, slope_at, worst_second);
    tape.clear();
}

// ---- Value inputs, Value output

using ValueFn = std::function<Value(const std::vector<Value>&)>;

// (b) Values -> from_values -> tensor ops -> elements -> scalar ops (the Values used directly too).
Value case_b(const std::vector<Value>& p) {
    const Tensor a =
        Tensor::from(std::vector<double>{0.9, -0.3, 0.4, 0.2, 0.5, -0.7, -0.6, 0.1, 0.8}, {3, 3}, DType::f64);
    const Tensor t = Tensor::from_values(p, {3, 1});
    const Tensor t2 = (a.matmul(t).tanh() * t).exp();
    return t2.element({0, 0}) * t2.element({1, 0}) + t2.element({2, 0}).sin() + p[0] * t2.sum().element({});
}

std::vector<Value> leaves(const std::vector<double>& x, bool parameters) {
    std::vector<Value> p;
    for (double v : x) p.push_back(parameters ? Value::parameter(v) : Value(v));
    return p;
}
void release(std::vector<Value>& p, bool parameters) {
    if (!parameters) return;
    for (Value& v : p) Value::release_parameter(v);
}

std::vector<double> data_of(const std::vector<Value>& vs) {
    std::vector<double> out;
    for (const Value& v : vs) out.push_back(v.data());
    return out;
}

void check_value_case(const ValueFn& f, const std::vector<double>& x0, bool parameters) {
    CAPTURE(parameters);
    Tape& tape = Tape::current();
    tape.clear();

    // First order: against backward() (no grad touched by grad()) and against differences.
    std::vector<Value> p = leaves(x0, parameters);
    const Value out = f(p);
    const std::vector<double> g = data_of(tapegrad::grad(out, p));
    for (const Value& v : p) CHECK(v.grad() == 0.0);
    out.backward();
    for (std::size_t i = 0; i < g.size(); ++i) {
        const double e = relative_error(g[i], p[i].grad());
        worst_first = std::max(worst_first, e);
        CHECK(e < 1e-13);
    }
    release(p, parameters);
    const auto value_at = [&](std::size_t i, double offset) {
        tape.clear();
        std::vector<Value> q = leaves(moved(x0, i, offset), false);
        return f(q).data();
    };
    check_against_differences(g, value_at, worst_first);

    // Second order: the Hessian, row by row, by create_graph then grad again.
    std::vector<std::vector<double>> hessian;
    {
        tape.clear();
        const HigherOrder guard;
        std::vector<Value> q = leaves(x0, parameters);
        const std::vector<Value> gq = tapegrad::grad(f(q), q, {.create_graph = true});
        for (std::size_t i = 0; i < gq.size(); ++i) {
            CHECK(relative_error(gq[i].data(), g[i]) < 1e-14);
            hessian.push_back(data_of(tapegrad::grad(gq[i], q)));
        }
        release(q, parameters);
    }
    for (std::size_t i = 0; i < x0.size(); ++i) {
        CAPTURE(i);
        const auto slope_at = [&](std::size_t j, double offset) {
            tape.clear();
            std::vector<Value> q = leaves(moved(x0, j, offset), false);
            return tapegrad::grad(f(q), q)[i].data();
        };
        check_against_differences(hessian[i], slope_at, worst_second);
    }
    tape.clear();
}

// y = 2 x as a custom op (first derivatives only).
struct Twice {
    static constexpr const char* name = "twice";
    static Tensor forward(tapegrad::TensorOpContext&, const Tensor& x) { return x * 2.0; }
    static Tensor backward(tapegrad::TensorOpContext&, const Tensor& grad) { return grad * 2.0; }
};

void report() {
    MESSAGE("largest relative errors so far: first order (vs backward, FD) "
            << worst_first << ", second order (vs FD) " << worst_second << ", closed form " << worst_closed);
}

}  // namespace

TEST_CASE("mixed grad (a): tensor -> Values -> 0-d tensor, first and second order") {
    check_tensor_case(case_a, {0.3, -0.5, 0.8, 0.1, -0.2, 0.6}, {3, 2});
    report();
}

TEST_CASE("mixed grad (b): Values -> tensor -> Values, first order and Hessian, leaves and parameters") {
    for (bool parameters : {false, true}) check_value_case(case_b, {0.4, -0.3, 0.7}, parameters);
    report();
}

TEST_CASE("mixed grad (c): tensor -> elements -> scalar ops -> from_values -> tensor ops, to second order") {
    check_tensor_case(case_c, {0.5, -0.4, 0.3, 0.9}, {2, 2});
    report();
}

TEST_CASE("mixed grad: the Hessian of tanh(p0) tanh(p1) through a tensor, against its closed form") {
    Tape& tape = Tape::current();
    tape.clear();
    const HigherOrder guard;
    const double x = 0.6, y = -0.45;
    Value p0 = x, p1 = y;
    const Tensor t = Tensor::from_values({p0, p1}, {2}).tanh();
    const Value f = t.element({0}) * t.element({1});
    const std::vector<Value> g = tapegrad::grad(f, {p0, p1}, {.create_graph = true});
    const double tx = std::tanh(x), ty = std::tanh(y), sx = 1 - tx * tx, sy = 1 - ty * ty;
    // df/dx = sech^2 x tanh y; d2f/dx2 = -2 tanh x sech^2 x tanh y; d2f/dxdy = sech^2 x sech^2 y.
    const double expected_g[2] = {sx * ty, tx * sy};
    const double expected_h[2][2] = {{-2 * tx * sx * ty, sx * sy}, {sx * sy, -2 * ty * sy * tx}};
    for (int i = 0; i < 2; ++i) {
        const double e = relative_error(g[static_cast<std::size_t>(i)].data(), expected_g[i]);
        worst_closed = std::max(worst_closed, e);
        CHECK(e < 1e-14);
        const std::vector<Value> h = tapegrad::grad(g[static_cast<std::size_t>(i)], {p0, p1});
        for (int j = 0; j < 2; ++j) {
            const double eh = relative_error(h[static_cast<std::size_t>(j)].data(), expected_h[i][j]);
            worst_closed = std::max(worst_closed, eh);
            CHECK(eh < 1e-14);
        }
    }
    // Third order, one entry: d3f/dx3 = (-2 sech^4 x + 4 tanh^2 x sech^2 x) tanh y.
    const std::vector<Value> gxx = tapegrad::grad(g[0], {p0}, {.create_graph = true});
    const double d3 = tapegrad::grad(gxx[0], {p0})[0].data();
    const double e3 = relative_error(d3, (-2 * sx * sx + 4 * tx * tx * sx) * ty);
    worst_closed = std::max(worst_closed, e3);
    CHECK(e3 < 1e-14);
    report();
    tape.clear();
}

TEST_CASE("mixed grad: allow_unused across the boundary") {
    Tape& tape = Tape::current();
    tape.clear();
    // Tensor grad: an input the output does not reach, and one reached only through Values.
    const Tensor w = Tensor::from(std::vector<double>{0.5, -1.5}, {2}, DType::f64, true);
    const Tensor u = Tensor::from(std::vector<double>{2.0}, {1}, DType::f64, true);
    const Tensor unused = Tensor::from(std::vector<double>{1.0}, {1}, DType::f64, true);
    const Value e = w.element({0}) * u.element({0});
    const Tensor out = (Tensor::from_values({e, e * e}, {2}) * w).sum();
    const std::string m = message_of([&] { tapegrad::grad(out, {w, unused}); });
    CHECK(contains(m, "does not depend on input 1"));
    const std::vector<Tensor> g = tapegrad::grad(out, {w, unused, u}, {.allow_unused = true});
    CHECK(!g[1].defined());
    // out = w0^2 u + w0^2 u^2 w1: d/dw0 = 2 w0 u + 2 w0 u^2 w1, d/dw1 = w0^2 u^2, d/du = w0^2 + 2 w0^2 u w1.
    CHECK(g[0].to_vector()[0] == doctest::Approx(2 * 0.5 * 2.0 + 2 * 0.5 * 4.0 * -1.5));
    CHECK(g[0].to_vector()[1] == doctest::Approx(0.25 * 4.0));
    CHECK(g[2].item() == doctest::Approx(0.25 + 2 * 0.25 * 2.0 * -1.5));

    // Scalar grad: a Value the output does not use, and one used only through a relu that is off.
    const HigherOrder guard;
    Value a = 0.5, b = 2.0, c = -1.0, lonely = 3.0;
    const Value v = (Tensor::from_values({a * b, b, (c * 2.0).relu()}, {3}) * 3.0).sum().element({});
    for (bool create_graph : {false, true}) {
        CAPTURE(create_graph);
        CHECK(contains(message_of([&] {
                           tapegrad::grad(v, {a, lonely}, {.create_graph = create_graph});
                       }),
                       "does not depend on input 1"));
        const std::vector<Value> gv =
            tapegrad::grad(v, {a, lonely, b, c}, {.create_graph = create_graph, .allow_unused = true});
        CHECK(gv[0].data() == doctest::Approx(6.0));
        CHECK(!gv[1].valid());
        CHECK(gv[2].data() == doctest::Approx(3 * 0.5 + 3.0));
        REQUIRE(gv[3].valid());
        CHECK(gv[3].data() == 0.0);
    }
    tape.clear();
}

TEST_CASE("mixed grad: errors across the boundary") {
    Tape& tape = Tape::current();
    tape.clear();
    SUBCASE("create_graph over scalar nodes recorded without HigherOrder") {
        const Tensor w = Tensor::from(std::vector<double>{0.5, -1.5}, {2}, DType::f64, true);
        const Value e = (w.element({0}) * w.element({1})).tanh();
        const Tensor out = Tensor::from_values({e}, {}) * w.sum();
        const std::string m = message_of([&] { tapegrad::grad(out, {w}, {.create_graph = true}); });
        CHECK(contains(m, "recorded under tapegrad::HigherOrder"));
        CHECK(contains(m, "'tanh'"));
        CHECK(tapegrad::grad(out, {w})[0].defined());  // first order needs no guard
        Value p = 0.25;
        const Value f = (Tensor::from_values({p * p}, {1}).exp()).sum().element({}) * 2.0;
        CHECK(contains(message_of([&] { tapegrad::grad(f, {p}, {.create_graph = true}); }), "HigherOrder"));
        CHECK(tapegrad::grad(f, {p})[0].data() == doctest::Approx(2 * std::exp(0.0625) * 0.5));
    }
    SUBCASE("a user's ScalarOp between a tensor's elements and a from_values") {
        static const tapegrad::ScalarOp cube("cube");
        const HigherOrder guard;
        const Tensor w = Tensor::from(std::vector<double>{1.5}, {1}, DType::f64, true);
        const Value x = w.element({0});
        const double xv = x.data();
        const Tensor out = Tensor::from_values({cube(xv * xv * xv, {{x, 3 * xv * xv}})}, {1}).sum();
        const std::string m = message_of([&] { tapegrad::grad(out, {w}, {.create_graph = true}); });
        CHECK(contains(m, "'cube'"));
        CHECK(contains(m, "no second derivative"));
        CHECK(tapegrad::grad(out, {w})[0].item() == doctest::Approx(3 * xv * xv));
    }
    SUBCASE("a custom tensor op without a second derivative between Values") {
        const HigherOrder guard;
        Value p = 0.75;
        const Value f = tapegrad::apply<Twice>(Tensor::from_values({p * p}, {1})).element({0}) * p;
        CHECK(contains(message_of([&] { tapegrad::grad(f, {p}, {.create_graph = true}); }), "twice"));
        CHECK(tapegrad::grad(f, {p})[0].data() == doctest::Approx(6 * 0.75 * 0.75));
    }
    SUBCASE("a leaf changed in place after an op read it") {
        Tensor w = Tensor::from(std::vector<double>{0.5, -1.5}, {2}, DType::f64, true);
        Value p = 0.5;
        const Tensor t = Tensor::from_values({p}, {1});
        const Value f = (t * w).sum().element({}) * p;
        {
            const tapegrad::NoGrad no_grad;
            w.add_(Tensor::ones({2}, DType::f64));
        }
        CHECK(contains(message_of([&] { tapegrad::grad(f, {p}); }), "changed in place"));
    }
    tape.clear();
}

TEST_CASE("mixed grad: intermediate Values as inputs, and a float32 tensor between them") {
    Tape& tape = Tape::current();
    tape.clear();
    const HigherOrder guard;
    Value p = 0.7, q = -0.4;
    const Value h = p * p;
    // f = exp(h) + exp(h q): df/dh = e^h + q e^(hq), df/dq = h e^(hq), d2f/dh2 = e^h + q^2 e^(hq).
    const Value f = Tensor::from_values({h, h * q}, {2}).exp().sum().element({});
    const std::vector<Value> g = tapegrad::grad(f, {h, q}, {.create_graph = true});
    const double hv = 0.49, qv = -0.4;
    CHECK(relative_error(g[0].data(), std::exp(hv) + qv * std::exp(hv * qv)) < 1e-14);
    CHECK(relative_error(g[1].data(), hv * std::exp(hv * qv)) < 1e-14);
    const std::vector<Value> g2 = tapegrad::grad(g[0], {h, p});
    CHECK(relative_error(g2[0].data(), std::exp(hv) + qv * qv * std::exp(hv * qv)) < 1e-14);
    // p only through h (as torch.autograd.grad: each input's total derivative).
    CHECK(relative_error(g2[1].data(), g2[0].data() * 2 * 0.7) < 1e-14);
    // The same through a float32 tensor: float32 rounding, not a wrong rule.
    const Value f32 = Tensor::from_values({h, h * q}, {2}, DType::f32).exp().sum().element({});
    const double g32 = tapegrad::grad(f32, {q})[0].data();
    CHECK(std::fabs(g32 - hv * std::exp(hv * qv)) < 1e-6);
    tape.clear();
}
