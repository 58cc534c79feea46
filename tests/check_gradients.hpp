// The tests' use of the shared finite-difference checker (testing/gradcheck.hpp): the tolerance
// of its five-point stencil, and check_gradients for one function at one point.
#pragma once

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

}  // namespace tapegrad::test
