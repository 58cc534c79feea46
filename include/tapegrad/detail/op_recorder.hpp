// The forward side of a tensor op: the opening and the ending every op shares. Internal;
// docs/EXTENDING.md shows an op written with it.
//
//   OpRecorder rec(Op::name, x);                        // handles checked, the tape, requires grad
//   TensorImpl* out = rec.result(dtype, shape);         // the result, its buffer from the pools
//   ... the forward kernel fills out ...
//   return rec.finish<Unary<Op>>(out, c);               // one tape entry, or a plain result
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <utility>

#include "tapegrad/anomaly.hpp"
#include "tapegrad/detail/op_data.hpp"
#include "tapegrad/detail/op_grads.hpp"
#include "tapegrad/detail/tensor_impl.hpp"

namespace tapegrad::detail {

// The tape an op's result goes on: the one its operands that are op results were recorded on,
// else the current one. Operands from two tapes are an Error.
Tape& tape_of(std::initializer_list<const Tensor*> operands, const char* op);
Tape& tape_of_all(std::span<const Tensor> operands, const char* op);  // the same for a list of any length

// Whether an op with these inputs records an entry (grad mode on and some input requires grad).
inline bool needs_grad(const Tape& tape, std::span<TensorImpl* const> inputs) {
    if (!tape.grad_enabled()) return false;
    for (const TensorImpl* t : inputs)
        if (t->requires_grad) return true;
    return false;
}

// A new contiguous op result on tape, its buffer from the pools (uninitialised).
inline TensorImpl* new_result(Tape& tape, DType dtype, const Shape& shape, bool requires_grad) {
    return tape.arena().make<TensorImpl>(tape, dtype, shape, requires_grad);
}
// A new op result on tape that views base's data `offset` elements on, with `strides`.
inline TensorImpl* new_view(Tape& tape, const TensorImpl& base, const Shape& shape, const std::int64_t* strides,
                            std::int64_t offset, bool requires_grad) {
    return tape.arena().make<TensorImpl>(tape, base, shape, strides, offset, requires_grad);
}

// The broadcast shape of a and b, or an Error naming op and both shapes (ops/tensor_binary.cpp).
Shape broadcast_shape(const char* op, const TensorImpl* a, const TensorImpl* b);
// Both operands in one type: the float32 one of a mixed pair is cast to float64 (a recorded op).
void promote(Tensor& a, Tensor& b, const char* op);

// Records an entry whose backward runs Data's kernel (run_backward) and returns the result's
// handle. In anomaly mode the result is checked now and the inputs' grads after the kernel.
template <class Data> Tensor record(Tape& tape, Data* data, const char* name) {
    const auto backward = [](void* p) {
        Data& d = *static_cast<Data*>(p);
        run_backward(d);
        if (anomaly_mode()) [[unlikely]]
            for (const TensorImpl* in : d.inputs()) check_finite(in, true, "backward", *d.out->tape, d.out->entry);
    };
    data->out->entry = tape.record_entry(backward, &restart_out<Data>, data, name, &kEntryGraph<Data>);
    if (anomaly_mode()) [[unlikely]]
        check_finite(data->out, false, "forward", tape, data->out->entry);
    return TensorAccess::wrap_result(data->out, tape);
}

// The ending every op shares: its result as a plain handle when no gradient will be asked of it,
// else one tape entry holding Data, made (in the tape's arena) from `args` only then.
template <class Data, class... Args> Tensor finish_op(Tape& tape, const char* op, TensorImpl* out, Args&&... args) {
    if (!out->requires_grad) return TensorAccess::wrap_result(out, tape);
    return record(tape, tape.arena().make<Data>(std::forward<Args>(args)...), op);
}

// The opening and ending of an op of N tensor operands: checks their handles, picks the tape,
// decides whether the result requires grad, makes the result, and finishes with finish_op.
template <std::size_t N> class OpRecorder {
public:
    template <class... Operands>
        requires(sizeof...(Operands) == N)
    explicit OpRecorder(const char* op, const Operands&... operands)
        : op_(op), in_{impl_of(operands, op)...}, tape_(tape_of({&operands...}, op)),
          requires_grad_(needs_grad(tape_, in_)) {}

    TensorImpl* input(std::size_t k) const { return in_[k]; }
    Tape& tape() const { return tape_; }
    bool requires_grad() const { return requires_grad_; }
    // The result carries no gradient whatever its inputs (argmax's indices).
    void not_differentiable() { requires_grad_ = false; }

    // A contiguous result, its buffer from the pools (uninitialised).
    TensorImpl* result(DType dtype, const Shape& shape) const {
        return new_result(tape_, dtype, shape, requires_grad_);
    }
    // A result viewing base's data `offset` elements on, with `strides`.
    TensorImpl* view(const TensorImpl& base, const Shape& shape, const std::int64_t* strides,
                     std::int64_t offset) const {
        return new_view(tape_, base, shape, strides, offset, requires_grad_);
    }

    // The result's handle, after an entry whose saved data is Data{OpTensors{out, inputs}, extra...}
    // when a gradient may be asked of it.
    template <class Data, class... Extra> Tensor finish(TensorImpl* out, Extra&&... extra) const {
        OpTensors<N> tensors{out, {}};
        for (std::size_t k = 0; k < N; ++k) tensors.in[k] = in_[k];
        return finish_op<Data>(tape_, op_, out, tensors, std::forward<Extra>(extra)...);
    }

private:
    const char* op_;
    TensorImpl* in_[N];
    Tape& tape_;
    bool requires_grad_;
};

template <class... Operands> OpRecorder(const char*, const Operands&...) -> OpRecorder<sizeof...(Operands)>;

}  // namespace tapegrad::detail
