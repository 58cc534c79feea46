// Product nodes: a node y = a*b, then maybe "+ c" and one of tanh, sigmoid or exp fused into it
// (a neuron's "act(w*x + b)", S1's step), keeps only its parents' slots, 4 bytes each, in one
// Edge's 12 bytes. Its partials are not stored: the sweep makes them from values the node region
// already holds, next to the grads it is about to add to:
//
//   g = act'(y)       from the node's own value (1 when there is no act): Op::partial(_, y, _)
//   dy/da = b * g     b's value sits beside b's grad (Node: grad, then value)
//   dy/db = a * g
//   dy/dc = g
//
// in the same order of operations as the partials fusing would have stored (detail/record.hpp),
// so gradients are bitwise the same. An op that does not fit the form expands the node into
// ordinary partials first (Tape::expand_product).
//
// Reading values at sweep time needs values that do not change after recording: op results never
// do; a tape leaf can, through set_data, which is why a, b must be on the tape (not parameters,
// which optimizers assign) and why Tape refuses to sweep after one of its leaves was assigned
// behind a product node (Tape::note_leaf_assigned).
#pragma once

#include <cstdint>
#include <cstring>

#include "tapegrad/detail/node.hpp"
#include "tapegrad/ops/elementwise.hpp"

namespace tapegrad::detail {

inline bool is_product(const Node& node) { return form_of(node) != Form::partials; }

// The product form ending with Op, if Op's partial is a function of its output alone.
template <class Op> inline constexpr Form activation_form = Form::partials;
template <> inline constexpr Form activation_form<ops::Tanh> = Form::product_tanh;
template <> inline constexpr Form activation_form<ops::Sigmoid> = Form::product_sigmoid;
template <> inline constexpr Form activation_form<ops::Exp> = Form::product_exp;

// g = d y / d(a*b + c) for a product node of value y.
inline double product_outer(Form form, double y) {
    switch (form) {
        case Form::product_tanh: return ops::Tanh::partial(0.0, y, 0.0);
        case Form::product_sigmoid: return ops::Sigmoid::partial(0.0, y, 0.0);
        case Form::product_exp: return ops::Exp::partial(0.0, y, 0.0);
        default: return 1.0;
    }
}

// Parent k's slot (k < 3): the Edge's 12 bytes read as three 32-bit slots.
inline std::uint32_t product_slot(const Node& node, std::uint32_t k) {
    std::uint32_t slot;
    std::memcpy(&slot, reinterpret_cast<const char*>(node.edges) + 4 * k, sizeof slot);
    return slot;
}
inline void set_product_slot(Node& node, std::uint32_t k, std::uint32_t slot) {
    std::memcpy(reinterpret_cast<char*>(node.edges) + 4 * k, &slot, sizeof slot);
}
inline void set_product_slots(Edge* record, std::uint32_t a, std::uint32_t b) {
    const std::uint32_t both[2] = {a, b};
    std::memcpy(record, both, sizeof both);
}
inline double value_at_slot(std::uint32_t slot) { return grad_at_slot(slot)[1]; }  // Node: grad, value

// A node's partials as Edges: its own, or for a product node the ones the sweep would make,
// written into `made`. For the readers that are not the sweep (grad(), anomaly mode, the
// Hessian-vector product, Tape::expand_product), whose loops over Edges then stay as they are.
inline const Edge* partials_of(const Node& node, Edge (&made)[3]) {
    if (!is_product(node)) [[likely]]
        return node.edges;
    const double g = product_outer(form_of(node), node.value);
    const std::uint32_t a = product_slot(node, 0), b = product_slot(node, 1);
    made[0] = Edge{value_at_slot(b) * g, a};
    made[1] = Edge{value_at_slot(a) * g, b};
    if (node.n_edges == 3) made[2] = Edge{g, product_slot(node, 2)};
    return made;
}

// Parent k's slot, whatever the form (pictures, create_graph's walks).
inline std::uint32_t parent_slot(const Node& node, std::uint32_t k) {
    return is_product(node) ? product_slot(node, k) : node.edges[k].parent;
}
inline Node* parent_node(const Node& node, std::uint32_t k) { return node_of_grad(grad_at_slot(parent_slot(node, k))); }

}  // namespace tapegrad::detail
