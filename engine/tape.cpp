// The tape's bookkeeping and the reverse sweep.
#include "tapegrad/tape.hpp"

#include <algorithm>
#include <cmath>

#include <spdlog/spdlog.h>

#include "tapegrad/anomaly.hpp"
#include "tapegrad/detail/op_table.hpp"  // the op names, for anomaly messages
#include "tapegrad/log.hpp"

#include "fp_control.hpp"

namespace tapegrad {

namespace {
// 2 MiB of nodes and 2 MiB of edges a chunk: large enough that the chunk switch is rare,
// small enough that a short tape does not hold much.
constexpr std::size_t kNodesPerChunk = (2u << 20) / sizeof(detail::Node);
constexpr std::size_t kEdgesPerChunk = (2u << 20) / sizeof(detail::Edge);
}  // namespace

std::uint64_t detail::next_tape_generation() noexcept {
    static std::atomic<std::uint64_t> next{kParameterGeneration + 1};
    return next.fetch_add(1, std::memory_order_relaxed);
}

Tape::Tape() : nodes_(kNodesPerChunk), edges_(kEdgesPerChunk) {}
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
    entries_.clear();
    arena_.rewind();
    generation_ = detail::next_tape_generation();
    swept_ = false;
    sealed_ = nullptr;
    last_product_ = nullptr;
    products_stale_ = false;
    fused_ops_ = 0;
    higher_order_log_.restart(higher_order_);
}

void Tape::release_memory() {
    clear();
    nodes_.release();
    edges_.release();
    entries_ = {};
    arena_.release();
    higher_order_log_.release();
    detail::release_free_buffers(buffer_pools_.get());
}

void Tape::zero_grad() {
    for (std::size_t c = 0; c < nodes_.chunks_in_use(); ++c) {
        detail::Node* chunk = nodes_.chunk_data(c);
        for (std::size_t i = 0, n = nodes_.used_in(c); i < n; ++i) chunk[i].grad = 0.0;
    }
}

std::size_t Tape::bytes_used() const {
    return node_count() * sizeof(detail::Node) + edge_count() * sizeof(detail::Edge);
}

std::size_t Tape::bytes_reserved() const {
    return nodes_.capacity() * sizeof(detail::Node) + edges_.capacity() * sizeof(detail::Edge) +
           entries_.capacity() * sizeof(detail::Entry) + arena_.bytes_reserved() + higher_order_log_.bytes_reserved();
}

std::size_t Tape::index_of(const detail::Node* node) const {
    const std::size_t c = nodes_.find(node);
    if (c == detail::NodeChunks::npos) throw Error("backward: the value is not on this tape");
    std::size_t index = static_cast<std::size_t>(node - nodes_.chunk_data(c));
    for (std::size_t i = 0; i < c; ++i) index += nodes_.used_in(i);
    return index;
}

void Tape::expand_product(detail::Node* node) {
    detail::Edge made[3];
    detail::partials_of(*node, made);
    edges_.take_in_place(node->n_edges - 1);  // can_fuse() saw the room
    std::copy_n(made, node->n_edges, node->edges);
    node->fused_form = detail::fused_form(detail::fused_count(*node), detail::Form::partials);
}

void Tape::throw_stale_products(const char* op) {
    throw Error(std::string(op) +
                ": a leaf of this tape was assigned with set_data after an op read its value, and the tape kept the "
                "value, not the partial; record the pass again after assigning");
}

// Both backward entry points sweep with subnormals flushed (include/tapegrad/flush_denormal.hpp);
// the scope restores the caller's control word on return and on a throw.
void Tape::backward(detail::Node* root, double seed) {
    check_products_current("backward");
    const detail::ControlWordScope flush(detail::backward_control_word());
    const std::size_t node_end = index_of(root) + 1;
    // Entries recorded before the root: their position is at most the root's index.
    std::size_t entry_end = entries_.size();
    while (entry_end > 0 && entries_[entry_end - 1].position >= node_end) --entry_end;
    restart_interior_grads(node_end, entry_end);
    root->grad += seed;
    sweep(node_end, entry_end);
}

void Tape::backward_from_entry(std::size_t entry) {
    check_products_current("backward");
    const detail::ControlWordScope flush(detail::backward_control_word());
    if (entry >= entries_.size()) throw Error("backward: the tensor's entry is not on this tape");
    restart_interior_grads(entries_[entry].position, entry);
    sweep(entries_[entry].position, entry + 1);
}

// A previous sweep left grads in interior nodes; start them from zero so that this sweep adds
// exactly d root / d leaf into the leaves (leaf and parameter grads accumulate).
void Tape::restart_interior_grads(std::size_t node_end, std::size_t entry_end) {
    if (swept_) {
        const std::size_t per = nodes_.chunk_size();
        for (std::size_t i = 0; i < node_end; ++i) {
            detail::Node& node = nodes_.chunk_data(i / per)[i % per];
            if (node.n_edges != 0) node.grad = 0.0;
        }
        for (std::size_t k = 0; k < entry_end; ++k)
            if (entries_[k].restart != nullptr) entries_[k].restart(entries_[k].data);
    }
    swept_ = true;
}

void Tape::sweep(std::size_t node_end, std::size_t entry_end) {
    for (std::size_t k = entry_end; k-- > 0;) {
        const detail::Entry& entry = entries_[k];
        sweep_nodes(entry.position, node_end);
        entry.backward(entry.data);
        if (entry_hook_ != nullptr) [[unlikely]]
            entry_hook_(entry_hook_context_, k);
        node_end = entry.position;
    }
    sweep_nodes(0, node_end);
}

// The reverse sweep over scalar nodes [begin, end). Nodes with a zero grad pass nothing on,
// so they are skipped. In anomaly mode the checked twin below runs instead, so this loop stays
// as tight as it can be.
//
// Why the carry: in a chain (S1) each node's main parent is the node just before it, so the
// sweep's critical path is "node i's grad -> its parent's grad -> ...". Through memory every hop
// waits for a store to reach the next load; so the grad of the node swept next is accumulated in
// a register (starting from what memory held, in the same order of additions as through memory,
// so the sums are bitwise the same) and stored once when the sweep reaches that node.
void Tape::sweep_nodes(std::size_t begin, std::size_t end) {
    if (detail::anomaly_mode()) [[unlikely]]
        return sweep_nodes_checked(begin, end);
    const std::size_t per = nodes_.chunk_size();    // every node chunk is full but the last
    double* const grads = detail::grad_at_slot(0);  // edges name their parents' grads as slots from here
    while (end > begin) {
        const std::size_t c = (end - 1) / per, base = c * per;
        const std::size_t lo = begin > base ? begin - base : 0;
        detail::Node* chunk = nodes_.chunk_data(c);
        double carry = 0.0;  // the next node's grad, if carried
        bool carried = false;
        for (std::size_t i = end - base; i-- > lo;) {
            double g = chunk[i].grad;
            if (carried) chunk[i].grad = g = carry;
            carried = false;
            if (g == 0.0) continue;
            double* const next = i > lo ? &chunk[i - 1].grad : nullptr;
            const auto pass = [&](std::uint32_t slot, double contribution) {
                double* const parent = grads + slot;
                if (parent == next) {
                    carry = (carried ? carry : *parent) + contribution;
                    carried = true;
                } else {
                    *parent += contribution;
                }
            };
            const detail::Node& node = chunk[i];
            // A product node's partials, as detail::partials_of makes them, written out here:
            // the sweep going through partials_of measured 1.03x-1.06x slower on S1 (rounds from
            // 0.90x to 1.11x). The order of operations must stay the same as there.
            if (detail::is_product(node)) {
                const double outer = detail::product_outer(detail::form_of(node), node.value);
                const std::uint32_t a = detail::product_slot(node, 0), b = detail::product_slot(node, 1);
                const double da = grads[b + 1] * outer, db = grads[a + 1] * outer;  // a slot's value follows its grad
                pass(a, da * g);
                pass(b, db * g);
                if (node.n_edges == 3) pass(detail::product_slot(node, 2), outer * g);
                continue;
            }
            const detail::Edge* e = node.edges;
            for (std::uint32_t k = 0; k < node.n_edges; ++k) pass(e[k].parent, e[k].partial * g);
        }
        end = base + lo;
    }
}

// sweep_nodes with anomaly mode's check: the first node whose contribution to a parent's grad
// (or the parent's grad after adding it) is not finite raises Error naming that node.
void Tape::sweep_nodes_checked(std::size_t begin, std::size_t end) {
    const std::size_t per = nodes_.chunk_size();
    for (std::size_t i = end; i-- > begin;) {
        const detail::Node& node = nodes_.chunk_data(i / per)[i % per];
        const double g = node.grad;
        if (g == 0.0) continue;
        detail::Edge made[3];
        const detail::Edge* e = detail::partials_of(node, made);
        for (std::uint32_t k = 0; k < node.n_edges; ++k) {
            const double contribution = e[k].partial * g;
            double& parent = *e[k].parent_grad();
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
