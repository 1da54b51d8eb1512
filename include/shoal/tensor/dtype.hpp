// DType: the element type a tensor holds (float32, bfloat16, integers), its name and size.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shoal/tensor/bfloat16.hpp"

namespace shoal {

enum class DType { F32, BF16, I32, I64, U8 };

// "f32", "bf16", "i32", "i64", "u8".
std::string_view dtypeName(DType dtype);

// Bytes per element.
constexpr size_t dtypeSize(DType dtype) {
  switch (dtype) {
    case DType::F32: return 4;
    case DType::BF16: return 2;
    case DType::I32: return 4;
    case DType::I64: return 8;
    case DType::U8: return 1;
  }
  return 0;
}

// The DType of the C++ element type T (float, bfloat16, int32_t, int64_t, uint8_t).
template <class T>
constexpr DType dtypeOf() = delete;
template <>
constexpr DType dtypeOf<float>() { return DType::F32; }
template <>
constexpr DType dtypeOf<bfloat16>() { return DType::BF16; }
template <>
constexpr DType dtypeOf<int32_t>() { return DType::I32; }
template <>
constexpr DType dtypeOf<int64_t>() { return DType::I64; }
template <>
constexpr DType dtypeOf<uint8_t>() { return DType::U8; }

}  // namespace shoal
