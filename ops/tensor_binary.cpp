// Elementwise tensor ops of two tensors with NumPy broadcasting: the kernels that run a binary
// rule (tapegrad/ops/elementwise.hpp) over every element pair, and the bindings.
//
// Backward: ga += reduce(gy * dy/da) over the dims a was stretched along (and likewise b). The
// stretched dims read and write ga with stride 0, so the sum happens in the loop itself.
#include <algorithm>

#include "tapegrad/detail/op_recorder.hpp"
#include "tapegrad/detail/tensor_loops.hpp"
#include "tapegrad/ops/elementwise.hpp"

namespace tapegrad::detail {

// The broadcast shape of a and b, or an Error naming op and both shapes.
Shape broadcast_shape(const char* op, const TensorImpl* a, const TensorImpl* b) {
    const int nd = std::max(a->ndim, b->ndim);
    Shape s;
    for (int d = 0; d < nd; ++d) {
        const int da = d - (nd - a->ndim), db = d - (nd - b->ndim);
        const std::int64_t x = da < 0 ? 1 : a->sizes[da], y = db < 0 ? 1 : b->sizes[db];
        if (x != y && x != 1 && y != 1)
            tensor_error(op, "shapes do not broadcast: " + shape_str(a) + " and " + shape_str(b) + " (dim " +
                                 std::to_string(d) + ": " + std::to_string(x) + " vs " + std::to_string(y) + ")");
        s.push_back(x == 1 ? y : x);
    }
    return s;
}

// Both operands in one type: a float32 operand of a float64 op is cast (a recorded op).
void promote(Tensor& a, Tensor& b, const char* op) {
    const DType ta = impl_of(a, op)->dtype, tb = impl_of(b, op)->dtype;
    if (ta == tb) return;
    if (ta == DType::f32) a = a.to(DType::f64);
    else b = b.to(DType::f64);
}

namespace {

template <class Op> struct Binary : OpData<2> {
    // The rule's partials on tensors, summed back over the dims each operand was stretched along.
    void grads(const Tensor& gy, std::span<Tensor> gx, std::span<const char> want) const {
        const Tensor a = handle_of(in[0]), b = handle_of(in[1]), y = handle_of(out);
        if (want[0] != 0) gx[0] = sum_to_shape(times(gy, Op::template da<Tensor>(a, b, y)), in[0]->shape());
        if (want[1] != 0) gx[1] = sum_to_shape(times(gy, Op::template db<Tensor>(a, b, y)), in[1]->shape());
    }

    template <class T> void backward(const T* gy, T* ga, T* gb) const {
        if (ga != nullptr) side<true>(gy, ga);
        if (gb != nullptr) side<false>(gy, gb);
    }

    // g (the grad of a when kA, else of b) += gy * dy/da (or dy/db).
    template <bool kA, class T> void side(const T* gy, T* g) const {
        const TensorImpl* a = in[0];
        const TensorImpl* b = in[1];
        const TensorImpl* self = kA ? a : b;
        const T* y = out->ptr<T>();
        const T* ap = a->ptr<T>();
        const T* bp = b->ptr<T>();
        const auto partial = [](T x, T z, T w) { return kA ? Op::da(x, z, w) : Op::db(x, z, w); };
        if (a->contiguous() && b->contiguous() && a->numel == out->numel && b->numel == out->numel) {
            parallel_for(out->numel, kParallelGrain, [&](std::int64_t lo, std::int64_t hi) {
                for (std::int64_t i = lo; i < hi; ++i) g[i] += gy[i] * partial(ap[i], bp[i], y[i]);
            });
            return;
        }
        // The grad of `self` is contiguous in self's shape; read it broadcast (stride 0 on
        // stretched dims) so that the loop sums into it. One thread: the order of the sums
        // must not depend on the thread count.
        const TensorImpl grad_layout(self->dtype, self->shape(), g);
        std::int64_t sa[kMaxDims], sb[kMaxDims], sg[kMaxDims];
        broadcast_strides(a, out->ndim, sa);
        broadcast_strides(b, out->ndim, sb);
        broadcast_strides(&grad_layout, out->ndim, sg);
        T* const base[5] = {const_cast<T*>(ap), const_cast<T*>(bp), const_cast<T*>(y), const_cast<T*>(gy), g};
        const std::int64_t* const st[5] = {sa, sb, out->strides, out->strides, sg};
        for_each_row<T, 5>(out->ndim, out->sizes, base, st, [&](T* const* p, const std::int64_t* s, std::int64_t n) {
            if (s[4] == 0) {
                T acc = T(0);
                for (std::int64_t i = 0; i < n; ++i)
                    acc += p[3][i * s[3]] * partial(p[0][i * s[0]], p[1][i * s[1]], p[2][i * s[2]]);
                *p[4] += acc;
            } else {
                for (std::int64_t i = 0; i < n; ++i)
                    p[4][i * s[4]] += p[3][i * s[3]] * partial(p[0][i * s[0]], p[1][i * s[1]], p[2][i * s[2]]);
            }
        });
    }
};

template <class Op> Tensor binary(const Tensor& a, const Tensor& b) {
    if (impl_of(a, Op::name)->dtype != impl_of(b, Op::name)->dtype) {
        Tensor pa = a, pb = b;
        promote(pa, pb, Op::name);
        return binary<Op>(pa, pb);
    }
    OpRecorder rec(Op::name, a, b);
    const TensorImpl* ai = rec.input(0);
    const TensorImpl* bi = rec.input(1);
    const bool same = ai->ndim == bi->ndim && std::equal(ai->sizes, ai->sizes + ai->ndim, bi->sizes);
    TensorImpl* out = rec.result(ai->dtype, same ? ai->shape() : broadcast_shape(Op::name, ai, bi));
    dispatch(out->dtype, [&]<class T>() {
        T* y = out->ptr<T>();
        const T* ap = ai->ptr<T>();
        const T* bp = bi->ptr<T>();
        if (ai->contiguous() && bi->contiguous() && ai->numel == out->numel && bi->numel == out->numel) {
            parallel_for(out->numel, kParallelGrain, [&](std::int64_t lo, std::int64_t hi) {
                for (std::int64_t i = lo; i < hi; ++i) y[i] = Op::value(ap[i], bp[i]);
            });
            return;
        }
        std::int64_t sa[kMaxDims], sb[kMaxDims];
        broadcast_strides(ai, out->ndim, sa);
        broadcast_strides(bi, out->ndim, sb);
        T* const base[3] = {const_cast<T*>(ap), const_cast<T*>(bp), y};
        const std::int64_t* const st[3] = {sa, sb, out->strides};
        for_each_row<T, 3>(out->ndim, out->sizes, base, st, [](T* const* p, const std::int64_t* s, std::int64_t n) {
            if (s[0] == 1 && s[1] == 0 && s[2] == 1) {  // a row plus a scalar-like b: the common bias case
                const T bv = *p[1];
                for (std::int64_t i = 0; i < n; ++i) p[2][i] = Op::value(p[0][i], bv);
            } else {
                for (std::int64_t i = 0; i < n; ++i) p[2][i * s[2]] = Op::value(p[0][i * s[0]], p[1][i * s[1]]);
            }
        });
    });
    return rec.template finish<Binary<Op>>(out);
}

}  // namespace
}  // namespace tapegrad::detail

namespace tapegrad {

Tensor operator+(const Tensor& a, const Tensor& b) { return detail::binary<ops::Add>(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return detail::binary<ops::Sub>(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return detail::binary<ops::Mul>(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return detail::binary<ops::Div>(a, b); }

}  // namespace tapegrad
