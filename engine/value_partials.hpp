// A node's partials rebuilt as expressions on Values, from its op's elementwise rule
// (tapegrad/ops/elementwise.hpp): what grad(..., {.create_graph = true}) multiplies adjoints by,
// so that the result can be differentiated again. Used by the scalar create_graph sweep
// (grad_create_graph.cpp) and by the walk over mixed Value/Tensor graphs (grad_mixed.cpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "node_slots.hpp"
#include "tapegrad/detail/higher_order_log.hpp"
#include "tapegrad/detail/op_table.hpp"
#include "tapegrad/ops/scalar.hpp"
#include "tapegrad/value.hpp"

namespace tapegrad::detail {

// One partial: a constant (value empty), or a Value recorded on the graph's tape.
struct ValuePartial {
    Value value;
    double constant = 0.0;
};

// Fills out[k] with d node / d parents[k]: the rule evaluated on handles to the node's parents
// and to the node itself (y), with the node's constant operand c.
using RebuildPartials = void (*)(const Value* parents, const Value& y, double c, ValuePartial* out);

struct RuleOfOp {
    RebuildPartials rebuild;  // null for ops without an elementwise rule (leaf, sum, dot, users' ops)
    std::uint32_t arity;      // how many parents (edges) the rule's node has
};
RuleOfOp rule_of(std::uint8_t op);

// Why node i's partials cannot be rebuilt (each raises Error naming the node and its op).
[[noreturn]] void throw_not_recorded_under_guard(std::size_t i, const Node& node);
[[noreturn]] void throw_fused(std::size_t i, const Node& node);
[[noreturn]] void throw_no_rule(std::size_t i, const Node& node);

// Handles a rebuild writes into, kept by the caller's loop so that no node constructs them.
struct RebuildScratch {
    Value parents[2];
    ValuePartial partials[2];
};

// Node i's partials (node has edges) as Values: for each edge, emit(slot of the parent, partial,
// its value), where partial is a node on the tape or null for a constant. Sum's partials are
// the constant 1, dot's are the other operand of each pair, the rest come from the op's rule
// (zero constants are not emitted). slot_of(parent node) gives a parent's slot in `slots`.
// Raises Error if the node was recorded outside HigherOrder, was fused into, or has no rule.
template <class SlotOf, class Emit>
inline void each_value_partial(Tape& tape, const NodeSlots& slots, std::size_t i, Node& node, HigherOrderCursor& log,
                               RebuildScratch& scratch, SlotOf slot_of, Emit emit) {
    const std::uint32_t n = node.n_edges;
    const auto parent = [&](std::uint32_t k) { return parent_node(node, k); };
    if (!log.recorded_under_guard(i)) throw_not_recorded_under_guard(i, node);
    if (fused_count(node) != 0) throw_fused(i, node);
    if (node.op == code_of<ops::Sum>) {  // d sum / d x_k = 1
        for (std::uint32_t k = 0; k < n; ++k) emit(slot_of(parent(k)), nullptr, 1.0);
        return;
    }
    if (node.op == code_of<ops::Dot> && n % 2 == 0) {  // d (a . b) / d a_k = b_k: a_k's edge partial
        for (std::uint32_t k = 0; k < n; k += 2) {
            Node* const a = parent(k);
            Node* const b = parent(k + 1);
            emit(slot_of(a), b, node.edges[k].partial);
            emit(slot_of(b), a, node.edges[k + 1].partial);
        }
        return;
    }
    const RuleOfOp rule = rule_of(node.op);
    if (rule.rebuild == nullptr || rule.arity != n) throw_no_rule(i, node);
    std::size_t parent_slot[2];
    for (std::uint32_t k = 0; k < n; ++k) {
        parent_slot[k] = slot_of(parent(k));
        scratch.parents[k] = ValueAccess::wrap(parent(k), slots.is_parameter(parent_slot[k]) ? nullptr : &tape);
    }
    rule.rebuild(scratch.parents, ValueAccess::wrap(&node, &tape), log.constant(i), scratch.partials);
    for (std::uint32_t k = 0; k < n; ++k) {
        const ValuePartial& p = scratch.partials[k];
        if (Node* const pn = ValueAccess::node(p.value); pn != nullptr) emit(parent_slot[k], pn, pn->value);
        else if (p.constant != 0.0) emit(parent_slot[k], nullptr, p.constant);
    }
}

}  // namespace tapegrad::detail
