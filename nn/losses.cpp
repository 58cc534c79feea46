// The losses. mse_loss is composed from tensor ops; the other two are fused ops with their own
// backward (ops/tensor_loss.cpp).
#include "tapegrad/nn/losses.hpp"

#include <cmath>
#include <string>

#include "tapegrad/detail/loss_ops.hpp"
#include "tapegrad/detail/tensor_impl.hpp"

namespace tapegrad::nn {

using detail::TensorImpl;

Tensor mse_loss(const Tensor& pred, const Tensor& target) {
    const TensorImpl* p = detail::impl_of(pred, "mse_loss");
    const TensorImpl* t = detail::impl_of(target, "mse_loss");
    if (!(p->shape() == t->shape()))
        detail::tensor_error("mse_loss", "prediction and target shapes differ: " + detail::shape_str(p) + " and " +
                                             detail::shape_str(t));
    const Tensor diff = pred - target;
    return (diff * diff).mean();
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& targets) {
    return detail::bce_with_logits(logits, targets);
}

Tensor cross_entropy(const Tensor& logits, std::span<const std::int64_t> labels) {
    return detail::cross_entropy(logits, labels);
}

Tensor cross_entropy(const Tensor& logits, const Tensor& labels) {
    const TensorImpl* l = detail::impl_of(labels, "cross_entropy");
    if (l->ndim > 1) detail::tensor_error("cross_entropy", "labels must be 1-d, got " + detail::shape_str(l));
    const std::vector<double> v = labels.to_vector();
    std::vector<std::int64_t> ints(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] != std::floor(v[i]))
            detail::tensor_error("cross_entropy", "label " + std::to_string(v[i]) + " at position " +
                                                      std::to_string(i) + " is not a whole number");
        ints[i] = static_cast<std::int64_t>(v[i]);
    }
    return cross_entropy(logits, std::span<const std::int64_t>(ints));
}

}  // namespace tapegrad::nn
