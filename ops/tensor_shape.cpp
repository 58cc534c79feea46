// Shape ops: views (transpose, permute, slice, select, expand, unsqueeze, squeeze, reshape of a
// contiguous tensor), copies (reshape otherwise, contiguous, cat) and the dtype cast.
//
// Every view and copy has the same backward: element I of the result came from logical element
// offset + sum_d I_d * s_d of the input, so gx[offset + sum I_d s_d] += gy[I]. Each op only
// works out (offset, s) against the input's contiguous grad layout; stride 0 (expand) sums.
#include <algorithm>
#include <cstring>

#include "tapegrad/detail/op_recorder.hpp"
#include "tapegrad/detail/tensor_loops.hpp"
#include "tapegrad/detail/tensor_pool.hpp"

namespace tapegrad::detail {
namespace {

Tensor view_scatter(const Tensor& g, const Shape& shape, std::int64_t offset, const std::int64_t* strides);

struct ViewBackward : OpData<1> {
    std::int64_t offset;
    std::int64_t strides[kMaxDims];

    ViewBackward(const OpTensors<1>& t, std::int64_t grad_offset, const std::int64_t* grad_strides)
        : OpData(t), offset(grad_offset) {
        std::copy(grad_strides, grad_strides + out->ndim, strides);
    }

    template <class T> void backward(const T* gy, T* gx) const {
        add_strided<T>(out->ndim, out->sizes, gy, gx, offset, strides);
    }
    void grads(const Tensor& gy, std::span<Tensor> gx, std::span<const char>) const {
        gx[0] = view_scatter(gy, in[0]->shape(), offset, strides);
    }
};

// A view of x: data at x.data + data_offset with data_strides; its grad maps as described above.
Tensor view_of(const Tensor& x, const char* op, const Shape& shape, const std::int64_t* data_strides,
               std::int64_t data_offset, const std::int64_t* grad_strides, std::int64_t grad_offset) {
    OpRecorder rec(op, x);
    TensorImpl* out = rec.view(*rec.input(0), shape, data_strides, data_offset);
    return rec.finish<ViewBackward>(out, grad_offset, grad_strides);
}

// A view's backward as an op of its own, for grad: the result, in the viewed tensor's shape and
// zero elsewhere, gets g[I] added at offset + sum_d I_d s_d. Its own backward gathers from those
// places, which is the view again (so it differentiates to any order).
struct ViewScatter : OpData<1> {
    std::int64_t offset;
    std::int64_t strides[kMaxDims];

    ViewScatter(const OpTensors<1>& t, std::int64_t at, const std::int64_t* along) : OpData(t), offset(at) {
        std::copy(along, along + in[0]->ndim, strides);
    }

    template <class T> void backward(const T* gy, T* gx) const {
        add_to_contiguous<T>(in[0]->ndim, in[0]->sizes, gy + offset, strides, gx);
    }
    void grads(const Tensor& gy, std::span<Tensor> gx, std::span<const char>) const {
        gx[0] = view_of(gy.contiguous(), "view_grad", in[0]->shape(), strides, offset, strides, offset);
    }
};

Tensor view_scatter(const Tensor& g, const Shape& shape, std::int64_t offset, const std::int64_t* strides) {
    constexpr const char* op = "view_grad";
    const Tensor gc = g.contiguous();
    OpRecorder rec(op, gc);
    const TensorImpl* in = rec.input(0);
    TensorImpl* out = rec.result(in->dtype, shape);
    std::memset(out->data, 0, out->bytes());
    dispatch(in->dtype,
             [&]<class T>() { add_strided<T>(in->ndim, in->sizes, in->ptr<T>(), out->ptr<T>(), offset, strides); });
    return rec.finish<ViewScatter>(out, offset, strides);
}

// A contiguous copy of x in `shape` (same element count, row-major order kept).
Tensor copy_of(const Tensor& x, const char* op, const Shape& shape) {
    OpRecorder rec(op, x);
    const TensorImpl* in = rec.input(0);
    TensorImpl* out = rec.result(in->dtype, shape);
    copy_to_contiguous(in, out->data, in->dtype);
    return rec.finish<ViewBackward>(out, std::int64_t{0}, out->strides);
}

std::int64_t resolve_index(const char* op, std::int64_t i, std::int64_t size, int dim) {
    if (i < -size || i >= size)
        tensor_error(op, "index " + std::to_string(i) + " is out of range for dim " + std::to_string(dim) +
                             " of size " + std::to_string(size));
    return i < 0 ? i + size : i;
}

// Copies src (any strides) into dst at dst_offset with dst_strides, same type.
template <class T> void copy_strided(const TensorImpl* src, T* dst, const std::int64_t* dst_strides) {
    T* const base[2] = {src->ptr<T>(), dst};
    const std::int64_t* const st[2] = {src->strides, dst_strides};
    for_each_row<T, 2>(src->ndim, src->sizes, base, st, [](T* const* p, const std::int64_t* s, std::int64_t n) {
        for (std::int64_t i = 0; i < n; ++i) p[1][i * s[1]] = p[0][i * s[0]];
    });
}

// d(cast x)/dx = 1: gx += gy converted back to x's type. x and the result differ in dtype, so the
// backward is the plain form, not a kernel typed by the result.
struct Cast : OpData<1> {
    void grads(const Tensor& gy, std::span<Tensor> gx, std::span<const char>) const { gx[0] = gy.to(in[0]->dtype); }
    void backward() const {
        TensorImpl* x = in[0];
        const TensorImpl gy(out->dtype, out->shape(), out->grad);  // out's grad read as a tensor
        dispatch(x->dtype, [&]<class T>() {
            Scratch s(*out->tape, x->bytes());
            copy_to_contiguous(&gy, s.as<void>(), x->dtype);
            T* gx = x->grad_ptr<T>();
            const T* c = s.as<T>();
            for (std::int64_t i = 0; i < x->numel; ++i) gx[i] += c[i];
        });
    }
};

// Joined along dim: gx_i += the slice of gy that input i filled.
struct Cat : OpData<kAnyInputs> {
    const std::int64_t* offsets;  // along dim
    int dim;

    Cat(TensorImpl* result, std::span<TensorImpl* const> inputs, const std::int64_t* along, int d)
        : OpData(result, inputs), offsets(along), dim(d) {}

    void grads(const Tensor& gy, std::span<Tensor> gx, std::span<const char> want) const {
        for (std::size_t k = 0; k < in.size(); ++k)
            if (want[k] != 0) gx[k] = gy.slice(dim, offsets[k], offsets[k] + in[k]->sizes[dim]);
    }

    template <class T> void backward(const T* gy) const {
        for (std::size_t k = 0; k < in.size(); ++k) {
            TensorImpl* x = in[k];
            T* gx = grad_of<T>(x);
            if (gx == nullptr) continue;
            // gy's slice, read with out's strides.
            add_to_contiguous<T>(x->ndim, x->sizes, gy + offsets[k] * out->strides[dim], out->strides, gx);
        }
    }
};

}  // namespace
}  // namespace tapegrad::detail

namespace tapegrad {

using detail::TensorAccess;
using detail::TensorImpl;

Tensor Tensor::reshape(const Shape& shape) const {
    constexpr const char* op = "reshape";
    const TensorImpl* in = impl(op);
    Shape s = shape;
    int infer = -1;
    std::int64_t known = 1;
    for (int d = 0; d < s.size(); ++d) {
        if (s[d] == -1) {
            if (infer >= 0) detail::tensor_error(op, "only one size may be -1, got " + shape.str());
            infer = d;
        } else if (s[d] < 0) {
            detail::tensor_error(op, "invalid size in " + shape.str());
        } else {
            known *= s[d];
        }
    }
    if (infer >= 0) {
        if (known == 0 || in->numel % known != 0)
            detail::tensor_error(op, "cannot reshape " + detail::shape_str(in) + " (" + std::to_string(in->numel) +
                                         " elements) to " + shape.str());
        s[infer] = in->numel / known;
    }
    if (s.numel() != in->numel)
        detail::tensor_error(op, "cannot reshape " + detail::shape_str(in) + " (" + std::to_string(in->numel) +
                                     " elements) to " + s.str() + " (" + std::to_string(s.numel()) + " elements)");
    std::int64_t cs[kMaxDims];
    detail::contiguous_strides(s.size(), s.begin(), cs);
    if (in->contiguous()) return detail::view_of(*this, op, s, cs, 0, cs, 0);
    return detail::copy_of(*this, op, s);
}

Tensor Tensor::flatten() const { return reshape({impl("flatten")->numel}); }

Tensor Tensor::permute(const Shape& dims) const {
    constexpr const char* op = "permute";
    const TensorImpl* in = impl(op);
    if (dims.size() != in->ndim)
        detail::tensor_error(op, "needs " + std::to_string(in->ndim) + " dims for shape " + detail::shape_str(in) +
                                     ", got " + dims.str());
    bool seen[kMaxDims] = {};
    Shape s;
    std::int64_t ds[kMaxDims], gs[kMaxDims], cs[kMaxDims];
    detail::contiguous_strides(in->ndim, in->sizes, cs);
    for (int d = 0; d < dims.size(); ++d) {
        const int p = detail::wrap_dim(op, static_cast<int>(dims[d]), in->ndim);
        if (seen[p])
            detail::tensor_error(op, dims.str() + " is not a permutation of the dims of " + detail::shape_str(in));
        seen[p] = true;
        s.push_back(in->sizes[p]);
        ds[d] = in->strides[p];
        gs[d] = cs[p];
    }
    return detail::view_of(*this, op, s, ds, 0, gs, 0);
}

Tensor Tensor::transpose(int dim0, int dim1) const {
    constexpr const char* op = "transpose";
    const TensorImpl* in = impl(op);
    Shape perm;
    for (int d = 0; d < in->ndim; ++d) perm.push_back(d);
    if (in->ndim == 0) {
        detail::wrap_dim(op, dim0, 0);
        detail::wrap_dim(op, dim1, 0);
        return permute(perm);
    }
    const int a = detail::wrap_dim(op, dim0, in->ndim), b = detail::wrap_dim(op, dim1, in->ndim);
    std::swap(perm[a], perm[b]);
    return permute(perm);
}

Tensor Tensor::unsqueeze(int dim) const {
    constexpr const char* op = "unsqueeze";
    const TensorImpl* in = impl(op);
    const int d = detail::wrap_dim(op, dim, in->ndim + 1);
    Shape s;
    std::int64_t ds[kMaxDims], gs[kMaxDims], cs[kMaxDims];
    detail::contiguous_strides(in->ndim, in->sizes, cs);
    int k = 0;
    for (int i = 0; i <= in->ndim; ++i) {
        if (i == d) {
            s.push_back(1);
            ds[k] = i < in->ndim ? in->strides[i] * in->sizes[i] : 1;
            gs[k] = i < in->ndim ? cs[i] * in->sizes[i] : 1;
            ++k;
        }
        if (i < in->ndim) {
            s.push_back(in->sizes[i]);
            ds[k] = in->strides[i];
            gs[k] = cs[i];
            ++k;
        }
    }
    return detail::view_of(*this, op, s, ds, 0, gs, 0);
}

Tensor Tensor::squeeze(int dim) const {
    constexpr const char* op = "squeeze";
    const TensorImpl* in = impl(op);
    const int d = detail::wrap_dim(op, dim, in->ndim);
    if (in->ndim == 0 || in->sizes[d] != 1) return *this;  // as PyTorch: only a size-1 dim goes
    Shape s;
    std::int64_t ds[kMaxDims], gs[kMaxDims], cs[kMaxDims];
    detail::contiguous_strides(in->ndim, in->sizes, cs);
    int k = 0;
    for (int i = 0; i < in->ndim; ++i) {
        if (i == d) continue;
        s.push_back(in->sizes[i]);
        ds[k] = in->strides[i];
        gs[k++] = cs[i];
    }
    return detail::view_of(*this, op, s, ds, 0, gs, 0);
}

Tensor Tensor::expand(const Shape& shape) const {
    constexpr const char* op = "expand";
    const TensorImpl* in = impl(op);
    const int nd = shape.size(), lead = nd - in->ndim;
    if (lead < 0) detail::tensor_error(op, "cannot expand " + detail::shape_str(in) + " to fewer dims: " + shape.str());
    std::int64_t ds[kMaxDims], gs[kMaxDims], cs[kMaxDims];
    detail::contiguous_strides(in->ndim, in->sizes, cs);
    Shape s;
    for (int d = 0; d < nd; ++d) {
        const int k = d - lead;
        const std::int64_t from = k < 0 ? 1 : in->sizes[k];
        std::int64_t to = shape[d];
        if (to == -1 && k >= 0) to = from;
        if (from != to && from != 1)
            detail::tensor_error(op, "cannot expand " + detail::shape_str(in) + " to " + shape.str() + " (dim " +
                                         std::to_string(d) + ")");
        s.push_back(to);
        ds[d] = (k < 0 || from != to) ? 0 : in->strides[k];
        gs[d] = (k < 0 || from != to) ? 0 : cs[k];
    }
    return detail::view_of(*this, op, s, ds, 0, gs, 0);
}

Tensor Tensor::slice(int dim, std::int64_t start, std::int64_t end, std::int64_t step) const {
    constexpr const char* op = "slice";
    const TensorImpl* in = impl(op);
    if (in->ndim == 0) detail::tensor_error(op, "a 0-d tensor cannot be sliced");
    const int d = detail::wrap_dim(op, dim, in->ndim);
    if (step <= 0) detail::tensor_error(op, "step must be positive, got " + std::to_string(step));
    const std::int64_t size = in->sizes[d];
    if (start < 0) start += size;
    if (end < 0) end += size;
    start = std::clamp<std::int64_t>(start, 0, size);
    end = std::clamp<std::int64_t>(end, start, size);
    const std::int64_t n = (end - start + step - 1) / step;
    std::int64_t ds[kMaxDims], gs[kMaxDims];
    detail::contiguous_strides(in->ndim, in->sizes, gs);
    std::copy(in->strides, in->strides + in->ndim, ds);
    const std::int64_t data_offset = start * ds[d], grad_offset = start * gs[d];
    ds[d] *= step;
    gs[d] *= step;
    Shape s = in->shape();
    s[d] = n;
    return detail::view_of(*this, op, s, ds, data_offset, gs, grad_offset);
}

Tensor Tensor::select(int dim, std::int64_t index) const {
    constexpr const char* op = "select";
    const TensorImpl* in = impl(op);
    if (in->ndim == 0) detail::tensor_error(op, "a 0-d tensor has no dim to select from");
    const int d = detail::wrap_dim(op, dim, in->ndim);
    const std::int64_t i = detail::resolve_index(op, index, in->sizes[d], d);
    std::int64_t ds[kMaxDims], gs[kMaxDims], cs[kMaxDims];
    detail::contiguous_strides(in->ndim, in->sizes, cs);
    Shape s;
    int k = 0;
    for (int j = 0; j < in->ndim; ++j) {
        if (j == d) continue;
        s.push_back(in->sizes[j]);
        ds[k] = in->strides[j];
        gs[k++] = cs[j];
    }
    return detail::view_of(*this, op, s, ds, i * in->strides[d], gs, i * cs[d]);
}

Tensor Tensor::contiguous() const {
    const TensorImpl* in = impl("contiguous");
    if (in->contiguous()) return *this;
    return detail::copy_of(*this, "contiguous", in->shape());
}

Tensor Tensor::to(DType dtype) const {
    constexpr const char* op = "to";
    if (impl(op)->dtype == dtype) return *this;
    detail::OpRecorder rec(op, *this);
    const TensorImpl* in = rec.input(0);
    TensorImpl* out = rec.result(dtype, in->shape());
    detail::copy_to_contiguous(in, out->data, dtype);
    return rec.finish<detail::Cast>(out);
}

Tensor Tensor::detach() const {
    const TensorImpl* in = impl("detach");
    if (in->leaf)
        return TensorAccess::adopt_leaf(new TensorImpl(*in->storage, in->dtype, in->shape(), in->data, in->strides));
    return TensorAccess::wrap_result(detail::new_view(*tape_, *in, in->shape(), in->strides, 0, false), *tape_);
}

Tensor cat(std::span<const Tensor> tensors, int dim) {
    constexpr const char* op = "cat";
    if (tensors.empty()) detail::tensor_error(op, "needs at least one tensor");
    bool any64 = false;
    for (const Tensor& t : tensors) any64 = any64 || detail::impl_of(t, op)->dtype == DType::f64;
    const TensorImpl* first = detail::impl_of(tensors[0], op);
    if (first->ndim == 0) detail::tensor_error(op, "0-d tensors cannot be joined");
    const int d = detail::wrap_dim(op, dim, first->ndim);
    Tape& tape = detail::tape_of_all(tensors, op);
    // Inputs of the common type (float32 ones cast when any is float64), on the tape's arena.
    const std::size_t n = tensors.size();
    auto** ins = static_cast<TensorImpl**>(tape.arena().allocate(n * sizeof(TensorImpl*), alignof(TensorImpl*)));
    auto* offsets = static_cast<std::int64_t*>(tape.arena().allocate(n * sizeof(std::int64_t), alignof(std::int64_t)));
    Shape s = first->shape();
    s[d] = 0;
    for (std::size_t k = 0; k < n; ++k) {
        Tensor t = tensors[k];
        if (any64 && detail::impl_of(t, op)->dtype == DType::f32) t = t.to(DType::f64);
        TensorImpl* in = detail::impl_of(t, op);
        bool same = in->ndim == first->ndim;
        for (int j = 0; same && j < in->ndim; ++j) same = j == d || in->sizes[j] == first->sizes[j];
        if (!same)
            detail::tensor_error(op, "sizes must agree except in dim " + std::to_string(d) + ": " +
                                         detail::shape_str(first) + " and " + detail::shape_str(in) + " (tensor " +
                                         std::to_string(k) + ")");
        ins[k] = in;  // a cast result lives on the tape; a leaf is retained by Cat
        offsets[k] = s[d];
        s[d] += in->sizes[d];
    }
    const std::span<TensorImpl* const> inputs(ins, n);
    TensorImpl* out = detail::new_result(tape, any64 ? DType::f64 : DType::f32, s, detail::needs_grad(tape, inputs));
    for (std::size_t k = 0; k < n; ++k) {
        detail::dispatch(out->dtype, [&]<class T>() {
            detail::copy_strided<T>(ins[k], out->ptr<T>() + offsets[k] * out->strides[d], out->strides);
        });
    }
    return detail::finish_op<detail::Cat>(tape, op, out, out, inputs, offsets, d);
}

}  // namespace tapegrad
