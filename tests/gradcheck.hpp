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

using ScalarFunction = std::function<Value(const std::vector<Value>&)>;

struct GradCheck {
    double error;   // largest |analytic - numeric| / max(1, |numeric|) over the inputs
    double spread;  // the same measure between the numeric estimates at h and h / 4
};

// The numeric derivative is the five-point central difference
// (f(x-2h) - 8 f(x-h) + 8 f(x+h) - f(x+2h)) / 12h: truncation error O(h^4), rounding error
// eps |f| / h, both near 1e-11 at h = 1e-4, where the two-point difference at its best h is only
// good to about 1e-8. The estimate at h / 4 tells how far the reference itself can be trusted
// (a kink or a steep region within reach of the stencil makes the two disagree).
inline GradCheck gradcheck(const ScalarFunction& f, const std::vector<double>& x, double h = 1e-4) {
    Tape& tape = Tape::current();
    tape.clear();
    std::vector<Value> leaves(x.begin(), x.end());
    Value y = f(leaves);
    y.backward();
    std::vector<double> analytic;
    for (const Value& leaf : leaves) analytic.push_back(leaf.grad());

    const auto eval = [&](std::size_t i, double offset) {
        std::vector<double> moved = x;
        moved[i] += offset;
        tape.clear();
        std::vector<Value> l(moved.begin(), moved.end());
        return f(l).data();
    };
    const auto numeric = [&](std::size_t i, double step) {
        return (eval(i, -2 * step) - 8 * eval(i, -step) + 8 * eval(i, step) - eval(i, 2 * step)) / (12 * step);
    };
    const auto relative = [](double a, double b) { return std::fabs(a - b) / std::max(1.0, std::fabs(b)); };
    GradCheck out{0.0, 0.0};
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double coarse = numeric(i, h), fine = numeric(i, h / 4);
        out.error = std::max(out.error, relative(analytic[i], coarse));
        out.spread = std::max(out.spread, relative(fine, coarse));
    }
    tape.clear();
    return out;
}

// The five-point difference is good to about 1e-10 relative on smooth, well-scaled functions.
constexpr double kGradTolerance = 1e-8;

inline void check_gradients(const ScalarFunction& f, const std::vector<double>& x) {
    const GradCheck r = gradcheck(f, x);
    CHECK(r.spread < kGradTolerance);  // the reference is sound here...
    CHECK(r.error < kGradTolerance);   // ...and the engine agrees with it
}

}  // namespace tapegrad::test
