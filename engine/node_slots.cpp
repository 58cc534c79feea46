// NodeSlots' slow paths: a node in another chunk, and parameters in a small hash table.
#include "node_slots.hpp"

#include <algorithm>

#include "tapegrad/error.hpp"

namespace tapegrad::detail {

NodeSlots::NodeSlots(const NodeChunks& nodes, std::size_t end) : chunks_(nodes), end_(end) {
    const std::size_t per = nodes.chunk_size();
    if (!std::has_single_bit(per)) throw Error("grad: node chunks must hold a power of two of nodes");
    shift_ = static_cast<unsigned>(std::countr_zero(per));
    mask_ = per - 1;
}

std::size_t NodeSlots::find(const Node* node) {
    const std::size_t per = mask_ + 1;
    for (std::size_t c = 0, n = chunks_.chunks_in_use(); c < n && c * per < end_; ++c) {
        const Node* data = chunks_.chunk_data(c);
        const std::size_t used = std::min(chunks_.used_in(c), end_ - c * per);
        const std::uintptr_t offset = reinterpret_cast<std::uintptr_t>(node) - reinterpret_cast<std::uintptr_t>(data);
        if (offset < used * sizeof(Node)) {
            base_ = reinterpret_cast<std::uintptr_t>(data);
            base_bytes_ = used * sizeof(Node);
            base_index_ = c * per;
            return base_index_ + offset / sizeof(Node);
        }
    }
    return parameter_slot(node);
}

std::size_t NodeSlots::parameter_slot(const Node* node) {
    if (2 * (parameters_.size() + 1) > table_.size()) {  // keep the table at most half full
        std::vector<std::uint32_t> old(table_.empty() ? 16 : 2 * table_.size(), 0);
        old.swap(table_);
        for (std::uint32_t k : old)
            if (k != 0) {
                std::size_t h = hash(parameters_[k - 1]);
                while (table_[h] != 0) h = (h + 1) & (table_.size() - 1);
                table_[h] = k;
            }
    }
    std::size_t h = hash(node);
    while (table_[h] != 0) {
        if (parameters_[table_[h] - 1] == node) return end_ + table_[h] - 1;
        h = (h + 1) & (table_.size() - 1);
    }
    parameters_.push_back(const_cast<Node*>(node));
    table_[h] = static_cast<std::uint32_t>(parameters_.size());
    return end_ + parameters_.size() - 1;
}

}  // namespace tapegrad::detail
