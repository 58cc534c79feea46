// The engine's view of a tape beyond its public interface: its node stream, entries and
// higher-order log, for sweeps that live outside Tape (engine/grad*.cpp).
#pragma once

#include <cstddef>
#include <vector>

#include "tapegrad/tape.hpp"

namespace tapegrad::detail {

struct TapeInternals {
    static const NodeChunks& nodes(const Tape& tape) { return tape.nodes_; }
    static const std::vector<Entry>& entries(const Tape& tape) { return tape.entries_; }
    static const HigherOrderLog& higher_order_log(const Tape& tape) { return tape.higher_order_log_; }
    // Raises Error if the node is not on the tape.
    static std::size_t index_of(const Tape& tape, const Node* node) { return tape.index_of(node); }
};

}  // namespace tapegrad::detail
