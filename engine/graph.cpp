// to_dot: walks the recorded edges from the root with an explicit stack (no recursion).
#include "tapegrad/graph.hpp"

#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "tape_internals.hpp"
#include "tapegrad/detail/op_table.hpp"
#include "tapegrad/value.hpp"

namespace tapegrad {

std::string to_dot(const Value& root) {
    using V = detail::ValueAccess;
    V::check(root, "to_dot");
    Tape* tape = root.tape();
    // Each node's first edge (nodes own consecutive runs of the edge stream), up to the root.
    std::vector<std::size_t> first_edge;
    if (tape != nullptr) {
        std::size_t e = 0;
        for (std::size_t i = 0; i <= V::index(root); ++i) {
            first_edge.push_back(e);
            e += tape->node_at(i)->n_edges;
        }
    }
    const detail::Edge* edges = tape != nullptr ? detail::TapeInternals::edges(*tape) : nullptr;
    // A node is named by its slot; a parameter by the slot it has on the tape.
    const std::size_t root_slot = tape != nullptr ? V::index(root) : 0;
    std::unordered_map<std::size_t, std::size_t> id;  // slot -> its number in the picture
    std::vector<std::size_t> stack{root_slot};
    std::string nodes, arrows;
    id.emplace(root_slot, 0);
    while (!stack.empty()) {
        const std::size_t slot = stack.back();
        stack.pop_back();
        const std::size_t me = id.at(slot);
        const Value handle = tape != nullptr ? V::at(*tape, slot) : root;
        const detail::Node* node = V::node(handle);
        const char* fill = node->op == detail::code_of<ops::Leaf> ? "lightgrey" : "white";
        // A fused node (Note [fusing temporaries]) names its ops in order: "dot, +", "-, pow, *",
        // and past three "*, +, ..., tanh (5 ops)".
        const auto name = [](std::uint8_t code) { return detail::op_name(code); };
        std::string op = name(node->first_op);
        if (node->fused >= 2) op += fmt::format(", {}", name(node->second_op));
        if (node->fused >= 3) op += ", ...";
        if (node->fused >= 1) op += fmt::format(", {}", name(node->op));
        if (node->fused >= 3)
            op += node->fused == 255 ? " (256 or more ops)" : fmt::format(" ({} ops)", node->fused + 1);
        nodes += fmt::format(
            "  n{} [shape=record, style=filled, fillcolor={}, label=\"{{ {} | data {:.4f} | grad {:.4f} }}\"];\n", me,
            fill, op, node->value, handle.grad());
        if (tape == nullptr || handle.is_parameter()) continue;
        for (std::uint32_t k = 0; k < node->n_edges; ++k) {
            const std::size_t parent = edges[first_edge[slot] + k].parent;
            const auto [it, added] = id.emplace(parent, id.size());
            if (added) stack.push_back(parent);
            arrows += fmt::format("  n{} -> n{};\n", it->second, me);
        }
    }
    return "digraph tapegrad {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n" + nodes + arrows + "}\n";
}

}  // namespace tapegrad
