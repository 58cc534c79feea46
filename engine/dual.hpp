// Dual: a number with a directional derivative, x + dx eps with eps^2 = 0. The elementwise rules
// (tapegrad/ops/elementwise.hpp) evaluated on Duals give each partial and how fast it changes
// along a direction: what a Hessian-vector product needs from each node (hessian_vector_product.cpp).
// What the rules' partials use is defined, and the unary ops a new partial is likely to call.
#pragma once

#include <cmath>

#include "tapegrad/ops/elementwise.hpp"

namespace tapegrad::detail {

struct Dual {
    double v;        // the value
    double d = 0.0;  // its derivative along the direction

    Dual(double value = 0.0, double derivative = 0.0) : v(value), d(derivative) {}  // NOLINT: numbers are constants

    friend Dual operator+(Dual a, Dual b) { return {a.v + b.v, a.d + b.d}; }
    friend Dual operator-(Dual a, Dual b) { return {a.v - b.v, a.d - b.d}; }
    friend Dual operator*(Dual a, Dual b) { return {a.v * b.v, a.d * b.v + a.v * b.d}; }
    friend Dual operator/(Dual a, Dual b) { return {a.v / b.v, (a.d * b.v - a.v * b.d) / (b.v * b.v)}; }
    friend Dual operator-(Dual a) { return {-a.v, -a.d}; }

    friend Dual exp(Dual x) {
        const double e = std::exp(x.v);
        return {e, e * x.d};
    }
    friend Dual sqrt(Dual x) {
        const double r = std::sqrt(x.v);
        return {r, x.d / (2 * r)};
    }
    friend Dual tanh(Dual x) {
        const double t = std::tanh(x.v);
        return {t, (1 - t * t) * x.d};
    }
    friend Dual abs(Dual x) { return {std::fabs(x.v), ops::math::sign(x.v) * x.d}; }
    friend Dual log(Dual x) { return {std::log(x.v), x.d / x.v}; }
    friend Dual sin(Dual x) { return {std::sin(x.v), std::cos(x.v) * x.d}; }
    friend Dual cos(Dual x) { return {std::cos(x.v), -std::sin(x.v) * x.d}; }
    // d(x^c) = c x^(c-1) dx, 0 for c = 0 (as the rules); a constant x passes nothing on
    friend Dual pow(Dual x, double c) {
        return {std::pow(x.v, c), c == 0.0 || x.d == 0.0 ? 0.0 : c * std::pow(x.v, c - 1.0) * x.d};
    }
    // d(a^b) = b a^(b-1) da + a^b log(a) db, the latter 0 at a = 0 for b > 0 (as the rules)
    friend Dual pow(Dual a, Dual b) {
        const double db = b.d == 0.0 || (a.v == 0.0 && b.v > 0.0) ? 0.0 : std::pow(a.v, b.v) * std::log(a.v) * b.d;
        return pow(a, b.v) + Dual(0.0, db);
    }

    // The rules' comparisons (ops::math): on the value, giving constants.
    friend double number(Dual x) { return x.v; }
    friend double step(Dual x) { return ops::math::step(x.v); }
    friend double sign(Dual x) { return ops::math::sign(x.v); }
};

}  // namespace tapegrad::detail
