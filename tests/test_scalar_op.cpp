// ScalarOp: users' scalar ops, recorded with the partials they give, behave as built-in ops.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "check_gradients.hpp"

using tapegrad::Error;
using tapegrad::ScalarOp;
using tapegrad::Tape;
using tapegrad::Value;
using V = std::vector<Value>;

namespace {

// docs/EXTENDING.md's example: y = x^3 + x z, dy/dx = 3 x^2 + z, dy/dz = x.
const ScalarOp cubic("cubic");
Value cubic_of(const Value& x, const Value& z) {
    const double xv = x.data(), zv = z.data();
    return cubic(xv * xv * xv + xv * zv, {{x, 3 * xv * xv + zv}, {z, xv}});
}

// log(1 + exp(x)) with its derivative sigmoid(x), given through the span form.
const ScalarOp softplus("softplus");
Value softplus_of(const Value& x) {
    const double xv = x.data();
    const Value parents[] = {x};
    const double partials[] = {1.0 / (1.0 + std::exp(-xv))};
    return softplus(std::log1p(std::exp(xv)), parents, partials);
}

}  // namespace

TEST_CASE("a user's scalar op: hand-derived value and partials, and the finite-difference check") {
    Tape::current().clear();
    Value x = 1.5, z = -0.5;
    Value y = cubic_of(x, z);
    y.backward();
    CHECK(y.data() == 1.5 * 1.5 * 1.5 - 0.75);
    CHECK(x.grad() == 3 * 2.25 - 0.5);
    CHECK(z.grad() == 1.5);
    CHECK(y.op() == std::string("cubic"));
    CHECK(cubic.name() == std::string("cubic"));
    for (double p : {-1.2, 0.3, 2.0}) {
        CAPTURE(p);
        tapegrad::test::check_gradients([](const V& v) { return cubic_of(v[0].tanh(), v[1] * v[0]); }, {p, 0.7});
        tapegrad::test::check_gradients([](const V& v) { return softplus_of(v[0] * 2.0) + v[0]; }, {p});
    }
    Tape::current().clear();
}

TEST_CASE("a user's scalar op: repeated parents, parameters, fusing after it and the picture") {
    Tape::current().clear();
    Value w = Value::parameter(2.0);
    Value x = 3.0;
    Value y = cubic_of(x, x);                  // x^3 + x^2: both partials go to x
    Value out = (cubic_of(w, x) + 1.0) * 2.0;  // later ops may fuse into the user's node
    y.backward();
    CHECK(x.grad() == 3 * 9.0 + 3.0 + 3.0);
    out.backward();
    CHECK(w.grad() == 2.0 * (3 * 4.0 + 3.0));
    CHECK(tapegrad::to_dot(y).find("cubic") != std::string::npos);
    Value::release_parameter(w);
    Tape::current().clear();
}

TEST_CASE("a user's scalar op: NoGrad records no partials, and bad parents raise naming the op") {
    Tape& tape = Tape::current();
    tape.clear();
    Value x = 1.0;
    {
        tapegrad::NoGrad no_grad;
        const std::size_t edges = tape.edge_count();
        Value y = cubic_of(x, x);
        CHECK(tape.edge_count() == edges);
        CHECK(y.data() == 2.0);
    }
    Value stale = 2.0;
    tape.clear();
    CHECK_THROWS_WITH_AS(cubic(1.0, {{stale, 1.0}}), doctest::Contains("cubic: the value's tape was cleared"), Error);
    CHECK_THROWS_WITH_AS(cubic(1.0, {{Value(), 1.0}}), doctest::Contains("cubic: empty Value"), Error);
    Tape other;
    Value here = 1.0, there(other, 2.0);
    CHECK_THROWS_WITH_AS(cubic(1.0, {{here, 1.0}, {there, 1.0}}),
                         doctest::Contains("cubic: operands were recorded on different tapes"), Error);
    const Value parents[] = {here};
    const double partials[] = {1.0, 2.0};
    CHECK_THROWS_WITH_AS(softplus(1.0, parents, partials), doctest::Contains("softplus: 1 parents but 2 partials"),
                         Error);
    tape.clear();
}

TEST_CASE("a user's scalar op: anomaly mode names it when its value is not finite") {
    Tape::current().clear();
    tapegrad::DetectAnomaly anomaly;
    Value x = 1.0;
    CHECK_THROWS_WITH_AS(cubic(std::numeric_limits<double>::infinity(), {{x, 1.0}}), doctest::Contains("cubic"), Error);
    Tape::current().clear();
}
