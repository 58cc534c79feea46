// ScalarOp: users' scalar ops, recorded as nodes with the partials they give.
#include "tapegrad/scalar_op.hpp"

#include <string>

#include "tapegrad/detail/op_table.hpp"
#include "tapegrad/detail/record.hpp"

namespace tapegrad {

ScalarOp::ScalarOp(const char* name) : code_(detail::register_op(name)) {}

const char* ScalarOp::name() const { return detail::op_name(code_); }

Value ScalarOp::operator()(double value, std::initializer_list<Partial> partials) const {
    const char* op = name();
    Tape* tape = nullptr;
    for (const Partial& p : partials) tape = detail::tape_of(std::span<const Value>(&p.parent, 1), op, tape);
    if (tape == nullptr) tape = &Tape::current();
    detail::check_forward(*tape, op, value);
    const auto n = tape->grad_enabled() ? static_cast<std::uint32_t>(partials.size()) : 0u;
    detail::Node* node = tape->record(value, code_, n);
    std::uint32_t k = 0;
    for (const Partial& p : partials) {
        if (k == n) break;
        node->edges[k++] = detail::Edge{p.d, &detail::V::node(p.parent)->grad};
    }
    return detail::V::result(node, *tape, value);
}

Value ScalarOp::operator()(double value, std::span<const Value> parents, std::span<const double> partials) const {
    const char* op = name();
    if (parents.size() != partials.size())
        throw Error(std::string(op) + ": " + std::to_string(parents.size()) + " parents but " +
                    std::to_string(partials.size()) + " partials");
    Tape* tape = detail::tape_of(parents, op, nullptr);
    if (tape == nullptr) tape = &Tape::current();
    detail::check_forward(*tape, op, value);
    const auto n = tape->grad_enabled() ? static_cast<std::uint32_t>(parents.size()) : 0u;
    detail::Node* node = tape->record(value, code_, n);
    for (std::uint32_t k = 0; k < n; ++k)
        node->edges[k] = detail::Edge{partials[k], &detail::V::node(parents[k])->grad};
    return detail::V::result(node, *tape, value);
}

}  // namespace tapegrad
