// Elementwise tensor ops of one tensor (and an optional double constant): the kernels that run an
// elementwise rule (tapegrad/ops/elementwise.hpp) over every element, and the bindings.
//
// Backward (the vector-Jacobian product of an elementwise op) is gx += gy * partial(x, y, c).
#include <type_traits>

#include "tapegrad/ops/elementwise.hpp"

#include "tapegrad/detail/op_recorder.hpp"
#include "tapegrad/detail/tensor_loops.hpp"
#include "tapegrad/detail/vector_math.hpp"

namespace tapegrad::detail {
namespace {

// y[i] = value(x[i]) over a run of n elements. float32 tanh has a vectorized kernel of its own:
// libm's scalar tanhf took a quarter of small tensor ops' time (docs/PERFORMANCE.md).
template <class Op, class T> void values(const T* x, T* y, std::int64_t n, T c) {
    if constexpr (std::is_same_v<Op, ops::Tanh> && std::is_same_v<T, float>) tanh_f32(x, y, n);
    else
        for (std::int64_t i = 0; i < n; ++i) y[i] = Op::value(x[i], c);
}

template <class Op> struct Unary : OpData<1> {
    double c;

    // The rule's partial evaluated on tensors: gx = gy * partial(x, y, c).
    void grads(const Tensor& gy, std::span<Tensor> gx, std::span<const char>) const {
        gx[0] = times(gy, Op::template partial<Tensor>(handle_of(in[0]), handle_of(out), c));
    }

    // gx += gy * dy/dx; x is read through its strides, y, gy and gx are contiguous.
    template <class T> void backward(const T* gy, T* gx) const {
        const TensorImpl* x_impl = in[0];
        const T k = static_cast<T>(c);
        const T* y = out->ptr<T>();
        const T* x = x_impl->ptr<T>();
        if (x_impl->contiguous()) {
            parallel_for(x_impl->numel, kParallelGrain, [&](std::int64_t b, std::int64_t e) {
                for (std::int64_t i = b; i < e; ++i) gx[i] += gy[i] * Op::partial(x[i], y[i], k);
            });
            return;
        }
        std::int64_t cs[kMaxDims];
        contiguous_strides(x_impl->ndim, x_impl->sizes, cs);
        T* const base[4] = {const_cast<T*>(x), const_cast<T*>(y), const_cast<T*>(gy), gx};
        const std::int64_t* const st[4] = {x_impl->strides, cs, cs, cs};
        for_each_row<T, 4>(x_impl->ndim, x_impl->sizes, base, st,
                           [k](T* const* p, const std::int64_t* s, std::int64_t n) {
                               for (std::int64_t i = 0; i < n; ++i)
                                   p[3][i * s[3]] += p[2][i * s[2]] * Op::partial(p[0][i * s[0]], p[1][i * s[1]], k);
                           });
    }
};

template <class Op> Tensor unary(const Tensor& x, double c = 0.0) {
    OpRecorder rec(Op::name, x);
    const TensorImpl* in = rec.input(0);
    TensorImpl* out = rec.result(in->dtype, in->shape());
    dispatch(in->dtype, [&]<class T>() {
        const T cc = static_cast<T>(c);
        T* y = out->ptr<T>();
        const T* xp = in->ptr<T>();
        if (in->contiguous()) {
            // The split between threads only decides who computes an element, never its value.
            parallel_for(in->numel, kParallelGrain,
                         [&](std::int64_t b, std::int64_t e) { values<Op>(xp + b, y + b, e - b, cc); });
            return;
        }
        T* const base[2] = {const_cast<T*>(xp), y};
        const std::int64_t* const st[2] = {in->strides, out->strides};
        for_each_row<T, 2>(in->ndim, in->sizes, base, st, [cc](T* const* p, const std::int64_t* s, std::int64_t n) {
            if (s[0] == 1 && s[1] == 1) return values<Op>(p[0], p[1], n, cc);
            for (std::int64_t i = 0; i < n; ++i) values<Op>(p[0] + i * s[0], p[1] + i * s[1], 1, cc);
        });
    });
    return rec.template finish<Unary<Op>>(out, c);
}

}  // namespace
}  // namespace tapegrad::detail

namespace tapegrad {

using detail::unary;

#define TAPEGRAD_BIND_UNARY(method, Rule) \
    Tensor Tensor::method() const { return unary<ops::Rule>(*this); }
TAPEGRAD_UNARY_OPS(TAPEGRAD_BIND_UNARY)
#undef TAPEGRAD_BIND_UNARY
Tensor Tensor::pow(double exponent) const { return unary<ops::PowConst>(*this, exponent); }

Tensor operator+(const Tensor& a, double b) { return unary<ops::AddConst>(a, b); }
Tensor operator-(const Tensor& a, double b) { return unary<ops::AddConst>(a, -b); }
Tensor operator*(const Tensor& a, double b) { return unary<ops::MulConst>(a, b); }
Tensor operator/(const Tensor& a, double b) { return unary<ops::DivConst>(a, b); }
Tensor operator+(double a, const Tensor& b) { return unary<ops::AddConst>(b, a); }
Tensor operator-(double a, const Tensor& b) { return unary<ops::RSubConst>(b, a); }
Tensor operator*(double a, const Tensor& b) { return unary<ops::MulConst>(b, a); }
Tensor operator/(double a, const Tensor& b) { return unary<ops::RDivConst>(b, a); }
Tensor operator-(const Tensor& a) { return unary<ops::Neg>(a); }

}  // namespace tapegrad
