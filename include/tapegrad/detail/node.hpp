// What the tape records: scalar nodes with their partials (Node, Edge) and the entries of ops
// that are not scalar nodes (Entry). The diagram at the top of tapegrad/tape.hpp shows how they
// connect.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tapegrad/detail/node_region.hpp"

namespace tapegrad::detail {

struct EntryGraph;  // a tensor op's rule for grad() (detail/op_grads.hpp)

// One partial derivative of a node: d(node)/d(parent), and where the parent's grad lives, as its
// slot in the node region (detail/node_region.hpp). Packed to 12 bytes: the partial is then
// 8-byte aligned in every other edge, which costs x86-64 nothing but a rare split cache line.
#pragma pack(push, 4)
struct Edge {
    Edge() = default;
    Edge(double d, const double* grad) : partial(d), parent(slot_of_grad(grad)) {}
    Edge(double d, std::uint32_t slot) : partial(d), parent(slot) {}
    double* parent_grad() const { return grad_at_slot(parent); }

    double partial;
    std::uint32_t parent;
};
#pragma pack(pop)
static_assert(sizeof(Edge) == 12);

// How a node's partials are kept (detail/product_node.hpp has the product forms).
enum class Form : std::uint8_t {
    partials,         // n_edges Edges, each a partial and its parent's slot
    product,          // y = a*b (+ c): one Edge's 12 bytes hold the n_edges (2 or 3) parents' slots,
    product_tanh,     //   and the partials come from the parents' values when the sweep needs them;
    product_sigmoid,  //   then tanh, sigmoid or exp of that, whose partial is a function of y
    product_exp,
};

// One recorded scalar. Parameters are Nodes too, living outside any tape; every Node lives in the
// node region. The grad comes first, so a node's address is its grad's: recorders turn the node
// pointer they hold into an edge's slot directly; the value second, so a slot gives both.
struct Node {
    double grad;
    double value;
    Edge* edges;  // this node's n_edges partials (Form::partials), or its product form's slots
    std::uint32_t n_edges;
    std::uint8_t op;  // code in the scalar op table (detail/op_table.hpp); the last op if fused
    // For pictures of fused nodes (Note [fusing temporaries] in value.hpp): the op the node was
    // recorded with and the first op fused into it.
    std::uint8_t first_op, second_op;
    // How many ops were fused into the node (low 5 bits; 0: a plain node; saturates at
    // kFusedMax), and its Form (high 3 bits). One plain byte, read and written whole: as
    // bit-fields, the recorders merged them in registers on S1's path.
    std::uint8_t fused_form;
};
static_assert(sizeof(Node) == 32);
inline constexpr std::uint8_t kFusedMax = 31;
inline constexpr std::uint8_t fused_form(std::uint8_t fused, Form form) {
    return static_cast<std::uint8_t>(fused | static_cast<std::uint8_t>(form) << 5);
}
inline std::uint8_t fused_count(const Node& node) { return node.fused_form & kFusedMax; }
inline Form form_of(const Node& node) { return static_cast<Form>(node.fused_form >> 5); }

// Every Edge names a Node's grad; this recovers the Node (for graph walks, not for backward).
inline Node* node_of_grad(double* grad) {
    return reinterpret_cast<Node*>(reinterpret_cast<char*>(grad) - offsetof(Node, grad));
}

// A recorded op that is not a scalar node: backward(data) runs when the sweep reaches it;
// restart(data), if given, zeroes the grads of its outputs before a repeated sweep.
struct Entry {
    std::size_t position;  // how many scalar nodes were recorded before it
    void (*backward)(void* data);
    void (*restart)(void* data);
    void* data;        // in the tape's arena
    const char* name;  // the op's name, for errors ("matmul"); may be null
    // How grad() reads the entry and differentiates it with tensor ops; null for entries made
    // outside the tensor ops' recorder (grad() refuses to pass through those).
    const EntryGraph* graph = nullptr;
    std::uint64_t in_place_clock = 0;  // detail::in_place_clock when recorded
};

}  // namespace tapegrad::detail
