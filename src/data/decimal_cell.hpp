// parseDecimalCell: a table cell read as a float, short plain decimals without from_chars (and 8 bytes at a time where readable).
#pragma once
#include <cstdint>
#include <cstring>
#include <string_view>

namespace shoal::data {

// The float a number cell holds: `s` is a whole decimal or scientific number with an optional
// sign, finite as a float; false otherwise. Plain decimals of up to 7 digits ("138", "-0.1234",
// "12.5") are read without from_chars: their digits m and 10^k are exact floats, so the one float
// division m / 10^k is the correctly rounded value, which is what from_chars gives; every other
// form goes to from_chars.
bool parseDecimalCell(std::string_view s, float& value);

// The same value, for a cell inside a buffer readable up to `readableEnd` (null: unknown): a cell
// with 8 readable bytes after its sign is checked and converted as one 64-bit word.
// (Inline with its short paths: it runs once per number cell.)
bool parseDecimalCell(std::string_view s, float& value, const char* readableEnd);

namespace decimal_cell {

constexpr float kPowers[] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f};
constexpr uint64_t kOnes = 0x0101010101010101ull, kLow7 = 0x7f7f7f7f7f7f7f7full, kHigh = 0x8080808080808080ull;

// Any form from_chars reads (after a leading '+'), finite as a float.
bool parseGeneral(std::string_view s, float& value);

// A plain body (digits with at most one point, 1 to 7 digits, at most 8 bytes) byte by byte:
// false when it is not one.
inline bool plainBytewise(std::string_view body, bool negative, float& value) {
  if (body.empty() || body.size() > 8) return false;
  int32_t m = 0, digits = 0, decimals = -1;  // decimals: digits after the point, -1 without one
  bool plain = true;
  for (char c : body) {
    if (c == '.' && decimals < 0) {
      decimals = 0;
      continue;
    }
    const unsigned d = static_cast<unsigned char>(c) - unsigned{'0'};
    plain = plain && d <= 9;
    m = m * 10 + static_cast<int32_t>(d & 15);
    ++digits;
    if (decimals >= 0) ++decimals;
  }
  if (!plain || digits == 0 || digits > 7) return false;
  const float magnitude = static_cast<float>(m) / kPowers[decimals > 0 ? decimals : 0];
  value = negative ? -magnitude : magnitude;
  return true;
}

// The same for a body whose 8 bytes from its start can be read: the bytes of one little-endian
// word [b0 .. b7] (b0 the first) are checked as digits and a point at once; the point is cut out
// and the digits, moved to the word's top bytes, are combined in three multiply steps.
inline bool plainWord(std::string_view body, bool negative, float& value) {
  const size_t n = body.size();
  if (n == 0 || n > 8) return false;
  uint64_t word;
  std::memcpy(&word, body.data(), 8);
  const uint64_t keep = n == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * n)) - 1;
  const uint64_t x = (word ^ (uint64_t{'0'} * kOnes)) & keep;  // a digit byte: 0-9
  const uint64_t above9 = (((x & kLow7) + uint64_t{0x76} * kOnes) | x) & kHigh & keep;  // bytes not 0-9
  const uint64_t p = (word ^ (uint64_t{'.'} * kOnes)) & keep;
  const uint64_t points = ~(((p & kLow7) + kLow7) | p | kLow7) & keep;  // high bit of each '.' byte
  if (above9 != points || (points & (points - 1))) return false;  // not all digits but one point
  uint64_t digits = x;
  size_t count = n, decimals = 0;
  if (points) {
    const size_t at = static_cast<size_t>(__builtin_ctzll(points)) / 8;  // the point's byte
    const uint64_t below = at ? (uint64_t{1} << (8 * at)) - 1 : 0;
    digits = (x & below) | ((x >> 8) & ~below);
    count = n - 1;
    decimals = n - 1 - at;
  }
  if (count == 0 || count > 7) return false;
  digits <<= 8 * (8 - count);  // leading zeros in the low bytes: 8 digits, the first the most significant
  digits = digits * 10 + (digits >> 8);  // pairs
  digits = (((digits & 0x000000FF000000FFull) * (100 + (1000000ull << 32))) +
            (((digits >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32)))) >> 32;
  const float magnitude = static_cast<float>(static_cast<int32_t>(digits)) / kPowers[decimals];
  value = negative ? -magnitude : magnitude;
  return true;
}

}  // namespace decimal_cell

inline bool parseDecimalCell(std::string_view s, float& value, const char* readableEnd) {
  std::string_view body = s;
  if (!body.empty() && body.front() == '+') body.remove_prefix(1);
  if (body.empty()) return false;
  const bool negative = body.front() == '-';
  if (negative) body.remove_prefix(1);
  const bool wordReadable = readableEnd && !body.empty() && readableEnd - body.data() >= 8;
  if (wordReadable ? decimal_cell::plainWord(body, negative, value)
                   : decimal_cell::plainBytewise(body, negative, value))
    return true;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  return decimal_cell::parseGeneral(s, value);
}

}  // namespace shoal::data

