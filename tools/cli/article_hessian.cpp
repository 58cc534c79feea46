// The article's loss as a function of its six weights, differentiated twice by tapegrad::hessian.
#include "article_hessian.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include <tapegrad/tapegrad.hpp>

#include "symmetric_eigen.hpp"

namespace tapegrad::cli {

namespace {

constexpr double kX1 = 0.35, kX2 = 0.7, kTarget = 0.5;
const char* const kNames[6] = {"w1,1", "w2,1", "w1,2", "w2,2", "v1", "v2"};

// The article's network (tools/article.cpp) with its weights as the variables: sigmoid hidden
// neurons y3, y4 and output y5, loss 1/2 (y5 - target)^2.
Value loss_of(const std::vector<Value>& w) {
    const Value y3 = (w[0] * kX1 + w[1] * kX2).sigmoid();
    const Value y4 = (w[2] * kX1 + w[3] * kX2).sigmoid();
    const Value y5 = (w[4] * y3 + w[5] * y4).sigmoid();
    return 0.5 * (y5 - kTarget).pow(2);
}

double loss_at(const std::vector<double>& w) {
    Tape tape;
    const CurrentTape current(tape);
    return loss_of(std::vector<Value>(w.begin(), w.end())).data();
}

// -H+ g: the minimum-norm solution of H d = -g, over H's eigenvectors whose eigenvalues are not 0.
std::vector<double> newton_direction(const SymmetricEigen& e, const std::vector<double>& g) {
    double largest = 0.0;
    for (double l : e.values) largest = std::max(largest, std::fabs(l));
    std::vector<double> d(g.size(), 0.0);
    for (std::size_t k = 0; k < e.values.size(); ++k) {
        if (std::fabs(e.values[k]) <= 1e-12 * largest) continue;
        double along = 0.0;
        for (std::size_t i = 0; i < g.size(); ++i) along += e.vectors[k][i] * g[i];
        for (std::size_t i = 0; i < g.size(); ++i) d[i] -= along / e.values[k] * e.vectors[k][i];
    }
    return d;
}

}  // namespace

ArticleHessian article_hessian() {
    ArticleHessian h;
    h.weights = {0.2, 0.2, 0.3, 0.3, 0.3, 0.9};
    h.loss = loss_at(h.weights);
    h.gradient = tapegrad::gradient(loss_of, h.weights);
    h.hessian = tapegrad::hessian(loss_of, h.weights);
    const SymmetricEigen eigen = symmetric_eigen(h.hessian);
    h.eigenvalues = eigen.values;
    const std::vector<double> d = newton_direction(eigen, h.gradient);
    for (std::size_t i = 0; i < h.weights.size(); ++i) {
        h.gradient_step.push_back(h.weights[i] - h.gradient[i]);
        h.newton_step.push_back(h.weights[i] + d[i]);
    }
    h.loss_after_gradient_step = loss_at(h.gradient_step);
    h.loss_after_newton_step = loss_at(h.newton_step);
    return h;
}

std::string report(const ArticleHessian& h) {
    std::string out = "Hessian of the loss in the six weights at the starting weights (tapegrad::hessian)\n      ";
    for (const char* name : kNames) out += fmt::format(" {:>12}", name);
    out += "\n";
    for (std::size_t i = 0; i < 6; ++i) {
        out += fmt::format("  {:<4}", kNames[i]);
        for (std::size_t j = 0; j < 6; ++j) out += fmt::format(" {:>12.5e}", h.hessian[i][j]);
        out += "\n";
    }
    out += "\nEigenvalues:";
    for (double l : h.eigenvalues) out += fmt::format(" {:.4e}", l);
    out +=
        "\n  Two are 0 (to rounding): the loss sees w1,1 and w2,1 only through a1 = 0.35 w1,1 + 0.7 w2,1, and\n"
        "  w1,2 and w2,2 only through a2, so (0.7, -0.35) in either pair changes nothing. Two are negative:\n"
        "  the loss is not convex here, and a Newton step goes to the stationary point of the quadratic\n"
        "  model (taken with H's pseudo-inverse, on the directions the loss sees), not to a minimum.\n\n";
    out += "One step from the starting weights (learning rate 1 for the gradient step, as the article)\n";
    out += fmt::format("  {:<6} {:>10} {:>16} {:>16}\n", "", "start", "gradient step", "Newton step");
    out += fmt::format("  {:<6} {:>10} {:>16} {:>16}\n", "", "w", "w - dL/dw", "w - H+ dL/dw");
    for (std::size_t i = 0; i < 6; ++i)
        out += fmt::format("  {:<6} {:>10.6f} {:>16.6f} {:>16.6f}\n", kNames[i], h.weights[i], h.gradient_step[i],
                           h.newton_step[i]);
    out += fmt::format("  {:<6} {:>10.6f} {:>16.6f} {:>16.6f}\n", "loss", h.loss, h.loss_after_gradient_step,
                       h.loss_after_newton_step);
    return out;
}

}  // namespace tapegrad::cli
