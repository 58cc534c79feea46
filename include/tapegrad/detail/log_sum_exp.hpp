// The stable log-sum-exp of a lane, shared by softmax (ops/tensor_softmax.cpp) and cross_entropy
// (ops/tensor_loss.cpp). Internal.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

namespace tapegrad::detail {

// The max m of x[0], x[stride], ..., x[(n - 1) stride] and sum_k exp(x_k - m), summed in double:
// log-sum-exp is m + log(sum), and no exp overflows. A lane of -inf only gets m = 0, so that
// x - m is -inf rather than -inf - -inf.
template <class T> struct MaxAndExpSum {
    T max;
    double exp_sum;
};

template <class T> MaxAndExpSum<T> max_and_exp_sum(const T* x, std::int64_t n, std::int64_t stride) {
    T m = -std::numeric_limits<T>::infinity();
    for (std::int64_t k = 0; k < n; ++k) m = std::fmax(m, x[k * stride]);
    if (std::isinf(m) && m < 0) m = T(0);
    double s = 0.0;
    for (std::int64_t k = 0; k < n; ++k) s += std::exp(static_cast<double>(x[k * stride] - m));
    return {m, s};
}

}  // namespace tapegrad::detail
