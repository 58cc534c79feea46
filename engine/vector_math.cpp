// Vectorized math over arrays (detail/vector_math.hpp). Each function is one plain loop that the
// compiler vectorizes, compiled three times (baseline x86-64, AVX2, AVX-512) and picked once by
// the CPU's features at run time, so a build on one machine runs at its best on another.
#include "tapegrad/detail/vector_math.hpp"

#include <bit>
#include <cmath>

namespace tapegrad::detail {

namespace {

// tanh of one float, computed in double (so no step loses what a float result needs):
//   tanh(a) = e / (e + 2) with e = expm1(2a), a = |x|, and the sign of x put back.
// expm1(u) = 2^n (p + 1) - 1 with u = n ln2 + r, |r| <= ln2/2 and p = expm1(r) by its Taylor
// series to r^9 (relative error below 2^-35 there). For n = 0 that is p itself, so small |x| keeps
// full relative accuracy (no 1 - 1 cancellation). |x| > 20 is clamped: tanh is 1 in double there.
// The double result is within 2^-30 of tanh(x) relatively, so its rounding to float is within
// 0.5 + 2^-6 ulp of it. Branch-free, so a loop over it vectorizes.
[[gnu::always_inline]] inline float tanh_one(float xf) {
    const double x = xf;
    double a = std::fabs(x);
    a = a > 20.0 ? 20.0 : a;  // NaN stays NaN (the comparison is false)
    const double u = 2.0 * a;
    // n = round(u / ln2): the shifter leaves n in the low bits of kd's mantissa.
    constexpr double kShifter = 0x1.8p52;
    const double kd = u * 0x1.71547652b82fep0 + kShifter;
    const double n = kd - kShifter;
    // n <= 58, so n ln2 in double is within 58 ulp of ln2's multiple: far below what the float
    // result resolves (e is at least 0.4 once n >= 1).
    const double r = u - n * 0x1.62e42fefa39efp-1;
    double p = 1.0 / 362880;
    p = p * r + 1.0 / 40320;
    p = p * r + 1.0 / 5040;
    p = p * r + 1.0 / 720;
    p = p * r + 1.0 / 120;
    p = p * r + 1.0 / 24;
    p = p * r + 1.0 / 6;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r;
    // 2^n from n's bits (n >= 0); wraps harmlessly for NaN, whose p is NaN anyway.
    const double scale = std::bit_cast<double>((std::bit_cast<std::uint64_t>(kd) + 1023) << 52);
    const double e = scale * p + (scale - 1.0);
    return static_cast<float>(std::copysign(e / (e + 2.0), x));
}

[[gnu::always_inline]] inline void tanh_loop(const float* x, float* y, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) y[i] = tanh_one(x[i]);
}

void tanh_plain(const float* x, float* y, std::int64_t n) { tanh_loop(x, y, n); }

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TAPEGRAD_VECTOR_ISAS 1
[[gnu::target("avx2,fma")]] void tanh_avx2(const float* x, float* y, std::int64_t n) { tanh_loop(x, y, n); }
[[gnu::target("avx512f,avx512dq,avx512vl,avx2,fma")]] void tanh_avx512(const float* x, float* y, std::int64_t n) {
    tanh_loop(x, y, n);
}

bool has_isa(int isa) {
    __builtin_cpu_init();
    if (isa == 1) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (isa == 2)
        return has_isa(1) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512vl");
    return true;
}
#else
bool has_isa(int isa) { return isa == 0; }
#endif

using ArrayFn = void (*)(const float*, float*, std::int64_t);

ArrayFn tanh_kernel(int isa) {
#if defined(TAPEGRAD_VECTOR_ISAS)
    if (isa == 2) return tanh_avx512;
    if (isa == 1) return tanh_avx2;
#endif
    (void)isa;
    return tanh_plain;
}

int best_isa() {
    for (int isa = 2; isa > 0; --isa)
        if (has_isa(isa)) return isa;
    return 0;
}

}  // namespace

void tanh_f32(const float* x, float* y, std::int64_t n) {
    static const ArrayFn kernel = tanh_kernel(best_isa());
    kernel(x, y, n);
}

bool tanh_f32_on(int isa, const float* x, float* y, std::int64_t n) {
    if (isa < 0 || isa > 2 || !has_isa(isa)) return false;
    tanh_kernel(isa)(x, y, n);
    return true;
}

}  // namespace tapegrad::detail
