// What every tensor op shares at run time: errors naming the op and the shapes, the choice of
// tape, new results and views, and anomaly mode's check of results and gradients.
#include <algorithm>
#include <cmath>
#include <string>

#include "tapegrad/tensor_impl.hpp"

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

Tape& tape_of(std::initializer_list<const Tensor*> operands, const char* op) {
    Tape* tape = nullptr;
    for (const Tensor* t : operands) {
        if (t->tape() == nullptr) continue;
        if (tape != nullptr && t->tape() != tape) tensor_error(op, "operands were recorded on different tapes");
        tape = t->tape();
    }
    return tape != nullptr ? *tape : Tape::current();
}

namespace {
TensorImpl* new_on_tape(Tape& tape, DType dtype, const Shape& shape, bool requires_grad) {
    auto* t = tape.arena().make<TensorImpl>();
    t->ndim = static_cast<std::int8_t>(shape.size());
    std::copy(shape.begin(), shape.end(), t->sizes);
    t->numel = shape.numel();
    t->dtype = dtype;
    t->requires_grad = requires_grad;
    t->tape = &tape;
    return t;
}
}  // namespace

TensorImpl* new_result(Tape& tape, DType dtype, const Shape& shape, bool requires_grad) {
    for (std::int64_t s : shape)
        if (s < 0) tensor_error("tensor", "negative size in shape " + shape.str());
    TensorImpl* t = new_on_tape(tape, dtype, shape, requires_grad);
    t->set_contiguous_strides();
    t->data = tape.buffer_pools().take(t->bytes(), t->data_class);
    return t;
}

TensorImpl* new_view(Tape& tape, const TensorImpl* base, const Shape& shape, const std::int64_t* strides,
                     std::int64_t offset, bool requires_grad) {
    TensorImpl* t = new_on_tape(tape, base->dtype, shape, requires_grad);
    std::copy(strides, strides + shape.size(), t->strides);
    t->data = static_cast<char*>(base->data) + offset * static_cast<std::int64_t>(dtype_size(base->dtype));
    t->storage = base->storage;
    if (t->storage != nullptr) t->storage->retain();
    return t;
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
                    throw_anomaly(pass, tape.entry_name(entry), entry, static_cast<double>(p[0][i * s[0]]), "tensor op");
        });
    });
}

}  // namespace tapegrad::detail
