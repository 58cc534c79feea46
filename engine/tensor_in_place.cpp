// In-place updates of leaves, for optimizer steps; not recorded.
#include <algorithm>

#include "tapegrad/detail/tensor_impl.hpp"
#include "tapegrad/detail/tensor_loops.hpp"
#include "tapegrad/detail/tensor_pool.hpp"

namespace tapegrad {

using detail::TensorImpl;

namespace {
TensorImpl* in_place_target(const Tensor& self, const char* op) {
    TensorImpl* t = detail::impl_of(self, op);
    if (!t->leaf)
        detail::tensor_error(op, "in-place ops apply to leaves (tensors made by factories); this is an op result");
    if (t->requires_grad && Tape::current().grad_enabled())
        detail::tensor_error(op, "a leaf that requires grad is being changed in place; do it under tapegrad::NoGrad");
    return t;
}
}  // namespace

Tensor& Tensor::add_(const Tensor& other, double alpha) {
    TensorImpl* t = in_place_target(*this, "add_");
    const TensorImpl* o = other.impl("add_");
    bool ok = o->ndim <= t->ndim;
    for (int d = 0; ok && d < o->ndim; ++d) {
        const std::int64_t s = o->sizes[o->ndim - 1 - d];
        ok = s == 1 || s == t->sizes[t->ndim - 1 - d];
    }
    if (!ok)
        detail::tensor_error("add_",
                             "shape " + detail::shape_str(o) + " does not broadcast to " + detail::shape_str(t));
    // Read `other` in place when it already has t's type and a contiguous layout (an optimizer's
    // p.add_(p.grad(), -lr)) and is not a view overlapping t; otherwise read a converted copy.
    const bool overlaps =
        o->storage != nullptr && o->storage == t->storage && !(o->data == t->data && o->numel == t->numel);
    const bool direct = o->dtype == t->dtype && o->contiguous() && !overlaps;
    Tape& tape = Tape::current();
    detail::Scratch conv(tape, direct ? 0 : static_cast<std::size_t>(o->numel) * dtype_size(t->dtype));
    if (!direct) detail::copy_to_contiguous(o, conv.as<void>(), t->dtype);
    const void* source = direct ? o->data : conv.as<void>();
    // Read the source with broadcast strides (its layout is contiguous in o's shape).
    const TensorImpl source_layout(t->dtype, o->shape(), const_cast<void*>(source));
    std::int64_t os[kMaxDims];
    detail::broadcast_strides(&source_layout, t->ndim, os);
    detail::dispatch(t->dtype, [&]<class T>() {
        const T a = static_cast<T>(alpha);
        T* const base[2] = {t->ptr<T>(), source_layout.ptr<T>()};
        const std::int64_t* const st[2] = {t->strides, os};
        detail::for_each_row<T, 2>(t->ndim, t->sizes, base, st,
                                   [a](T* const* p, const std::int64_t* s, std::int64_t n) {
                                       if (s[0] == 1 && s[1] == 1) {  // the common case: same shape, both contiguous
                                           for (std::int64_t i = 0; i < n; ++i) p[0][i] += a * p[1][i];
                                           return;
                                       }
                                       for (std::int64_t i = 0; i < n; ++i) p[0][i * s[0]] += a * p[1][i * s[1]];
                                   });
    });
    detail::mark_modified(t);
    return *this;
}

Tensor& Tensor::mul_(double factor) {
    TensorImpl* t = in_place_target(*this, "mul_");
    detail::dispatch(t->dtype, [&]<class T>() {
        T* p = t->ptr<T>();
        for (std::int64_t i = 0; i < t->numel; ++i) p[i] *= static_cast<T>(factor);
    });
    detail::mark_modified(t);
    return *this;
}

Tensor& Tensor::fill_(double value) {
    TensorImpl* t = in_place_target(*this, "fill_");
    detail::dispatch(t->dtype,
                     [&]<class T>() { std::fill(t->ptr<T>(), t->ptr<T>() + t->numel, static_cast<T>(value)); });
    detail::mark_modified(t);
    return *this;
}

Tensor& Tensor::copy_(const Tensor& src) {
    TensorImpl* t = in_place_target(*this, "copy_");
    const TensorImpl* s = src.impl("copy_");
    if (s->numel != t->numel)
        detail::tensor_error("copy_", "source shape " + detail::shape_str(s) +
                                          " has a different number of elements than " + detail::shape_str(t));
    detail::copy_to_contiguous(s, t->data, t->dtype);
    detail::mark_modified(t);
    return *this;
}

}  // namespace tapegrad
