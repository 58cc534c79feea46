// The tests' use of the shared finite-difference checker (testing/gradcheck.hpp): the tolerance
// of its five-point stencil, and check_gradients for one function at one point; and same_bits,
// for gradients that must agree bit for bit.
#pragma once

#include <cstring>
#include <vector>

#include <doctest/doctest.h>

#include "gradcheck.hpp"

namespace tapegrad::test {

// The five-point difference is good to about 1e-10 relative on smooth, well-scaled functions.
constexpr double kGradTolerance = 1e-8;

inline void check_gradients(const testing::ScalarFunction& f, const std::vector<double>& x) {
    const testing::GradCheck r = testing::gradcheck(f, x);
    CHECK(r.spread < kGradTolerance);  // the reference is sound here...
    CHECK(r.error < kGradTolerance);   // ...and the engine agrees with it
}

// True if a and b are the same double, bit for bit (so +0 and -0 differ, and a NaN equals itself).
inline bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace tapegrad::test
