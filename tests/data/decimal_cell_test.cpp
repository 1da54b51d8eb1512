// Number cells: the word-at-a-time path gives bit for bit what the byte-by-byte path and std::from_chars give, on edge cases and random strings.
#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "data/decimal_cell.hpp"

namespace {

struct Parsed {
  bool ok = false;
  uint32_t bits = 0;
  bool operator==(const Parsed&) const = default;
};

// `cell` parsed with 8 readable bytes after it (the word path wherever it applies), and with
// nothing known to be readable (the byte path).
Parsed withWord(const std::string& cell) {
  const std::string buffer = cell + "01234567";  // digits after the cell: a careless mask would read them
  float v = 0;
  const bool ok = shoal::data::parseDecimalCell(std::string_view(buffer.data(), cell.size()), v,
                                                buffer.data() + buffer.size());
  return {ok, ok ? std::bit_cast<uint32_t>(v) : 0};
}

Parsed bytewise(const std::string& cell) {
  float v = 0;
  const bool ok = shoal::data::parseDecimalCell(cell, v);
  return {ok, ok ? std::bit_cast<uint32_t>(v) : 0};
}

// What std::from_chars makes of the cell (after a leading '+', which it does not take).
Parsed fromChars(std::string_view cell) {
  if (!cell.empty() && cell.front() == '+') cell.remove_prefix(1);
  float v = 0;
  auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
  const bool ok = ec == std::errc() && end == cell.data() + cell.size() && std::isfinite(v);
  return {ok, ok ? std::bit_cast<uint32_t>(v) : 0};
}

TEST(DecimalCell, EdgeCasesAgreeWithBothOtherReadings) {
  const std::vector<std::string> cells{
      "",        "+",        "-",        ".",        "-.",      "+.",       "..",      "1..",      "+-5",     "-+5",
      "1.",      ".5",       "-.25",     "0",        "-0",      "00000000", "0000012", "9999999", "99999999",
      "1234.567", "123.4567", "1234567.", ".1234567", "12345678", "1.2.3",   "1e5",     "1E-3",    " 1",      "1 ",
      "nan",     "inf",      "-inf",     "0x10",     "3.4028235e38", "3.5e38", "1e39",  "7/",       "7:",      "/7",
      ":7",      "-0.0000001", "0.1",    "16777217", "1,5",     "\xff",     "1\x80",   "-12.5",   "+7"};
  for (const std::string& c : cells) {
    EXPECT_EQ(withWord(c), bytewise(c)) << c;
    // from_chars takes "+-5" as an error, the short path as -5 (as the reader always has)
    if (c != "+-5") {
      EXPECT_EQ(withWord(c), fromChars(c)) << c;
    }
  }
}

TEST(DecimalCell, RandomStringsAgreeWithBothOtherReadings) {
  std::mt19937_64 gen(18);
  const std::string alphabet = "0123456789012345678901234567890123456789..-+eE x/:";
  for (int i = 0; i < 300000; ++i) {
    std::string cell;
    if (i % 2) {  // anything from the alphabet
      const size_t length = gen() % 11;
      for (size_t k = 0; k < length; ++k) cell += alphabet[gen() % alphabet.size()];
    } else {  // a plain decimal: sign, 1 to 9 digits, maybe a point
      const int digits = 1 + static_cast<int>(gen() % 9), point = static_cast<int>(gen() % (digits + 1));
      if (gen() % 2) cell += '-';
      for (int d = 0; d <= digits; ++d) {
        if (d == point && gen() % 2) cell += '.';
        if (d < digits) cell += static_cast<char>('0' + gen() % 10);
      }
    }
    const Parsed word = withWord(cell);
    ASSERT_EQ(word, bytewise(cell)) << cell;
    if (cell.rfind("+-", 0) != 0) {
      ASSERT_EQ(word, fromChars(cell)) << cell;
    }
  }
}

}  // namespace
