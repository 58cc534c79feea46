// DType: the element types of tensors and of checkpoint arrays.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tapegrad {

enum class DType : std::uint8_t { f32, f64 };

const char* dtype_name(DType dtype);  // "float32", "float64"
std::size_t dtype_size(DType dtype);  // 4, 8

}  // namespace tapegrad
