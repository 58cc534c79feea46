// to_dot: walks the recorded edges from the root with an explicit stack (no recursion).
#include "tapegrad/graph.hpp"

#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "tapegrad/value.hpp"

namespace tapegrad {

std::string to_dot(const Value& root) {
    detail::ValueAccess::check(root, "to_dot");
    detail::Node* const root_node = detail::ValueAccess::node(root);
    std::unordered_map<const detail::Node*, std::size_t> id;  // node -> its number in the picture
    std::vector<detail::Node*> stack{root_node};
    std::string nodes, arrows;
    id.emplace(root_node, 0);
    while (!stack.empty()) {
        detail::Node* node = stack.back();
        stack.pop_back();
        const std::size_t me = id.at(node);
        const char* fill = node->op == detail::code_of<ops::Leaf> ? "lightgrey" : "white";
        // A fused node (Note [fusing temporaries]) names its ops in order: "dot, +", "-, pow, *",
        // and past three "*, +, ..., tanh (5 ops)".
        const auto name = [](std::uint8_t code) { return detail::op_name(code); };
        std::string op = name(node->first_op);
        const std::uint8_t fused = detail::fused_count(*node);
        if (fused >= 2) op += fmt::format(", {}", name(node->second_op));
        if (fused >= 3) op += ", ...";
        if (fused >= 1) op += fmt::format(", {}", name(node->op));
        if (fused >= 3) op += fused == detail::kFusedMax ? " (32 or more ops)" : fmt::format(" ({} ops)", fused + 1);
        nodes += fmt::format(
            "  n{} [shape=record, style=filled, fillcolor={}, label=\"{{ {} | data {:.4f} | grad {:.4f} }}\"];\n", me,
            fill, op, node->value, node->grad);
        for (std::uint32_t k = 0; k < node->n_edges; ++k) {
            detail::Node* parent = detail::parent_node(*node, k);
            auto [it, added] = id.emplace(parent, id.size());
            if (added) stack.push_back(parent);
            arrows += fmt::format("  n{} -> n{};\n", it->second, me);
        }
    }
    return "digraph tapegrad {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n" + nodes + arrows + "}\n";
}

}  // namespace tapegrad
