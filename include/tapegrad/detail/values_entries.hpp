// The entries Tensor::from_values and Tensor::element record (ops/tensor_values.cpp), read back
// by grad()'s walk over graphs where Values and Tensors meet (engine/grad_mixed.cpp). Internal.
#pragma once

#include <cstdint>
#include <span>

#include "tapegrad/detail/node.hpp"
#include "tapegrad/detail/tensor_impl.hpp"

namespace tapegrad::detail {

// from_values: out's element k (in contiguous order) is the Value nodes[k] (a parameter's, or
// one on out's tape).
struct FromValuesEntry {
    TensorImpl* out;
    std::span<Node* const> nodes;
};
// element: the Value node (a leaf on t's tape) is t's element at index flat of its contiguous
// layout.
struct ElementEntry {
    TensorImpl* t;
    std::int64_t flat;
    Node* node;
};

// True, filling `out`, if the entry is one of those ops'.
bool read_from_values(const Entry& entry, FromValuesEntry& out);
bool read_element(const Entry& entry, ElementEntry& out);

}  // namespace tapegrad::detail
