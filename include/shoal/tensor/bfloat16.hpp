// bfloat16: the upper 16 bits of an IEEE float32, with round-to-nearest-even conversion from float.
#pragma once
#include <bit>
#include <cstdint>

namespace shoal {

// The bfloat16 bits nearest to `value` (ties to even); a NaN stays a (quiet) NaN of the same sign,
// and values beyond bfloat16's range become infinities.
constexpr uint16_t bfloat16Bits(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

// The float32 that bfloat16 `bits` stand for (exact).
constexpr float bfloat16ToFloat(uint16_t bits) {
  return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

// One bfloat16 element as stored in a tensor (2 bytes); converts explicitly to and from float.
struct bfloat16 {
  uint16_t bits = 0;

  constexpr bfloat16() = default;
  constexpr explicit bfloat16(float value) : bits(bfloat16Bits(value)) {}
  static constexpr bfloat16 fromBits(uint16_t b) {
    bfloat16 h;
    h.bits = b;
    return h;
  }
  constexpr explicit operator float() const { return bfloat16ToFloat(bits); }
};

static_assert(sizeof(bfloat16) == 2);

}  // namespace shoal
