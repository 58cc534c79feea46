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
    double* parent_grad() const { return grad_at_slot(parent); }

    double partial;
    std::uint32_t parent;
};
#pragma pack(pop)
static_assert(sizeof(Edge) == 12);

// One recorded scalar. Parameters are Nodes too, living outside any tape; every Node lives in the
// node region. The grad comes first, so a node's address is its grad's: recorders turn the node
// pointer they hold into an edge's slot directly.
struct Node {
    double grad;
    double value;
    Edge* edges;  // this node's n_edges partials
    std::uint32_t n_edges;
    std::uint8_t op;  // code in the scalar op table (detail/op_table.hpp); the last op if fused
    // For pictures of fused nodes (Note [fusing temporaries] in value.hpp): the op the node was
    // recorded with, the first op fused into it, and how many were (0: a plain node; saturates).
    std::uint8_t first_op, second_op, fused;
};

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
