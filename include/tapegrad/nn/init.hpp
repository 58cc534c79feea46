// Weight initialisation: the draws nn modules start from, on tapegrad's one seedable Generator
// (tapegrad::Generator, tensor.hpp), so tapegrad::manual_seed(s) seeds scalar and tensor models
// alike and a seed gives the same weights on every platform.
#pragma once

#include <cmath>
#include <cstdint>

#include "tapegrad/tensor.hpp"

namespace tapegrad::nn {

using tapegrad::default_generator;
using tapegrad::Generator;
using tapegrad::manual_seed;

/// Uniform in the open interval (lo, hi): micrograd's weights are in (-1, 1).
inline double uniform(Generator& gen, double lo, double hi) {
    double u = gen.uniform();
    while (u == 0.0) u = gen.uniform();
    return lo + (hi - lo) * u;
}

/// Uniform integer in [0, n).
inline std::uint64_t below(Generator& gen, std::uint64_t n) {
    const auto k = static_cast<std::uint64_t>(gen.uniform() * static_cast<double>(n));
    return k < n ? k : n - 1;
}

/// Kaiming-uniform bound for a layer with `fan_in` inputs, as PyTorch's nn.Linear default
/// (kaiming_uniform_ with a = sqrt(5)): weights and biases uniform in (-1/sqrt(fan_in), 1/sqrt(fan_in)).
inline double kaiming_uniform_bound(std::int64_t fan_in) { return 1.0 / std::sqrt(static_cast<double>(fan_in)); }

}  // namespace tapegrad::nn
