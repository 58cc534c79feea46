// The elementwise rules' partials evaluated on Values, one table entry per op code.
#include "value_partials.hpp"

#include <array>
#include <string>
#include <utility>

#include "tapegrad/detail/op_table.hpp"
#include "tapegrad/ops/scalar.hpp"

namespace tapegrad::detail {

namespace {

void assign(ValuePartial& out, double constant) {
    out.value = Value();
    out.constant = constant;
}
void assign(ValuePartial& out, Value&& value) { out.value = std::move(value); }

template <class Op> void rebuild_unary(const Value* parents, const Value& y, double c, ValuePartial* out) {
    assign(out[0], Op::partial(parents[0], y, c));
}

template <class Op> void rebuild_binary(const Value* parents, const Value& y, double, ValuePartial* out) {
    assign(out[0], Op::da(parents[0], parents[1], y));
    assign(out[1], Op::db(parents[0], parents[1], y));
}

const std::array<RuleOfOp, 256> rules = [] {
    std::array<RuleOfOp, 256> table{};
    ScalarOps::for_each([&]<class Op>() {
        if constexpr (requires { Op::template partial<double>(1.0, 1.0, 1.0); })
            table[code_of<Op>] = RuleOfOp{&rebuild_unary<Op>, 1};
        else if constexpr (requires { Op::template da<double>(1.0, 1.0, 1.0); })
            table[code_of<Op>] = RuleOfOp{&rebuild_binary<Op>, 2};
    });
    return table;
}();

}  // namespace

RuleOfOp rule_of(std::uint8_t op) { return rules[op]; }

void throw_not_recorded_under_guard(std::size_t i, const Node& node) {
    throw Error("grad: create_graph needs the graph recorded under tapegrad::HigherOrder, but node " +
                std::to_string(i) + " ('" + op_name(node.op) + "') was recorded without it");
}
void throw_fused(std::size_t i, const Node& node) {
    throw Error("grad: create_graph cannot differentiate node " + std::to_string(i) + " ('" + op_name(node.op) +
                "') again: an op was folded into it after tapegrad::HigherOrder ended");
}
void throw_no_rule(std::size_t i, const Node& node) {
    if (node.op >= ScalarOps::count)
        throw Error(std::string("grad: '") + op_name(node.op) + "' (node " + std::to_string(i) +
                    ", a ScalarOp) has no second derivative: create_graph cannot differentiate through it");
    throw Error(std::string("grad: node ") + std::to_string(i) + " ('" + op_name(node.op) + "') has " +
                std::to_string(node.n_edges) + " partials, which its op's rule does not give");
}

}  // namespace tapegrad::detail
