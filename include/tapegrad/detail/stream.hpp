// Stream<T>: one of the tape's growing arrays (edges, grads), contiguous so that a slot is a
// plain index. It grows by doubling and keeps its memory when rewound, so a warm tape records
// without touching the heap. Growing moves the elements: hold indices into it, not pointers.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <type_traits>

#include "tapegrad/error.hpp"

namespace tapegrad::detail {

// At most Max elements: growing past them raises Error.
template <class T, std::size_t Max = static_cast<std::size_t>(-1) / sizeof(T)> class Stream {
    static_assert(std::is_trivially_copyable_v<T>);

public:
    Stream() = default;
    ~Stream() { std::free(data_); }
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    // n slots at the end, left uninitialised.
    T* take(std::size_t n) {
        T* p = room(n);
        size_ += n;
        return p;
    }
    // Where the next take(n) will start, without taking: there is then room for n.
    T* room(std::size_t n) {
        if (capacity_ - size_ < n) [[unlikely]]
            grow(n);
        return data_ + size_;
    }
    // take(n) after room(n), with nothing taken in between.
    void take_in_place(std::size_t n) { size_ += n; }
    void push_back(T x) { *take(1) = x; }

    T& operator[](std::size_t i) { return data_[i]; }
    const T& operator[](std::size_t i) const { return data_[i]; }
    T* data() { return data_; }
    const T* data() const { return data_; }
    T* end() { return data_ + size_; }
    std::size_t size() const { return size_; }
    std::size_t capacity() const { return capacity_; }

    void rewind() { size_ = 0; }
    void release() {
        std::free(data_);
        data_ = nullptr;
        size_ = capacity_ = 0;
    }

private:
    // Out of line: take() is on every recorder's path and must stay small enough to inline.
    [[gnu::noinline]] void grow(std::size_t n) {
        if (n > Max - size_)
            throw Error("record: the tape would hold more than " + std::to_string(Max) + " " +
                        (sizeof(T) == sizeof(double) ? "nodes" : "entries") + ", the most it can");
        std::size_t capacity = capacity_ == 0 ? 4096 : 2 * capacity_;
        while (capacity - size_ < n) capacity *= 2;
        T* data = static_cast<T*>(std::malloc(capacity * sizeof(T)));
        if (data == nullptr) throw std::bad_alloc();
        if (size_ != 0) std::memcpy(static_cast<void*>(data), data_, size_ * sizeof(T));
        std::free(data_);
        data_ = data;
        capacity_ = capacity;
    }

    T* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

}  // namespace tapegrad::detail
