// Loss functions on tensors; each returns a 0-d tensor, the mean over its elements or batch.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tapegrad/tensor.hpp"

namespace tapegrad::nn {

// mean((pred - target)^2); pred and target have the same shape.
Tensor mse_loss(const Tensor& pred, const Tensor& target);

// mean(-t log sigmoid(x) - (1 - t) log(1 - sigmoid(x))) over all elements, computed as
// max(x, 0) - x t + log(1 + exp(-|x|)) so that no logit overflows; logits and targets have the
// same shape (targets in [0, 1]).
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& targets);

// mean over the batch of -log softmax(logits[i])[labels[i]]; logits are [batch, classes] (or
// [classes] with one label), labels are class indices in [0, classes).
Tensor cross_entropy(const Tensor& logits, std::span<const std::int64_t> labels);
inline Tensor cross_entropy(const Tensor& logits, const std::vector<std::int64_t>& labels) {
    return cross_entropy(logits, std::span<const std::int64_t>(labels));
}
// The same with the labels held as the values of a 1-d tensor.
Tensor cross_entropy(const Tensor& logits, const Tensor& labels);

}  // namespace tapegrad::nn
