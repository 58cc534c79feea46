// The article's worked example, figure by figure. Expected values are derived by hand below
// (plain double arithmetic written from the chain rule) and from the article's printed figures.
#include <cmath>
#include <map>
#include <string>

#include <doctest/doctest.h>

#include "article.hpp"

namespace {
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double rounded(double x, int places) {
    const double s = std::pow(10.0, places);
    return std::round(x * s) / s;
}
doctest::Approx exactly(double v) { return doctest::Approx(v).epsilon(1e-15); }
}  // namespace

TEST_CASE("the article's network: every figure, rounded as printed and exact") {
    const tapegrad::article::Result r = tapegrad::article::run();

    // Hand derivation.
    const double x1 = 0.35, x2 = 0.7, t = 0.5;
    const double a1 = 0.2 * x1 + 0.2 * x2, a2 = 0.3 * x1 + 0.3 * x2;
    const double y3 = sigmoid(a1), y4 = sigmoid(a2);
    const double a3 = 0.3 * y3 + 0.9 * y4, y5 = sigmoid(a3);
    const double g_a3 = (y5 - t) * y5 * (1 - y5);    // dloss/da3, loss = 1/2 (y5 - t)^2
    const double g_a1 = g_a3 * 0.3 * y3 * (1 - y3);  // through v1 and sigmoid'(a1)
    const double g_a2 = g_a3 * 0.9 * y4 * (1 - y4);

    SUBCASE("forward pass") {
        CHECK(r.a1 == exactly(a1));
        CHECK(r.a2 == exactly(a2));
        CHECK(r.y3 == exactly(y3));
        CHECK(r.y4 == exactly(y4));
        CHECK(r.a3 == exactly(a3));
        CHECK(r.y5 == exactly(y5));
        CHECK(rounded(r.a1, 2) == 0.21);      // article: a1 = 0.21
        CHECK(rounded(r.a2, 3) == 0.315);     // article: a2 = 0.315
        CHECK(rounded(r.y5, 2) == 0.67);      // article: y5 ~ 0.67
        CHECK(rounded(r.y5 - t, 2) == 0.17);  // article: off by 0.17
        // Where the article's arithmetic is loose:
        CHECK(rounded(r.y3, 4) == 0.5523);  // article: 0.56 in the text, 0.57 in its figure
        CHECK(rounded(r.y4, 4) == 0.5781);  // article: 0.59
        CHECK(rounded(r.a3, 4) == 0.6860);  // article: 0.702, from its rounded 0.57 and 0.59
        CHECK(rounded(0.3 * 0.57 + 0.9 * 0.59, 3) == 0.702);
        CHECK(r.loss == exactly(0.5 * (y5 - t) * (y5 - t)));
        CHECK(r.squared_error == exactly((y5 - t) * (y5 - t)));
    }
    SUBCASE("deltas") {
        CHECK(r.delta_o == exactly(-g_a3));
        CHECK(rounded(r.delta_o, 4) == -0.0368);                         // exactly
        CHECK(rounded((0.5 - 0.67) * 0.67 * (1 - 0.67), 4) == -0.0376);  // the article's, from rounded 0.67
        CHECK(r.delta_h1 == exactly(-g_a1));
        CHECK(r.delta_h2 == exactly(-g_a2));
    }
    SUBCASE("gradients and one step of gradient descent at learning rate 1") {
        CHECK(r.grad_v1 == exactly(g_a3 * y3));
        CHECK(r.grad_v2 == exactly(g_a3 * y4));
        CHECK(r.grad_w11 == exactly(g_a1 * x1));
        CHECK(r.grad_w21 == exactly(g_a1 * x2));
        CHECK(r.grad_w12 == exactly(g_a2 * x1));
        CHECK(r.grad_w22 == exactly(g_a2 * x2));
        // The article moves w1,1 by +0.000945; descent moves it by -0.000955.
        CHECK(rounded(r.new_w11 - 0.2, 6) == -0.000955);
        CHECK(rounded(r.new_w11, 6) == 0.199045);
        CHECK(r.new_w11 == exactly(0.2 - g_a1 * x1));
        // "about 0.61 after the update" is not one step: one step gives 0.6596.
        const double h1 = sigmoid((0.2 - g_a1 * x1) * x1 + (0.2 - g_a1 * x2) * x2);
        const double h2 = sigmoid((0.3 - g_a2 * x1) * x1 + (0.3 - g_a2 * x2) * x2);
        const double after = sigmoid((0.3 - g_a3 * y3) * h1 + (0.9 - g_a3 * y4) * h2);
        CHECK(r.y5_after == exactly(after));
        CHECK(rounded(r.y5_after, 4) == 0.6596);
    }
    SUBCASE("the comparison table's verdicts") {
        std::map<std::string, std::string> verdict;
        for (const auto& f : r.figures) verdict[f.name] = f.verdict.substr(0, f.verdict.find(':'));
        CHECK(verdict.at("a1") == "agrees");
        CHECK(verdict.at("y5 = sigmoid(a3)") == "agrees");
        CHECK(verdict.at("y3 = sigmoid(a1)") == "differs");
        CHECK(verdict.at("delta_O = (t - y5) y5 (1 - y5)") == "differs");
        CHECK(verdict.at("w1,1 change") == "differs");
        CHECK(verdict.at("y5 after one update") == "differs");
    }
    SUBCASE("the graph picture names every op and carries data and grad") {
        CHECK(r.dot.rfind("digraph tapegrad {", 0) == 0);
        CHECK(r.dot.find("sigmoid") != std::string::npos);
        CHECK(r.dot.find("pow") != std::string::npos);
        CHECK(r.dot.find("data 0.6651") != std::string::npos);  // y5
        CHECK(r.dot.find("grad 1.0000") != std::string::npos);  // the loss, seeded
    }
}
