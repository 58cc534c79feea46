// softmax and log_softmax along a dim, numerically stable: the max along the dim is subtracted
// before exp, so no input overflows. The input is read as [outer, n, inner] (a non-contiguous
// input is first made contiguous, a recorded copy).
//
//   softmax:     y = exp(x - m) / s,        gx += y * (gy - sum_k gy_k y_k)
//   log_softmax: y = x - m - log(s),        gx += gy - exp(y) * sum_k gy_k
// with m = max_k x_k and s = sum_k exp(x_k - m).
#include <cmath>

#include "tapegrad/detail/lanes.hpp"
#include "tapegrad/detail/log_sum_exp.hpp"
#include "tapegrad/detail/op_recorder.hpp"

namespace tapegrad::detail {
namespace {

template <bool kLog> struct Softmax : OpData<1> {
    Lanes l;

    // The kernel's formula in tensor ops, on [outer, n, inner] views (the dim in the middle).
    void grads(const Tensor& gy, std::span<Tensor> gx, std::span<const char>) const {
        const Shape lanes{l.outer, l.n, l.inner};
        const Tensor y = handle_of(out).reshape(lanes), g = gy.reshape(lanes);
        const Tensor r = kLog ? g - y.exp() * g.sum(1, true) : y * (g - (g * y).sum(1, true));
        gx[0] = r.reshape(in[0]->shape());
    }

    template <class T> void backward(const T* gy, T* gx) const {
        const T* y = out->ptr<T>();
        const Lanes lay = l;
        for (std::int64_t o = 0; o < lay.outer; ++o)
            for (std::int64_t i = 0; i < lay.inner; ++i) {
                const std::int64_t base = o * lay.n * lay.inner + i;
                double dot = 0.0;
                for (std::int64_t k = 0; k < lay.n; ++k) {
                    const std::int64_t at = base + k * lay.inner;
                    dot +=
                        kLog ? static_cast<double>(gy[at]) : static_cast<double>(gy[at]) * static_cast<double>(y[at]);
                }
                const T s = static_cast<T>(dot);
                for (std::int64_t k = 0; k < lay.n; ++k) {
                    const std::int64_t at = base + k * lay.inner;
                    gx[at] += kLog ? gy[at] - std::exp(y[at]) * s : y[at] * (gy[at] - s);
                }
            }
    }
};

template <bool kLog> Tensor softmax_along(const Tensor& x0, int dim) {
    constexpr const char* op = kLog ? "log_softmax" : "softmax";
    const int d = wrap_dim(op, dim, impl_of(x0, op)->ndim);
    const Tensor x = x0.contiguous();
    OpRecorder rec(op, x);
    const TensorImpl* in = rec.input(0);
    const Lanes l = lanes_along(in, d);
    TensorImpl* out = rec.result(in->dtype, in->shape());
    dispatch(in->dtype, [&]<class T>() {
        const T* xp = in->ptr<T>();
        T* y = out->ptr<T>();
        for (std::int64_t o = 0; o < l.outer; ++o)
            for (std::int64_t i = 0; i < l.inner; ++i) {
                const std::int64_t base = o * l.n * l.inner + i;
                const auto [m, s] = max_and_exp_sum(xp + base, l.n, l.inner);
                if (kLog) {
                    const T shift = m + static_cast<T>(std::log(s));
                    for (std::int64_t k = 0; k < l.n; ++k) y[base + k * l.inner] = xp[base + k * l.inner] - shift;
                } else {
                    const double inv = 1.0 / s;
                    for (std::int64_t k = 0; k < l.n; ++k)
                        y[base + k * l.inner] =
                            static_cast<T>(std::exp(static_cast<double>(xp[base + k * l.inner] - m)) * inv);
                }
            }
    });
    return rec.template finish<Softmax<kLog>>(out, l);
}

}  // namespace
}  // namespace tapegrad::detail

namespace tapegrad {

Tensor Tensor::softmax(int dim) const { return detail::softmax_along<false>(*this, dim); }
Tensor Tensor::log_softmax(int dim) const { return detail::softmax_along<true>(*this, dim); }

}  // namespace tapegrad
