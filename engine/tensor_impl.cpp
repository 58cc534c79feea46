// Storage and TensorImpl: the memory behind tensors.
#include <cstring>
#include <new>

#include "tapegrad/tensor_impl.hpp"

namespace tapegrad::detail {

Storage* Storage::make(std::size_t bytes) {
    constexpr std::size_t kHeader = 64;  // keeps the data 64-byte aligned relative to the block
    static_assert(sizeof(Storage) <= kHeader);
    void* block = ::operator new(kHeader + bytes);
    auto* s = new (block) Storage;
    s->bytes = bytes;
    s->data = static_cast<char*>(block) + kHeader;
    std::memset(s->data, 0, bytes);
    return s;
}

void Storage::release() noexcept {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        this->~Storage();
        ::operator delete(static_cast<void*>(this));
    }
}

TensorImpl::~TensorImpl() {
    if (data_class != 0) tape->buffer_pools().give(data, data_class);
    if (grad_class != 0) tape->buffer_pools().give(grad, grad_class);
    if (storage != nullptr) storage->release();
    if (grad_storage != nullptr) grad_storage->release();
    if (grad_leaf != nullptr) grad_leaf->release();
}

bool TensorImpl::contiguous() const {
    std::int64_t expect = 1;
    for (int d = ndim - 1; d >= 0; --d) {
        if (sizes[d] != 1 && strides[d] != expect) return false;
        expect *= sizes[d];
    }
    return true;
}

void TensorImpl::set_contiguous_strides() { contiguous_strides(ndim, sizes, strides); }

void* TensorImpl::grad_buffer() {
    if (grad == nullptr) {
        if (leaf) {
            grad_storage = Storage::make(bytes());
            grad = grad_storage->data;
        } else {
            grad = tape->buffer_pools().take(bytes(), grad_class);
            std::memset(grad, 0, bytes());
        }
    }
    return grad;
}

}  // namespace tapegrad::detail
