// Shape ops: views (transpose, permute, slice, select, expand, unsqueeze, squeeze, reshape of a
// contiguous tensor), copies (reshape otherwise, contiguous, cat) and the dtype cast.
//
// Every view and copy has the same backward: element I of the result came from logical element
// offset + sum_d I_d * s_d of the input, so gx[offset + sum I_d s_d] += gy[I]. Each op only
// works out (offset, s) against the input's contiguous grad layout; stride 0 (expand) sums.
#include <algorithm>

#include "tapegrad/tensor_impl.hpp"

namespace tapegrad::detail {
namespace {

struct ViewBackward {
    TensorImpl* out;
    Ref in;
    std::int64_t offset;
    std::int64_t strides[kMaxDims];

    ViewBackward(TensorImpl* o, TensorImpl* i, std::int64_t off, const std::int64_t* s) : out(o), in(i), offset(off) {
        std::copy(s, s + o->ndim, strides);
    }

    static void backward(ViewBackward& d) {
        TensorImpl* out = d.out;
        TensorImpl* in = d.in.get();
        if (out->grad == nullptr || !in->requires_grad) return;
        dispatch(in->dtype, [&]<class T>() {
            add_strided<T>(out->ndim, out->sizes, static_cast<const T*>(out->grad), in->grad_ptr<T>(), d.offset, d.strides);
        });
    }
};

Tensor finish(Tape& tape, const char* op, TensorImpl* in, TensorImpl* out, std::int64_t grad_offset,
              const std::int64_t* grad_strides) {
    if (!out->requires_grad) return Tensor::wrap_result(out, tape);
    return record(tape, tape.arena().make<ViewBackward>(out, in, grad_offset, grad_strides), op);
}

// A view of x: data at x.data + data_offset with data_strides; its grad maps as described above.
Tensor view_of(const Tensor& x, const char* op, const Shape& shape, const std::int64_t* data_strides,
               std::int64_t data_offset, const std::int64_t* grad_strides, std::int64_t grad_offset) {
    TensorImpl* in = x.impl(op);
    Tape& tape = tape_of({&x}, op);
    TensorImpl* out = new_view(tape, in, shape, data_strides, data_offset, needs_grad(tape, {in}));
    return finish(tape, op, in, out, grad_offset, grad_strides);
}

// A contiguous copy of x in `shape` (same element count, row-major order kept).
Tensor copy_of(const Tensor& x, const char* op, const Shape& shape) {
    TensorImpl* in = x.impl(op);
    Tape& tape = tape_of({&x}, op);
    TensorImpl* out = new_result(tape, in->dtype, shape, needs_grad(tape, {in}));
    copy_to_contiguous(in, out->data, in->dtype);
    return finish(tape, op, in, out, 0, out->strides);
}

std::int64_t resolve_index(const char* op, std::int64_t i, std::int64_t size, int dim) {
    if (i < -size || i >= size)
        tensor_error(op, "index " + std::to_string(i) + " is out of range for dim " + std::to_string(dim) + " of size " +
                             std::to_string(size));
    return i < 0 ? i + size : i;
}

// Copies src (any strides) into dst at dst_offset with dst_strides, same type.
template <class T>
void copy_strided(const TensorImpl* src, T* dst, const std::int64_t* dst_strides) {
    T* const base[2] = {src->ptr<T>(), dst};
    const std::int64_t* const st[2] = {src->strides, dst_strides};
    for_each_row<T, 2>(src->ndim, src->sizes, base, st, [](T* const* p, const std::int64_t* s, std::int64_t n) {
        for (std::int64_t i = 0; i < n; ++i) p[1][i * s[1]] = p[0][i * s[0]];
    });
}

// d(cast x)/dx = 1: gx += gy converted back to x's type.
struct Cast {
    TensorImpl* out;
    Ref in;
    static void backward(Cast& d) {
        TensorImpl* out = d.out;
        TensorImpl* in = d.in.get();
        if (out->grad == nullptr || !in->requires_grad) return;
        TensorImpl g;  // out's grad read as a tensor
        std::copy(out->sizes, out->sizes + out->ndim, g.sizes);
        g.ndim = out->ndim;
        g.set_contiguous_strides();
        g.numel = out->numel;
        g.dtype = out->dtype;
        g.data = out->grad;
        dispatch(in->dtype, [&]<class T>() {
            Scratch s(*out->tape, in->bytes());
            copy_to_contiguous(&g, s.as<void>(), in->dtype);
            T* gx = in->grad_ptr<T>();
            const T* c = s.as<T>();
            for (std::int64_t i = 0; i < in->numel; ++i) gx[i] += c[i];
        });
    }
};

// Joined along dim: gx_i += the slice of gy that input i filled.
struct Cat {
    TensorImpl* out;
    TensorImpl** ins;
    std::int64_t* offsets;  // along dim
    std::size_t count;
    int dim;

    Cat(TensorImpl* o, TensorImpl** i, std::int64_t* off, std::size_t n, int d) : out(o), ins(i), offsets(off), count(n), dim(d) {
        for (std::size_t k = 0; k < count; ++k) ins[k]->retain();
    }
    Cat(const Cat&) = delete;
    Cat& operator=(const Cat&) = delete;
    ~Cat() {
        for (std::size_t k = 0; k < count; ++k) ins[k]->release();
    }

    static void backward(Cat& d) {
        TensorImpl* out = d.out;
        if (out->grad == nullptr) return;
        for (std::size_t k = 0; k < d.count; ++k) {
            TensorImpl* in = d.ins[k];
            if (!in->requires_grad) continue;
            dispatch(in->dtype, [&]<class T>() {
                // Read gy's slice with out's strides, add into gx (contiguous).
                TensorImpl g;
                std::copy(in->sizes, in->sizes + in->ndim, g.sizes);
                g.ndim = in->ndim;
                std::copy(out->strides, out->strides + out->ndim, g.strides);
                g.data = static_cast<T*>(out->grad) + d.offsets[k] * out->strides[d.dim];
                std::int64_t cs[kMaxDims];
                contiguous_strides(in->ndim, in->sizes, cs);
                T* const base[2] = {g.ptr<T>(), in->grad_ptr<T>()};
                const std::int64_t* const st[2] = {g.strides, cs};
                for_each_row<T, 2>(in->ndim, in->sizes, base, st, [](T* const* p, const std::int64_t* s, std::int64_t n) {
                    for (std::int64_t i = 0; i < n; ++i) p[1][i * s[1]] += p[0][i * s[0]];
                });
            });
        }
    }
};

}  // namespace
}  // namespace tapegrad::detail

namespace tapegrad {

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
        if (seen[p]) detail::tensor_error(op, dims.str() + " is not a permutation of the dims of " + detail::shape_str(in));
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
    TensorImpl* in = impl(op);
    if (in->dtype == dtype) return *this;
    Tape& tape = detail::tape_of({this}, op);
    const bool rg = detail::needs_grad(tape, {in});
    TensorImpl* out = detail::new_result(tape, dtype, in->shape(), rg);
    detail::copy_to_contiguous(in, out->data, dtype);
    if (!rg) return wrap_result(out, tape);
    return detail::record(tape, tape.arena().make<detail::Cast>(out, in), op);
}

Tensor Tensor::detach() const {
    TensorImpl* in = impl("detach");
    if (in->leaf) {
        auto* t = new TensorImpl;
        std::copy(in->sizes, in->sizes + in->ndim, t->sizes);
        std::copy(in->strides, in->strides + in->ndim, t->strides);
        t->ndim = in->ndim;
        t->numel = in->numel;
        t->dtype = in->dtype;
        t->leaf = true;
        t->storage = in->storage;
        t->storage->retain();
        t->data = in->data;
        return adopt_leaf(t);
    }
    Tape& tape = *tape_;
    return wrap_result(detail::new_view(tape, in, in->shape(), in->strides, 0, false), tape);
}

Tensor cat(std::span<const Tensor> tensors, int dim) {
    constexpr const char* op = "cat";
    if (tensors.empty()) detail::tensor_error(op, "needs at least one tensor");
    bool any64 = false;
    for (const Tensor& t : tensors) any64 = any64 || t.impl(op)->dtype == DType::f64;
    const TensorImpl* first = tensors[0].impl(op);
    if (first->ndim == 0) detail::tensor_error(op, "0-d tensors cannot be joined");
    const int d = detail::wrap_dim(op, dim, first->ndim);
    Tape* tape_ptr = nullptr;
    for (const Tensor& t : tensors)
        if (t.tape() != nullptr) {
            if (tape_ptr != nullptr && tape_ptr != t.tape()) detail::tensor_error(op, "operands were recorded on different tapes");
            tape_ptr = t.tape();
        }
    Tape& tape = tape_ptr != nullptr ? *tape_ptr : Tape::current();
    // Inputs of the common type (float32 ones cast when any is float64), on the tape's arena.
    const std::size_t n = tensors.size();
    auto** ins = static_cast<TensorImpl**>(tape.arena().allocate(n * sizeof(TensorImpl*), alignof(TensorImpl*)));
    auto* offsets = static_cast<std::int64_t*>(tape.arena().allocate(n * sizeof(std::int64_t), alignof(std::int64_t)));
    Shape s = first->shape();
    s[d] = 0;
    bool rg = false;
    for (std::size_t k = 0; k < n; ++k) {
        Tensor t = tensors[k];
        if (any64 && t.impl(op)->dtype == DType::f32) t = t.to(DType::f64);
        TensorImpl* in = t.impl(op);
        bool same = in->ndim == first->ndim;
        for (int j = 0; same && j < in->ndim; ++j) same = j == d || in->sizes[j] == first->sizes[j];
        if (!same)
            detail::tensor_error(op, "sizes must agree except in dim " + std::to_string(d) + ": " +
                                         detail::shape_str(first) + " and " + detail::shape_str(in) + " (tensor " +
                                         std::to_string(k) + ")");
        ins[k] = in;  // a cast result lives on the tape; a leaf is retained by Cat
        offsets[k] = s[d];
        s[d] += in->sizes[d];
        rg = rg || in->requires_grad;
    }
    rg = rg && tape.grad_enabled();
    TensorImpl* out = detail::new_result(tape, any64 ? DType::f64 : DType::f32, s, rg);
    for (std::size_t k = 0; k < n; ++k) {
        detail::dispatch(out->dtype, [&]<class T>() {
            detail::copy_strided<T>(ins[k], out->ptr<T>() + offsets[k] * out->strides[d], out->strides);
        });
    }
    if (!rg) return Tensor::wrap_result(out, tape);
    return detail::record(tape, tape.arena().make<detail::Cat>(out, ins, offsets, n, d), op);
}

}  // namespace tapegrad
