// The tape: every recorded scalar node and its partial derivatives, in recording order.
//
// Recording order is a topological order, so backward is one reverse sweep. A node's slot is
// its index; its grad lives at that slot in the grad array, and its partials name their parents
// by slot:
//
//   nodes  (chunks of Node, 16 bytes; a Value points at one and knows its slot)
//   +-----------+-----------+-----------+
//   | value     | value     | value     |  ...     node i was recorded before node i+1
//   | n_edges 2 | n_edges 0 | n_edges 1 |
//   +-----------+-----------+-----------+
//   grads  (one double a slot, contiguous)
//   | grad 0    | grad 1    | grad 2    |  ...
//   edges  (12 bytes each, contiguous; node i's n_edges come after node i-1's)
//   +-----------+-----------+-----------+---
//   | partial   | partial   | partial   |      d node / d parent, computed while recording
//   | parent    | parent    | parent    |      the parent's slot (32 bits)
//   +-----------+-----------+-----------+---
//     node 0's two edges      node 2's
//
// backward: for each node from the root down to the first, walking the edge stream backwards
// by its n_edges:  grad[parent] += partial * grad[node].
// A parameter (a Node outside every tape) used by an op gets a slot of its own, a leaf node,
// the first time in each generation; after a sweep its slot's grad is added into the
// parameter's grad. Memory is kept when the tape is cleared, so a warm tape records without
// touching the heap.
//
// Ops that are not scalar nodes (tensor ops) record an Entry: a backward kernel, its saved data
// (in the tape's arena) and its position among the nodes. The sweep runs each entry's kernel at
// that position, so scalar and tensor ops share one tape and one reverse order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "tapegrad/detail/arena.hpp"
#include "tapegrad/detail/chunks.hpp"
#include "tapegrad/detail/higher_order_log.hpp"
#include "tapegrad/detail/node.hpp"
#include "tapegrad/detail/stream.hpp"
#include "tapegrad/error.hpp"

namespace tapegrad {

class Tape;
class Value;

namespace detail {

// Size-class pools for tensor buffers (engine/pool.cpp), one set per tape.
class BufferPools;
struct BufferPoolsDeleter {
    void operator()(BufferPools* pools) const noexcept;
};
void release_free_buffers(BufferPools* pools) noexcept;  // returns idle buffers to the heap

struct TapeInternals;  // the engine's view of a tape's streams (engine/tape_internals.hpp)

}  // namespace detail

// The record of a forward pass. Each thread has its own current tape (Tape::current());
// op results live on it until clear().
class Tape {
public:
    Tape();
    ~Tape();
    Tape(const Tape&) = delete;
    Tape& operator=(const Tape&) = delete;

    // The calling thread's tape.
    static Tape& current();

    // Ends a step: forgets every recorded node and keeps the memory for the next step.
    // Handles to the forgotten nodes raise Error from then on; parameters are untouched.
    void clear();
    // clear(), and also returns the memory to the heap.
    void release_memory();
    // Sets the grad of every node on this tape to zero (parameters are not on the tape).
    void zero_grad();

    std::size_t op_count() const { return node_count_ + fused_ops_; }  // ops recorded (fused or not)
    std::size_t node_count() const { return node_count_; }             // nodes recorded (parameters' slots too)
    std::size_t edge_count() const { return edges_.size(); }           // partials recorded
    // What the sweep reads: nodes (16 bytes), edges (12 bytes) and grads (8 bytes a node).
    // docs/PERFORMANCE.md, "Tape bytes per op", says what bench/ divides it by.
    std::size_t bytes_used() const;
    std::size_t bytes_reserved() const;                       // held, used or not
    std::uint64_t generation() const { return generation_; }  // bumped by clear()
    bool grad_enabled() const { return grad_enabled_; }
    // True while a HigherOrder guard is alive on this tape.
    bool higher_order() const { return higher_order_; }
    // Neither NoGrad nor HigherOrder: the recorders' fast path, decided by this one flag.
    bool plain_recording() const { return plain_; }

    // Appends a node with room for n_edges partials, which the caller fills in (at `edges`, or
    // at last_edges(node)) before anything else is recorded. Its slot is node_count() - 1.
    detail::Node* record(double value, std::uint8_t op, std::uint32_t n_edges, detail::Edge*& edges) {
        // The takes before any store: a take may call out (to grow), and a store before a call
        // would make the next op reload the value from memory instead of a register.
        detail::Node* node = nodes_.take(1);
        edges = edges_.take(n_edges);
        count_node();
        return fill(node, value, op, n_edges);
    }
    detail::Node* record(double value, std::uint8_t op, std::uint32_t n_edges) {
        detail::Edge* edges;
        return record(value, op, n_edges, edges);
    }
    // The partials of the node recorded last.
    detail::Edge* last_edges(const detail::Node* last) { return edges_.end() - last->n_edges; }
    std::uint32_t last_slot() const { return static_cast<std::uint32_t>(node_count_ - 1); }

    // For n-ary recorders that check their operands while computing: edge_room(n) gives the
    // slots the next node's n partials will occupy without recording anything, so a recorder
    // that bails out half-way leaves the edges as they were; record_in_room() then records the
    // node that owns them (only parameters' slots, which take no edges, may be made in between).
    detail::Edge* edge_room(std::uint32_t n_edges) { return edges_.room(n_edges); }
    detail::Node* record_in_room(double value, std::uint8_t op, std::uint32_t n_edges) {
        detail::Node* node = nodes_.take(1);
        count_node();
        edges_.take_in_place(n_edges);
        return fill(node, value, op, n_edges);
    }

    // The slot of parameter p on this tape, made (a leaf node) the first time in this generation.
    std::uint32_t parameter_slot(detail::Parameter* p) {
        const std::uint32_t kept = p->kept_slot(stamp_);
        if (kept != kNoSlot) [[likely]]
            return kept;
        return add_parameter(p);
    }
    // The slot of parameter p if an op on this tape used it in this generation, else kNoSlot.
    std::uint32_t find_parameter_slot(const detail::Parameter* p) const;
    // The parameter whose slot is `slot`, or null.
    detail::Parameter* parameter_at(std::size_t slot) const;
    static constexpr std::uint32_t kNoSlot = detail::Parameter::kNoSlot;

    // A slot's grad (valid until the next node is recorded).
    double grad_at(std::size_t slot) const { return slot < grads_.size() ? grads_[slot] : 0.0; }
    double& grad_ref(std::size_t slot) {
        if (slot >= grads_.size()) [[unlikely]]
            zero_grads_up_to(slot + 1);
        return grads_[slot];
    }
    // The node at a slot.
    detail::Node* node_at(std::size_t slot) const {
        return &nodes_.chunk_data(slot / kNodesPerChunk)[slot % kNodesPerChunk];
    }
    // 2 MiB of nodes a chunk: large enough that the chunk switch is rare, small enough that a
    // short tape does not hold much.
    static constexpr std::size_t kNodesPerChunk = (std::size_t{2} << 20) / sizeof(detail::Node);

    // Under HigherOrder: keeps the constant operand of the unary node recorded last (its partials
    // as expressions need it; detail/higher_order_log.hpp).
    void note_constant(double c) { higher_order_log_.note_constant(last_slot(), c); }

    // Fusing (detail/record.hpp): an op on an unnamed temporary may rewrite the temporary's node
    // instead of recording a new one, if nothing can have seen that node since: it is the last
    // node recorded, no entry was recorded after it, and it has partials (which end the edge
    // stream). Then fuse() appends `more` partials (the new operands').
    bool can_fuse(const detail::Node* node) const {
        return nodes_.is_last(node) && nodes_.next() != sealed_ && node->n_edges != 0;
    }
    detail::Edge* fuse(detail::Node* node, std::uint8_t op, std::uint32_t more) {
        detail::Edge* added = edges_.take(more);
        node->n_edges += more;
        if (node->fused == 0) node->second_op = op;
        node->op = op;
        node->fused += node->fused != 255;
        ++fused_ops_;
        return added;
    }

    // Adds seed to the grad of the node at slot root and sweeps the tape from it down to the
    // first node; then adds the parameters' slots' grads into the parameters.
    void backward(std::size_t root, double seed);

    // For ops that are not scalar nodes (tensor ops). record_entry appends an entry whose
    // backward(data) the sweep runs after every node and entry recorded later; data should live
    // in arena() so that clear() frees it. Returns the entry's index.
    std::size_t record_entry(void (*backward_kernel)(void*), void (*restart)(void*), void* data,
                             const char* name = nullptr) {
        entries_.push_back(detail::Entry{node_count_, edges_.size(), backward_kernel, restart, data, name});
        sealed_ = nodes_.next();  // the entry may read the nodes before it: never fuse into them
        return entries_.size() - 1;
    }
    const char* entry_name(std::size_t entry) const {
        const char* name = entries_[entry].name;
        return name != nullptr ? name : "tensor op";
    }
    detail::Arena& arena() { return arena_; }
    std::size_t entry_count() const { return entries_.size(); }
    // Sweeps every node and entry recorded before entry `entry` (and the entry itself) in reverse
    // order; the caller has seeded the entry's outputs.
    void backward_from_entry(std::size_t entry);
    // True once a backward has run since clear(): interior grads may hold an earlier sweep's
    // values and must be restarted from zero before the next one.
    bool swept() const { return swept_; }
    // Tensor buffers: op results take them here and give them back when clear() runs their
    // destructors, so a warm step reuses them (engine/pool.cpp).
    detail::BufferPools& buffer_pools();

    // An optional callback the sweep calls right after each entry's backward kernel, with the
    // entry's index (a sweep visits entries in decreasing index order). For work that overlaps
    // the rest of the backward pass, such as tapegrad::dist::DataParallel's all-reduces; unset
    // (nullptr) by default, when it costs the sweep one predictable branch per entry. The hook
    // must not record on or clear this tape.
    using EntryHook = void (*)(void* context, std::size_t entry);
    void set_entry_hook(EntryHook hook, void* context) {
        entry_hook_ = hook;
        entry_hook_context_ = context;
    }
    EntryHook entry_hook() const { return entry_hook_; }
    void* entry_hook_context() const { return entry_hook_context_; }

private:
    friend class NoGrad;
    friend class HigherOrder;
    friend struct detail::TapeInternals;

    void set_modes(bool grad_enabled, bool higher_order) {
        grad_enabled_ = grad_enabled;
        higher_order_ = higher_order;
        plain_ = grad_enabled && !higher_order;
    }
    std::uint32_t add_parameter(detail::Parameter* p);

    void count_node() {
        if (node_count_ == kNoSlot) [[unlikely]]
            throw_full();
        ++node_count_;
    }
    [[noreturn]] static void throw_full();
    // Grads are not written while recording: slots from grads_.size() on are zero until a sweep
    // (or grad_ref) extends the array to them.
    void zero_grads_up_to(std::size_t end);

    static detail::Node* fill(detail::Node* node, double value, std::uint8_t op, std::uint32_t n_edges) {
        node->value = value;
        node->n_edges = n_edges;
        node->op = op;
        node->first_op = op;
        node->second_op = 0;
        node->fused = 0;
        return node;
    }

    // Runs nodes [0, node_end) and entries [0, entry_end) backwards, in recording order reversed.
    // Nodes [begin, end) own edges [edge_begin, edge_end).
    void sweep(std::size_t node_end, std::size_t edge_end, std::size_t entry_end);
    void sweep_nodes(std::size_t begin, std::size_t end, std::size_t edge_end);
    void sweep_nodes_checked(std::size_t begin, std::size_t end, std::size_t edge_end);  // anomaly mode's
    void restart_interior_grads(std::size_t node_end, std::size_t entry_end);
    void pass_to_parameters();
    std::size_t index_of(const detail::Node* node) const;
    std::size_t edge_end_of(std::size_t node) const;  // where node's edges end in the stream

    // A parameter's slot on this tape (parameters_ is in slot order).
    struct ParameterSlot {
        detail::Parameter* parameter = nullptr;
        std::uint32_t slot = 0;
    };
    std::span<const ParameterSlot> parameters() const { return parameters_; }

    detail::Chunks<detail::Node> nodes_;
    detail::Stream<detail::Edge> edges_;
    std::size_t node_count_ = 0;             // slots are 32-bit, kNoSlot excluded
    detail::Stream<double, kNoSlot> grads_;  // by slot, up to its size (zero beyond)
    // The parameters with a slot; parameter_table_ finds them by address (open addressing:
    // k + 1, or 0).
    std::vector<ParameterSlot> parameters_;
    std::vector<std::uint32_t> parameter_table_;
    std::vector<detail::Entry> entries_;
    detail::Arena arena_;
    std::uint64_t generation_ = 1;
    std::uint64_t stamp_;  // this generation's, unique in the process (Parameter::stamp)
    bool grad_enabled_ = true;
    bool higher_order_ = false;
    bool plain_ = true;                     // grad_enabled_ && !higher_order_
    bool swept_ = false;                    // a backward has run since clear(): interior grads may be non-zero
    std::size_t fused_ops_ = 0;             // ops recorded by fusing into an existing node
    const detail::Node* sealed_ = nullptr;  // where the next node went when the last entry was recorded
    std::unique_ptr<detail::BufferPools, detail::BufferPoolsDeleter> buffer_pools_;  // made on first use
    EntryHook entry_hook_ = nullptr;                                                 // set_entry_hook()
    void* entry_hook_context_ = nullptr;
    detail::HigherOrderLog higher_order_log_;  // what create_graph needs, kept under HigherOrder
};

// While alive, ops on the current thread's current tape record no partials: their results are
// constants that gradients do not flow through (like torch.no_grad()).
class NoGrad {
public:
    NoGrad();
    ~NoGrad();
    NoGrad(const NoGrad&) = delete;
    NoGrad& operator=(const NoGrad&) = delete;

private:
    Tape& tape_;
    bool was_enabled_;
};

// While alive, recording on the tape (the current thread's current tape by default) keeps what
// grad(..., {.create_graph = true}) needs to differentiate the graph again: no op is fused into
// a temporary's node, and unary nodes' constant operands are kept beside the tape. Outside it,
// recording is exactly as fast as without this feature; create_graph over nodes recorded outside
// it raises Error. Guards nest. docs/ARCHITECTURE.md, "Higher order", has the costs.
class HigherOrder {
public:
    HigherOrder();
    explicit HigherOrder(Tape& tape);
    ~HigherOrder();
    HigherOrder(const HigherOrder&) = delete;
    HigherOrder& operator=(const HigherOrder&) = delete;

private:
    Tape& tape_;
    bool was_on_;
};

// While alive, Tape::current() on this thread is `tape` (values made from plain doubles go there).
// Scopes nest, each restoring the tape that was current before it. The derivative drivers
// (tapegrad/derivatives.hpp) record on a tape of their own this way.
class CurrentTape {
public:
    explicit CurrentTape(Tape& tape);
    ~CurrentTape();
    CurrentTape(const CurrentTape&) = delete;
    CurrentTape& operator=(const CurrentTape&) = delete;

private:
    Tape* previous_;
};

}  // namespace tapegrad
