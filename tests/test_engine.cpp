// The tape itself: sweeps, accumulation, lifetimes, memory reuse, depth.
#include <cmath>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "alloc_counter.hpp"
#include "check_gradients.hpp"

using tapegrad::Error;
using tapegrad::NoGrad;
using tapegrad::Tape;
using tapegrad::Value;

TEST_CASE("fan-out: a node used many times gets the sum of its uses") {
    Tape::current().clear();
    Value x = 3.0;
    Value y = x * x + x * 2.0 + x;  // dy/dx = 2x + 3
    Value z = y * y;                // y used twice: dz/dx = 2 y (2x + 3)
    z.backward();
    CHECK(y.data() == 18.0);
    CHECK(x.grad() == 2 * 18.0 * 9.0);
    Tape::current().clear();
    Value leaf = 0.5;
    std::vector<Value> uses(1000, leaf);
    Value s = tapegrad::sum(uses);
    Value t = leaf;
    for (int i = 0; i < 1000; ++i) t = t + leaf;
    (s + t).backward();
    CHECK(leaf.grad() == 2001.0);
}

TEST_CASE("grads accumulate across backward calls, interior grads restart each sweep") {
    Tape::current().clear();
    Value a = 2.0, b = 5.0;
    Value c = a * b;
    Value d = c.tanh() + c;
    d.backward();
    const double da = a.grad(), dc = c.grad();
    CHECK(dc == doctest::Approx(1 - std::tanh(10.0) * std::tanh(10.0) + 1).epsilon(1e-15));
    d.backward();  // same graph again: leaves get twice as much, interior nodes the same
    CHECK(a.grad() == 2 * da);
    CHECK(c.grad() == dc);
    a.zero_grad();
    d.backward();
    CHECK(a.grad() == da);
    SUBCASE("a backward from an earlier node only reaches its own ancestors") {
        a.zero_grad();
        b.zero_grad();
        c.backward();
        CHECK(a.grad() == 5.0);
        CHECK(b.grad() == 2.0);
    }
    SUBCASE("backward with a seed scales everything") {
        a.zero_grad();
        d.backward(3.0);
        CHECK(a.grad() == doctest::Approx(3 * da).epsilon(1e-15));
    }
    SUBCASE("Tape::zero_grad zeroes every node on the tape") {
        Tape::current().zero_grad();
        CHECK(a.grad() == 0.0);
        CHECK(d.grad() == 0.0);
    }
}

TEST_CASE("a ten-million-op chain runs forward and backward without recursion") {
    Tape& tape = Tape::current();
    tape.clear();
    Value w = 0.9, x = 0.5;
    Value y = x;
    constexpr int kOps = 10'000'000;
    for (int i = 0; i < kOps / 2; ++i) y = (y * w).sin();
    y.backward();
    CHECK(tape.op_count() == static_cast<std::size_t>(kOps + 2));
    // The same derivative by hand, forward mode on plain doubles: dy/dw and dy/dx.
    double v = 0.5, dv_dw = 0.0, dv_dx = 1.0;
    for (int i = 0; i < kOps / 2; ++i) {
        const double u = v * 0.9, c = std::cos(u);
        dv_dw = c * (dv_dw * 0.9 + v);
        dv_dx = c * dv_dx * 0.9;
        v = std::sin(u);
    }
    CHECK(y.data() == v);
    CHECK(w.grad() == doctest::Approx(dv_dw).epsilon(1e-12));
    CHECK(x.grad() == doctest::Approx(dv_dx).epsilon(1e-12));
    tape.release_memory();
}

TEST_CASE("handles used after clear() raise Error naming the op and the clear") {
    Tape& tape = Tape::current();
    tape.clear();
    Value a = 1.0;
    Value b = a.exp();
    tape.clear();
    Value fresh = 2.0;  // reuses a's memory
    CHECK_FALSE(a.valid());
    CHECK(fresh.valid());
    CHECK_THROWS_WITH_AS(b.data(), doctest::Contains("data: the value's tape was cleared"), Error);
    CHECK_THROWS_WITH_AS(a + 1.0, doctest::Contains("+: the value's tape was cleared"), Error);
    CHECK_THROWS_WITH_AS(a.tanh(), doctest::Contains("tanh: the value's tape was cleared"), Error);
    CHECK_THROWS_WITH_AS(fresh * b, doctest::Contains("*: the value's tape was cleared"), Error);
    CHECK_THROWS_WITH_AS(b.backward(), doctest::Contains("backward: the value's tape was cleared"), Error);
    CHECK_THROWS_AS(b.grad(), Error);
    CHECK(fresh.data() == 2.0);
    Value empty;
    CHECK_THROWS_WITH_AS(empty.relu(), doctest::Contains("relu: empty Value"), Error);
}

TEST_CASE("parameters survive clear(), set_data only on leaves") {
    Tape& tape = Tape::current();
    tape.clear();
    Value w = Value::parameter(0.5);
    CHECK(w.is_parameter());
    for (int step = 0; step < 3; ++step) {
        Value loss = (w * 2.0 - 3.0).pow(2);  // d/dw = 4 (2w - 3)
        w.zero_grad();
        loss.backward();
        CHECK(w.grad() == 4 * (2 * w.data() - 3));
        w.set_data(w.data() - 0.1 * w.grad());
        tape.clear();
    }
    CHECK(w.valid());
    Value leaf = 1.0;
    leaf.set_data(4.0);
    CHECK(leaf.data() == 4.0);
    Value r = leaf.sqrt();
    CHECK_THROWS_WITH_AS(r.set_data(1.0), doctest::Contains("set_data: only leaves and parameters"), Error);
    CHECK_THROWS_WITH_AS(r.set_data(1.0), doctest::Contains("'sqrt'"), Error);
    Value::release_parameter(w);
    CHECK_FALSE(w.valid());
}

TEST_CASE("NoGrad records no partials: gradients do not flow through its results") {
    Tape& tape = Tape::current();
    tape.clear();
    Value x = 2.0;
    Value frozen;
    {
        NoGrad guard;
        CHECK_FALSE(tape.grad_enabled());
        frozen = x * x;
    }
    CHECK(tape.grad_enabled());
    const std::size_t edges = tape.edge_count();
    CHECK(edges == 0);
    Value y = frozen * x;  // d/dx sees frozen as a constant: 4
    y.backward();
    CHECK(frozen.data() == 4.0);
    CHECK(x.grad() == 4.0);
}

TEST_CASE("a warm tape records without heap allocation and reuses its memory") {
    Tape& tape = Tape::current();
    const auto step = [] {
        Value w = 0.9, b = 0.1, y = 0.5;
        for (int i = 0; i < 200'000; ++i) y = (y * w + b).tanh();
        y.backward();
        return w.grad();
    };
    tape.clear();
    const double first = step();
    const std::size_t reserved = tape.bytes_reserved();
    tape.clear();
    const std::size_t before = tapegrad::testing::allocation_count();
    const double second = step();
    CHECK(tapegrad::testing::allocation_count() == before);
    CHECK(tape.bytes_reserved() == reserved);
    CHECK(second == first);
    CHECK(tape.op_count() == 600'003);
    tape.clear();
}

TEST_CASE("each thread records on its own tape, and mixing tapes is an error") {
    Tape::current().clear();
    Value here = 1.0;
    Tape* other_tape = nullptr;
    double other_grad = 0.0;
    std::thread worker([&] {
        other_tape = &Tape::current();
        Value x = 3.0;
        (x * x).backward();
        other_grad = x.grad();
    });
    worker.join();
    CHECK(other_tape != &Tape::current());
    CHECK(other_grad == 6.0);
    Tape separate;
    Value there(separate, 2.0);
    CHECK(there.tape() == &separate);
    CHECK((there * 3.0).tape() == &separate);
    CHECK_THROWS_WITH_AS(here + there, doctest::Contains("+: operands were recorded on different tapes"), Error);
    CHECK_THROWS_WITH_AS(tapegrad::dot(std::vector<Value>{here}, std::vector<Value>{here, here}),
                         doctest::Contains("dot: operand sizes differ: 1 vs 2"), Error);
}

// dot checks its operands in the same pass that sums them and writes its partials; a handle that
// fails part-way must leave the tape exactly as it was, and operands the fast pass does not take
// (a later operand on another tape than the first one's) go to the general path.
TEST_CASE("dot: a bad operand part-way raises and records nothing, any mix of parameters and tapes works") {
    Tape& tape = Tape::current();
    tape.clear();
    Value stale = 5.0;
    tape.clear();
    Value a0 = 1.0, a1 = 2.0, a2 = 3.0, b0 = 4.0, b1 = 6.0;
    const std::size_t nodes = tape.node_count(), edges = tape.edge_count();
    CHECK_THROWS_WITH_AS(tapegrad::dot(std::vector<Value>{a0, a1, a2}, std::vector<Value>{b0, b1, stale}),
                         doctest::Contains("dot: the value's tape was cleared"), Error);
    CHECK_THROWS_WITH_AS(tapegrad::dot(std::vector<Value>{a0, Value{}}, std::vector<Value>{b0, b1}),
                         doctest::Contains("dot"), Error);
    CHECK(tape.node_count() == nodes);
    CHECK(tape.edge_count() == edges);
    // The next op still records where it should: its partials and grads are right.
    const Value d = tapegrad::dot(std::vector<Value>{a0, a1}, std::vector<Value>{b0, b1});
    CHECK(d.data() == 16.0);  // 1*4 + 2*6
    CHECK(tape.edge_count() == edges + 4);
    d.backward();
    CHECK(a0.grad() == 4.0);
    CHECK(a1.grad() == 6.0);
    CHECK(b0.grad() == 1.0);
    CHECK(b1.grad() == 2.0);

    // Parameters first, then operands on a tape that is not the current one.
    Value p = Value::parameter(0.5), q = Value::parameter(-2.0);
    Tape separate;
    Value s(separate, 3.0), t(separate, 7.0);
    const Value e = tapegrad::dot(std::vector<Value>{p, s}, std::vector<Value>{q, t});
    CHECK(e.tape() == &separate);
    CHECK(e.data() == -1.0 + 21.0);
    e.backward();
    CHECK(p.grad() == -2.0);
    CHECK(q.grad() == 0.5);
    CHECK(s.grad() == 7.0);
    CHECK(t.grad() == 3.0);
    CHECK_THROWS_WITH_AS(tapegrad::dot(std::vector<Value>{p, a0}, std::vector<Value>{q, s}),
                         doctest::Contains("dot: operands were recorded on different tapes"), Error);
    Value::release_parameter(p);
    Value::release_parameter(q);
    tape.clear();
}
