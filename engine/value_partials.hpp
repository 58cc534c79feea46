// A node's partials rebuilt as expressions on Values, from its op's elementwise rule
// (tapegrad/ops/elementwise.hpp): what grad(..., {.create_graph = true}) multiplies adjoints by,
// so that the result can be differentiated again.
#pragma once

#include <cstdint>

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

}  // namespace tapegrad::detail
