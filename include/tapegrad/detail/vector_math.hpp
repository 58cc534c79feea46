// Math functions over arrays, vectorized for the CPU the program runs on (the widest of SSE2, AVX2
// and AVX-512 it supports, chosen once at run time). Internal: the tensor kernels call them where
// libm's scalar functions would dominate small ops (engine/vector_math.cpp).
#pragma once

#include <cstdint>

namespace tapegrad::detail {

// y[i] = tanh(x[i]) for i in [0, n), within 1 ulp of the exact value (tests/test_vector_math.cpp
// checks it against tanh in double): tanh(+-0) = +-0, tanh(+-inf) = +-1, NaN stays NaN. x and y
// may be the same array.
void tanh_f32(const float* x, float* y, std::int64_t n);

// The same function on the kernel for one instruction set: 0 plain (SSE2), 1 AVX2, 2 AVX-512.
// False if this CPU lacks it; for the tests, which check every kernel the CPU can run.
bool tanh_f32_on(int isa, const float* x, float* y, std::int64_t n);

}  // namespace tapegrad::detail
