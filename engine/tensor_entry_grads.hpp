// One step of grad()'s walks over tensor entries (tensor_grad_graph.cpp, grad_mixed.cpp): an
// entry's rule run on its result's grad, the inputs' grads added into a map keyed by tensor.
#pragma once

#include <cstddef>
#include <span>
#include <unordered_map>
#include <vector>

#include "tapegrad/detail/op_grads.hpp"
#include "tapegrad/tape.hpp"
#include "tapegrad/tensor.hpp"

namespace tapegrad::detail {

using TensorGrads = std::unordered_map<const TensorImpl*, Tensor>;

// Runs entry k's rule on gy and adds, for each input j with want[j], its grad into grads[input];
// gx is the caller's buffer for the rule's results, kept across entries. Raises Error if the
// entry has no rule, or if an input leaf was changed in place since the entry read it.
void add_entry_grads(const Tape& tape, std::size_t k, const Entry& entry, const Tensor& gy, std::span<const char> want,
                     std::vector<Tensor>& gx, TensorGrads& grads, bool create_graph);

// Error: entry k (reached by a grad() walk) has no tensor rule.
[[noreturn]] void throw_no_tensor_rule(const Tape& tape, std::size_t entry, bool create_graph);

}  // namespace tapegrad::detail
