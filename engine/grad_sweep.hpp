// What grad()'s two sweeps share (engine/grad.cpp): the slots of the nodes they meet, which
// slots are inputs and which the sweep has reached, and the check that no tensor op lies on the
// way. First order (grad_first_order.cpp) carries adjoints as doubles; create_graph
// (grad_create_graph.cpp) as nodes recorded on the tape.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "node_slots.hpp"
#include "tapegrad/value.hpp"

namespace tapegrad::detail {

class SweepPlan {
public:
    static constexpr std::size_t kNotOnTape = std::numeric_limits<std::size_t>::max();
    enum Flag : std::uint8_t { kReached = 1, kInput = 2 };

    // A sweep from `root` (a node on `tape`) towards `inputs` (valid handles).
    SweepPlan(Tape& tape, Node* root, const std::vector<Value>& inputs);

    Tape& tape() const { return tape_; }
    std::size_t root() const { return root_; }
    NodeSlots& slots() { return slots_; }
    // Each input's slot, or kNotOnTape for inputs on another tape (the root cannot reach them).
    const std::vector<std::size_t>& input_slots() const { return input_slots_; }

    bool reached(std::size_t slot) const { return (flags_[slot] & kReached) != 0; }
    bool is_input(std::size_t slot) const { return (flags_[slot] & kInput) != 0; }
    // The parent's slot, marked reached (the sweep then visits it).
    std::size_t reach(const Node* parent) {
        const std::size_t s = slots_.slot(parent);
        if (s >= flags_.size()) [[unlikely]] flags_.resize(slots_.count(), 0);  // a new parameter
        flags_[s] |= kReached;
        if (s < lowest_) lowest_ = s;
        return s;
    }
    // Where the sweep may stop: below the lowest index reached so far, and below the lowest input
    // when every input is on the tape, nothing is left to do.
    std::size_t lowest() const { return lowest_ > floor_ ? lowest_ : floor_; }
    // True for the lowest input when every input is on the tape: its adjoint is the last one
    // needed, so the sweep need not pass through it.
    bool last_needed(std::size_t i) const { return i == floor_ && (flags_[i] & kInput) != 0; }
    // Raises Error if the sweep, visiting node i, would pass a tensor op's entry (recorded
    // between node i and the root): grad() cannot run its kernel without touching grads.
    void check_no_entry_above(std::size_t i) {
        if (entry_ != kNone && i < entry_position_) [[unlikely]] throw_entry_in_the_way(i);
    }

private:
    static constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
    [[noreturn]] void throw_entry_in_the_way(std::size_t i) const;

    Tape& tape_;
    std::size_t root_;
    NodeSlots slots_;
    std::vector<std::uint8_t> flags_;   // per slot
    std::vector<std::size_t> input_slots_;
    std::size_t lowest_;
    std::size_t floor_ = 0;              // the lowest input's index if no input is a parameter, else 0
    std::size_t entry_ = kNone;          // the last entry recorded before the root, if any
    std::size_t entry_position_ = 0;
};

// d root / d input for each input slot; reached() tells used from unused.
std::vector<double> first_order_adjoints(SweepPlan& plan);
// The same as nodes recorded on the tape (null where the derivative is a structural zero).
std::vector<Node*> create_graph_adjoints(SweepPlan& plan);

}  // namespace tapegrad::detail
