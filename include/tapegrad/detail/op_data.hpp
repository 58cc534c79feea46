// The backward side of a tensor op: what its tape entry keeps (the op's saved data, which starts
// with its result and its inputs) and the runner every entry's backward goes through. Internal;
// docs/EXTENDING.md shows an op written with it.
//
//   template <class Op>
//   struct Unary : OpData<1> {            // the result `out` and the input `in[0]`
//       double c;                         // what else the backward needs
//       template <class T>
//       void backward(const T* gy, T* gx) const { ... gx += gy * dy/dx ... }
//   };
#pragma once

#include <cstddef>
#include <cstring>
#include <span>
#include <utility>

#include "tapegrad/detail/tensor_impl.hpp"

namespace tapegrad::detail {

// For an op with any number of inputs (cat, custom ops): OpData<kAnyInputs>.
inline constexpr std::size_t kAnyInputs = std::dynamic_extent;

// An op's result and inputs, as its recorder hands them to the op's saved data.
template <std::size_t N> struct OpTensors {
    TensorImpl* out;
    TensorImpl* in[N];
};

// The start of every op's saved data: its result and its inputs, declared here so that the
// backward runner and anomaly mode find them. The inputs stay alive until Tape::clear() (a leaf
// is held by a reference; op results live that long anyway).
template <std::size_t N> struct OpData {
    static constexpr std::size_t kInputs = N;
    TensorImpl* out;
    TensorImpl* in[N];

    OpData(const OpTensors<N>& t) : out(t.out) {  // implicit, so that an op's data stays an aggregate
        for (std::size_t k = 0; k < N; ++k) {
            in[k] = t.in[k];
            in[k]->retain();
        }
    }
    // An op's data built as Data{tensors, ...} initialises this base from a temporary, which
    // compilers may move from (base subobjects are exempt from guaranteed copy elision).
    OpData(OpData&& o) noexcept : out(o.out) {
        for (std::size_t k = 0; k < N; ++k) in[k] = std::exchange(o.in[k], nullptr);
    }
    OpData& operator=(OpData&&) = delete;
    ~OpData() {
        for (TensorImpl* t : in)
            if (t != nullptr) t->release();
    }
    std::span<TensorImpl* const> inputs() const { return in; }
};

template <> struct OpData<kAnyInputs> {
    static constexpr std::size_t kInputs = kAnyInputs;
    TensorImpl* out;
    std::span<TensorImpl* const> in;  // an array in the tape's arena

    OpData(TensorImpl* result, std::span<TensorImpl* const> inputs) : out(result), in(inputs) {
        for (TensorImpl* t : in) t->retain();
    }
    OpData(const OpData&) = delete;
    OpData& operator=(const OpData&) = delete;
    ~OpData() {
        for (TensorImpl* t : in) t->release();
    }
    std::span<TensorImpl* const> inputs() const { return in; }
};

// An input's grad buffer as T (made on first use), or null when the input does not require grad.
template <class T> T* grad_of(TensorImpl* t) { return t->requires_grad ? t->grad_ptr<T>() : nullptr; }

// An entry's backward. Nothing to do unless a gradient reached the result and some input requires
// grad. Then the op's kernel runs, in one of two forms:
//   - typed, in the result's dtype: d.backward<T>(gy, gx...), gy the result's grad and one gx per
//     input, null for an input that needs no gradient (an op with any number of inputs gets gy
//     alone and asks grad_of<T>(in[k]) for each);
//   - plain, d.backward(), for an op whose tensors differ in dtype (the cast, custom ops).
template <class Data> void run_backward(Data& d) {
    if (d.out->grad == nullptr) return;
    bool wanted = false;
    for (const TensorImpl* t : d.inputs()) wanted = wanted || t->requires_grad;
    if (!wanted) return;
    if constexpr (requires(Data & x) { x.backward(); }) {
        d.backward();
    } else {
        dispatch(d.out->dtype, [&]<class T>() {
            const T* gy = static_cast<const T*>(d.out->grad);
            if constexpr (Data::kInputs == kAnyInputs) {
                d.template backward<T>(gy);
            } else {
                [&]<std::size_t... K>(std::index_sequence<K...>) { d.template backward<T>(gy, grad_of<T>(d.in[K])...); }
                (std::make_index_sequence<Data::kInputs>{});
            }
        });
    }
}

// Before a repeated sweep: the result's grad back to zero.
template <class Data> void restart_out(void* data) {
    TensorImpl* out = static_cast<Data*>(data)->out;
    if (out->grad != nullptr) std::memset(out->grad, 0, out->bytes());
}

// Anomaly mode: raises Error if t's data (or grad) holds a NaN or an infinity; `pass` is
// "forward" or "backward", `entry` the op's entry on the tape.
void check_finite(const TensorImpl* t, bool grad, const char* pass, const Tape& tape, std::size_t entry);

}  // namespace tapegrad::detail
