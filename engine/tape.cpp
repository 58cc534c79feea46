// The tape's bookkeeping and the reverse sweep.
#include "tapegrad/tape.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>

#include <spdlog/spdlog.h>

#include "tapegrad/anomaly.hpp"
#include "tapegrad/detail/op_table.hpp"  // the op names, for anomaly messages
#include "tapegrad/log.hpp"

#include "fp_control.hpp"

namespace tapegrad {

namespace {
std::atomic<std::uint64_t> next_stamp{1};  // Parameter::stamp: 0 is "never used"
}  // namespace

Tape::Tape() : nodes_(kNodesPerChunk), stamp_(next_stamp.fetch_add(1, std::memory_order_relaxed)) {}
Tape::~Tape() { arena_.rewind(); }  // entry data first: it may hand memory back to the tape

namespace {
thread_local Tape* current_override = nullptr;  // set by CurrentTape
}  // namespace

Tape& Tape::current() {
    if (current_override != nullptr) [[unlikely]]
        return *current_override;
    thread_local Tape tape;
    return tape;
}

CurrentTape::CurrentTape(Tape& tape) : previous_(current_override) { current_override = &tape; }
CurrentTape::~CurrentTape() { current_override = previous_; }

void Tape::clear() {
    logger().trace("tape clear: {} ops in {} nodes, {} edges, generation {}", op_count(), node_count(), edge_count(),
                   generation_);
    nodes_.rewind();
    edges_.rewind();
    grads_.rewind();
    node_count_ = 0;
    if (!parameters_.empty()) std::fill(parameter_table_.begin(), parameter_table_.end(), 0u);
    parameters_.clear();
    entries_.clear();
    arena_.rewind();
    ++generation_;
    stamp_ = next_stamp.fetch_add(1, std::memory_order_relaxed);
    swept_ = false;
    sealed_ = nullptr;
    fused_ops_ = 0;
    higher_order_log_.restart(higher_order_);
}

void Tape::release_memory() {
    clear();
    nodes_.release();
    edges_.release();
    grads_.release();
    parameters_ = {};
    parameter_table_ = {};
    entries_ = {};
    arena_.release();
    higher_order_log_.release();
    detail::release_free_buffers(buffer_pools_.get());
}

void Tape::zero_grad() { std::fill(grads_.data(), grads_.data() + grads_.size(), 0.0); }

void Tape::zero_grads_up_to(std::size_t end) {
    if (end <= grads_.size()) return;
    const std::size_t n = end - grads_.size();
    std::fill_n(grads_.take(n), n, 0.0);
}

void Tape::throw_full() { throw Error("record: the tape holds 2^32 - 1 nodes, the most it can"); }

std::size_t Tape::bytes_used() const {
    return node_count() * (sizeof(detail::Node) + sizeof(double)) + edge_count() * sizeof(detail::Edge);
}

std::size_t Tape::bytes_reserved() const {
    return nodes_.capacity() * sizeof(detail::Node) + edges_.capacity() * sizeof(detail::Edge) +
           grads_.capacity() * sizeof(double) + parameters_.capacity() * sizeof(ParameterSlot) +
           parameter_table_.capacity() * sizeof(std::uint32_t) + entries_.capacity() * sizeof(detail::Entry) +
           arena_.bytes_reserved() + higher_order_log_.bytes_reserved();
}

namespace {
std::size_t parameter_hash(const detail::Parameter* p, std::size_t table_size) {  // Fibonacci hashing
    const auto bits = static_cast<unsigned>(std::countr_zero(table_size));
    return static_cast<std::size_t>((reinterpret_cast<std::uintptr_t>(p) * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}
}  // namespace

std::uint32_t Tape::find_parameter_slot(const detail::Parameter* p) const {
    if (const std::uint32_t kept = p->kept_slot(stamp_); kept != kNoSlot) return kept;
    if (parameters_.empty()) return kNoSlot;
    const std::size_t mask = parameter_table_.size() - 1;
    for (std::size_t h = parameter_hash(p, parameter_table_.size()); parameter_table_[h] != 0; h = (h + 1) & mask)
        if (parameters_[parameter_table_[h] - 1].parameter == p) return parameters_[parameter_table_[h] - 1].slot;
    return kNoSlot;
}

// parameter_slot's slow path: p does not keep its slot for this generation (first use in it, or
// another tape used p since): look p up, and give it a slot if it has none.
std::uint32_t Tape::add_parameter(detail::Parameter* p) {
    if (2 * (parameters_.size() + 1) > parameter_table_.size()) {  // keep the table at most half full
        parameter_table_.assign(parameter_table_.empty() ? 64 : 2 * parameter_table_.size(), 0u);
        const std::size_t mask = parameter_table_.size() - 1;
        for (std::size_t k = 0; k < parameters_.size(); ++k) {
            std::size_t h = parameter_hash(parameters_[k].parameter, parameter_table_.size());
            while (parameter_table_[h] != 0) h = (h + 1) & mask;
            parameter_table_[h] = static_cast<std::uint32_t>(k + 1);
        }
    }
    const std::size_t mask = parameter_table_.size() - 1;
    std::size_t h = parameter_hash(p, parameter_table_.size());
    for (; parameter_table_[h] != 0; h = (h + 1) & mask) {
        const ParameterSlot& known = parameters_[parameter_table_[h] - 1];
        if (known.parameter == p) {
            p->keep_slot(stamp_, known.slot);
            return known.slot;
        }
    }
    record(p->node.value, detail::code_of<ops::Leaf>, 0);
    parameters_.push_back(ParameterSlot{p, last_slot()});
    parameter_table_[h] = static_cast<std::uint32_t>(parameters_.size());
    p->keep_slot(stamp_, last_slot());
    return last_slot();
}

detail::Parameter* Tape::parameter_at(std::size_t slot) const {
    const auto it = std::lower_bound(parameters_.begin(), parameters_.end(), slot,
                                     [](const ParameterSlot& p, std::size_t s) { return p.slot < s; });
    return it != parameters_.end() && it->slot == slot ? it->parameter : nullptr;
}

std::size_t Tape::index_of(const detail::Node* node) const {
    const std::size_t c = nodes_.find(node);
    if (c == detail::Chunks<detail::Node>::npos) throw Error("backward: the value is not on this tape");
    std::size_t index = static_cast<std::size_t>(node - nodes_.chunk_data(c));
    for (std::size_t i = 0; i < c; ++i) index += nodes_.used_in(i);
    return index;
}

// Nodes own consecutive runs of the edge stream, so where node i's end is the sum of the edge
// counts up to it; summed from whichever end of the tape is nearer.
std::size_t Tape::edge_end_of(std::size_t node) const {
    const std::size_t n = node_count();
    if (node >= n / 2) {
        std::size_t end = edges_.size();
        for (std::size_t i = n; --i > node;) end -= node_at(i)->n_edges;
        return end;
    }
    std::size_t end = 0;
    for (std::size_t i = 0; i <= node; ++i) end += node_at(i)->n_edges;
    return end;
}

// Both backward entry points sweep with subnormals flushed (include/tapegrad/flush_denormal.hpp);
// the scope restores the caller's control word on return and on a throw.
void Tape::backward(std::size_t root, double seed) {
    const detail::ControlWordScope flush(detail::backward_control_word());
    if (root >= node_count()) throw Error("backward: the value is not on this tape");
    zero_grads_up_to(node_count());
    const std::size_t node_end = root + 1;
    // Entries recorded before the root: their position is at most the root's index.
    std::size_t entry_end = entries_.size();
    while (entry_end > 0 && entries_[entry_end - 1].position >= node_end) --entry_end;
    restart_interior_grads(node_end, entry_end);
    grads_[root] += seed;
    sweep(node_end, edge_end_of(root), entry_end);
    pass_to_parameters();
}

void Tape::backward_from_entry(std::size_t entry) {
    const detail::ControlWordScope flush(detail::backward_control_word());
    if (entry >= entries_.size()) throw Error("backward: the tensor's entry is not on this tape");
    zero_grads_up_to(node_count());
    restart_interior_grads(entries_[entry].position, entry);
    sweep(entries_[entry].position, entries_[entry].edge_position, entry + 1);
    pass_to_parameters();
}

// A previous sweep left grads in interior nodes; start them from zero so that this sweep adds
// exactly d root / d leaf into the leaves (leaf and parameter grads accumulate).
void Tape::restart_interior_grads(std::size_t node_end, std::size_t entry_end) {
    if (swept_) {
        for (std::size_t i = 0; i < node_end; ++i)
            if (node_at(i)->n_edges != 0) grads_[i] = 0.0;
        for (std::size_t k = 0; k < entry_end; ++k)
            if (entries_[k].restart != nullptr) entries_[k].restart(entries_[k].data);
    }
    swept_ = true;
}

// Parameters' grads accumulate across tapes and steps: each sweep moves what reached their
// slots into them, leaving the slots at zero for the next sweep.
void Tape::pass_to_parameters() {
    for (const ParameterSlot& p : parameters()) {
        double& g = grads_[p.slot];
        if (g != 0.0) {
            p.parameter->grad += g;
            g = 0.0;
        }
    }
}

void Tape::sweep(std::size_t node_end, std::size_t edge_end, std::size_t entry_end) {
    for (std::size_t k = entry_end; k-- > 0;) {
        const detail::Entry& entry = entries_[k];
        sweep_nodes(entry.position, node_end, edge_end);
        entry.backward(entry.data);
        if (entry_hook_ != nullptr) [[unlikely]]
            entry_hook_(entry_hook_context_, k);
        node_end = entry.position;
        edge_end = entry.edge_position;
    }
    sweep_nodes(0, node_end, edge_end);
}

// The reverse sweep over scalar nodes [begin, end), whose edges end at edge_end. Nodes with a
// zero grad pass nothing on, so they are skipped. In anomaly mode the checked twin below runs
// instead, so this loop stays as tight as it can be.
//
// Why the carry: in a chain (S1) each node's main parent is the node just before it, so the
// sweep's critical path is "node i's grad -> its parent's grad -> ...". Through memory every hop
// waits for a store to reach the next load; so the grad of the node swept next is accumulated in
// a register (starting from what memory held, in the same order of additions as through memory,
// so the sums are bitwise the same) and stored once when the sweep reaches that node.
void Tape::sweep_nodes(std::size_t begin, std::size_t end, std::size_t edge_end) {
    if (detail::anomaly_mode()) [[unlikely]]
        return sweep_nodes_checked(begin, end, edge_end);
    double* const grad = grads_.data();
    const detail::Edge* e = edges_.data() + edge_end;  // walks back: node i's edges end here
    const std::size_t per = kNodesPerChunk;            // every node chunk is full but the last
    while (end > begin) {
        const std::size_t c = (end - 1) / per, base = c * per;
        const std::size_t lo = begin > base ? begin - base : 0;
        const detail::Node* chunk = nodes_.chunk_data(c);
        double carry = 0.0;  // the next node's grad, if carried
        bool carried = false;
        for (std::size_t i = end - base; i-- > lo;) {
            const std::size_t slot = base + i;
            e -= chunk[i].n_edges;
            double g = grad[slot];
            if (carried) grad[slot] = g = carry;
            carried = false;
            if (g == 0.0) continue;
            const std::size_t next = i > lo ? slot - 1 : kNoSlot;
            for (std::uint32_t k = 0; k < chunk[i].n_edges; ++k) {
                const std::uint32_t parent = e[k].parent;
                if (parent == next) {
                    carry = (carried ? carry : grad[parent]) + e[k].partial * g;
                    carried = true;
                } else {
                    grad[parent] += e[k].partial * g;
                }
            }
        }
        end = base + lo;
    }
}

// sweep_nodes with anomaly mode's check: the first node whose contribution to a parent's grad
// (or the parent's grad after adding it) is not finite raises Error naming that node.
void Tape::sweep_nodes_checked(std::size_t begin, std::size_t end, std::size_t edge_end) {
    const detail::Edge* e = edges_.data() + edge_end;
    for (std::size_t i = end; i-- > begin;) {
        const detail::Node& node = *node_at(i);
        e -= node.n_edges;
        const double g = grads_[i];
        if (g == 0.0) continue;
        for (std::uint32_t k = 0; k < node.n_edges; ++k) {
            const double contribution = e[k].partial * g;
            double& parent = grads_[e[k].parent];
            parent += contribution;
            if (!std::isfinite(contribution) || !std::isfinite(parent)) [[unlikely]]
                detail::throw_anomaly("backward", detail::op_name(node.op), i,
                                      std::isfinite(contribution) ? parent : contribution);
        }
    }
}

NoGrad::NoGrad() : tape_(Tape::current()), was_enabled_(tape_.grad_enabled_) {
    tape_.set_modes(false, tape_.higher_order_);
}
NoGrad::~NoGrad() { tape_.set_modes(was_enabled_, tape_.higher_order_); }

HigherOrder::HigherOrder() : HigherOrder(Tape::current()) {}
HigherOrder::HigherOrder(Tape& tape) : tape_(tape), was_on_(tape.higher_order_) {
    if (was_on_) return;
    tape_.higher_order_log_.open(tape_.node_count());
    tape_.set_modes(tape_.grad_enabled_, true);
}
HigherOrder::~HigherOrder() {
    if (was_on_) return;
    tape_.higher_order_log_.close(tape_.node_count());
    tape_.set_modes(tape_.grad_enabled_, false);
}

}  // namespace tapegrad
