// The tape: every recorded scalar node and its partial derivatives, in recording order.
//
// Recording order is a topological order, so backward is one reverse sweep:
//
//   nodes  (chunks of Node, 32 bytes each, in the node region; a Value points at one)
//   +--------+--------+--------+--------+
//   | grad   | grad   | grad   | grad   |  ...     node i was recorded before node i+1
//   | value  | value  | value  | value  |
//   | edges -+ edges -+ edges -+ edges -+
//   +----|---+----|---+----|---+----|---+
//        v        v        v        v
//   edges  (chunks of Edge, 12 bytes each)
//   +---------------+---------------+---------------+---
//   | partial       | partial       | partial       |      d node / d parent, computed
//   | parent (slot) | parent (slot) | parent (slot) |      while recording
//   +---------------+---------------+---------------+---
//
// backward: for each node from the root down to the first:  grad[parent] += partial * grad.
// A parent is named by its grad's 32-bit slot in the node region (detail/node_region.hpp), the
// one address range where every Node lives, parameters included; so an edge is 12 bytes.
// A product node (y = a*b, maybe + c and an activation: detail/product_node.hpp) keeps its
// parents' slots alone, three in one Edge, and the sweep makes its partials from their values.
// Chunks are kept when the tape is cleared, so a warm tape records without touching the heap.
//
// Ops that are not scalar nodes (tensor ops) record an Entry: a backward kernel, its saved data
// (in the tape's arena) and its position among the nodes. The sweep runs each entry's kernel at
// that position, so scalar and tensor ops share one tape and one reverse order.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "tapegrad/detail/arena.hpp"
#include "tapegrad/detail/chunks.hpp"
#include "tapegrad/detail/higher_order_log.hpp"
#include "tapegrad/detail/node.hpp"
#include "tapegrad/detail/product_node.hpp"
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

using NodeChunks = Chunks<Node, RegionArrays>;  // nodes live in the node region (detail/node_region.hpp)

// Tape generations are drawn from one process-wide counter, so that a generation names one tape
// and one interval between its clears: a handle whose generation is its tape's current one is
// readable on that tape, checked with one comparison. 0 marks an empty Value handle and
// kParameterGeneration a parameter's; tapes start above both.
inline constexpr std::uint64_t kParameterGeneration = 1;
std::uint64_t next_tape_generation() noexcept;

// Bumped by every in-place change of a leaf's data (Tensor::add_ and the like, optimizer steps),
// which stamps the leaf's storage with it; an entry keeps its value when recorded, so grad() can
// tell a leaf an op read was changed afterwards.
inline std::atomic<std::uint64_t> in_place_clock{0};

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

    std::size_t op_count() const { return nodes_.size() + fused_ops_; }  // ops recorded (fused or not)
    std::size_t node_count() const { return nodes_.size(); }             // nodes recorded
    std::size_t edge_count() const { return edges_.size(); }             // Edges recorded
    std::size_t bytes_used() const;                                      // by nodes and edges
    std::size_t bytes_reserved() const;                                  // held, used or not
    std::uint64_t generation() const { return generation_; }             // changed by clear(), never reused
    bool grad_enabled() const { return grad_enabled_; }
    // True while a HigherOrder guard is alive on this tape.
    bool higher_order() const { return higher_order_; }
    // Neither NoGrad nor HigherOrder: the recorders' fast path, decided by this one flag.
    bool plain_recording() const { return plain_; }

    // Appends a node with room for n_edges partials; the caller fills them in.
    detail::Node* record(double value, std::uint8_t op, std::uint32_t n_edges) {
        // Both takes before any store: a take may call out (a new chunk), and a store before a
        // call would make the next op reload the value from memory instead of a register.
        detail::Node* node = nodes_.take(1);
        detail::Edge* edges = edges_.take(n_edges);
        return fill(node, value, op, edges, n_edges);
    }

    // For n-ary recorders that check their operands while computing: edge_room(n) gives the
    // slots the next node's n partials will occupy without recording anything, so a recorder
    // that bails out half-way leaves the tape as it was; record_in_room() then records the node
    // that owns them (nothing may be recorded in between).
    detail::Edge* edge_room(std::uint32_t n_edges) { return edges_.room(n_edges); }
    detail::Node* record_in_room(double value, std::uint8_t op, std::uint32_t n_edges) {
        detail::Node* node = nodes_.take(1);
        return fill(node, value, op, edges_.take_in_place(n_edges), n_edges);
    }

    // record_in_room() for a node that two ops make by fusing (detail/record.hpp): `first` recorded,
    // then `second` folded into it. Only while plain_recording(). What fuse() leaves, written as
    // plain stores: recording the node and then calling fuse() (read-modify-writes of the fields
    // just stored) made S2 through nn::MLP 1.02x slower.
    detail::Node* record_fused_in_room(double value, std::uint8_t first, std::uint8_t second, std::uint32_t n_edges) {
        detail::Node* node = record_in_room(value, second, n_edges);
        node->first_op = first;
        node->second_op = second;
        node->fused_form = detail::fused_form(1, detail::Form::partials);
        ++fused_ops_;
        return node;
    }

    // A product node y = a*b (detail/product_node.hpp): a and b on this tape; only while
    // plain_recording(). Its parents' slots take one Edge; the sweep makes its partials.
    detail::Node* record_product(double value, std::uint8_t op, const detail::Node* a, const detail::Node* b) {
        detail::Node* node = nodes_.take(1);
        detail::Edge* slots = edges_.take(1);
        detail::set_product_slots(slots, detail::slot_of_grad(&a->grad), detail::slot_of_grad(&b->grad));
        fill(node, value, op, slots, 2, detail::Form::product);
        last_product_ = node;
        return node;
    }
    // Folding into a product node (can_fuse() said yes): "+ c" as its third parent, or an
    // activation as its form; expand_product() turns it into ordinary partials (at the value it
    // has now) for any other op, after which fuse() applies.
    void fuse_product_bias(detail::Node* node, std::uint8_t op, const detail::Node* c) {
        node->n_edges = 3;
        detail::set_product_slot(*node, 2, detail::slot_of_grad(&c->grad));
        note_fused(node, op, detail::Form::product);
    }
    void fuse_product_activation(detail::Node* node, std::uint8_t op, detail::Form form) { note_fused(node, op, form); }
    void expand_product(detail::Node* node);  // out of line: rare, and the recorders must stay small

    // set_data on one of this tape's leaves: a product node recorded after the leaf may have read
    // its old value, and would read the new one; so backward and grad() refuse until clear().
    void note_leaf_assigned(const detail::Node* leaf) {
        if (last_product_ != nullptr && index_of(leaf) < index_of(last_product_)) products_stale_ = true;
    }
    // Raises Error (naming op) if note_leaf_assigned() found a product node that may be stale.
    void check_products_current(const char* op) const {
        if (products_stale_) [[unlikely]]
            throw_stale_products(op);
    }

    // Under HigherOrder: keeps the constant operand of the unary node recorded last (its partials
    // as expressions need it; detail/higher_order_log.hpp).
    void note_constant(double c) { higher_order_log_.note_constant(last_node_index(), c); }

    // Fusing (detail/record.hpp): an op on an unnamed temporary may rewrite the temporary's node
    // instead of recording a new one, if nothing can have seen that node since: it is the last
    // node recorded, no entry was recorded after it, it has partials, and its partials end the
    // edge stream with room for `more` (the new operand's). Then fuse() appends those.
    bool can_fuse(const detail::Node* node, std::uint32_t more) const {
        // A product node takes one Edge and may be expanded first: room for all its partials.
        // (Selects, not branches: S1 comes here with a product node and S2 without.)
        const std::uint32_t n = node->n_edges, records = detail::is_product(*node) ? 1 : n;
        return nodes_.is_last(node) && nodes_.next() != sealed_ && n != 0 &&
               edges_.continues_at(node->edges + records, more + (n - records));
    }
    detail::Edge* fuse(detail::Node* node, std::uint8_t op, std::uint32_t more) {
        detail::Edge* added = edges_.take_in_place(more);  // can_fuse() saw the room
        node->n_edges += more;
        note_fused(node, op, detail::Form::partials);
        return added;
    }

    // Adds seed to root's grad and sweeps the tape from root down to its first node.
    void backward(detail::Node* root, double seed);

    // For ops that are not scalar nodes (tensor ops). record_entry appends an entry whose
    // backward(data) the sweep runs after every node and entry recorded later; data should live
    // in arena() so that clear() frees it. `graph` lets grad() differentiate the entry with tensor
    // ops (tensor ops' recorder gives it). Returns the entry's index.
    std::size_t record_entry(void (*backward_kernel)(void*), void (*restart)(void*), void* data,
                             const char* name = nullptr, const detail::EntryGraph* graph = nullptr) {
        entries_.push_back(detail::Entry{nodes_.size(), backward_kernel, restart, data, name, graph,
                                         detail::in_place_clock.load(std::memory_order_relaxed)});
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
    std::size_t last_node_index() const {  // every node chunk but the active one is full
        const std::size_t c = nodes_.chunks_in_use() - 1;
        return c * nodes_.chunk_size() + nodes_.used_in(c) - 1;
    }

    // The op bookkeeping of fusing `op` into node, which then has the given form.
    void note_fused(detail::Node* node, std::uint8_t op, detail::Form form) {
        const std::uint8_t fused = detail::fused_count(*node);
        if (fused == 0) node->second_op = op;
        node->op = op;
        node->fused_form = detail::fused_form(static_cast<std::uint8_t>(fused + (fused != detail::kFusedMax)), form);
        ++fused_ops_;
    }

    static detail::Node* fill(detail::Node* node, double value, std::uint8_t op, detail::Edge* edges,
                              std::uint32_t n_edges, detail::Form form = detail::Form::partials) {
        node->value = value;
        node->grad = 0.0;
        node->edges = edges;
        node->n_edges = n_edges;
        node->op = op;
        node->first_op = op;
        node->second_op = 0;
        node->fused_form = detail::fused_form(0, form);
        return node;
    }

    // Runs nodes [0, node_end) and entries [0, entry_end) backwards, in recording order reversed.
    void sweep(std::size_t node_end, std::size_t entry_end);
    void sweep_nodes(std::size_t begin, std::size_t end);
    void sweep_nodes_checked(std::size_t begin, std::size_t end);  // anomaly mode's
    void restart_interior_grads(std::size_t node_end, std::size_t entry_end);
    std::size_t index_of(const detail::Node* node) const;
    [[noreturn]] static void throw_stale_products(const char* op);

    detail::NodeChunks nodes_;
    detail::Chunks<detail::Edge> edges_;
    std::vector<detail::Entry> entries_;
    detail::Arena arena_;
    std::uint64_t generation_ = detail::next_tape_generation();
    bool grad_enabled_ = true;
    bool higher_order_ = false;
    bool plain_ = true;                           // grad_enabled_ && !higher_order_
    bool swept_ = false;                          // a backward has run since clear(): interior grads may be non-zero
    std::size_t fused_ops_ = 0;                   // ops recorded by fusing into an existing node
    const detail::Node* sealed_ = nullptr;        // where the next node went when the last entry was recorded
    const detail::Node* last_product_ = nullptr;  // the product node recorded last, if any since clear()
    bool products_stale_ = false;                 // note_leaf_assigned()
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
