// What a tape keeps, under HigherOrder, for grad(..., {.create_graph = true}) to rebuild each
// node's partials as expressions: which nodes were recorded under the guard, and the constant
// operands of unary nodes (x * c, x.pow(c), ...), which the node itself does not store.
#pragma once

#include <cstddef>
#include <limits>
#include <vector>

namespace tapegrad::detail {

// The constant operand c of the unary node at index `node` (only non-zero ones are kept: a
// unary node without an entry has c = 0, which is also what ops without a constant are given).
struct ConstantOperand {
    std::size_t node;
    double c;
};

class HigherOrderLog {
public:
    static constexpr std::size_t kOpen = std::numeric_limits<std::size_t>::max();

    // The outermost guard opened or closed with `nodes` nodes on the tape.
    void open(std::size_t nodes) { open_since_ = nodes; }
    void close(std::size_t nodes) {
        if (open_since_ < nodes) {
            if (!ranges_.empty() && ranges_.back().end == open_since_) ranges_.back().end = nodes;
            else ranges_.push_back(Range{open_since_, nodes});
        }
        open_since_ = kOpen;
    }
    // Tape::clear(): the nodes are gone; a guard still open covers the nodes to come.
    void restart(bool guard_open) {
        ranges_.clear();
        constants_.clear();
        open_since_ = guard_open ? 0 : kOpen;
    }
    void release() {
        ranges_ = {};
        constants_ = {};
    }

    // Called in recording order, so the constants stay sorted by node.
    void note_constant(std::size_t node, double c) { constants_.push_back(ConstantOperand{node, c}); }

    // Node ranges [begin, end) recorded under the guard, in order; an open guard's range has end kOpen.
    struct Range {
        std::size_t begin, end;
    };
    std::vector<Range> ranges() const {
        std::vector<Range> all = ranges_;
        if (open_since_ != kOpen) all.push_back(Range{open_since_, kOpen});
        return all;
    }
    const std::vector<ConstantOperand>& constants() const { return constants_; }
    std::size_t bytes_reserved() const {
        return ranges_.capacity() * sizeof(Range) + constants_.capacity() * sizeof(ConstantOperand);
    }

private:
    std::vector<Range> ranges_;       // closed ranges, sorted, disjoint
    std::size_t open_since_ = kOpen;  // where the open guard's range begins, if one is open
    std::vector<ConstantOperand> constants_;
};

// Reads a HigherOrderLog backwards alongside a reverse sweep: ask for nodes in decreasing order.
class HigherOrderCursor {
public:
    explicit HigherOrderCursor(const HigherOrderLog& log) : ranges_(log.ranges()), constants_(log.constants()) {
        range_ = static_cast<std::ptrdiff_t>(ranges_.size()) - 1;
        constant_ = static_cast<std::ptrdiff_t>(constants_.size()) - 1;
    }
    // True if node i was recorded under HigherOrder.
    bool recorded_under_guard(std::size_t i) {
        while (range_ >= 0 && ranges_[static_cast<std::size_t>(range_)].begin > i) --range_;
        return range_ >= 0 && i < ranges_[static_cast<std::size_t>(range_)].end;
    }
    // Node i's constant operand (0 if none was noted).
    double constant(std::size_t i) {
        while (constant_ >= 0 && constants_[static_cast<std::size_t>(constant_)].node > i) --constant_;
        return constant_ >= 0 && constants_[static_cast<std::size_t>(constant_)].node == i
                   ? constants_[static_cast<std::size_t>(constant_)].c
                   : 0.0;
    }

private:
    std::vector<HigherOrderLog::Range> ranges_;
    const std::vector<ConstantOperand>& constants_;  // may grow meanwhile (past the cursor's start)
    std::ptrdiff_t range_, constant_;
};

}  // namespace tapegrad::detail
