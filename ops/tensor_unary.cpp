// Elementwise tensor ops of one tensor (and an optional double constant): the one recorder they
// share and their bindings. Each op's value and derivative are in ops/tensor_unary_rules.hpp;
// adding an op is its rule there and a one-line binding here (plus its declaration in tensor.hpp).
//
// Backward (the vector-Jacobian product of an elementwise op) is gx += gy * partial(x, y, c).
#include "tensor_unary_rules.hpp"

#include "tapegrad/detail/op_recorder.hpp"
#include "tapegrad/detail/tensor_loops.hpp"

namespace tapegrad::detail {
namespace {

template <class Op>
struct Unary : OpData<1> {
    double c;

    // gx += gy * dy/dx; x is read through its strides, y, gy and gx are contiguous.
    template <class T>
    void backward(const T* gy, T* gx) const {
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
        for_each_row<T, 4>(x_impl->ndim, x_impl->sizes, base, st, [k](T* const* p, const std::int64_t* s, std::int64_t n) {
            for (std::int64_t i = 0; i < n; ++i)
                p[3][i * s[3]] += p[2][i * s[2]] * Op::partial(p[0][i * s[0]], p[1][i * s[1]], k);
        });
    }
};

template <class Op>
Tensor unary(const Tensor& x, double c = 0.0) {
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

namespace ot = ops::tensor;
using detail::unary;

Tensor Tensor::relu() const { return unary<ot::Relu>(*this); }
Tensor Tensor::tanh() const { return unary<ot::Tanh>(*this); }
Tensor Tensor::sigmoid() const { return unary<ot::Sigmoid>(*this); }
Tensor Tensor::exp() const { return unary<ot::Exp>(*this); }
Tensor Tensor::log() const { return unary<ot::Log>(*this); }
Tensor Tensor::pow(double exponent) const { return unary<ot::PowC>(*this, exponent); }
Tensor Tensor::sqrt() const { return unary<ot::Sqrt>(*this); }
Tensor Tensor::abs() const { return unary<ot::Abs>(*this); }

Tensor operator+(const Tensor& a, double b) { return unary<ot::AddC>(a, b); }
Tensor operator-(const Tensor& a, double b) { return unary<ot::AddC>(a, -b); }
Tensor operator*(const Tensor& a, double b) { return unary<ot::MulC>(a, b); }
Tensor operator/(const Tensor& a, double b) { return unary<ot::DivC>(a, b); }
Tensor operator+(double a, const Tensor& b) { return unary<ot::AddC>(b, a); }
Tensor operator-(double a, const Tensor& b) { return unary<ot::RSubC>(b, a); }
Tensor operator*(double a, const Tensor& b) { return unary<ot::MulC>(b, a); }
Tensor operator/(double a, const Tensor& b) { return unary<ot::RDivC>(b, a); }
Tensor operator-(const Tensor& a) { return unary<ot::Neg>(a); }

}  // namespace tapegrad
