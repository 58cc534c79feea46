// What the tape records: scalar nodes (Node), their partials (Edge), the parameters they may use
// (Parameter), and the entries of ops that are not scalar nodes (Entry). The diagram at the top
// of tapegrad/tape.hpp shows how they connect.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace tapegrad::detail {

// One partial derivative of a node: d(node)/d(parent), and the parent's slot (its index on the
// tape, which is also where its grad is in the tape's grad array). Packed: 12 bytes, not 16.
struct [[gnu::packed]] Edge {
    double partial;
    std::uint32_t parent;
};
static_assert(sizeof(Edge) == 12);

// One recorded scalar. Its grad is in the tape's grad array, at its slot; its partials are the
// last n_edges edges recorded when it was (the edge stream is walked backwards with the nodes).
struct Node {
    double value;
    std::uint32_t n_edges;
    std::uint8_t op;  // code in the scalar op table (detail/op_table.hpp); the last op if fused
    // For pictures of fused nodes (Note [fusing temporaries] in value.hpp): the op the node was
    // recorded with, the first op fused into it, and how many were (0: a plain node; saturates).
    std::uint8_t first_op, second_op, fused;
};
static_assert(sizeof(Node) == 16);

// A leaf that lives outside every tape (nn's weights). A tape that records an op on it gives it
// a slot of its own (a leaf node holding its value) the first time in each generation, and adds
// the slot's grad into `grad` after each sweep. `hint` is where the last tape to use it keeps it
// in its list of parameters (Tape::parameter_slot checks it, so a stale or racing hint is only
// a miss).
struct Parameter {
    Node node;  // first: a handle's Node* to a parameter is this
    double grad = 0.0;
    std::atomic<std::uint32_t> hint{0};
};
inline Parameter* parameter_of(Node* node) { return reinterpret_cast<Parameter*>(node); }

// A recorded op that is not a scalar node: backward(data) runs when the sweep reaches it;
// restart(data), if given, zeroes the grads of its outputs before a repeated sweep.
struct Entry {
    std::size_t position;       // how many scalar nodes were recorded before it
    std::size_t edge_position;  // and how many edges
    void (*backward)(void* data);
    void (*restart)(void* data);
    void* data;        // in the tape's arena
    const char* name;  // the op's name, for errors ("matmul"); may be null
};

}  // namespace tapegrad::detail
