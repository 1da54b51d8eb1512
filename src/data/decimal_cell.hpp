// parseDecimalCell: a table cell read as a float, short plain decimals without from_chars (and 8 bytes at a time where readable).
#pragma once
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
bool parseDecimalCell(std::string_view s, float& value, const char* readableEnd);

}  // namespace shoal::data
