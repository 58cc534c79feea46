// What grad()'s two sweeps share (engine/grad.cpp): the slots of the nodes they meet, which
// slots are inputs, where the sweep may stop, and which inputs the output reaches at all. First
// order (grad_first_order.cpp) carries adjoints as doubles; create_graph (grad_create_graph.cpp)
// as nodes recorded on the tape.
//
// Like backward, a sweep only visits nodes with something to pass on, so it learns which inputs
// are reached only when their derivative is non-zero; for the others (a relu that is off, say)
// one more sweep that follows every edge tells "used, derivative 0" from "unused".
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "node_slots.hpp"
#include "tapegrad/value.hpp"

namespace tapegrad::detail {

// One term of a create_graph adjoint: partial * g, where g is the adjoint of a node that uses
// this one; the values are copied in while they are at hand (grad_create_graph.cpp).
struct Term {
    Node* partial;         // null for a constant
    Node* g;               // a node on the tape
    double partial_value;  // the constant itself if partial is null
    double g_value;
};
// A term in an interior node's list; lists are threaded through one growing array.
struct LinkedTerm {
    Term term;
    std::uint32_t next;  // the slot's previous term, 0 if none (terms are numbered from 1)
};

// The buffers a sweep fills, kept per thread between calls so that a warm grad() does not go
// back to the heap (and the kernel) for them; they follow the largest graph swept.
struct SweepScratch {
    std::vector<std::uint16_t> flags;        // per slot (not a char type: its stores alias nothing else)
    std::vector<double> adjoints;            // per slot, first order
    std::vector<std::uint32_t> heads;        // per slot, create_graph: its list, or an input's bucket
    std::vector<Node*> input_adjoints;       // per slot, create_graph
    std::vector<LinkedTerm> linked_terms;    // create_graph: interior nodes' terms
    std::vector<std::vector<Term>> buckets;  // create_graph: each input's terms, in one piece
};
SweepScratch& sweep_scratch();

class SweepPlan {
public:
    static constexpr std::size_t kNotOnTape = std::numeric_limits<std::size_t>::max();
    enum Flag : std::uint16_t { kInput = 1, kHasPartials = 2, kReached = 4 };

    // A sweep from `root` (a node on `tape`) towards `inputs` (valid handles).
    SweepPlan(Tape& tape, Node* root, const std::vector<Value>& inputs);
    // True if tensor entries were recorded between the inputs and the root: the sweeps here
    // cannot pass them (grad_mixed.cpp's walk can). They are entries [entry_begin, entry_end).
    bool crosses_entries() const { return entry_end_ > entry_begin_; }
    std::size_t entry_begin() const { return entry_begin_; }
    std::size_t entry_end() const { return entry_end_; }

    Tape& tape() const { return tape_; }
    std::size_t root() const { return root_; }
    NodeSlots& slots() { return slots_; }
    // Each input's slot, or kNotOnTape for inputs on another tape or recorded after the root.
    const std::vector<std::size_t>& input_slots() const { return input_slots_; }

    // The slot of a node met on an edge (flags grow with the parameters met); with a window of
    // the slots kept in registers by the caller's loop.
    std::size_t slot(const Node* node) {
        const std::size_t s = slots_.slot(node);
        if (s >= flags_.size()) [[unlikely]]
            flags_.resize(slots_.count(), 0);
        return s;
    }
    std::size_t slot(const Node* node, NodeSlots::Window& window) {
        const std::size_t s = window(node, slots_);
        if (s >= flags_.size()) [[unlikely]]
            flags_.resize(slots_.count(), 0);
        return s;
    }
    std::uint16_t flags(std::size_t slot) const { return flags_[slot]; }
    bool is_input(std::size_t slot) const { return (flags_[slot] & kInput) != 0; }
    // Marks the nodes in [floor(), root()] that have partials (kHasPartials): one pass in order.
    void mark_nodes_with_partials();

    // The sweep may stop below this index: the lowest input when every input is on the tape.
    std::size_t floor() const { return floor_; }
    // True for the lowest input when every input is on the tape: its adjoint is the last one
    // needed, so the sweep need not pass through it.
    bool last_needed(std::size_t i) const { return i == floor_ && all_on_tape_ && is_input(i); }
    bool all_on_tape() const { return all_on_tape_; }  // no input is a parameter

    // For each input: does the output reach it through the graph's edges, whatever the partials?
    std::vector<bool> reached_inputs();

private:
    Tape& tape_;
    std::size_t root_;
    NodeSlots slots_;
    std::vector<std::uint16_t>& flags_;  // per slot (sweep_scratch().flags)
    std::vector<std::size_t> input_slots_;
    std::size_t floor_ = 0;
    bool all_on_tape_ = true;  // no input is a parameter
    std::size_t entry_begin_ = 0, entry_end_ = 0;
};

// d root / d input for each input (0 where the root does not depend on it).
std::vector<double> first_order_adjoints(SweepPlan& plan);
// The same as nodes recorded on the tape (null where the derivative is a structural zero).
std::vector<Node*> create_graph_adjoints(SweepPlan& plan);

}  // namespace tapegrad::detail
