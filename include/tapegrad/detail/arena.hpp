// Arena: bump allocation in chunks for the data tensor ops save for backward; rewound by
// Tape::clear(), which runs the destructors of what needs them.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

namespace tapegrad::detail {

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

    template <class T, class... Args> T* make(Args&&... args) {
        void* at = allocate(sizeof(T), alignof(T));
        T* p;
        if constexpr (std::is_aggregate_v<T>)
            p = new (at) T{static_cast<Args&&>(args)...};  // clang 14 lacks C++20's T(args...) for aggregates
        else p = new (at) T(static_cast<Args&&>(args)...);
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
    std::vector<Chunk> chunks_;
    std::size_t chunk_ = 0;
    std::size_t used_ = 0;
    Destructor* destructors_ = nullptr;
};

}  // namespace tapegrad::detail
