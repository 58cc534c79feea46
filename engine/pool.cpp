// The tape's tensor buffer pools: power-of-two size classes with intrusive free lists.
#include "tapegrad/detail/tensor_pool.hpp"

#include <new>

namespace tapegrad {

namespace detail {

void* BufferPools::fresh(std::uint8_t size_class) {
    const std::size_t bytes = std::size_t{1} << size_class;
    void* p = ::operator new(bytes);  // plain operator new: the tests' allocation counter sees it
    ++heap_allocations_;
    bytes_held_ += bytes;
    return p;
}

void BufferPools::release() noexcept {
    for (std::uint8_t c = 0; c < 64; ++c) {
        while (FreeBuffer* b = free_[c]) {
            free_[c] = b->next;
            ::operator delete(b);
            bytes_held_ -= std::size_t{1} << c;
        }
    }
}

void BufferPoolsDeleter::operator()(BufferPools* pools) const noexcept { delete pools; }

void release_free_buffers(BufferPools* pools) noexcept {
    if (pools != nullptr) pools->release();
}

}  // namespace detail

detail::BufferPools& Tape::buffer_pools() {
    if (!buffer_pools_) [[unlikely]]
        buffer_pools_.reset(new detail::BufferPools);
    return *buffer_pools_;
}

}  // namespace tapegrad
