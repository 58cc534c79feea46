// The derivative drivers (tapegrad/derivatives.hpp) against closed forms: the Hessian of the
// backpropagation article's loss with respect to its six weights derived by hand, a function of
// three variables, and what the drivers must leave alone (the caller's tape) or refuse.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <tapegrad/tapegrad.hpp>

#include "error_message.hpp"
#include "random_graph.hpp"

using tapegrad::Tape;
using tapegrad::Value;
using Vector = std::vector<double>;
using Matrix = std::vector<std::vector<double>>;
using tapegrad::test::message_of;

namespace {

doctest::Approx approx(double v) { return doctest::Approx(v).epsilon(1e-13).scale(1.0); }

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

constexpr double kX1 = 0.35, kX2 = 0.7, kTarget = 0.5;

// The article's loss as a function of (w11, w21, w12, w22, v1, v2): inputs x1, x2, two sigmoid
// hidden neurons, a sigmoid output, loss 1/2 (y5 - target)^2.
Value article_loss(const std::vector<Value>& w) {
    const Value y3 = (w[0] * kX1 + w[1] * kX2).sigmoid();
    const Value y4 = (w[2] * kX1 + w[3] * kX2).sigmoid();
    const Value y5 = (w[4] * y3 + w[5] * y4).sigmoid();
    return 0.5 * (y5 - kTarget).pow(2);
}

// Its Hessian by hand. The loss depends on the weights through a3 = v1 y3 + v2 y4 alone, so
// H = L''(a3) grad(a3) grad(a3)^T + L'(a3) hess(a3), with L'(a3) = e s'(a3) and
// L''(a3) = s'(a3)^2 + e s''(a3) (e = y5 - t, s' = s (1 - s), s'' = s' (1 - 2 s)).
Matrix article_hessian_by_hand(const Vector& w) {
    const double a1 = w[0] * kX1 + w[1] * kX2, a2 = w[2] * kX1 + w[3] * kX2;
    const double y3 = sigmoid(a1), y4 = sigmoid(a2);
    const double a3 = w[4] * y3 + w[5] * y4, y5 = sigmoid(a3), e = y5 - kTarget;
    const auto d1 = [](double s) { return s * (1 - s); };
    const auto d2 = [&](double s) { return d1(s) * (1 - 2 * s); };
    const double first = e * d1(y5), second = d1(y5) * d1(y5) + e * d2(y5);
    const double x[2] = {kX1, kX2};
    // grad(a3): d a3 / d w_i1 = v1 s'(a1) x_i, d a3 / d w_i2 = v2 s'(a2) x_i, d a3 / d v = (y3, y4)
    const Vector g{w[4] * d1(y3) * kX1, w[4] * d1(y3) * kX2, w[5] * d1(y4) * kX1, w[5] * d1(y4) * kX2, y3, y4};
    Matrix hess_a3(6, Vector(6, 0.0));
    for (int i = 0; i < 2; ++i) {
        for (int j = 0; j < 2; ++j) {
            hess_a3[i][j] = w[4] * d2(y3) * x[i] * x[j];          // w_i1, w_j1
            hess_a3[2 + i][2 + j] = w[5] * d2(y4) * x[i] * x[j];  // w_i2, w_j2
        }
        hess_a3[i][4] = hess_a3[4][i] = d1(y3) * x[i];          // w_i1, v1
        hess_a3[2 + i][5] = hess_a3[5][2 + i] = d1(y4) * x[i];  // w_i2, v2
    }
    Matrix h(6, Vector(6));
    for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 6; ++j) h[i][j] = second * g[i] * g[j] + first * hess_a3[i][j];
    return h;
}

const Vector kArticleWeights{0.2, 0.2, 0.3, 0.3, 0.3, 0.9};

// f(x, y, z) = x^2 y + sin(y z) + exp(x) z
Value three(const std::vector<Value>& v) { return v[0] * v[0] * v[1] + (v[1] * v[2]).sin() + v[0].exp() * v[2]; }

}  // namespace

TEST_CASE("hessian: the article's loss with respect to its six weights, by hand") {
    const Matrix by_hand = article_hessian_by_hand(kArticleWeights);
    const Matrix h = tapegrad::hessian(article_loss, kArticleWeights);
    for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 6; ++j) {
            CAPTURE(i);
            CAPTURE(j);
            CHECK(h[i][j] == approx(by_hand[i][j]));
        }
    // The loss sees w11 and w21 only through a1 = 0.35 w11 + 0.7 w21: (0.7, -0.35) is a null direction.
    const Vector null = tapegrad::hvp(article_loss, kArticleWeights, {0.7, -0.35, 0, 0, 0, 0});
    for (double v : null) CHECK(std::fabs(v) < 1e-17);
    SUBCASE("and through grad with create_graph directly") {
        Tape::current().clear();
        tapegrad::HigherOrder guard;
        std::vector<Value> w(kArticleWeights.begin(), kArticleWeights.end());
        const std::vector<Value> g = tapegrad::grad(article_loss(w), w, {.create_graph = true});
        for (int i = 0; i < 6; ++i) {
            const std::vector<Value> row = tapegrad::grad(g[i], w);
            for (int j = 0; j < 6; ++j) CHECK(row[j].data() == approx(by_hand[i][j]));
        }
        Tape::current().clear();
    }
}

TEST_CASE("gradient, hessian, hvp, jacobian: a function of three variables in closed form") {
    const double x = 0.4, y = -1.1, z = 0.8, s = std::sin(y * z), c = std::cos(y * z), e = std::exp(x);
    const Vector at{x, y, z};
    const Vector g = tapegrad::gradient(three, at);
    CHECK(g[0] == approx(2 * x * y + e * z));
    CHECK(g[1] == approx(x * x + z * c));
    CHECK(g[2] == approx(y * c + e));
    const Matrix by_hand{{2 * y + e * z, 2 * x, e}, {2 * x, -z * z * s, c - y * z * s}, {e, c - y * z * s, -y * y * s}};
    const Matrix h = tapegrad::hessian(three, at);
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) CHECK(h[i][j] == approx(by_hand[i][j]));
    const Vector v{0.3, -2.0, 1.5};
    const Vector hv = tapegrad::hvp(three, at, v);
    for (int i = 0; i < 3; ++i)
        CHECK(hv[i] == approx(by_hand[i][0] * v[0] + by_hand[i][1] * v[1] + by_hand[i][2] * v[2]));
    // J of (f, x y, the constant 2, x itself)
    const Matrix j = tapegrad::jacobian(
        [](const std::vector<Value>& v3) {
            return std::vector<Value>{three(v3), v3[0] * v3[1], Value(2.0), v3[0]};
        },
        at);
    REQUIRE(j.size() == 4);
    for (int k = 0; k < 3; ++k) CHECK(j[0][k] == approx(g[k]));
    CHECK(j[1] == Vector{y, x, 0});
    CHECK(j[2] == Vector{0, 0, 0});
    CHECK(j[3] == Vector{1, 0, 0});
}

TEST_CASE("the drivers record on a tape of their own: the caller's tape is neither written nor cleared") {
    Tape& tape = Tape::current();
    tape.clear();
    Value mine = 3.0;
    Value kept = mine * 2.0;
    const std::size_t nodes = tape.node_count();
    // f makes a Value from a double (it goes to the driver's tape) and calls a driver itself.
    const auto f = [](const std::vector<Value>& v) {
        const double inner = tapegrad::gradient([](const std::vector<Value>& u) { return u[0] * u[0]; }, {3.0})[0];
        return v[0] * Value(inner) + v[0].pow(3.0);
    };
    CHECK(tapegrad::gradient(f, {2.0})[0] == approx(6 + 12));
    CHECK(tapegrad::hessian(f, {2.0})[0][0] == approx(12));
    CHECK(tapegrad::hvp(f, {2.0}, {0.5})[0] == approx(6));
    CHECK(tapegrad::jacobian([&](const std::vector<Value>& v) { return std::vector<Value>{f(v)}; }, {2.0})[0][0] ==
          approx(18));
    CHECK(tape.node_count() == nodes);
    CHECK(kept.valid());
    CHECK(kept.data() == 6.0);
    CHECK(&Tape::current() == &tape);
    SUBCASE("also when f throws") {
        CHECK_THROWS_AS(tapegrad::hessian([](const std::vector<Value>& v) { return v[0].log() * Value(); }, {2.0}),
                        tapegrad::Error);
        CHECK(&Tape::current() == &tape);
        CHECK(tapegrad::gradient(three, {0.4, -1.1, 0.8})[2] == approx(-1.1 * std::cos(-1.1 * 0.8) + std::exp(0.4)));
    }
    tape.clear();
}

TEST_CASE("the drivers: constants, inputs f does not use, and their errors") {
    const auto constant = [](const std::vector<Value>&) { return Value(4.0); };
    CHECK(tapegrad::gradient(constant, {1.0, 2.0}) == Vector{0, 0});
    CHECK(tapegrad::hessian(constant, {1.0}) == Matrix{{0}});
    CHECK(tapegrad::hvp(constant, {1.0}, {1.0}) == Vector{0});
    const auto linear = [](const std::vector<Value>& v) { return v[0] * 3.0 + v[2]; };
    CHECK(tapegrad::gradient(linear, {1, 2, 3}) == Vector{3, 0, 1});
    CHECK(tapegrad::hessian(linear, {1, 2, 3}) == Matrix{{0, 0, 0}, {0, 0, 0}, {0, 0, 0}});
    CHECK(tapegrad::hvp(linear, {1, 2, 3}, {1, 1, 1}) == Vector{0, 0, 0});
    const std::string m = message_of([&] { tapegrad::hvp(three, {1, 2, 3}, {1, 2}); });
    CHECK(m == "hvp: x has 3 entries but v has 2");
    CHECK(message_of([&] {
              tapegrad::gradient([](const std::vector<Value>&) { return Value(); }, {1.0});
          }).find("empty Value") != std::string::npos);
}

TEST_CASE("hessian and hvp (forward over reverse) agree with create_graph on random graphs") {
    const std::size_t n = std::max<std::size_t>(tapegrad::test::graphs_to_check() / 4, 1);
    double worst = 0.0;
    for (std::uint64_t seed = 1; seed <= n; ++seed) {
        const tapegrad::test::RandomGraph g = tapegrad::test::make_random_graph(seed);
        const auto f = [&](const std::vector<Value>& x) { return tapegrad::test::run(g, x); };
        const Matrix h = tapegrad::hessian(f, g.inputs);
        Tape& tape = Tape::current();
        tape.clear();
        tapegrad::HigherOrder guard;
        const std::vector<Value> x(g.inputs.begin(), g.inputs.end());
        const std::vector<Value> grad = tapegrad::grad(f(x), x, {.create_graph = true, .allow_unused = true});
        Vector v(g.n_inputs), hv_by_rows(g.n_inputs, 0.0);
        for (std::size_t j = 0; j < g.n_inputs; ++j) v[j] = std::cos(j + 1.0);
        for (std::size_t i = 0; i < g.n_inputs; ++i) {
            const std::vector<Value> row =
                grad[i].valid() ? tapegrad::grad(grad[i], x, {.allow_unused = true}) : std::vector<Value>(g.n_inputs);
            for (std::size_t j = 0; j < g.n_inputs; ++j) {
                const double r = row[j].valid() ? row[j].data() : 0.0;
                worst = std::max(worst, std::fabs(h[i][j] - r) / std::max(1.0, std::fabs(r)));
                hv_by_rows[i] += r * v[j];
            }
        }
        tape.clear();
        const Vector hv = tapegrad::hvp(f, g.inputs, v);
        for (std::size_t i = 0; i < g.n_inputs; ++i)
            worst = std::max(worst, std::fabs(hv[i] - hv_by_rows[i]) / std::max(1.0, std::fabs(hv_by_rows[i])));
        if (worst >= 1e-12) {
            CAPTURE(seed);
            CHECK(worst < 1e-12);
            break;
        }
    }
    MESSAGE("forward over reverse vs create_graph on " << n << " random graphs: largest relative difference " << worst);
}

TEST_CASE("hessian and hvp: a ScalarOp, or a function recorded outside HigherOrder, is refused by name") {
    static const tapegrad::ScalarOp square("square");
    const auto f = [](const std::vector<Value>& x) {
        return square(x[0].data() * x[0].data(), {{x[0], 2 * x[0].data()}}) * 2.0;
    };
    CHECK(tapegrad::gradient(f, {3.0})[0] == approx(12));
    const std::string m = message_of([&] { tapegrad::hvp(f, {3.0}, {1.0}); });
    CHECK(m.find("hvp: node") == 0);
    CHECK(m.find("'square') is a ScalarOp, which has no second derivative") != std::string::npos);
    CHECK(message_of([&] { tapegrad::hessian(f, {3.0}); }).find("hessian: node") == 0);
}
