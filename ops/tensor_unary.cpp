// Elementwise tensor ops of one tensor (and an optional double constant): the kernels that run an
// elementwise rule (tapegrad/ops/elementwise.hpp) over every element, and the bindings.
//
// Backward (the vector-Jacobian product of an elementwise op) is gx += gy * partial(x, y, c).
#include "tapegrad/ops/elementwise.hpp"

#include "tapegrad/detail/op_recorder.hpp"
#include "tapegrad/detail/tensor_loops.hpp"

namespace tapegrad::detail {
namespace {

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
            parallel_for(in->numel, kParallelGrain, [&](std::int64_t b, std::int64_t e) {
                for (std::int64_t i = b; i < e; ++i) y[i] = Op::value(xp[i], cc);
            });
            return;
        }
        T* const base[2] = {const_cast<T*>(xp), y};
        const std::int64_t* const st[2] = {in->strides, out->strides};
        for_each_row<T, 2>(in->ndim, in->sizes, base, st, [cc](T* const* p, const std::int64_t* s, std::int64_t n) {
            for (std::int64_t i = 0; i < n; ++i) p[1][i * s[1]] = Op::value(p[0][i * s[0]], cc);
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
