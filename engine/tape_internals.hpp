// The engine's view of a tape beyond its public interface: its node and edge streams, entries and
// higher-order log, for sweeps that live outside Tape (engine/grad*.cpp).
#pragma once

#include <cstddef>
#include <vector>

#include "tapegrad/tape.hpp"

namespace tapegrad::detail {

struct TapeInternals {
    static const Chunks<Node>& nodes(const Tape& tape) { return tape.nodes_; }
    static const Edge* edges(const Tape& tape) { return tape.edges_.data(); }  // moves as the tape grows
    // Where node i's edges end in the edge stream (the sum of the edge counts up to it).
    static std::size_t edge_end_of(const Tape& tape, std::size_t i) { return tape.edge_end_of(i); }
    static const std::vector<Entry>& entries(const Tape& tape) { return tape.entries_; }
    static const HigherOrderLog& higher_order_log(const Tape& tape) { return tape.higher_order_log_; }
    // Raises Error if the node is not on the tape.
    static std::size_t index_of(const Tape& tape, const Node* node) { return tape.index_of(node); }
};

}  // namespace tapegrad::detail
