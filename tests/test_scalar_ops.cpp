// Every scalar op: hand-derived values and partials, then the finite-difference check.
#include <cmath>

#include <doctest/doctest.h>

#include "check_gradients.hpp"

using tapegrad::Tape;
using tapegrad::Value;
using tapegrad::test::check_gradients;
using V = std::vector<Value>;

namespace {
// Value and derivative of y = f(x) at one point, through the engine.
struct Probe {
    double y, dy;
};
template <class F> Probe probe(double x, F f) {
    Tape::current().clear();
    Value a = x;
    Value y = f(a);
    y.backward();
    return {y.data(), a.grad()};
}
doctest::Approx near(double v) { return doctest::Approx(v).epsilon(1e-14); }
}  // namespace

TEST_CASE("unary ops match their hand-derived values and derivatives") {
    SUBCASE("tanh: 1 - tanh^2") {
        const Probe p = probe(0.5, [](Value x) { return x.tanh(); });
        CHECK(p.y == near(std::tanh(0.5)));
        CHECK(p.dy == near(1 - std::tanh(0.5) * std::tanh(0.5)));
    }
    SUBCASE("sigmoid: s (1 - s), stable for large |x|") {
        const Probe p = probe(0.0, [](Value x) { return x.sigmoid(); });
        CHECK(p.y == 0.5);
        CHECK(p.dy == 0.25);
        CHECK(probe(-800.0, [](Value x) { return x.sigmoid(); }).y == 0.0);
        CHECK(probe(800.0, [](Value x) { return x.sigmoid(); }).y == 1.0);
    }
    SUBCASE("relu: 0 at and below zero") {
        CHECK(probe(2.0, [](Value x) { return x.relu(); }).dy == 1.0);
        CHECK(probe(-2.0, [](Value x) { return x.relu(); }).y == 0.0);
        CHECK(probe(-2.0, [](Value x) { return x.relu(); }).dy == 0.0);
        CHECK(probe(0.0, [](Value x) { return x.relu(); }).dy == 0.0);
    }
    SUBCASE("exp, log, sqrt, abs, sin, cos") {
        CHECK(probe(1.0, [](Value x) { return x.exp(); }).dy == near(std::exp(1.0)));
        CHECK(probe(4.0, [](Value x) { return x.log(); }).dy == 0.25);
        CHECK(probe(4.0, [](Value x) { return x.sqrt(); }).dy == 0.25);
        CHECK(probe(-3.0, [](Value x) { return x.abs(); }).dy == -1.0);
        CHECK(probe(0.0, [](Value x) { return x.abs(); }).dy == 0.0);
        CHECK(probe(0.3, [](Value x) { return x.sin(); }).dy == near(std::cos(0.3)));
        CHECK(probe(0.3, [](Value x) { return x.cos(); }).dy == near(-std::sin(0.3)));
    }
    SUBCASE("pow with a constant exponent: c x^(c-1)") {
        CHECK(probe(2.0, [](Value x) { return x.pow(3); }).y == 8.0);
        CHECK(probe(2.0, [](Value x) { return x.pow(3); }).dy == 12.0);
        CHECK(probe(2.0, [](Value x) { return x.pow(0); }).dy == 0.0);
        CHECK(probe(4.0, [](Value x) { return x.pow(-0.5); }).dy == near(-0.5 * std::pow(4.0, -1.5)));
    }
    SUBCASE("arithmetic with a double on either side") {
        CHECK(probe(3.0, [](Value x) { return x + 2.0; }).dy == 1.0);
        CHECK(probe(3.0, [](Value x) { return 2.0 - x; }).y == -1.0);
        CHECK(probe(3.0, [](Value x) { return 2.0 - x; }).dy == -1.0);
        CHECK(probe(3.0, [](Value x) { return x - 2.0; }).y == 1.0);
        CHECK(probe(3.0, [](Value x) { return 2.0 * x; }).dy == 2.0);
        CHECK(probe(3.0, [](Value x) { return x / 2.0; }).dy == 0.5);
        CHECK(probe(2.0, [](Value x) { return 3.0 / x; }).dy == -0.75);
        CHECK(probe(2.0, [](Value x) { return -x; }).dy == -1.0);
    }
}

TEST_CASE("binary ops match their hand-derived partials") {
    Tape::current().clear();
    Value a = 3.0, b = -2.0;
    SUBCASE("a * b") {
        (a * b).backward();
        CHECK(a.grad() == -2.0);
        CHECK(b.grad() == 3.0);
    }
    SUBCASE("a / b: 1/b and -a/b^2") {
        (a / b).backward();
        CHECK(a.grad() == -0.5);
        CHECK(b.grad() == -0.75);
    }
    SUBCASE("a - b") {
        (a - b).backward();
        CHECK(a.grad() == 1.0);
        CHECK(b.grad() == -1.0);
    }
    SUBCASE("a^b: b a^(b-1) and a^b log a") {
        Value base = 2.0, ex = 3.0;
        base.pow(ex).backward();
        CHECK(base.grad() == 12.0);
        CHECK(ex.grad() == near(8.0 * std::log(2.0)));
    }
}

TEST_CASE("every scalar op passes the finite-difference check") {
    const std::vector<double> points{-1.7, -0.4, 0.3, 0.9, 2.2};
    for (double p : points) {
        CAPTURE(p);
        check_gradients([](const V& x) { return x[0].tanh(); }, {p});
        check_gradients([](const V& x) { return x[0].sigmoid(); }, {p});
        check_gradients([](const V& x) { return x[0].relu(); }, {p});
        check_gradients([](const V& x) { return x[0].exp(); }, {p});
        check_gradients([](const V& x) { return x[0].abs(); }, {p});
        check_gradients([](const V& x) { return x[0].sin(); }, {p});
        check_gradients([](const V& x) { return x[0].cos(); }, {p});
        check_gradients([](const V& x) { return -x[0]; }, {p});
        check_gradients([](const V& x) { return x[0].pow(3); }, {p});
        check_gradients([](const V& x) { return (x[0] * x[0] + 1).log(); }, {p});
        check_gradients([](const V& x) { return (x[0] * x[0] + 1).sqrt(); }, {p});
        check_gradients([](const V& x) { return (x[0] * x[0] + 1).pow(-1.5); }, {p});
        check_gradients([](const V& x) { return 2.5 / x[0] + x[0] / 2.5 + (1.5 - x[0]) + x[0] * 4.0 + 3.0 * x[0]; },
                        {p});
        check_gradients([](const V& x) { return x[0] + x[1]; }, {p, 0.7});
        check_gradients([](const V& x) { return x[0] - x[1]; }, {p, 0.7});
        check_gradients([](const V& x) { return x[0] * x[1]; }, {p, 0.7});
        check_gradients([](const V& x) { return x[0] / x[1]; }, {p, 0.7});
        check_gradients([](const V& x) { return x[1].pow(x[0]); }, {p, 0.7});
        check_gradients([](const V& x) { return tapegrad::sum({x[0], x[1], x[0]}); }, {p, 0.7});
        check_gradients([](const V& x) { return tapegrad::dot(V{x[0], x[1]}, V{x[1], x[0] * 2.0}); }, {p, 0.7});
        check_gradients(
            [](const V& x) {
                return tapegrad::dot(V{x[0], x[1]}, V{x[1], x[0] * 2.0}, x[0] * x[1]);
            },
            {p, 0.7});
    }
}

TEST_CASE("the issue's example expression: values and gradients against a hand derivation") {
    Tape::current().clear();
    Value a = -4.0, b = 2.0;
    Value c = a * b + b.pow(3) - a / 2.0;  // -8 + 8 + 2 = 2
    Value d = c.relu() + c.tanh() + c.sigmoid() + c.exp() + (c * c + 1).log();
    d.backward();
    const double cv = 2.0, t = std::tanh(cv), s = 1 / (1 + std::exp(-cv));
    CHECK(c.data() == 2.0);
    CHECK(d.data() == near(cv + t + s + std::exp(cv) + std::log(cv * cv + 1)));
    const double dd_dc = 1 + (1 - t * t) + s * (1 - s) + std::exp(cv) + 2 * cv / (cv * cv + 1);
    CHECK(c.grad() == near(dd_dc));
    CHECK(a.grad() == near(dd_dc * (2.0 - 0.5)));    // dc/da = b - 1/2
    CHECK(b.grad() == near(dd_dc * (-4.0 + 12.0)));  // dc/db = a + 3 b^2
}

TEST_CASE("compound assignment rebinds the handle to a new node") {
    Tape::current().clear();
    Value x = 2.0;
    Value y = x;
    y += 1.0;
    y *= x;
    y -= 0.5;
    y /= 2.0;  // ((x + 1) x - 0.5) / 2
    y.backward();
    CHECK(y.data() == 2.75);
    CHECK(x.grad() == 2.5);  // (2x + 1) / 2
    CHECK(x.data() == 2.0);
}
