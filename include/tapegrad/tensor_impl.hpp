// What a Tensor handle points at, and the helpers tensor ops are written with (for ops/tensor_*
// and nn/; not part of the user API).
//
// A TensorImpl is either a leaf (heap-allocated, reference-counted, owning its storage) or an op
// result (in the tape's arena, its buffers from the tape's pools, destroyed at clear()).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>

#include "tapegrad/anomaly.hpp"
#include "tapegrad/tensor.hpp"
#include "tapegrad/tensor_pool.hpp"

namespace tapegrad::detail {

// A reference-counted heap buffer: the data (and grads) of leaves and of views of leaves.
struct Storage {
    std::atomic<std::int64_t> refs{1};
    std::size_t bytes = 0;
    void* data = nullptr;

    static Storage* make(std::size_t bytes);  // zero-filled
    void retain() noexcept { refs.fetch_add(1, std::memory_order_relaxed); }
    void release() noexcept;
};

inline constexpr std::size_t kNoEntry = static_cast<std::size_t>(-1);

struct TensorImpl {
    std::int64_t sizes[kMaxDims] = {};
    std::int64_t strides[kMaxDims] = {};  // in elements
    std::int64_t numel = 1;
    void* data = nullptr;                 // element [0, ..., 0]
    void* grad = nullptr;                 // contiguous, same shape and type; null until needed
    Storage* storage = nullptr;           // keeps `data` alive (leaves and views of leaves)
    Storage* grad_storage = nullptr;      // leaves' grads
    Tape* tape = nullptr;                 // op results: the tape whose pools hold data/grad
    TensorImpl* grad_leaf = nullptr;      // leaves: the tensor grad() returns, made once
    std::size_t entry = kNoEntry;         // op results: the entry that made it
    std::atomic<std::int32_t> refs{1};    // leaves only
    std::int8_t ndim = 0;
    DType dtype = DType::f32;
    bool requires_grad = false;
    bool leaf = false;
    std::uint8_t data_class = 0;  // non-zero: data is a pool buffer of this size class
    std::uint8_t grad_class = 0;  // non-zero: grad is a pool buffer of this size class

    TensorImpl() = default;
    TensorImpl(const TensorImpl&) = delete;
    TensorImpl& operator=(const TensorImpl&) = delete;
    ~TensorImpl();

    Shape shape() const { return Shape(std::span<const std::int64_t>(sizes, static_cast<std::size_t>(ndim))); }
    bool contiguous() const;
    std::size_t bytes() const { return static_cast<std::size_t>(numel) * dtype_size(dtype); }
    void set_contiguous_strides();
    void retain() noexcept {
        if (leaf) refs.fetch_add(1, std::memory_order_relaxed);
    }
    void release() noexcept {
        if (leaf && refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }
    template <class T>
    T* ptr() const { return static_cast<T*>(data); }
    // The grad buffer, made (zero-filled) on first use: from the pools for op results, from the
    // heap for leaves.
    void* grad_buffer();
    template <class T>
    T* grad_ptr() { return static_cast<T*>(grad_buffer()); }
};

// A counted reference to an impl, for op data that must keep its inputs alive until clear().
class Ref {
public:
    Ref() = default;
    Ref(TensorImpl* p) noexcept : p_(p) {  // implicit, for op data initialisers
        if (p_ != nullptr) p_->retain();
    }
    Ref(const Ref&) = delete;
    Ref& operator=(const Ref&) = delete;
    ~Ref() {
        if (p_ != nullptr) p_->release();
    }
    TensorImpl* operator->() const { return p_; }
    TensorImpl* get() const { return p_; }

private:
    TensorImpl* p_ = nullptr;
};

// ---- errors, with the op and shapes at fault
[[noreturn]] void tensor_error(const char* op, const std::string& what);
int wrap_dim(const char* op, int dim, int ndim);  // negative dims count from the end
std::string shape_str(const TensorImpl* t);

// The broadcast shape of a and b, or an Error naming op and both shapes (ops/tensor_binary.cpp).
Shape broadcast_shape(const char* op, const TensorImpl* a, const TensorImpl* b);
// Both operands in one type: the float32 one of a mixed pair is cast to float64 (a recorded op).
void promote(Tensor& a, Tensor& b, const char* op);

// ---- recording
// The tape an op's result goes on: the first operand's that is an op result, else the current one.
Tape& tape_of(std::initializer_list<const Tensor*> operands, const char* op);
// Whether an op with these inputs records an entry (grad mode on and some input requires grad).
inline bool needs_grad(const Tape& tape, std::initializer_list<const TensorImpl*> inputs) {
    if (!tape.grad_enabled()) return false;
    for (const TensorImpl* t : inputs)
        if (t->requires_grad) return true;
    return false;
}
// A new contiguous op result on tape with a pool buffer (uninitialised).
TensorImpl* new_result(Tape& tape, DType dtype, const Shape& shape, bool requires_grad);
// A new op result on tape that views `base`'s data (keeping it alive) with the given layout.
TensorImpl* new_view(Tape& tape, const TensorImpl* base, const Shape& shape, const std::int64_t* strides,
                     std::int64_t offset, bool requires_grad);

// Op data stored on the tape: `out` first, so that the shared restart can zero its grad.
template <class Data>
void restart_out(void* data) {
    TensorImpl* out = static_cast<Data*>(data)->out;
    if (out->grad != nullptr) std::memset(out->grad, 0, out->bytes());
}
// Calls f on each input an op's data keeps (its members a, b, in, x, t, or ins[count]).
template <class Data, class F>
void for_each_input(Data& d, F&& f) {
    if constexpr (requires { d.a.get(); }) f(d.a.get());
    if constexpr (requires { d.b.get(); }) f(d.b.get());
    if constexpr (requires { d.in.get(); }) f(d.in.get());
    if constexpr (requires { d.x.get(); }) f(d.x.get());
    if constexpr (requires { d.t.get(); }) f(d.t.get());
    if constexpr (requires { d.ins[0]; d.count; })
        for (std::size_t k = 0; k < d.count; ++k) f(d.ins[k]);
}

// Anomaly mode: raises Error if t's data (or grad) holds a NaN or an infinity; `pass` is
// "forward" or "backward", `entry` the op's entry on the tape.
void check_finite(const TensorImpl* t, bool grad, const char* pass, const Tape& tape, std::size_t entry);

// Records an entry whose backward is Data::backward(Data&) and returns the result handle. In
// anomaly mode the result is checked now and the inputs' grads after the op's backward.
template <class Data>
Tensor record(Tape& tape, Data* data, const char* name) {
    const auto backward = [](void* p) {
        Data& d = *static_cast<Data*>(p);
        Data::backward(d);
        if (anomaly_mode()) [[unlikely]]
            for_each_input(d, [&](const TensorImpl* in) { check_finite(in, true, "backward", *d.out->tape, d.out->entry); });
    };
    data->out->entry = tape.record_entry(backward, &restart_out<Data>, data, name);
    if (anomaly_mode()) [[unlikely]] check_finite(data->out, false, "forward", tape, data->out->entry);
    return Tensor::wrap_result(data->out, tape);
}

// Scratch memory from the tape's pools, given back when it goes out of scope.
class Scratch {
public:
    Scratch(Tape& tape, std::size_t bytes) : pools_(&tape.buffer_pools()), p_(pools_->take(bytes, class_)) {}
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    ~Scratch() { pools_->give(p_, class_); }
    template <class T>
    T* as() const { return static_cast<T*>(p_); }

private:
    BufferPools* pools_;
    std::uint8_t class_ = 0;
    void* p_;
};

// ---- loops
// Calls inner(ptrs, inner_strides, n) over every row of `shape` (strides per operand, elements;
// operands' pointers already at element 0). Adjacent dims that are laid out as one are merged,
// so a contiguous or broadcast-by-row operand gets long inner loops.
template <class T, int K, class Inner>
void for_each_row(int ndim, const std::int64_t* shape, T* const (&base)[K], const std::int64_t* const (&strides)[K],
                  Inner&& inner) {
    std::int64_t sz[kMaxDims];
    std::int64_t st[K][kMaxDims];
    int nd = 0;
    for (int d = 0; d < ndim; ++d) {
        if (shape[d] == 1) continue;
        if (shape[d] == 0) return;
        bool merge = nd > 0;
        for (int k = 0; k < K && merge; ++k) merge = st[k][nd - 1] == strides[k][d] * shape[d];
        if (merge) {
            sz[nd - 1] *= shape[d];
            for (int k = 0; k < K; ++k) st[k][nd - 1] = strides[k][d];
        } else {
            sz[nd] = shape[d];
            for (int k = 0; k < K; ++k) st[k][nd] = strides[k][d];
            ++nd;
        }
    }
    T* p[K];
    std::int64_t is[K];
    for (int k = 0; k < K; ++k) p[k] = base[k];
    if (nd == 0) {
        for (int k = 0; k < K; ++k) is[k] = 0;
        inner(p, is, std::int64_t{1});
        return;
    }
    const std::int64_t n = sz[nd - 1];
    for (int k = 0; k < K; ++k) is[k] = st[k][nd - 1];
    std::int64_t idx[kMaxDims] = {};
    for (;;) {
        inner(p, is, n);
        int d = nd - 2;
        for (; d >= 0; --d) {
            ++idx[d];
            for (int k = 0; k < K; ++k) p[k] += st[k][d];
            if (idx[d] < sz[d]) break;
            for (int k = 0; k < K; ++k) p[k] -= st[k][d] * sz[d];
            idx[d] = 0;
        }
        if (d < 0) return;
    }
}

// Contiguous strides of a shape.
void contiguous_strides(int ndim, const std::int64_t* shape, std::int64_t* strides);
// The strides that read a tensor of shape `from` as if broadcast to `to` (0 on stretched dims).
void broadcast_strides(const TensorImpl* from, int to_ndim, std::int64_t* strides);

// dst (shape of dst, contiguous) = src read with src's strides, converting types.
void copy_to_contiguous(const TensorImpl* src, void* dst, DType dst_dtype);
// Adds src (contiguous, `shape`) into dst at dst_offset with dst_strides (elements), both of type T.
template <class T>
void add_strided(int ndim, const std::int64_t* shape, const T* src, T* dst, std::int64_t dst_offset,
                 const std::int64_t* dst_strides) {
    std::int64_t src_strides[kMaxDims];
    contiguous_strides(ndim, shape, src_strides);
    T* const base[2] = {const_cast<T*>(src), dst + dst_offset};
    const std::int64_t* const st[2] = {src_strides, dst_strides};
    for_each_row<T, 2>(ndim, shape, base, st, [](T* const* p, const std::int64_t* s, std::int64_t n) {
        const T* a = p[0];
        T* b = p[1];
        if (s[0] == 1 && s[1] == 1) {
            for (std::int64_t i = 0; i < n; ++i) b[i] += a[i];
        } else {
            for (std::int64_t i = 0; i < n; ++i) b[i * s[1]] += a[i * s[0]];
        }
    });
}

// Calls f(begin, end) over [0, n) split across the library's threads when n is at least `grain`
// per thread; the split only decides who computes which elements, never how.
void parallel_for_impl(std::int64_t n, std::int64_t grain, void (*fn)(void*, std::int64_t, std::int64_t), void* ctx);
template <class F>
void parallel_for(std::int64_t n, std::int64_t grain, F&& f) {
    parallel_for_impl(n, grain, [](void* c, std::int64_t b, std::int64_t e) { (*static_cast<F*>(c))(b, e); }, &f);
}
// Elements per thread below which an elementwise kernel stays on one thread.
inline constexpr std::int64_t kParallelGrain = 1 << 15;

// Calls f.template operator()<T>() with T = float or double.
template <class F>
decltype(auto) dispatch(DType dtype, F&& f) {
    if (dtype == DType::f32) return f.template operator()<float>();
    return f.template operator()<double>();
}

}  // namespace tapegrad::detail
