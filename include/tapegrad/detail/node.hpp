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
// the slot's grad into `grad` after each sweep. The slot is also kept here, for the tape
// generation whose stamp (Tape::stamp(), unique in the process) is `stamp`, so that finding it
// again is two compares. Tapes on several threads may use one parameter: the pair is written
// as a sequence lock (one writer at a time; a reader that may have seen a torn pair misses).
struct Parameter {
    Node node;  // first: a handle's Node* to a parameter is this
    double grad = 0.0;
    std::atomic<std::uint64_t> stamp{0};  // 0: never used; kWriting: being written
    std::atomic<std::uint32_t> slot{0};

    static constexpr std::uint64_t kWriting = ~std::uint64_t{0};
    static constexpr std::uint32_t kNoSlot = 0xFFFFFFFFu;

    // The slot kept for the tape generation `now`, or kNoSlot.
    std::uint32_t kept_slot(std::uint64_t now) const {
        if (stamp.load(std::memory_order_acquire) != now) return kNoSlot;
        const std::uint32_t s = slot.load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        return stamp.load(std::memory_order_relaxed) == now ? s : kNoSlot;
    }
    // Keeps s as the slot for generation `now`, unless another thread is writing the pair.
    void keep_slot(std::uint64_t now, std::uint32_t s) {
        std::uint64_t seen = stamp.load(std::memory_order_relaxed);
        if (seen == kWriting || !stamp.compare_exchange_strong(seen, kWriting, std::memory_order_relaxed)) return;
        std::atomic_thread_fence(std::memory_order_release);
        slot.store(s, std::memory_order_relaxed);
        stamp.store(now, std::memory_order_release);
    }
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
