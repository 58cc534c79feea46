// grad()'s errors: each names the operation and what is wrong, and none leaves a wrong result.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <tapegrad/tapegrad.hpp>

#include "error_message.hpp"

using tapegrad::GradOptions;
using tapegrad::HigherOrder;
using tapegrad::Tape;
using tapegrad::Value;
using tapegrad::test::contains;
using tapegrad::test::message_of;

namespace {
constexpr GradOptions kCreateGraph{.create_graph = true};

}  // namespace

TEST_CASE("grad errors: create_graph over a graph recorded without HigherOrder") {
    Tape& tape = Tape::current();
    tape.clear();
    Value x = 0.5;
    Value f = (x * 2.0).tanh();
    const std::string m = message_of([&] { tapegrad::grad(f, {x}, kCreateGraph); });
    CHECK(contains(m, "grad: create_graph needs the graph recorded under tapegrad::HigherOrder"));
    CHECK(contains(m, "'tanh'"));
    CHECK(tapegrad::grad(f, {x})[0].data() == doctest::Approx(2 * (1 - std::tanh(1.0) * std::tanh(1.0))));
    SUBCASE("a graph recorded partly under it") {
        Value h;
        {
            HigherOrder guard;
            h = f * f;
        }
        CHECK(contains(message_of([&] { tapegrad::grad(h, {x}, kCreateGraph); }), "recorded without it"));
        CHECK(tapegrad::grad(h, {f}, kCreateGraph)[0].data() == doctest::Approx(2 * f.data()));  // the part under it
    }
    SUBCASE("an op folded into a node after the guard ended") {
        Value t;
        {
            HigherOrder guard;
            t = x * x;
        }
        Value u = std::move(t) + 1.0;  // fuses into x * x's node
        CHECK(contains(message_of([&] { tapegrad::grad(u, {x}, kCreateGraph); }), "an op was folded into it"));
    }
    tape.clear();
}

TEST_CASE("grad errors: unused inputs, and allow_unused's empty handles") {
    Tape& tape = Tape::current();
    tape.clear();
    HigherOrder guard;
    Value x = 0.5, y = 1.5;
    Value f = x.exp();
    for (bool create_graph : {false, true}) {
        CAPTURE(create_graph);
        const std::string m = message_of([&] { tapegrad::grad(f, {x, y}, {.create_graph = create_graph}); });
        CHECK(contains(m, "grad: the output does not depend on input 1"));
        CHECK(contains(m, "allow_unused"));
        const std::vector<Value> g = tapegrad::grad(f, {x, y}, {.create_graph = create_graph, .allow_unused = true});
        CHECK(g[0].data() == doctest::Approx(std::exp(0.5)));
        CHECK_FALSE(g[1].valid());
    }
    // Recorded after the output, or on another tape: unused too.
    Value later = x * 3.0;
    CHECK(contains(message_of([&] { tapegrad::grad(f, {later}); }), "input 0"));
    Tape other;
    Value elsewhere(other, 1.0);
    CHECK_FALSE(tapegrad::grad(f, {elsewhere}, {.allow_unused = true})[0].valid());
    tape.clear();
}

TEST_CASE("grad errors: empty and stale handles name the output or the input") {
    Tape& tape = Tape::current();
    tape.clear();
    Value x = 0.5;
    Value f = x * x;
    CHECK(contains(message_of([&] { tapegrad::grad(Value(), {x}); }), "grad (output): empty Value"));
    CHECK(contains(message_of([&] { tapegrad::grad(f, {x, Value()}); }), "grad (input 1): empty Value"));
    tape.clear();
    CHECK(contains(message_of([&] { tapegrad::grad(f, {x}); }), "grad (output): the value's tape was cleared"));
    Value y = 2.0;
    CHECK(contains(message_of([&] { tapegrad::grad(y * y, {x}); }), "grad (input 0): the value's tape was cleared"));
    tape.clear();
}

TEST_CASE("grad errors: a user's ScalarOp has no second derivative") {
    static const tapegrad::ScalarOp cube("cube");
    Tape& tape = Tape::current();
    tape.clear();
    HigherOrder guard;
    Value x = 1.5;
    const double xv = x.data();
    Value f = cube(xv * xv * xv, {{x, 3 * xv * xv}}) * 2.0;
    const std::string m = message_of([&] { tapegrad::grad(f, {x}, kCreateGraph); });
    CHECK(contains(m, "grad: 'cube'"));
    CHECK(contains(m, "has no second derivative"));
    CHECK(tapegrad::grad(f, {x})[0].data() == doctest::Approx(6 * xv * xv));  // first order is fine
    tape.clear();
}

TEST_CASE("grad errors: an entry without a tensor rule between the inputs and the output") {
    Tape& tape = Tape::current();
    tape.clear();
    Value x = 2.0;
    Value h = x * x;
    tape.record_entry([](void*) {}, nullptr, nullptr, "triple");
    Value y = h * 3.0;
    const std::string m = message_of([&] { tapegrad::grad(y, {x}); });
    CHECK(contains(m, "grad: the graph may pass through 'triple'"));
    CHECK(contains(m, "no tensor grad rule"));
    CHECK(contains(m, "backward() can"));
    CHECK(contains(message_of([&] { tapegrad::grad(y, {h}); }), "'triple'"));  // it may read h
    CHECK(tapegrad::grad(y * y, {y})[0].data() == 2 * y.data());               // all above it: nothing to cross
    Value z = Value(1.0) * 4.0;                                                // recorded after it, from a later leaf
    CHECK(tapegrad::grad(z * z, {z})[0].data() == 8.0);
    tape.clear();
}
