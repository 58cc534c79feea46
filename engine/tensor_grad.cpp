// Gradients: backward from a one-element tensor, and reading or zeroing a tensor's grad.
#include <algorithm>
#include <cstring>

#include "tapegrad/tensor_impl.hpp"

namespace tapegrad {

using detail::TensorImpl;

// ---- gradients

void Tensor::backward() const {
    TensorImpl* t = impl("backward");
    if (t->numel != 1)
        detail::tensor_error("backward", "only a one-element tensor can start backward, got shape " + detail::shape_str(t));
    if (!t->requires_grad)
        detail::tensor_error("backward", "the tensor does not require grad (no operand requires grad, or it was made "
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
    if (t->leaf) {
        if (t->grad_leaf == nullptr) {
            auto* g = new TensorImpl;
            std::copy(t->sizes, t->sizes + t->ndim, g->sizes);
            g->ndim = t->ndim;
            g->set_contiguous_strides();
            g->numel = t->numel;
            g->dtype = t->dtype;
            g->leaf = true;
            g->storage = t->grad_storage;
            g->storage->retain();
            g->data = t->grad;
            t->grad_leaf = g;
        }
        t->grad_leaf->retain();
        return adopt_leaf(t->grad_leaf);
    }
    auto* g = tape_->arena().make<TensorImpl>();
    std::copy(t->sizes, t->sizes + t->ndim, g->sizes);
    g->ndim = t->ndim;
    g->set_contiguous_strides();
    g->numel = t->numel;
    g->dtype = t->dtype;
    g->tape = tape_;
    g->data = t->grad;
    return wrap_result(g, *tape_);
}

void Tensor::zero_grad() {
    TensorImpl* t = impl("zero_grad");
    if (t->grad != nullptr) std::memset(t->grad, 0, t->bytes());
}

}  // namespace tapegrad
