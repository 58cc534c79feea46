// What every tensor op shares at run time: errors naming the op and the shapes, the choice of
// tape, and anomaly mode's check of results and gradients.
#include <algorithm>
#include <cmath>
#include <string>

#include "tapegrad/detail/op_recorder.hpp"
#include "tapegrad/detail/tensor_loops.hpp"

namespace tapegrad::detail {

void tensor_error(const char* op, const std::string& what) { throw Error(std::string(op) + ": " + what); }

int wrap_dim(const char* op, int dim, int ndim) {
    const int lo = ndim == 0 ? -1 : -ndim, hi = ndim == 0 ? 0 : ndim - 1;
    if (dim < lo || dim > hi)
        tensor_error(op, "dim " + std::to_string(dim) + " is out of range for a tensor of " + std::to_string(ndim) +
                             " dims (expected " + std::to_string(lo) + " to " + std::to_string(hi) + ")");
    return dim < 0 ? dim + std::max(ndim, 1) : dim;
}

std::string shape_str(const TensorImpl* t) { return t->shape().str(); }

namespace {
// Adds one operand to the choice of tape (`chosen` is null until an op result is seen).
void choose_tape(Tape*& chosen, const Tensor& t, const char* op) {
    if (t.tape() == nullptr) return;
    if (chosen != nullptr && t.tape() != chosen) tensor_error(op, "operands were recorded on different tapes");
    chosen = t.tape();
}
}  // namespace

Tape& tape_of(std::initializer_list<const Tensor*> operands, const char* op) {
    Tape* tape = nullptr;
    for (const Tensor* t : operands) choose_tape(tape, *t, op);
    return tape != nullptr ? *tape : Tape::current();
}

Tape& tape_of_all(std::span<const Tensor> operands, const char* op) {
    Tape* tape = nullptr;
    for (const Tensor& t : operands) choose_tape(tape, t, op);
    return tape != nullptr ? *tape : Tape::current();
}

void check_finite(const TensorImpl* t, bool grad, const char* pass, const Tape& tape, std::size_t entry) {
    if (grad && t->grad == nullptr) return;  // no gradient flowed here
    dispatch(t->dtype, [&]<class T>() {
        std::int64_t contiguous[kMaxDims];
        contiguous_strides(t->ndim, t->sizes, contiguous);
        T* const base[1] = {static_cast<T*>(grad ? t->grad : t->data)};
        const std::int64_t* const strides[1] = {grad ? contiguous : t->strides};
        for_each_row<T, 1>(t->ndim, t->sizes, base, strides, [&](T* const* p, const std::int64_t* s, std::int64_t n) {
            for (std::int64_t i = 0; i < n; ++i)
                if (!std::isfinite(p[0][i * s[0]])) [[unlikely]]
                    throw_anomaly(pass, tape.entry_name(entry), entry, static_cast<double>(p[0][i * s[0]]),
                                  "tensor op");
        });
    });
}

}  // namespace tapegrad::detail
