// dot(a, b, bias), a neuron's pre-activation in one pass: the node dot(a, b) + bias makes by
// fusing, its fallbacks, and the checks on its operands (which rest on a tape generation naming
// one tape: tapegrad/tape.hpp).
#include <cmath>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include <tapegrad/tapegrad.hpp>

#include "check_gradients.hpp"
#include "error_message.hpp"

using tapegrad::CurrentTape;
using tapegrad::DetectAnomaly;
using tapegrad::Error;
using tapegrad::GradOptions;
using tapegrad::HigherOrder;
using tapegrad::NoGrad;
using tapegrad::Tape;
using tapegrad::Value;
using tapegrad::test::check_error;
using tapegrad::test::same_bits;

namespace {

// Weights as parameters, inputs as leaves on the current tape, a bias parameter: a neuron.
struct Neuron {
    std::vector<Value> w, x;
    Value b;
    Neuron() {
        for (double v : {0.3, -1.2, 0.7}) w.push_back(Value::parameter(v));
        for (double v : {1.5, 0.25, -2.0}) x.push_back(Value(v));
        b = Value::parameter(0.125);
    }
    ~Neuron() {
        for (Value& p : w) Value::release_parameter(p);
        Value::release_parameter(b);
    }
    Neuron(const Neuron&) = delete;
    Neuron& operator=(const Neuron&) = delete;
    void zero_grad() {
        for (Value& p : w) p.zero_grad();
        for (Value& v : x) v.zero_grad();
        b.zero_grad();
    }
};

}  // namespace

TEST_CASE("dot(a, b, bias) records the node that dot(a, b) + bias makes by fusing") {
    Tape& tape = Tape::current();
    tape.clear();
    Neuron n;
    const std::size_t nodes0 = tape.node_count(), edges0 = tape.edge_count(), ops0 = tape.op_count();
    Value one_pass = tapegrad::dot(n.w, n.x, n.b);
    const std::size_t nodes1 = tape.node_count(), edges1 = tape.edge_count(), ops1 = tape.op_count();
    Value two_ops = tapegrad::dot(n.w, n.x) + n.b;
    CHECK(nodes1 - nodes0 == 1);
    CHECK(edges1 - edges0 == 7);  // two partials an operand pair, one for the bias
    CHECK(ops1 - ops0 == 2);      // a dot and an add, as Tape::op_count counts fused ops
    CHECK(tape.node_count() - nodes1 == nodes1 - nodes0);
    CHECK(tape.edge_count() - edges1 == edges1 - edges0);
    CHECK(tape.op_count() - ops1 == ops1 - ops0);
    CHECK(one_pass.op() == std::string("+"));
    CHECK(one_pass.op() == std::string(two_ops.op()));
    CHECK(same_bits(one_pass.data(), two_ops.data()));
    // By hand: 0.3*1.5 - 1.2*0.25 + 0.7*(-2) + 0.125.
    CHECK(one_pass.data() == doctest::Approx(0.45 - 0.3 - 1.4 + 0.125).epsilon(1e-15));

    // Gradients: bitwise those of the fused pair, and the hand derivation's.
    one_pass.backward();
    std::vector<double> grads;
    for (const Value& p : n.w) grads.push_back(p.grad());
    for (const Value& v : n.x) grads.push_back(v.grad());
    grads.push_back(n.b.grad());
    const std::vector<double> by_hand{1.5, 0.25, -2.0, 0.3, -1.2, 0.7, 1.0};
    for (std::size_t k = 0; k < grads.size(); ++k) CHECK(grads[k] == by_hand[k]);
    n.zero_grad();
    two_ops.backward();
    std::size_t k = 0;
    for (const Value& p : n.w) CHECK(same_bits(p.grad(), grads[k++]));
    for (const Value& v : n.x) CHECK(same_bits(v.grad(), grads[k++]));
    CHECK(same_bits(n.b.grad(), grads[k]));
}

TEST_CASE("dot(a, b, bias) passes the finite-difference check") {
    using V = std::vector<Value>;
    for (double p : {-1.3, 0.2, 1.9}) {
        CAPTURE(p);
        tapegrad::test::check_gradients(
            [](const V& x) {
                return tapegrad::dot(V{x[0], x[1]}, V{x[1], x[0] * 2.0}, x[2].tanh());
            },
            {p, 0.7, -0.4});
    }
}

TEST_CASE("dot(a, b, bias) makes separate nodes where fusing would not happen") {
    Tape& tape = Tape::current();
    tape.clear();
    Neuron n;
    const double expected = 0.45 - 0.3 - 1.4 + 0.125;
    SUBCASE("anomaly mode names node positions: a dot node and an add node") {
        DetectAnomaly on;
        const std::size_t nodes = tape.node_count();
        Value y = tapegrad::dot(n.w, n.x, n.b);
        CHECK(tape.node_count() == nodes + 2);
        CHECK(y.data() == doctest::Approx(expected).epsilon(1e-15));
    }
    SUBCASE("NoGrad: no partials") {
        NoGrad off;
        const std::size_t edges = tape.edge_count();
        Value y = tapegrad::dot(n.w, n.x, n.b);
        CHECK(tape.edge_count() == edges);
        CHECK(y.data() == doctest::Approx(expected).epsilon(1e-15));
    }
    SUBCASE("HigherOrder: unfused, so that create_graph can differentiate it again") {
        // d/dx0 of (w . x + b)^2 is 2 (w . x + b) w0; its derivative in w0 is 2 (x0 w0 + w . x + b).
        Value dx0;
        {
            HigherOrder guard;
            Value y = tapegrad::dot(n.w, n.x, n.b);
            dx0 = tapegrad::grad(y * y, {n.x[0]}, GradOptions{.create_graph = true})[0];
        }
        CHECK(dx0.data() == doctest::Approx(2 * expected * 0.3).epsilon(1e-14));
        const Value d2 = tapegrad::grad(dx0, {n.w[0]})[0];
        CHECK(d2.data() == doctest::Approx(2 * (1.5 * 0.3 + expected)).epsilon(1e-14));
    }
    SUBCASE("no operand pairs: the bias plus an empty dot") {
        Value y = tapegrad::dot(std::span<const Value>(), std::span<const Value>(), n.b);
        CHECK(y.data() == 0.125);
        y.backward();
        CHECK(n.b.grad() == 1.0);
    }
}

TEST_CASE("dot(a, b, bias) refuses what dot(a, b) + bias refuses") {
    Tape& tape = Tape::current();
    tape.clear();
    Neuron n;
    SUBCASE("operand sizes differ") {
        const std::vector<Value> short_x(n.x.begin(), n.x.begin() + 2);
        check_error([&] { (void)tapegrad::dot(n.w, short_x, n.b); }, {"dot", "3", "2"});
    }
    SUBCASE("a bias recorded before the tape was cleared") {
        Value stale = Value(0.5);
        tape.clear();
        std::vector<Value> x{Value(1.0), Value(2.0), Value(3.0)};
        check_error([&] { (void)tapegrad::dot(n.w, x, stale); }, {"cleared", "generation"});
    }
    SUBCASE("an empty bias, and a parameter handle moved from") {
        check_error([&] { (void)tapegrad::dot(n.w, n.x, Value()); }, {"empty Value"});
        std::vector<Value> w = n.w;
        Value taken = std::move(w[1]);
        CHECK(taken.is_parameter());
        check_error([&] { (void)tapegrad::dot(w, n.x, n.b); }, {"dot", "empty Value"});
        check_error([&] { (void)tapegrad::dot(w, n.x); }, {"dot", "empty Value"});
    }
    SUBCASE("a bias on another tape") {
        Tape other;
        Value elsewhere(other, 1.0);
        check_error([&] { (void)tapegrad::dot(n.w, n.x, elsewhere); }, {"different tapes"});
    }
}

TEST_CASE("a tape generation names one tape: handles from another tape or an earlier step are refused") {
    Tape a, b;
    CHECK(a.generation() != b.generation());
    const std::uint64_t before = a.generation();
    Value on_a(a, 2.0);
    a.clear();
    CHECK(a.generation() != before);
    CHECK(a.generation() != b.generation());
    Value on_b(b, 3.0);
    std::vector<Value> xs{on_b, on_b};
    {
        CurrentTape scope(b);
        std::vector<Value> ys{Value(1.0), on_a};  // on_a: stale, and from another tape
        check_error([&] { (void)tapegrad::dot(xs, ys); }, {"dot", "cleared"});
        Value fresh_a(a, 4.0);
        std::vector<Value> zs{Value(1.0), fresh_a};
        check_error([&] { (void)tapegrad::dot(xs, zs); }, {"dot", "different tapes"});
    }
}
