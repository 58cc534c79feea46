// Fusing (Note [fusing temporaries] in value.hpp): an op on an unnamed temporary folds into the
// temporary's node; named values, copies, entries, anomaly mode and NoGrad keep their own nodes.
#include <cmath>
#include <utility>

#include <doctest/doctest.h>

#include <tapegrad/tapegrad.hpp>

using tapegrad::DetectAnomaly;
using tapegrad::Error;
using tapegrad::NoGrad;
using tapegrad::Tape;
using tapegrad::Value;

TEST_CASE("tanh(y*w + b) is one node with three parents, and its gradients are the chain rule's") {
    Tape& tape = Tape::current();
    tape.clear();
    Value w = 0.9, b = 0.1, y = 0.5;
    Value z = (y * w + b).tanh();
    CHECK(tape.node_count() == 4);  // w, b, y, z
    CHECK(tape.op_count() == 6);    // ... recording 3 ops
    CHECK(tape.edge_count() == 1);  // a product node: its three parents' slots in one Edge
    CHECK(z.op() == std::string("tanh"));
    z.backward();
    const double t = std::tanh(0.5 * 0.9 + 0.1), d = 1 - t * t;
    CHECK(z.data() == t);
    CHECK(w.grad() == doctest::Approx(d * 0.5).epsilon(1e-15));
    CHECK(y.grad() == doctest::Approx(d * 0.9).epsilon(1e-15));
    CHECK(b.grad() == doctest::Approx(d).epsilon(1e-15));
}

TEST_CASE("named values keep their own nodes and grads") {
    Tape& tape = Tape::current();
    tape.clear();
    Value a = 0.2, b = 0.5;
    Value c = a * b;       // named: never fused into through c
    Value d = c + 1.0;     // c is an lvalue here
    auto e = a * b + 1.0;  // one fused node, named e afterwards
    Value f = (d * e).tanh();
    f.backward();
    CHECK(c.data() == 0.2 * 0.5);
    CHECK(e.data() == 0.2 * 0.5 + 1.0);
    CHECK(d.grad() != 0.0);
    CHECK(c.grad() == d.grad());  // d = c + 1
    CHECK(e.grad() == doctest::Approx(d.data() * (1 - f.data() * f.data())).epsilon(1e-13));
}

TEST_CASE("a copied handle is never fused into, a moved-in temporary is consumed") {
    Tape& tape = Tape::current();
    tape.clear();
    Value a = 2.0, b = 3.0;
    Value t = a * b;
    Value u = t;                   // t and u share the node
    Value v = std::move(t) + 1.0;  // so this records a node of its own
    CHECK(u.data() == 6.0);
    CHECK(v.data() == 7.0);
    CHECK(tape.node_count() == 4);  // a, b, t, v

    Value s = a * b;  // s alone names its node
    const std::size_t nodes = tape.node_count();
    Value r = std::move(s) + 1.0;  // fused into s's node; s is consumed
    CHECK(tape.node_count() == nodes);
    CHECK(r.data() == 7.0);
    CHECK_FALSE(s.valid());
    CHECK_THROWS_AS(s.data(), Error);

    Value m = a * b;
    Value n = std::move(m);  // a move hands the node over
    CHECK_FALSE(m.valid());
    CHECK(n.data() == 6.0);
    Value k = n;  // n and k share it now
    Value j = std::move(n) * 2.0;
    CHECK(k.data() == 6.0);
    CHECK(j.data() == 12.0);
}

TEST_CASE("no fusing into a node an entry may read, in anomaly mode, under NoGrad, or through a zero partial") {
    Tape& tape = Tape::current();
    tape.clear();
    Value x = 0.5;
    SUBCASE("an entry recorded after the temporary seals it") {
        Value t = x * 2.0;
        tape.record_entry([](void*) {}, nullptr, nullptr);
        const std::size_t nodes = tape.node_count();
        Value u = std::move(t).tanh();
        CHECK(tape.node_count() == nodes + 1);
        CHECK(u.data() == std::tanh(1.0));
    }
    SUBCASE("anomaly mode names node positions: one node per op") {
        DetectAnomaly on;
        (x * 2.0 + 1.0).tanh();
        CHECK(tape.node_count() == 4);
    }
    SUBCASE("NoGrad") {
        NoGrad guard;
        (x * 2.0 + 1.0).tanh();
        CHECK(tape.node_count() == 4);
    }
    SUBCASE("relu at a negative input passes nothing back, as an unfused relu would") {
        Value r = (x * -2.0).relu();
        CHECK(tape.node_count() == 3);
        r.backward();
        CHECK(x.grad() == 0.0);
    }
}
