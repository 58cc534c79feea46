// NodeSlots: numbers the nodes a grad() sweep meets, so that its adjoints live in plain arrays
// instead of the nodes' grad fields (which grad() must not touch). A node on the tape is numbered
// by its index; a parameter (a node off every tape) gets a slot after them when first met.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tapegrad/detail/node.hpp"
#include "tapegrad/tape.hpp"  // NodeChunks

namespace tapegrad::detail {

class NodeSlots {
public:
    // Slots [0, end) are the tape's nodes [0, end), the nodes a sweep from node end - 1 can meet.
    NodeSlots(const NodeChunks& nodes, std::size_t end);

    // The node's slot. Parents are usually in the chunk of the node before them, so the chunk
    // found last is tried first.
    std::size_t slot(const Node* node) {
        const std::uintptr_t offset = reinterpret_cast<std::uintptr_t>(node) - base_;
        if (offset < base_bytes_) [[likely]]
            return base_index_ + offset / sizeof(Node);
        return find(node);
    }
    // The chunk found last, for hot loops that keep it in registers: a node at `offset` bytes
    // from base, offset < bytes, has slot first + offset / sizeof(Node); other nodes go through
    // slot(), which moves the window.
    struct Window {
        std::uintptr_t base;
        std::size_t bytes, first;
        std::size_t operator()(const Node* node, NodeSlots& slots) {
            const std::uintptr_t offset = reinterpret_cast<std::uintptr_t>(node) - base;
            if (offset < bytes) [[likely]]
                return first + offset / sizeof(Node);
            const std::size_t s = slots.slot(node);
            *this = slots.window();
            return s;
        }
    };
    Window window() const { return Window{base_, base_bytes_, base_index_}; }
    bool is_parameter(std::size_t slot) const { return slot >= end_; }
    std::size_t count() const { return end_ + parameters_.size(); }  // slots handed out so far
    std::size_t end() const { return end_; }
    Node* node(std::size_t slot) const {
        return slot < end_ ? &chunks_.chunk_data(slot >> shift_)[slot & mask_] : parameters_[slot - end_];
    }

private:
    std::size_t find(const Node* node);  // another chunk, or a parameter
    std::size_t parameter_slot(const Node* node);
    std::size_t hash(const Node* node) const {  // Fibonacci hashing into the table's size
        const auto bits = static_cast<unsigned>(std::countr_zero(table_.size()));
        return static_cast<std::size_t>((reinterpret_cast<std::uintptr_t>(node) * 0x9E3779B97F4A7C15ull) >>
                                        (64 - bits));
    }

    const NodeChunks& chunks_;
    std::size_t end_;
    unsigned shift_;  // node chunks hold a power of two of nodes, all full but the last
    std::size_t mask_;
    std::uintptr_t base_ = 0;           // the chunk found last: its address,
    std::size_t base_bytes_ = 0;        // its nodes' bytes (below end),
    std::size_t base_index_ = 0;        // and its first node's index
    std::vector<Node*> parameters_;     // slot end_ + k is parameters_[k]
    std::vector<std::uint32_t> table_;  // open addressing: parameter k + 1, or 0 if empty
};

}  // namespace tapegrad::detail
