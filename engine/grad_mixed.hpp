// grad() over a graph where Values and Tensors meet (Tensor::from_values, Tensor::element): one
// reverse walk over the tape's scalar nodes and tensor entries together, in the order backward
// runs them. The scalar sweeps (grad_first_order.cpp, grad_create_graph.cpp) and the tensor walk
// (tensor_grad_graph.cpp) hand over to it only when their graph crosses between the two, so
// graphs of one kind keep their own, faster, sweeps.
#pragma once

#include <cstddef>
#include <vector>

#include "node_slots.hpp"
#include "tapegrad/detail/higher_order_log.hpp"
#include "tensor_entry_grads.hpp"
#include "value_partials.hpp"

namespace tapegrad::detail {

// Adjoints are Values for nodes (one per slot) and Tensors for tensors (keyed by tensor), made
// with public ops: recorded with create_graph (under HigherOrder, so that the results can be
// differentiated again), under NoGrad without it. An adjoint exists once the walk reaches its
// node or tensor along the graph's edges, whatever the partials, so a missing one means unused.
class MixedWalk {
public:
    // A walk over nodes below node_end (and the parameters they use) on `tape`.
    MixedWalk(Tape& tape, std::size_t node_end, bool create_graph);

    void seed(const Node* node, const Value& g) { add(slots_.slot(node), g); }
    void seed(const TensorImpl* t, const Tensor& g) { add(t, g); }
    // Walks nodes [node_low, node_end) and entries [entry_begin, entry_end) in reverse recording
    // order (the entries at or above node_end's position must be in the range, none below
    // node_low's). Raises Error for what it cannot differentiate: an entry without a tensor rule;
    // with create_graph, a scalar node without second derivatives or recorded outside HigherOrder.
    void run(std::size_t node_low, std::size_t entry_begin, std::size_t entry_end);

    Value adjoint(const Node* node);  // empty if the walk did not reach the node
    TensorGrads& tensor_grads() { return tensor_grads_; }

private:
    void add(std::size_t slot, const Value& term);
    void add(const TensorImpl* t, const Tensor& term);
    void visit_node(std::size_t i, HigherOrderCursor& log);
    void visit_entry(std::size_t k);

    Tape& tape_;
    bool create_graph_;
    NodeSlots slots_;
    std::vector<Value> node_grads_;  // per slot
    TensorGrads tensor_grads_;
    std::vector<Tensor> gx_;  // add_entry_grads' buffer
    RebuildScratch rebuild_;
};

}  // namespace tapegrad::detail
