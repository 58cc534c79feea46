// Gradients: backward from a one-element tensor, and reading or zeroing a tensor's grad.
#include <cstring>

#include "tapegrad/detail/op_recorder.hpp"

namespace tapegrad {

using detail::TensorAccess;
using detail::TensorImpl;

namespace detail {
Tensor grad_view(Tape& tape, const TensorImpl& t) {
    const TensorImpl buffer(t.dtype, t.shape(), t.grad);
    return TensorAccess::wrap_result(new_view(tape, buffer, buffer.shape(), buffer.strides, 0, false), tape);
}
}  // namespace detail

void Tensor::backward() const {
    TensorImpl* t = impl("backward");
    if (t->numel != 1)
        detail::tensor_error("backward",
                             "only a one-element tensor can start backward, got shape " + detail::shape_str(t));
    if (!t->requires_grad)
        detail::tensor_error("backward",
                             "the tensor does not require grad (no operand requires grad, or it was made "
                             "under NoGrad)");
    if (t->leaf) {
        detail::dispatch(t->dtype, [&]<class T>() { *t->grad_ptr<T>() += T(1); });
        return;
    }
    // The root's grad is set, not accumulated: d root / d root = 1 even on a repeated backward.
    detail::dispatch(t->dtype, [&]<class T>() { *t->grad_ptr<T>() = T(1); });
    tape_->backward_from_entry(t->entry);
}

Tensor Tensor::grad() const {
    TensorImpl* t = impl("grad");
    if (!t->requires_grad)
        detail::tensor_error("grad", "the tensor does not require grad, shape " + detail::shape_str(t));
    t->grad_buffer();
    if (!t->leaf) return detail::grad_view(*tape_, *t);
    // A leaf's grad is a leaf sharing its grad storage, made once.
    if (t->grad_leaf == nullptr) t->grad_leaf = new TensorImpl(*t->grad_storage, t->dtype, t->shape(), t->grad);
    t->grad_leaf->retain();
    return TensorAccess::adopt_leaf(t->grad_leaf);
}

void Tensor::zero_grad() {
    TensorImpl* t = impl("zero_grad");
    if (t->grad != nullptr) std::memset(t->grad, 0, t->bytes());
}

}  // namespace tapegrad
