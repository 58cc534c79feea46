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

#include "tapegrad/tensor_impl.hpp"

namespace tapegrad::detail {
namespace {

struct Layout {
    std::int64_t outer = 1, n = 1, inner = 1;
};

Layout layout(const TensorImpl* t, int d) {
    Layout l;
    for (int j = 0; j < t->ndim; ++j) {
        if (j < d) l.outer *= t->sizes[j];
        else if (j == d) l.n = t->sizes[j];
        else l.inner *= t->sizes[j];
    }
    return l;
}

Shape reduced_shape(const TensorImpl* t, int d, bool keepdim) {
    Shape s;
    for (int j = 0; j < t->ndim; ++j) {
        if (j != d) s.push_back(t->sizes[j]);
        else if (keepdim) s.push_back(1);
    }
    return s;
}

struct SumBackward {
    TensorImpl* out;
    Ref in;
    Layout l;
    double scale;

    static void backward(SumBackward& d) {
        TensorImpl* out = d.out;
        TensorImpl* in = d.in.get();
        if (out->grad == nullptr || !in->requires_grad) return;
        dispatch(in->dtype, [&]<class T>() {
            T* gx = in->grad_ptr<T>();
            const T* gy = static_cast<const T*>(out->grad);
            const T s = static_cast<T>(d.scale);
            const Layout lay = d.l;
            for (std::int64_t o = 0; o < lay.outer; ++o)
                for (std::int64_t k = 0; k < lay.n; ++k) {
                    T* row = gx + (o * lay.n + k) * lay.inner;
                    const T* g = gy + o * lay.inner;
                    for (std::int64_t i = 0; i < lay.inner; ++i) row[i] += g[i] * s;
                }
        });
    }
};

// A reduction's input (made contiguous), the layout it is reduced with, and its result's shape.
struct Reduced {
    Tensor x;
    TensorImpl* in;
    Layout layout;
    Shape shape;
};
Reduced reduced(const Tensor& x0, const char* op, int dim, bool all, bool keepdim) {
    const int ndim = x0.impl(op)->ndim;  // checks the handle before anything else touches it
    const int d = all ? -1 : wrap_dim(op, dim, ndim);
    Reduced r{x0.contiguous(), nullptr, {}, {}};
    r.in = r.x.impl(op);
    if (all || r.in->ndim == 0) {
        r.layout.n = r.in->numel;
        if (!all && keepdim) r.shape = r.in->shape();
    } else {
        r.layout = layout(r.in, d);
        r.shape = reduced_shape(r.in, d, keepdim);
    }
    return r;
}

// sum (scale 1) or mean (scale 1/n) over dim d, or over everything when d < 0.
Tensor sum_like(const Tensor& x0, const char* op, int dim, bool all, bool keepdim, bool mean) {
    Reduced r = reduced(x0, op, dim, all, keepdim);
    TensorImpl* in = r.in;
    const Layout& l = r.layout;
    const Shape& shape = r.shape;
    const double scale = mean ? 1.0 / static_cast<double>(l.n) : 1.0;
    Tape& tape = tape_of({&r.x}, op);
    const bool rg = needs_grad(tape, {in});
    TensorImpl* out = new_result(tape, in->dtype, shape, rg);
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
        Scratch acc_room(tape, static_cast<std::size_t>(l.inner) * sizeof(double));
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
    if (!rg) return Tensor::wrap_result(out, tape);
    return record(tape, tape.arena().make<SumBackward>(out, in, l, scale), op);
}

// gx[where] += gy[o, i] * weight; `where` holds, per output element, the flat input index of its
// maximum (max over a dim), or is null for max over everything (ties share gy equally).
struct MaxBackward {
    TensorImpl* out;
    Ref in;
    const std::int64_t* where;

    static void backward(MaxBackward& d) {
        TensorImpl* out = d.out;
        TensorImpl* in = d.in.get();
        if (out->grad == nullptr || !in->requires_grad) return;
        dispatch(in->dtype, [&]<class T>() {
            T* gx = in->grad_ptr<T>();
            const T* gy = static_cast<const T*>(out->grad);
            if (d.where != nullptr) {
                for (std::int64_t j = 0; j < out->numel; ++j) gx[d.where[j]] += gy[j];
                return;
            }
            const T* x = in->ptr<T>();
            const T m = *out->ptr<T>();
            std::int64_t ties = 0;
            for (std::int64_t i = 0; i < in->numel; ++i) ties += (x[i] == m || (std::isnan(m) && std::isnan(x[i])));
            const T share = gy[0] / static_cast<T>(ties);
            for (std::int64_t i = 0; i < in->numel; ++i)
                if (x[i] == m || (std::isnan(m) && std::isnan(x[i]))) gx[i] += share;
        });
    }
};

// max over dim (or everything); with `indices`, returns the argmax as float64 values instead.
Tensor max_like(const Tensor& x0, const char* op, int dim, bool all, bool keepdim, bool indices) {
    Reduced r = reduced(x0, op, dim, all, keepdim);
    TensorImpl* in = r.in;
    const Layout& l = r.layout;
    const Shape& shape = r.shape;
    if (l.n == 0 && l.outer * l.inner > 0)
        tensor_error(op, "cannot take the max over an empty dim, shape " + shape_str(in));
    Tape& tape = tape_of({&r.x}, op);
    const bool rg = !indices && needs_grad(tape, {in});
    TensorImpl* out = new_result(tape, indices ? DType::f64 : in->dtype, shape, rg);
    const std::int64_t count = l.outer * l.inner;
    std::int64_t* where = static_cast<std::int64_t*>(
        tape.arena().allocate(static_cast<std::size_t>(count) * sizeof(std::int64_t), alignof(std::int64_t)));
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
    if (!rg) return Tensor::wrap_result(out, tape);
    return record(tape, tape.arena().make<MaxBackward>(out, in, all ? nullptr : where), op);
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
Tensor Tensor::argmax(int dim, bool keepdim) const { return detail::max_like(*this, "argmax", dim, false, keepdim, true); }

}  // namespace tapegrad
