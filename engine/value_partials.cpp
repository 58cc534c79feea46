// The elementwise rules' partials evaluated on Values, one table entry per op code.
#include "value_partials.hpp"

#include <array>
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

}  // namespace tapegrad::detail
