// Size-class pools for tensor buffers: each tape owns one set. Op results take their data and
// grad buffers here; clear() runs their destructors, which give the buffers back, so a warm
// training step finds every buffer it needs on a free list instead of the heap. Kernels take
// their scratch memory here too. Internal.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

#include "tapegrad/tape.hpp"

namespace tapegrad::detail {

class BufferPools {
public:
    BufferPools() = default;
    BufferPools(const BufferPools&) = delete;
    BufferPools& operator=(const BufferPools&) = delete;
    ~BufferPools() { release(); }

    // A buffer of at least `bytes` bytes (16-byte aligned); `size_class` receives what give() needs.
    void* take(std::size_t bytes, std::uint8_t& size_class) {
        const std::uint8_t c = class_of(bytes);
        size_class = c;
        ++in_use_;
        if (FreeBuffer* b = free_[c]) {
            free_[c] = b->next;
            return b;
        }
        return fresh(c);
    }
    void give(void* buffer, std::uint8_t size_class) noexcept {
        auto* b = static_cast<FreeBuffer*>(buffer);
        b->next = free_[size_class];
        free_[size_class] = b;
        --in_use_;
    }
    // Frees the idle buffers; buffers in use are unaffected.
    void release() noexcept;

    std::uint64_t heap_allocations() const { return heap_allocations_; }  // buffers ever made
    std::size_t bytes_held() const { return bytes_held_; }                // idle or in use
    std::size_t buffers_in_use() const { return in_use_; }

private:
    struct FreeBuffer {
        FreeBuffer* next;
    };
    static constexpr std::uint8_t kMinClass = 6;  // 64 bytes
    // The least class c >= kMinClass with 2^c >= bytes.
    static std::uint8_t class_of(std::size_t bytes) {
        const auto c = static_cast<std::uint8_t>(std::bit_width(bytes - 1));
        return bytes <= (std::size_t{1} << kMinClass) ? kMinClass : c;
    }
    void* fresh(std::uint8_t size_class);

    FreeBuffer* free_[64] = {};
    std::uint64_t heap_allocations_ = 0;
    std::size_t bytes_held_ = 0;
    std::size_t in_use_ = 0;
};

// Scratch memory from the tape's pools, given back when it goes out of scope.
class Scratch {
public:
    Scratch(Tape& tape, std::size_t bytes) : pools_(&tape.buffer_pools()), p_(pools_->take(bytes, class_)) {}
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    ~Scratch() { pools_->give(p_, class_); }
    template <class T> T* as() const { return static_cast<T*>(p_); }

private:
    BufferPools* pools_;
    std::uint8_t class_ = 0;
    void* p_;
};

}  // namespace tapegrad::detail
