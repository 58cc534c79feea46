// The fused loss ops (ops/tensor_loss.cpp) behind nn::binary_cross_entropy_with_logits and
// nn::cross_entropy (include/tapegrad/nn/losses.hpp, where their meaning is documented). Internal.
#pragma once

#include <cstdint>
#include <span>

#include "tapegrad/tensor.hpp"

namespace tapegrad::detail {

Tensor bce_with_logits(const Tensor& logits, const Tensor& targets);
Tensor cross_entropy(const Tensor& logits, std::span<const std::int64_t> labels);

}  // namespace tapegrad::detail
