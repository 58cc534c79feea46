// What the op-list tests share: the points each elementwise rule is checked at (from its own
// domain), the constant operand, which entries of the op table are rules, and the five-point
// difference of the shared checker at a point.
#pragma once

#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "gradcheck.hpp"

namespace tapegrad::test {

constexpr double kConstant = 1.7;  // the constant operand of the ops that take one

template <class Rule> constexpr bool is_unary_rule = requires { Rule::template partial<double>(1.0, 1.0, 1.0); };
template <class Rule> constexpr bool is_binary_rule = requires { Rule::template da<double>(1.0, 1.0, 1.0); };

// Five points inside the rule's domain, and their negatives if it is mirrored.
inline std::vector<double> points(const ops::Domain& d) {
    std::vector<double> out;
    for (int k = 1; k <= 5; ++k) {
        const double x = d.lo + (d.hi - d.lo) * k / 6.0;
        out.push_back(x);
        if (d.mirrored) out.push_back(-x);
    }
    return out;
}

// The shared checker's five-point central difference of f at x (h = 1e-4).
template <class F> double five_point(F f, double x) {
    return testing::central_difference([&](double offset) { return f(x + offset); }, 1e-4,
                                       testing::Stencil::five_point);
}

// analytic within `tolerance` of numeric, relative for large values and absolute near 0.
inline bool near(double analytic, double numeric, double tolerance) {
    return testing::relative_error(analytic, numeric) <= tolerance;
}

}  // namespace tapegrad::test
