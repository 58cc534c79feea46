// Tensor grad's API: closed-form Hessians, what it leaves alone, its errors, and Values and
// Tensors in one graph (Tensor::from_values, Tensor::element).
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "error_message.hpp"
#include "gradcheck.hpp"

using tapegrad::DType;
using tapegrad::Tape;
using tapegrad::Tensor;
using tapegrad::Value;
using tapegrad::test::check_error;
using Tensors = std::vector<Tensor>;

namespace {

Tensor f64(const std::vector<double>& v, const tapegrad::Shape& s, bool requires_grad = false) {
    return Tensor::from(v, s, DType::f64, requires_grad);
}

// The full Hessian of f at x (one row per grad() of an element of the gradient).
std::vector<std::vector<double>> hessian(const Tensor& f, const Tensor& x) {
    const Tensor g = tapegrad::grad(f, {x}, {.create_graph = true})[0].reshape({-1});
    std::vector<std::vector<double>> h;
    for (std::int64_t i = 0; i < g.numel(); ++i) h.push_back(tapegrad::grad(g.select(0, i), {x})[0].to_vector());
    return h;
}

}  // namespace

TEST_CASE("tensor grad: the Hessian of a quadratic form is (A + A^T) / 2") {
    Tape::current().clear();
    const std::vector<double> a = {1.0, 2.0, -0.5, 0.3, 4.0, 1.5, -2.0, 0.7, 3.0};
    const Tensor A = f64(a, {3, 3});
    const Tensor x = f64({0.4, -1.1, 2.3}, {3}, true);
    const Tensor f = x.matmul(A.matmul(x)) * 0.5;
    const auto h = hessian(f, x);
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j)
            CHECK(h[i][j] == doctest::Approx(0.5 * (a[i * 3 + j] + a[j * 3 + i])).epsilon(1e-15));
    Tape::current().clear();
}

TEST_CASE("tensor grad: the Hessian of cross_entropy in the logits is (diag(p) - p p^T) / N") {
    Tape::current().clear();
    const std::vector<double> z = {0.3, -1.2, 0.8, 2.0};
    const Tensor x = f64(z, {1, 4}, true);
    const auto h = hessian(tapegrad::nn::cross_entropy(x, std::vector<std::int64_t>{2}), x);
    double s = 0.0;
    for (double v : z) s += std::exp(v);
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) {
            const double pi = std::exp(z[i]) / s, pj = std::exp(z[j]) / s;
            CHECK(h[i][j] == doctest::Approx((i == j ? pi : 0.0) - pi * pj).epsilon(1e-14));
        }
    Tape::current().clear();
}

TEST_CASE("tensor grad: d2/dx2 sum(exp(x) * sin(x)) is 2 exp(x) cos(x), to third order") {
    Tape::current().clear();
    const std::vector<double> v = {-0.7, 0.2, 1.3};
    const Tensor x = f64(v, {3}, true);
    const Tensor g = tapegrad::grad((x.exp() * x.sin()).sum(), {x}, {.create_graph = true})[0];
    const Tensor g2 = tapegrad::grad(g.sum(), {x}, {.create_graph = true})[0];
    const Tensor g3 = tapegrad::grad(g2.sum(), {x})[0];
    for (int i = 0; i < 3; ++i) {
        CHECK(g2.to_vector()[i] == doctest::Approx(2 * std::exp(v[i]) * std::cos(v[i])).epsilon(1e-15));
        const double third = 2 * std::exp(v[i]) * (std::cos(v[i]) - std::sin(v[i]));
        CHECK(g3.to_vector()[i] == doctest::Approx(third).epsilon(1e-14));
    }
    Tape::current().clear();
}

TEST_CASE("tensor grad: leaves' grads are untouched, results are plain without create_graph, float32 stays float32") {
    Tape::current().clear();
    const Tensor w = Tensor::from(std::vector<double>{0.5, -1.5, 2.0, 0.25}, {2, 2}, DType::f32, true);
    const Tensor y = (w.matmul(w).tanh() * 3.0).sum();
    const Tensor g = tapegrad::grad(y, {w})[0];
    CHECK(g.dtype() == DType::f32);
    CHECK(!g.requires_grad());
    CHECK(w.grad().to_vector() == std::vector<double>(4, 0.0));
    y.backward();
    const std::vector<double> by_backward = w.grad().to_vector(), by_grad = g.to_vector();
    for (int i = 0; i < 4; ++i) CHECK(by_grad[i] == doctest::Approx(by_backward[i]).epsilon(1e-6));
    const Tensor gg = tapegrad::grad(y, {w}, {.create_graph = true})[0];
    CHECK(gg.requires_grad());
    CHECK(gg.dtype() == DType::f32);
    CHECK(w.grad().to_vector() == by_backward);  // still what backward left
    Tape::current().clear();
}

TEST_CASE("tensor grad: an intermediate result as input, the output as its own input, unused inputs") {
    Tape::current().clear();
    const Tensor x = f64({1.0, 2.0}, {2}, true), z = f64({3.0}, {1}, true);
    const Tensor h = x * x;
    const Tensor y = (h * 3.0).sum();
    const Tensors g = tapegrad::grad(y, {h, y, x});
    CHECK(g[0].to_vector() == std::vector<double>{3.0, 3.0});
    CHECK(g[1].item() == 1.0);
    CHECK(g[2].to_vector() == std::vector<double>{6.0, 12.0});
    check_error([&] { tapegrad::grad(y, {x, z}); }, {"does not depend on input 1", "[1]", "allow_unused"});
    const Tensors u = tapegrad::grad(y, {x, z}, {.allow_unused = true});
    CHECK(u[0].defined());
    CHECK(!u[1].defined());
    Tape::current().clear();
}

TEST_CASE("tensor grad: bad handles, shapes and graphs are Errors naming what is wrong") {
    Tape& tape = Tape::current();
    tape.clear();
    const Tensor x = f64({1.0, 2.0, 3.0}, {3}, true);
    const Tensor c = f64({1.0}, {1});
    check_error([&] { tapegrad::grad(x * 2.0, {x}); }, {"one element", "[3]"});
    check_error([&] { tapegrad::grad(x.sum(), {x, Tensor()}); }, {"grad (input 1)", "empty"});
    check_error([&] { tapegrad::grad(x.sum(), {c}); }, {"input 0", "does not require grad"});
    check_error([&] { tapegrad::grad(Tensor(), {x}); }, {"grad (output)", "empty"});
    const Tensor stale = x * 1.0;
    tape.clear();
    check_error([&] { tapegrad::grad(x.sum(), {x, stale}); }, {"grad (input 1)", "cleared"});
    check_error([&] { tapegrad::grad(stale.sum(), {x}); }, {"cleared"});
    {
        const Tensor y = (x * x).sum();
        tapegrad::NoGrad off;
        check_error([&] { tapegrad::grad(y, {x}, {.create_graph = true}); }, {"NoGrad"});
    }
    // An entry recorded outside the tensor ops' recorder, between the inputs and the output.
    const Tensor before = x * 2.0;
    tape.record_entry([](void*) {}, nullptr, nullptr, "raw");
    const Tensor after = (before * before).sum();
    check_error([&] { tapegrad::grad(after, {x}); }, {"'raw'", "no tensor grad rule", "backward() can"});
    check_error([&] { tapegrad::grad(after, {x}, {.create_graph = true}); }, {"'raw'", "no second derivative"});
    tape.clear();
}

TEST_CASE("tensor grad: a leaf changed in place after an op read it is an Error naming the op") {
    Tape& tape = Tape::current();
    tape.clear();
    Tensor w = f64({0.5, -1.0}, {2}, true);
    {
        tapegrad::NoGrad off;
        w.add_(f64({1.0, 1.0}, {2}));  // before recording: what the graph reads
    }
    const Tensor y = (w * w).sum();
    CHECK(tapegrad::grad(y, {w})[0].to_vector() == std::vector<double>{3.0, 0.0});
    {
        tapegrad::NoGrad off;
        w.mul_(2.0);
    }
    check_error([&] { tapegrad::grad(y, {w}); }, {"'mul'", "changed in place", "[2]"});
    check_error([&] { tapegrad::grad(y, {w}, {.create_graph = true}); }, {"changed in place"});
    // An optimizer step is an in-place change too.
    tape.clear();
    const Tensor z = (w * 3.0).tanh().sum();
    z.backward();
    tapegrad::optim::SGD sgd({w}, 0.1);
    sgd.step();
    check_error([&] { tapegrad::grad(z, {w}); }, {"'mul'", "changed in place"});
    tape.clear();
}

namespace {
// y = x sigmoid(x), written as a custom op (first derivatives only).
struct Swish {
    static constexpr const char* name = "swish";
    static Tensor forward(tapegrad::TensorOpContext& ctx, const Tensor& x) {
        ctx.save(x);
        return x * x.sigmoid();
    }
    static Tensor backward(tapegrad::TensorOpContext& ctx, const Tensor& grad) {
        const Tensor& x = ctx.saved(0);
        const Tensor s = x.sigmoid();
        return grad * s * (1.0 + x * (1.0 - s));
    }
};
}  // namespace

TEST_CASE("tensor grad: a custom op gives first derivatives, and create_graph through it is an Error naming it") {
    Tape::current().clear();
    const Tensor x = f64({0.5, -1.0}, {2}, true);
    const Tensor y = tapegrad::apply<Swish>(x * 2.0).sum();
    const std::vector<double> g = tapegrad::grad(y, {x})[0].to_vector();
    y.backward();
    CHECK(g == x.grad().to_vector());
    check_error([&] { tapegrad::grad(y, {x}, {.create_graph = true}); }, {"swish", "first derivatives only"});
    Tape::current().clear();
}

TEST_CASE("Tensor::from_values: grads flow back to the Values through backward") {
    Tape::current().clear();
    Value a = 0.5, b = -1.25, p = Value::parameter(2.0);
    const Tensor t = Tensor::from_values({a * b, a + b, p * a, b}, {2, 2});
    CHECK(t.dtype() == DType::f64);
    CHECK(t.to_vector() == std::vector<double>{-0.625, -0.75, 1.0, -1.25});
    const Tensor w = f64({1.0, 2.0, 3.0, 4.0}, {2, 2});
    const Tensor y = (t * w).sum();
    y.backward();
    CHECK(a.grad() == doctest::Approx(1.0 * b.data() + 2.0 + 3.0 * 2.0));
    CHECK(b.grad() == doctest::Approx(1.0 * a.data() + 2.0 + 4.0));
    CHECK(p.grad() == doctest::Approx(3.0 * a.data()));
    // A second backward over the same graph: the leaves accumulate, the interior restarts.
    y.backward();
    CHECK(a.grad() == doctest::Approx(2 * (b.data() + 2.0 + 6.0)));
    check_error([&] { Tensor::from_values({a, b}, {3}); }, {"from_values", "2 values", "[3]"});
    Value::release_parameter(p);
    Tape::current().clear();
}

TEST_CASE("Tensor::element: a tensor's element as a Value, grads flowing into the tensor") {
    Tape::current().clear();
    Tensor x = f64({0.5, -1.0, 2.0, 0.25, 1.5, -0.5}, {2, 3}, true);
    const Value e = x.element({1, 2});
    CHECK(e.data() == -0.5);
    const Value v = x.t().element({1, 0}) * e + x.element({0, 0}).tanh();  // x[0][1] * x[1][2] + tanh(x[0][0])
    v.backward();
    const std::vector<double> g = x.grad().to_vector();
    CHECK(g[0] == doctest::Approx(1.0 - std::tanh(0.5) * std::tanh(0.5)));
    CHECK(g[1] == doctest::Approx(-0.5));
    CHECK(g[5] == doctest::Approx(-1.0));
    CHECK(g[2] == 0.0);
    // Backward from the element itself, and a float32 tensor.
    x.zero_grad();
    x.element({-1, -1}).backward();
    CHECK(x.grad().to_vector()[5] == 1.0);
    const Tensor f = Tensor::from(std::vector<double>{3.0}, {}, DType::f32, true);
    (f.element({}) * 2.0).backward();
    CHECK(f.grad().item() == 2.0);
    check_error([&] { x.element({2, 0}); }, {"element", "index 2", "[2, 3]"});
    check_error([&] { x.element({0}); }, {"element", "1 indices", "[2, 3]"});
    Tape::current().clear();
}

TEST_CASE("Values and Tensors in one graph: backward round trip against finite differences") {
    const tapegrad::testing::TensorFunction f = [](const std::vector<Tensor>& in) {
        const Tensor& x = in[0];
        // tensor -> Values -> scalar ops -> tensor -> tensor ops -> Value -> tensor
        const Value a = x.element({0}), b = x.element({2});
        const Tensor t = Tensor::from_values({a * b, (a - b).sin(), b.exp()}, {3});
        const Value s = (t * x).tanh().sum().element({}) + x.element({1}).pow(3.0);
        return Tensor::from_values({s}, {}) + (x * x).sum() * 0.1;
    };
    const std::vector<tapegrad::testing::TensorInput> at = {{{3}, {0.3, -0.8, 0.6}}};
    const auto check = tapegrad::testing::gradcheck(f, at, 1e-4, tapegrad::testing::Stencil::five_point);
    CHECK(check.error < 1e-9);
}

TEST_CASE("grad on tensors follows Values, and scalar grad follows tensor ops") {
    Tape::current().clear();
    const Tensor x = f64({0.3, -0.8}, {2}, true);
    // A from_values of Values that do not come from the inputs is a constant to grad.
    Value c = 2.0;
    const Tensor k = Tensor::from_values({c, c * c}, {2});
    const Tensor z = (k * x).sum();
    CHECK(tapegrad::grad(z, {x})[0].to_vector() == std::vector<double>{2.0, 4.0});
    // Through a Value taken from the inputs: y = x0 x1 + x0 + x1.
    const Tensor t = Tensor::from_values({x.element({0}) * x.element({1})}, {1});
    const Tensor y = (t.sum() + x.sum());
    CHECK(tapegrad::grad(y, {x})[0].to_vector() == std::vector<double>{1.0 - 0.8, 1.0 + 0.3});
    // Scalar grad through a tensor op: v = 2 a^2.
    Value a = 0.5;
    const Value v = (Tensor::from_values({a * a}, {1}) * 2.0).element({0});
    CHECK(tapegrad::grad(v, {a})[0].data() == 2.0);
    Tape::current().clear();
}
