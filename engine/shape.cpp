// Shape and the dtypes: a tensor's sizes and element types.
#include <algorithm>
#include <string>

#include "tapegrad/tensor.hpp"

namespace tapegrad {

const char* dtype_name(DType dtype) { return dtype == DType::f32 ? "float32" : "float64"; }
std::size_t dtype_size(DType dtype) { return dtype == DType::f32 ? 4 : 8; }

Shape::Shape(std::initializer_list<std::int64_t> sizes)
    : Shape(std::span<const std::int64_t>(sizes.begin(), sizes.size())) {}

Shape::Shape(std::span<const std::int64_t> sizes) {
    if (sizes.size() > static_cast<std::size_t>(kMaxDims))
        throw Error("shape: at most " + std::to_string(kMaxDims) + " dims are supported, got " +
                    std::to_string(sizes.size()));
    for (std::int64_t s : sizes) sizes_[ndim_++] = s;
}

std::int64_t Shape::numel() const {
    std::int64_t n = 1;
    for (std::int64_t s : *this) n *= s;
    return n;
}

void Shape::push_back(std::int64_t n) {
    if (ndim_ == kMaxDims) throw Error("shape: at most " + std::to_string(kMaxDims) + " dims are supported");
    sizes_[ndim_++] = n;
}

std::string Shape::str() const {
    std::string s = "[";
    for (int d = 0; d < ndim_; ++d) {
        if (d > 0) s += ", ";
        s += std::to_string(sizes_[d]);
    }
    return s + "]";
}

bool operator==(const Shape& a, const Shape& b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

}  // namespace tapegrad
