// What a Tensor handle points at, and how the library reaches it. Internal: for engine/, ops/, nn/
// and distributed/, not part of the user API.
//
// A TensorImpl is either a leaf (heap-allocated, reference-counted, owning or sharing storage) or
// an op result (in the tape's arena, its buffers from the tape's pools, destroyed at clear()).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "tapegrad/tensor.hpp"

namespace tapegrad::detail {

// A reference-counted heap buffer: the data (and grads) of leaves and of views of leaves.
struct Storage {
    std::atomic<std::int64_t> refs{1};
    std::size_t bytes = 0;
    void* data = nullptr;
    std::uint64_t modified_at = 0;  // in_place_clock of the last in-place change (tape.hpp)

    static Storage* make(std::size_t bytes);  // zero-filled
    void retain() noexcept { refs.fetch_add(1, std::memory_order_relaxed); }
    void release() noexcept;
};

inline constexpr std::size_t kNoEntry = static_cast<std::size_t>(-1);

struct TensorImpl {
    std::int64_t sizes[kMaxDims] = {};
    std::int64_t strides[kMaxDims] = {};  // in elements
    std::int64_t numel = 1;
    void* data = nullptr;               // element [0, ..., 0]
    void* grad = nullptr;               // contiguous, same shape and type; null until needed
    Storage* storage = nullptr;         // keeps `data` alive (leaves and views of leaves)
    Storage* grad_storage = nullptr;    // leaves' grads
    Tape* tape = nullptr;               // op results: the tape whose pools hold data/grad
    TensorImpl* grad_leaf = nullptr;    // leaves: the tensor grad() returns, made once
    std::size_t entry = kNoEntry;       // op results: the entry that made it
    std::atomic<std::int32_t> refs{1};  // leaves only
    std::int8_t ndim = 0;
    DType dtype = DType::f32;
    bool requires_grad = false;
    bool leaf = false;
    std::uint8_t data_class = 0;  // non-zero: data is a pool buffer of this size class
    std::uint8_t grad_class = 0;  // non-zero: grad is a pool buffer of this size class
    bool dense = true;            // contiguous(): fixed at construction, as the layout is

    // A layout over memory it neither owns nor keeps alive, for kernels that read a buffer as a
    // tensor (strides null: contiguous).
    TensorImpl(DType dtype, const Shape& shape, void* data, const std::int64_t* strides = nullptr);
    // A leaf with new zero-filled storage of its own (heap-allocated by the caller, one reference).
    TensorImpl(DType dtype, const Shape& shape, bool requires_grad);
    // A leaf sharing `storage` (retained), its data at `data`: a leaf's grad, a detached leaf.
    TensorImpl(Storage& storage, DType dtype, const Shape& shape, void* data, const std::int64_t* strides = nullptr);
    // An op result on `tape` (in its arena), contiguous, its data an uninitialised pool buffer.
    TensorImpl(Tape& tape, DType dtype, const Shape& shape, bool requires_grad);
    // An op result on `tape` viewing base's data `offset` elements on, with `strides`; keeps
    // base's storage (if it has one) alive.
    TensorImpl(Tape& tape, const TensorImpl& base, const Shape& shape, const std::int64_t* strides, std::int64_t offset,
               bool requires_grad);
    TensorImpl(const TensorImpl&) = delete;
    TensorImpl& operator=(const TensorImpl&) = delete;
    ~TensorImpl();

    Shape shape() const { return Shape(std::span<const std::int64_t>(sizes, static_cast<std::size_t>(ndim))); }
    // Whether the strides are the shape's contiguous ones (dims of size 1 aside).
    bool contiguous() const { return dense; }
    std::size_t bytes() const { return static_cast<std::size_t>(numel) * (dtype == DType::f32 ? 4 : 8); }
    void retain() noexcept {
        if (leaf) refs.fetch_add(1, std::memory_order_relaxed);
    }
    void release() noexcept {
        if (leaf && refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }
    template <class T> T* ptr() const { return static_cast<T*>(data); }
    // The grad buffer, made (zero-filled) on first use: from the pools for op results, from the
    // heap for leaves.
    void* grad_buffer();
    template <class T> T* grad_ptr() { return static_cast<T*>(grad_buffer()); }
};

// The library's way into a Tensor handle, whose internals users do not see.
struct TensorAccess {
    // The impl; raises Error naming `op` if the handle is empty or its tape was cleared.
    static TensorImpl* impl(const Tensor& t, const char* op) { return t.impl(op); }
    // A handle to an op result on `tape` (no reference count: it lives until clear()).
    static Tensor wrap_result(TensorImpl* impl, Tape& tape) {
        Tensor t;
        t.impl_ = impl;
        t.tape_ = &tape;
        t.generation_ = tape.generation();
        return t;
    }
    // A handle to a leaf, adopting one reference.
    static Tensor adopt_leaf(TensorImpl* impl) {
        Tensor t;
        t.impl_ = impl;
        return t;
    }
};
inline TensorImpl* impl_of(const Tensor& t, const char* op) { return TensorAccess::impl(t, op); }

// Notes an in-place change of t's data (a leaf's, or a view of one), for grad()'s check that no
// op read it before the change.
inline void mark_modified(const TensorImpl* t) {
    if (t->storage != nullptr) t->storage->modified_at = in_place_clock.fetch_add(1, std::memory_order_relaxed) + 1;
}

// t's grad buffer as an op result on `tape` (no copy; it does not require grad).
Tensor grad_view(Tape& tape, const TensorImpl& t);

// ---- errors, with the op and shapes at fault
[[noreturn]] void tensor_error(const char* op, const std::string& what);
int wrap_dim(const char* op, int dim, int ndim);  // negative dims count from the end
std::string shape_str(const TensorImpl* t);

// Calls f.template operator()<T>() with T = float or double.
template <class F> decltype(auto) dispatch(DType dtype, F&& f) {
    if (dtype == DType::f32) return f.template operator()<float>();
    return f.template operator()<double>();
}

}  // namespace tapegrad::detail
