// Chunks<T>: the tape's growing streams of nodes and edges, in fixed-size chunks that are kept
// for reuse when the tape is cleared (so a warm tape records without touching the heap).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace tapegrad::detail {

// The default allocator of chunks; Nodes use the node region's (detail/node_region.hpp).
struct HeapArrays {
    template <class T> static T* allocate(std::size_t n) { return new T[n]; }
    template <class T> static void deallocate(T* p) noexcept { delete[] p; }
};

// A growing sequence of T in fixed-size chunks. Slots never move, so pointers into it stay
// valid until rewind(); rewind() keeps the chunks for reuse.
template <class T, class Arrays = HeapArrays> class Chunks {
public:
    explicit Chunks(std::size_t chunk_size) : chunk_size_(chunk_size) {}

    // n contiguous slots, left uninitialised.
    T* take(std::size_t n) {
        if (static_cast<std::size_t>(end_ - cur_) < n) [[unlikely]]
            next_chunk(n);
        T* p = cur_;
        cur_ += n;
        return p;
    }

    void rewind() {
        if (!chunks_.empty()) enter(0);
    }

    // Where the next take(n) will start, without taking: the active chunk then has room for n.
    T* room(std::size_t n) {
        if (static_cast<std::size_t>(end_ - cur_) < n) [[unlikely]]
            next_chunk(n);
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

    struct Free {
        void operator()(T* p) const noexcept { Arrays::deallocate(p); }
    };
    struct Chunk {
        std::unique_ptr<T[], Free> data;
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
            chunks_.push_back(Chunk{std::unique_ptr<T[], Free>(Arrays::template allocate<T>(capacity)), capacity, 0});
        }
        enter(next);
    }

    std::size_t chunk_size_;
    std::vector<Chunk> chunks_;
    std::size_t active_ = 0;
    T* cur_ = nullptr;
    T* end_ = nullptr;
};

}  // namespace tapegrad::detail
