// Product nodes (detail/product_node.hpp): y = a*b, with "+ c" and tanh, sigmoid or exp fused in,
// keeps its parents' slots and makes its partials from their values at sweep time. Every case is
// checked against a hand derivation and a float64 finite difference; the ops that do not fit the
// form expand it into stored partials, and those are checked the same way.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "check_gradients.hpp"
#include "error_message.hpp"

using tapegrad::Tape;
using tapegrad::Value;
using tapegrad::test::check_error;
using tapegrad::test::check_gradients;
using tapegrad::test::same_bits;
namespace detail = tapegrad::detail;
using V = detail::ValueAccess;

namespace {

constexpr double kA = 0.7, kB = -1.3, kC = 0.4;

struct Grads {
    double a, b, c;
};

// f on fresh leaves a, b, c of the current tape; backward; their grads.
Grads grads_of(Value (*f)(const Value&, const Value&, const Value&)) {
    Tape& tape = Tape::current();
    tape.clear();
    Value a = kA, b = kB, c = kC;
    Value y = f(a, b, c);
    y.backward();
    return {a.grad(), b.grad(), c.grad()};
}

void check_fd(Value (*f)(const Value&, const Value&, const Value&)) {
    check_gradients([f](const std::vector<Value>& x) { return f(x[0], x[1], x[2]); }, {kA, kB, kC});
}

void check_near(const Grads& got, const Grads& want) {
    CHECK(got.a == doctest::Approx(want.a).epsilon(1e-15));
    CHECK(got.b == doctest::Approx(want.b).epsilon(1e-15));
    CHECK(got.c == doctest::Approx(want.c).epsilon(1e-15));
}

const detail::Node& node_of(const Value& v) { return *V::node(v); }

}  // namespace

TEST_CASE("product node: a*b keeps two slots in one edge, and its partials are the operands") {
    Tape& tape = Tape::current();
    tape.clear();
    Value a = kA, b = kB;
    const std::size_t edges = tape.edge_count();
    Value y = a * b;
    CHECK(detail::is_product(node_of(y)));
    CHECK(tape.edge_count() == edges + 1);
    y.backward();
    CHECK(a.grad() == kB);
    CHECK(b.grad() == kA);

    tape.clear();
    Value x = 1.7;
    Value sq = x * x;  // one parent twice
    sq.backward();
    CHECK(x.grad() == 2 * 1.7);
}

TEST_CASE("product node: + c, tanh, sigmoid, exp, relu and x + const fold in and stay products") {
    const double u = kA * kB + kC;
    SUBCASE("a*b + c") {
        auto f = [](const Value& a, const Value& b, const Value& c) { return a * b + c; };
        check_near(grads_of(f), {kB, kA, 1.0});
        check_fd(f);
    }
    SUBCASE("tanh(a*b + c)") {
        auto f = [](const Value& a, const Value& b, const Value& c) { return (a * b + c).tanh(); };
        const double t = std::tanh(u), g = 1 - t * t;
        check_near(grads_of(f), {g * kB, g * kA, g});
        check_fd(f);
    }
    SUBCASE("sigmoid(a*b + c)") {
        auto f = [](const Value& a, const Value& b, const Value& c) { return (a * b + c).sigmoid(); };
        const double s = 1 / (1 + std::exp(-u)), g = s * (1 - s);
        check_near(grads_of(f), {g * kB, g * kA, g});
        check_fd(f);
    }
    SUBCASE("exp(a*b + c)") {
        auto f = [](const Value& a, const Value& b, const Value& c) { return (a * b + c).exp(); };
        const double g = std::exp(u);
        check_near(grads_of(f), {g * kB, g * kA, g});
        check_fd(f);
    }
    SUBCASE("tanh(relu(a*b + 2) + c): x + const and relu of a positive pass 1 on") {
        auto f = [](const Value& a, const Value& b, const Value& c) { return ((a * b + 2.0).relu() + c).tanh(); };
        // a*b + 2 > 0: the node stays a product, with c as its summand.
        const double t = std::tanh(kA * kB + 2.0 + kC), g = 1 - t * t;
        check_near(grads_of(f), {g * kB, g * kA, g});
        check_fd(f);
    }
    SUBCASE("tanh(a*b + 0.5) and relu(b*b + c) stay product nodes") {
        Tape& tape = Tape::current();
        tape.clear();
        Value a = kA, b = kB, c = kC;
        Value y = (a * b + 0.5).tanh();
        CHECK(detail::is_product(node_of(y)));
        CHECK(detail::form_of(node_of(y)) == detail::Form::product_tanh);
        Value z = (b * b + c).relu();
        CHECK(detail::is_product(node_of(z)));
        Value s = y + z;
        s.backward();
        const double t = std::tanh(kA * kB + 0.5), g = 1 - t * t;
        CHECK(a.grad() == doctest::Approx(g * kB).epsilon(1e-15));
        CHECK(b.grad() == doctest::Approx(g * kA + 2 * kB).epsilon(1e-15));
        CHECK(c.grad() == 1.0);
        check_fd([](const Value& x0, const Value& x1, const Value& x2) {
            return (x0 * x1 + 0.5).tanh() + (x1 * x1 + x2).relu();
        });
    }
}

TEST_CASE("product node: ops outside the form expand it into stored partials, which stay right") {
    SUBCASE("(a*b)*c") {
        auto f = [](const Value& a, const Value& b, const Value& c) { return a * b * c; };
        check_near(grads_of(f), {kB * kC, kA * kC, kA * kB});
        check_fd(f);
    }
    SUBCASE("a*b - c, 1 - a*b, 2 * (a*b)") {
        auto f = [](const Value& a, const Value& b, const Value& c) { return 2.0 * (1.0 - (a * b - c)); };
        check_near(grads_of(f), {-2 * kB, -2 * kA, 2.0});
        check_fd(f);
    }
    SUBCASE("(a*b + c) + a: a second summand") {
        auto f = [](const Value& a, const Value& b, const Value& c) { return a * b + c + a; };
        check_near(grads_of(f), {kB + 1, kA, 1.0});
        check_fd(f);
    }
    SUBCASE("tanh(a*b + c) + c and exp(tanh(a*b + c)): past the activation") {
        auto f = [](const Value& a, const Value& b, const Value& c) { return (a * b + c).tanh().exp() + c; };
        const double t = std::tanh(kA * kB + kC), g = std::exp(t) * (1 - t * t);
        check_near(grads_of(f), {g * kB, g * kA, g + 1});
        check_fd(f);
    }
    SUBCASE("tanh(a*b + c) * c: a multiply after the activation") {
        auto f = [](const Value& a, const Value& b, const Value& c) { return (a * b + c).tanh() * c; };
        const double t = std::tanh(kA * kB + kC), g = 1 - t * t;
        check_near(grads_of(f), {kC * g * kB, kC * g * kA, kC * g + t});
        check_fd(f);
    }
}

TEST_CASE("product node: S1's gradient is bitwise the one stored partials give") {
    // w and b as parameters: a product node's pair must be on the tape, so the same chain records
    // ordinary fused nodes with their partials stored; the sweeps must agree bit for bit.
    constexpr int steps = 2000;
    Tape& tape = Tape::current();
    tape.clear();
    Value w = 0.9, b = 0.1, y = 0.5;
    for (int i = 0; i < steps; ++i) y = (y * w + b).tanh();
    CHECK(detail::is_product(node_of(y)));
    y.backward();
    const double product_dw = w.grad(), product_db = b.grad(), product_y = y.data();

    tape.clear();
    Value pw = Value::parameter(0.9), pb = Value::parameter(0.1);
    Value z = 0.5;
    for (int i = 0; i < steps; ++i) z = (z * pw + pb).tanh();
    CHECK_FALSE(detail::is_product(node_of(z)));
    z.backward();
    CHECK(product_y == z.data());
    CHECK(same_bits(product_dw, pw.grad()));
    CHECK(same_bits(product_db, pb.grad()));
    tape.clear();
    Value::release_parameter(pw);
    Value::release_parameter(pb);
}

TEST_CASE("product node: sigmoid, exp, relu and plain products give the bits stored partials give") {
    // One step of each form, with a, b on the tape (a product node) and as parameters (stored
    // partials), then a second op so the node's grad is not 1.
    using Step = Value (*)(const Value&, const Value&, const Value&);
    const Step steps[] = {
        [](const Value& x, const Value& w, const Value& c) { return (x * w + c).sigmoid(); },
        [](const Value& x, const Value& w, const Value& c) { return (x * w + c).exp(); },
        [](const Value& x, const Value& w, const Value& c) { return (x * w + c).relu(); },
        [](const Value& x, const Value& w, const Value& c) { return x * w + c; },
        [](const Value& x, const Value& w, const Value&) { return x * w; },
    };
    for (Step step : steps) {
        Tape& tape = Tape::current();
        tape.clear();
        Value c = Value::parameter(0.3);
        Value x = 0.7, w = 1.1;
        Value y = step(x, w, c);
        CHECK(detail::is_product(node_of(y)));
        (y * 0.37).backward();
        const double yv = y.data(), dx = x.grad(), dw = w.grad(), dc = c.grad();
        tape.clear();
        Value px = Value::parameter(0.7), pw = Value::parameter(1.1);
        c.zero_grad();
        Value z = step(px, pw, c);
        CHECK_FALSE(detail::is_product(node_of(z)));
        CHECK(z.data() == yv);
        (z * 0.37).backward();
        CHECK(same_bits(dx, px.grad()));
        CHECK(same_bits(dw, pw.grad()));
        CHECK(same_bits(dc, c.grad()));
        tape.clear();
        Value::release_parameter(px);
        Value::release_parameter(pw);
        Value::release_parameter(c);
    }
}

TEST_CASE("product node: expansions across edge chunks keep the chain's gradient") {
    // Each step records a product node and then expands it (the * 0.9 after tanh); edge chunks
    // hold 174762 edges, so this crosses several, where the room to expand is missing.
    constexpr int steps = 300'000;
    Tape tape;
    Value w(tape, 0.9), b(tape, 0.1), y(tape, 0.5);
    for (int i = 0; i < steps; ++i) y = (y * w + b).tanh() * 0.9;
    y.backward();
    std::vector<double> ys{0.5};
    for (int i = 0; i < steps; ++i) ys.push_back(std::tanh(ys.back() * 0.9 + 0.1) * 0.9);
    double dy_dw = 0.0, adj = 1.0;
    for (int i = steps; i-- > 0;) {
        const double t = ys[static_cast<std::size_t>(i) + 1] / 0.9, d = 0.9 * (1 - t * t);
        dy_dw += adj * d * ys[static_cast<std::size_t>(i)];
        adj *= d * 0.9;
    }
    CHECK(y.data() == ys.back());
    CHECK(w.grad() == doctest::Approx(dy_dw).epsilon(1e-12));
}

TEST_CASE("product node: a parameter may be the summand, not a factor") {
    Tape& tape = Tape::current();
    tape.clear();
    Value p = Value::parameter(0.25);
    Value a = kA, b = kB;
    Value y = a * b + p;
    CHECK(detail::is_product(node_of(y)));
    Value q = a * p;  // a parameter factor: stored partials
    CHECK_FALSE(detail::is_product(node_of(q)));
    p.set_data(5.0);  // the summand's value is never read: no harm
    (y + q).backward();
    CHECK(a.grad() == kB + 0.25);
    CHECK(b.grad() == kA);
    CHECK(p.grad() == 1.0 + kA);
    tape.clear();
    Value::release_parameter(p);
}

TEST_CASE("product node: set_data on a leaf a product node may have read stops backward and grad") {
    Tape& tape = Tape::current();
    tape.clear();
    Value a = 2.0, b = 3.0;
    Value y = a * b;
    a.set_data(5.0);
    check_error([&] { y.backward(); }, {"backward", "set_data", "record the pass again"});
    check_error([&] { (void)tapegrad::grad(y, {a}); }, {"grad", "set_data"});
    CHECK(b.grad() == 0.0);  // nothing was swept

    tape.clear();  // a new pass starts clean
    Value x = 2.0, z = 3.0;
    x.set_data(4.0);  // before any op read it
    Value r = x * z;
    Value later = 1.5;
    later.set_data(2.5);  // made after the last product node: none read it
    (r * later).backward();
    CHECK(x.grad() == 3.0 * 2.5);
    CHECK(z.grad() == 4.0 * 2.5);
    CHECK(later.grad() == 12.0);
}

TEST_CASE("product node: grad(), pictures and anomaly mode read its partials") {
    Tape& tape = Tape::current();
    tape.clear();
    Value a = kA, b = kB, c = kC;
    Value y = (a * b + c).tanh();
    const std::vector<Value> g = tapegrad::grad(y, {a, b, c});
    const double t = std::tanh(kA * kB + kC), d = 1 - t * t;
    CHECK(g[0].data() == doctest::Approx(d * kB).epsilon(1e-15));
    CHECK(g[1].data() == doctest::Approx(d * kA).epsilon(1e-15));
    CHECK(g[2].data() == doctest::Approx(d).epsilon(1e-15));

    const std::string dot = tapegrad::to_dot(y);
    CHECK(dot.find("*, +, tanh") != std::string::npos);
    CHECK(dot.find("n1 -> n0") != std::string::npos);
    CHECK(dot.find("n2 -> n0") != std::string::npos);
    CHECK(dot.find("n3 -> n0") != std::string::npos);

    tape.clear();
    tapegrad::DetectAnomaly on;
    Value big = 1e300, small = 1e-300, k = 1e10;
    Value p = big * small;  // 1, finite
    Value q = p * k;        // 1e10, finite; but d q / d small = 1e300 * 1e10
    check_error([&] { q.backward(); }, {"backward of '*'", "node 3"});  // p = big * small
}
