// The shared finite-difference check: analytic gradients from one backward against central
// differences in float64.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include <doctest/doctest.h>

#include <tapegrad/tapegrad.hpp>

namespace tapegrad::test {

// Largest |analytic - numeric| / max(1, |numeric|) over the inputs of f at x.
inline double gradcheck_error(const std::function<Value(const std::vector<Value>&)>& f,
                              const std::vector<double>& x, double h = 1e-6) {
    Tape& tape = Tape::current();
    tape.clear();
    std::vector<Value> leaves(x.begin(), x.end());
    Value y = f(leaves);
    y.backward();
    std::vector<double> analytic;
    for (const Value& leaf : leaves) analytic.push_back(leaf.grad());

    const auto eval = [&](const std::vector<double>& at) {
        tape.clear();
        std::vector<Value> l(at.begin(), at.end());
        return f(l).data();
    };
    double worst = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        std::vector<double> up = x, down = x;
        up[i] += h;
        down[i] -= h;
        const double numeric = (eval(up) - eval(down)) / (2 * h);
        worst = std::max(worst, std::fabs(analytic[i] - numeric) / std::max(1.0, std::fabs(numeric)));
    }
    tape.clear();
    return worst;
}

// Records the worst error seen by any check, for the closing figures.
inline double& worst_gradcheck_error() {
    static double worst = 0.0;
    return worst;
}

// Central differences with h = 1e-6 carry an error of about h^2 f''' + eps/h ~ 1e-9 relative.
constexpr double kGradTolerance = 1e-7;

inline void check_gradients(const std::function<Value(const std::vector<Value>&)>& f, const std::vector<double>& x) {
    const double err = gradcheck_error(f, x);
    worst_gradcheck_error() = std::max(worst_gradcheck_error(), err);
    CHECK(err < kGradTolerance);
}

}  // namespace tapegrad::test
