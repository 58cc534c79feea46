// The tape: every recorded scalar node and its partial derivatives, in recording order.
//
// Recording order is a topological order, so backward is one reverse sweep:
//
//   nodes  (chunks of Node, 32 bytes each; a Value points at one)
//   +--------+--------+--------+--------+
//   | value  | value  | value  | value  |  ...     node i was recorded before node i+1
//   | grad   | grad   | grad   | grad   |
//   | edges -+ edges -+ edges -+ edges -+
//   +----|---+----|---+----|---+----|---+
//        v        v        v        v
//   edges  (chunks of Edge, 16 bytes each)
//   +---------------+---------------+---------------+---
//   | partial       | partial       | partial       |      d node / d parent, computed
//   | parent_grad * | parent_grad * | parent_grad * |      while recording
//   +---------------+---------------+---------------+---
//
// backward: for each node from the root down to the first:  parent_grad += partial * grad.
// Chunks are kept when the tape is cleared, so a warm tape records without touching the heap.
//
// Ops that are not scalar nodes (tensor ops) record an Entry: a backward kernel, its saved data
// (in the tape's arena) and its position among the nodes. The sweep runs each entry's kernel at
// that position, so scalar and tensor ops share one tape and one reverse order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>

#include <boost/container/vector.hpp>

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

// One partial derivative of a node: d(node)/d(parent), and where the parent's grad lives.
struct Edge {
    double partial;
    double* parent_grad;
};

// One recorded scalar. Parameters are Nodes too, living outside any tape.
struct Node {
    double value;
    double grad;
    Edge* edges;             // this node's n_edges partials
    std::uint32_t n_edges;
    std::uint8_t op;         // index into the scalar op table (ops/scalar_ops.hpp); the last op if fused
    // For pictures of fused nodes (Note [fusing temporaries] in value.hpp): the op the node was
    // recorded with, the first op fused into it, and how many were (0: a plain node; saturates).
    std::uint8_t first_op, second_op, fused;
};

// Every Edge points at a Node's grad; this recovers the Node (for graph walks, not for backward).
inline Node* node_of_grad(double* grad) {
    return reinterpret_cast<Node*>(reinterpret_cast<char*>(grad) - offsetof(Node, grad));
}

// A growing sequence of T in fixed-size chunks. Slots never move, so pointers into it stay
// valid until rewind(); rewind() keeps the chunks for reuse.
template <class T>
class Chunks {
public:
    explicit Chunks(std::size_t chunk_size) : chunk_size_(chunk_size) {}

    // n contiguous slots, left uninitialised.
    T* take(std::size_t n) {
        if (static_cast<std::size_t>(end_ - cur_) < n) [[unlikely]] next_chunk(n);
        T* p = cur_;
        cur_ += n;
        return p;
    }

    void rewind() {
        if (!chunks_.empty()) enter(0);
    }

    // Where the next take(n) will start, without taking: the active chunk then has room for n.
    T* room(std::size_t n) {
        if (static_cast<std::size_t>(end_ - cur_) < n) [[unlikely]] next_chunk(n);
        return cur_;
    }

    // take(n) when the active chunk is known to have room (continues_at() or room() said so).
    T* take_in_place(std::size_t n) {
        T* p = cur_;
        cur_ += n;
        return p;
    }

    // True if p is the slot take() handed out last (p from a take() since the last rewind()).
    bool is_last(const T* p) const { return p + 1 == cur_; }
    // Where the next slot would be taken, if it fits in the active chunk.
    const T* next() const { return cur_; }
    // True if the next take(n) returns p, contiguous with what ends at p.
    bool continues_at(const T* p, std::size_t n) const {
        return p == cur_ && static_cast<std::size_t>(end_ - cur_) >= n;
    }

    void release() {
        chunks_.clear();
        cur_ = end_ = nullptr;
        active_ = 0;
    }

    struct Chunk {
        std::unique_ptr<T[]> data;
        std::size_t capacity;
        std::size_t used;  // up to date for every chunk before the active one
    };

    // Chunks in use, the last one partly; used_in(i) slots of chunk i hold data.
    std::size_t chunks_in_use() const { return chunks_.empty() ? 0 : active_ + 1; }
    T* chunk_data(std::size_t i) const { return chunks_[i].data.get(); }
    std::size_t used_in(std::size_t i) const {
        return i == active_ ? static_cast<std::size_t>(cur_ - chunks_[i].data.get()) : chunks_[i].used;
    }
    std::size_t size() const {
        std::size_t n = 0;
        for (std::size_t i = 0; i < chunks_in_use(); ++i) n += used_in(i);
        return n;
    }
    std::size_t capacity() const {
        std::size_t n = 0;
        for (const Chunk& c : chunks_) n += c.capacity;
        return n;
    }
    std::size_t chunk_size() const { return chunk_size_; }
    // Index of the chunk holding p, or npos.
    std::size_t find(const T* p) const {
        for (std::size_t i = 0; i < chunks_in_use(); ++i) {
            const T* d = chunks_[i].data.get();
            if (p >= d && p < d + used_in(i)) return i;
        }
        return npos;
    }
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

private:
    void enter(std::size_t i) {
        active_ = i;
        cur_ = chunks_[i].data.get();
        end_ = cur_ + chunks_[i].capacity;
    }

    // Close the active chunk and move to the next one that holds n slots (reused or new).
    // Out of line: take() is on every recorder's path and must stay small enough to inline.
    [[gnu::noinline]] void next_chunk(std::size_t n) {
        std::size_t next = 0;
        if (!chunks_.empty()) {
            chunks_[active_].used = static_cast<std::size_t>(cur_ - chunks_[active_].data.get());
            next = active_ + 1;
        }
        while (next < chunks_.size() && chunks_[next].capacity < n) {
            chunks_[next].used = 0;  // too small for this request: skip it, keep it for later
            ++next;
        }
        if (next == chunks_.size()) {
            const std::size_t capacity = n > chunk_size_ ? n : chunk_size_;
            chunks_.push_back(Chunk{std::unique_ptr<T[]>(new T[capacity]), capacity, 0});
        }
        enter(next);
    }

    std::size_t chunk_size_;
    boost::container::vector<Chunk> chunks_;
    std::size_t active_ = 0;
    T* cur_ = nullptr;
    T* end_ = nullptr;
};

// Bump allocation in chunks, rewound by clear(); objects with destructors get them run at clear().
class Arena {
public:
    Arena() = default;
    Arena(const Arena&) = delete;
    Arena& operator=(const Arena&) = delete;
    ~Arena() { rewind(); }

    void* allocate(std::size_t bytes, std::size_t align) {
        std::size_t at = (used_ + align - 1) & ~(align - 1);
        if (chunk_ == chunks_.size() || at + bytes > chunks_[chunk_].size) [[unlikely]] {
            next_chunk(bytes + align);
            at = (used_ + align - 1) & ~(align - 1);
        }
        used_ = at + bytes;
        return chunks_[chunk_].data.get() + at;
    }

    template <class T, class... Args>
    T* make(Args&&... args) {
        void* at = allocate(sizeof(T), alignof(T));
        T* p;
        if constexpr (std::is_aggregate_v<T>)
            p = new (at) T{static_cast<Args&&>(args)...};  // clang 14 lacks C++20's T(args...) for aggregates
        else
            p = new (at) T(static_cast<Args&&>(args)...);
        if constexpr (!std::is_trivially_destructible_v<T>) {
            auto* d = new (allocate(sizeof(Destructor), alignof(Destructor)))
                Destructor{[](void* q) { static_cast<T*>(q)->~T(); }, p, destructors_};
            destructors_ = d;
        }
        return p;
    }

    // Runs the destructors (newest first) and keeps the chunks.
    void rewind() {
        for (Destructor* d = destructors_; d != nullptr; d = d->next) d->destroy(d->object);
        destructors_ = nullptr;
        chunk_ = 0;
        used_ = 0;
    }
    void release() {
        rewind();
        chunks_.clear();
    }
    std::size_t bytes_reserved() const {
        std::size_t n = 0;
        for (const Chunk& c : chunks_) n += c.size;
        return n;
    }

private:
    struct Destructor {
        void (*destroy)(void*);
        void* object;
        Destructor* next;
    };
    struct Chunk {
        std::unique_ptr<char[]> data;
        std::size_t size;
    };
    void next_chunk(std::size_t bytes) {
        if (chunk_ < chunks_.size()) ++chunk_;  // the active chunk is full: the next one
        while (chunk_ < chunks_.size() && chunks_[chunk_].size < bytes) ++chunk_;
        if (chunk_ == chunks_.size()) {
            const std::size_t size = bytes > kChunkBytes ? bytes : kChunkBytes;
            chunks_.push_back(Chunk{std::unique_ptr<char[]>(new char[size]), size});
        }
        used_ = 0;
    }
    static constexpr std::size_t kChunkBytes = 1u << 20;
    boost::container::vector<Chunk> chunks_;
    std::size_t chunk_ = 0;
    std::size_t used_ = 0;
    Destructor* destructors_ = nullptr;
};

// A recorded op that is not a scalar node: backward(data) runs when the sweep reaches it;
// restart(data), if given, zeroes the grads of its outputs before a repeated sweep.
struct Entry {
    std::size_t position;  // how many scalar nodes were recorded before it
    void (*backward)(void* data);
    void (*restart)(void* data);
    void* data;            // in the tape's arena
    const char* name;      // the op's name, for errors ("matmul"); may be null
};

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

    std::size_t size() const { return nodes_.size() + fused_ops_; }  // ops recorded (fused or not)
    std::size_t node_count() const { return nodes_.size(); }         // nodes recorded
    std::size_t edge_count() const { return edges_.size(); }   // partials recorded
    std::size_t bytes_used() const;                            // by nodes and edges
    std::size_t bytes_reserved() const;                        // held, used or not
    std::uint64_t generation() const { return generation_; }  // bumped by clear()
    bool grad_enabled() const { return grad_enabled_; }

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

    // Fusing (ops/scalar_ops.hpp): an op on an unnamed temporary may rewrite the temporary's node
    // instead of recording a new one, if nothing can have seen that node since: it is the last
    // node recorded, no entry was recorded after it, it has partials, and its partials end the
    // edge stream with room for `more` (the new operand's). Then fuse() appends those.
    bool can_fuse(const detail::Node* node, std::uint32_t more) const {
        return nodes_.is_last(node) && nodes_.next() != sealed_ && node->n_edges != 0 &&
               edges_.continues_at(node->edges + node->n_edges, more);
    }
    detail::Edge* fuse(detail::Node* node, std::uint8_t op, std::uint32_t more) {
        detail::Edge* added = edges_.take_in_place(more);  // can_fuse() saw the room
        node->n_edges += more;
        if (node->fused == 0) node->second_op = op;
        node->op = op;
        node->fused += node->fused != 255;
        ++fused_ops_;
        return added;
    }

    // Adds seed to root's grad and sweeps the tape from root down to its first node.
    void backward(detail::Node* root, double seed);

    // For ops that are not scalar nodes (tensor ops). record_entry appends an entry whose
    // backward(data) the sweep runs after every node and entry recorded later; data should live
    // in arena() so that clear() frees it. Returns the entry's index.
    std::size_t record_entry(void (*backward_kernel)(void*), void (*restart)(void*), void* data,
                             const char* name = nullptr) {
        entries_.push_back(detail::Entry{nodes_.size(), backward_kernel, restart, data, name});
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

    static detail::Node* fill(detail::Node* node, double value, std::uint8_t op, detail::Edge* edges,
                              std::uint32_t n_edges) {
        node->value = value;
        node->grad = 0.0;
        node->edges = edges;
        node->n_edges = n_edges;
        node->op = op;
        node->first_op = op;
        node->second_op = 0;
        node->fused = 0;
        return node;
    }

    // Runs nodes [0, node_end) and entries [0, entry_end) backwards, in recording order reversed.
    void sweep(std::size_t node_end, std::size_t entry_end);
    void sweep_nodes(std::size_t begin, std::size_t end);
    void sweep_nodes_checked(std::size_t begin, std::size_t end);  // anomaly mode's
    void restart_interior_grads(std::size_t node_end, std::size_t entry_end);
    std::size_t index_of(const detail::Node* node) const;

    detail::Chunks<detail::Node> nodes_;
    detail::Chunks<detail::Edge> edges_;
    boost::container::vector<detail::Entry> entries_;
    detail::Arena arena_;
    std::uint64_t generation_ = 1;
    bool grad_enabled_ = true;
    bool swept_ = false;  // a backward has run since clear(): interior grads may be non-zero
    std::size_t fused_ops_ = 0;  // ops recorded by fusing into an existing node
    const detail::Node* sealed_ = nullptr;  // where the next node went when the last entry was recorded
    std::unique_ptr<detail::BufferPools, detail::BufferPoolsDeleter> buffer_pools_;  // made on first use
    EntryHook entry_hook_ = nullptr;  // set_entry_hook()
    void* entry_hook_context_ = nullptr;
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

}  // namespace tapegrad
