// Storage and TensorImpl: the memory behind tensors and the kinds of tensor (a borrowed layout, a
// leaf, an op result, a view), each made by one constructor.
#include "tapegrad/detail/tensor_impl.hpp"

#include <algorithm>
#include <cstring>
#include <new>

#include "tapegrad/detail/tensor_loops.hpp"
#include "tapegrad/detail/tensor_pool.hpp"

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

namespace {
void check_sizes(const Shape& shape) {
    for (std::int64_t s : shape)
        if (s < 0) tensor_error("tensor", "negative size in shape " + shape.str());
}
}  // namespace

TensorImpl::TensorImpl(DType type, const Shape& shape, void* buffer, const std::int64_t* layout_strides)
    : numel(shape.numel()), data(buffer), ndim(static_cast<std::int8_t>(shape.size())), dtype(type) {
    std::copy(shape.begin(), shape.end(), sizes);
    if (layout_strides == nullptr) {
        contiguous_strides(ndim, sizes, strides);
        return;
    }
    std::copy(layout_strides, layout_strides + ndim, strides);
    std::int64_t expect = 1;
    for (int d = ndim - 1; d >= 0; --d) {
        if (sizes[d] != 1 && strides[d] != expect) dense = false;
        expect *= sizes[d];
    }
}

TensorImpl::TensorImpl(DType type, const Shape& shape, bool wants_grad) : TensorImpl(type, shape, nullptr) {
    check_sizes(shape);
    requires_grad = wants_grad;
    leaf = true;
    storage = Storage::make(bytes());
    data = storage->data;
}

TensorImpl::TensorImpl(Storage& shared, DType type, const Shape& shape, void* at, const std::int64_t* layout_strides)
    : TensorImpl(type, shape, at, layout_strides) {
    leaf = true;
    storage = &shared;
    shared.retain();
}

TensorImpl::TensorImpl(Tape& on, DType type, const Shape& shape, bool wants_grad) : TensorImpl(type, shape, nullptr) {
    check_sizes(shape);
    requires_grad = wants_grad;
    tape = &on;
    data = on.buffer_pools().take(bytes(), data_class);
}

TensorImpl::TensorImpl(Tape& on, const TensorImpl& base, const Shape& shape, const std::int64_t* view_strides,
                       std::int64_t offset, bool wants_grad)
    : TensorImpl(base.dtype, shape,
                 static_cast<char*>(base.data) + offset * static_cast<std::int64_t>(dtype_size(base.dtype)),
                 view_strides) {
    requires_grad = wants_grad;
    tape = &on;
    storage = base.storage;
    if (storage != nullptr) storage->retain();
}

TensorImpl::~TensorImpl() {
    if (data_class != 0) tape->buffer_pools().give(data, data_class);
    if (grad_class != 0) tape->buffer_pools().give(grad, grad_class);
    if (storage != nullptr) storage->release();
    if (grad_storage != nullptr) grad_storage->release();
    if (grad_leaf != nullptr) grad_leaf->release();
}

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
