// Reductions over everything (a 0-d result) or one dim, with keepdim: sum, mean, max, argmax.
// A non-contiguous input is first made contiguous (a recorded copy), so every kernel here reads
// x as [outer, n, inner] with the reduced dim in the middle.
//
//   sum:  gx[o, k, i] += gy[o, i]
//   mean: gx[o, k, i] += gy[o, i] / n
//   max:  gx[o, k*, i] += gy[o, i] at the first maximum k* (over everything: shared by the ties)
// Sums accumulate in double, one thread, in index order: the result does not depend on threads.
#include <cmath>
#include <limits>
#include <vector>

#include "tapegrad/detail/lanes.hpp"
#include "tapegrad/detail/op_recorder.hpp"
#include "tapegrad/detail/tensor_pool.hpp"

namespace tapegrad::detail {
namespace {

Shape reduced_shape(const TensorImpl* t, int d, bool keepdim) {
    Shape s;
    for (int j = 0; j < t->ndim; ++j) {
        if (j != d) s.push_back(t->sizes[j]);
        else if (keepdim) s.push_back(1);
    }
    return s;
}

struct SumBackward : OpData<1> {
    Lanes l;
    double scale;

    // gx = gy * scale, expanded back over the reduced lanes.
    void grads(const Tensor& gy, std::span<Tensor> gx, std::span<const char>) const {
        const Tensor g = times(gy, scale).reshape({l.outer, 1, l.inner});
        gx[0] = g.expand({l.outer, l.n, l.inner}).reshape(in[0]->shape());
    }

    template <class T> void backward(const T* gy, T* gx) const {
        const T s = static_cast<T>(scale);
        const Lanes lay = l;
        for (std::int64_t o = 0; o < lay.outer; ++o)
            for (std::int64_t k = 0; k < lay.n; ++k) {
                T* row = gx + (o * lay.n + k) * lay.inner;
                const T* g = gy + o * lay.inner;
                for (std::int64_t i = 0; i < lay.inner; ++i) row[i] += g[i] * s;
            }
    }
};

// A reduction's input (made contiguous), the layout it is reduced with, and its result's shape.
struct Reduced {
    Tensor x;
    Lanes layout;
    Shape shape;
};
Reduced reduced(const Tensor& x0, const char* op, int dim, bool all, bool keepdim) {
    const int ndim = impl_of(x0, op)->ndim;  // checks the handle before anything else touches it
    const int d = all ? -1 : wrap_dim(op, dim, ndim);
    Reduced r{x0.contiguous(), {}, {}};
    const TensorImpl* in = impl_of(r.x, op);
    if (all || in->ndim == 0) {
        r.layout.n = in->numel;
        if (!all && keepdim) r.shape = in->shape();
    } else {
        r.layout = lanes_along(in, d);
        r.shape = reduced_shape(in, d, keepdim);
    }
    return r;
}

// sum (scale 1) or mean (scale 1/n) over dim d, or over everything when d < 0.
Tensor sum_like(const Tensor& x0, const char* op, int dim, bool all, bool keepdim, bool mean) {
    const Reduced r = reduced(x0, op, dim, all, keepdim);
    const Lanes& l = r.layout;
    const double scale = mean ? 1.0 / static_cast<double>(l.n) : 1.0;
    OpRecorder rec(op, r.x);
    const TensorImpl* in = rec.input(0);
    TensorImpl* out = rec.result(in->dtype, r.shape);
    dispatch(in->dtype, [&]<class T>() {
        const T* xp = in->ptr<T>();
        T* y = out->ptr<T>();
        if (l.inner == 1) {
            for (std::int64_t o = 0; o < l.outer; ++o) {
                double acc = 0.0;
                const T* row = xp + o * l.n;
                for (std::int64_t k = 0; k < l.n; ++k) acc += static_cast<double>(row[k]);
                y[o] = static_cast<T>(acc * scale);
            }
            return;
        }
        Scratch acc_room(rec.tape(), static_cast<std::size_t>(l.inner) * sizeof(double));
        double* acc = acc_room.as<double>();
        for (std::int64_t o = 0; o < l.outer; ++o) {
            std::fill(acc, acc + l.inner, 0.0);
            for (std::int64_t k = 0; k < l.n; ++k) {
                const T* row = xp + (o * l.n + k) * l.inner;
                for (std::int64_t i = 0; i < l.inner; ++i) acc[i] += static_cast<double>(row[i]);
            }
            for (std::int64_t i = 0; i < l.inner; ++i) y[o * l.inner + i] = static_cast<T>(acc[i] * scale);
        }
    });
    return rec.finish<SumBackward>(out, l, scale);
}

// gx[where] += gy[o, i] * weight; `where` holds, per output element, the flat input index of its
// maximum (max over a dim), or is null for max over everything (ties share gy equally).
struct MaxBackward : OpData<1> {
    const std::int64_t* where;
    int dim;  // the dim reduced (where != null)
    bool keepdim;

    // gx = gy spread back over x, times a constant mask: 1 at each maximum (over everything,
    // 1/ties at each tie). The mask is a constant, so max's second derivative is 0, as PyTorch's.
    void grads(const Tensor& gy, std::span<Tensor> gx, std::span<const char>) const {
        const TensorImpl* x = in[0];
        std::vector<double> mask(static_cast<std::size_t>(x->numel), 0.0);
        if (where != nullptr) {
            for (std::int64_t j = 0; j < out->numel; ++j) mask[static_cast<std::size_t>(where[j])] = 1.0;
        } else {
            const std::vector<double> xs = handle_of(in[0]).to_vector();
            const double m = handle_of(out).item();
            std::int64_t ties = 0;
            for (double v : xs) ties += v == m || (std::isnan(m) && std::isnan(v));
            for (std::size_t i = 0; i < xs.size(); ++i)
                if (xs[i] == m || (std::isnan(m) && std::isnan(xs[i]))) mask[i] = 1.0 / static_cast<double>(ties);
        }
        const Tensor spread = where != nullptr && !keepdim && x->ndim > 0 ? gy.unsqueeze(dim) : gy;
        gx[0] = Tensor::from(mask, x->shape(), x->dtype) * spread.expand(x->shape());
    }

    template <class T> void backward(const T* gy, T* gx) const {
        if (where != nullptr) {
            for (std::int64_t j = 0; j < out->numel; ++j) gx[where[j]] += gy[j];
            return;
        }
        const TensorImpl* x_impl = in[0];
        const T* x = x_impl->ptr<T>();
        const T m = *out->ptr<T>();
        std::int64_t ties = 0;
        for (std::int64_t i = 0; i < x_impl->numel; ++i) ties += (x[i] == m || (std::isnan(m) && std::isnan(x[i])));
        const T share = gy[0] / static_cast<T>(ties);
        for (std::int64_t i = 0; i < x_impl->numel; ++i)
            if (x[i] == m || (std::isnan(m) && std::isnan(x[i]))) gx[i] += share;
    }
};

// max over dim (or everything); with `indices`, returns the argmax as float64 values instead.
Tensor max_like(const Tensor& x0, const char* op, int dim, bool all, bool keepdim, bool indices) {
    const Reduced r = reduced(x0, op, dim, all, keepdim);
    const Lanes& l = r.layout;
    if (l.n == 0 && l.outer * l.inner > 0)
        tensor_error(op, "cannot take the max over an empty dim, shape " + shape_str(impl_of(r.x, op)));
    OpRecorder rec(op, r.x);
    const TensorImpl* in = rec.input(0);
    if (indices) rec.not_differentiable();
    TensorImpl* out = rec.result(indices ? DType::f64 : in->dtype, r.shape);
    const std::int64_t count = l.outer * l.inner;
    std::int64_t* where = static_cast<std::int64_t*>(
        rec.tape().arena().allocate(static_cast<std::size_t>(count) * sizeof(std::int64_t), alignof(std::int64_t)));
    dispatch(in->dtype, [&]<class T>() {
        const T* xp = in->ptr<T>();
        for (std::int64_t o = 0; o < l.outer; ++o)
            for (std::int64_t i = 0; i < l.inner; ++i) {
                std::int64_t best = o * l.n * l.inner + i;
                for (std::int64_t k = 1; k < l.n; ++k) {
                    const std::int64_t at = (o * l.n + k) * l.inner + i;
                    if (std::isnan(xp[best])) break;  // NaN wins, as in PyTorch
                    if (xp[at] > xp[best] || std::isnan(xp[at])) best = at;
                }
                where[o * l.inner + i] = best;
            }
        if (indices) {
            double* y = out->ptr<double>();
            for (std::int64_t j = 0; j < count; ++j) {
                const std::int64_t within = where[j] / l.inner;  // o * n + k
                y[j] = static_cast<double>(within % (l.n == 0 ? 1 : l.n));
            }
        } else {
            T* y = out->ptr<T>();
            for (std::int64_t j = 0; j < count; ++j) y[j] = xp[where[j]];
        }
    });
    return rec.finish<MaxBackward>(out, all ? nullptr : where, all ? 0 : wrap_dim(op, dim, in->ndim), keepdim);
}

}  // namespace
}  // namespace tapegrad::detail

namespace tapegrad {

Tensor Tensor::sum() const { return detail::sum_like(*this, "sum", 0, true, false, false); }
Tensor Tensor::sum(int dim, bool keepdim) const { return detail::sum_like(*this, "sum", dim, false, keepdim, false); }
Tensor Tensor::mean() const { return detail::sum_like(*this, "mean", 0, true, false, true); }
Tensor Tensor::mean(int dim, bool keepdim) const { return detail::sum_like(*this, "mean", dim, false, keepdim, true); }
Tensor Tensor::max() const {
    if (impl("max")->numel == 0) detail::tensor_error("max", "cannot take the max of an empty tensor");
    return detail::max_like(*this, "max", 0, true, false, false);
}
Tensor Tensor::max(int dim, bool keepdim) const { return detail::max_like(*this, "max", dim, false, keepdim, false); }
Tensor Tensor::argmax(int dim, bool keepdim) const {
    return detail::max_like(*this, "argmax", dim, false, keepdim, true);
}

}  // namespace tapegrad
