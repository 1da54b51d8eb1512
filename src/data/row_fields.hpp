// The CSV scans with an AVX-512 build: where an unquoted row's fields end, and counts of quotes and line breaks.
#pragma once
#include <cstddef>
#include <cstdint>

namespace shoal::data {

// The fields of the row that starts at text[pos] and ends at its first line break (or at `size`):
// writes the offset of each field's end (its comma, its line break, or `size`) to ends[0..count),
// sets `blanks` when the row holds a space, tab or carriage return (fields to trim) and returns
// the offset after the row. Returns kNotPlain, with nothing to use, when a quote comes
// before the row's end or the row has more than `maxFields` fields: such a row is left to the
// general record parser (quoted fields, errors).
constexpr size_t kNotPlain = ~size_t{0};
size_t plainRowFields(const char* text, size_t size, size_t pos, size_t* ends, size_t maxFields, size_t& count,
                      bool& blanks);

// The two builds behind plainRowFields, chosen once by the CPU (same results).
size_t plainRowFieldsBytewise(const char* text, size_t size, size_t pos, size_t* ends, size_t maxFields,
                              size_t& count, bool& blanks);
size_t plainRowFieldsAvx512(const char* text, size_t size, size_t pos, size_t* ends, size_t maxFields,
                            size_t& count, bool& blanks);
bool hasAvx512Bw();

// The quotes and line breaks in text[0, size) (countChunk's AVX-512 build; AVX-512BW CPUs only).
void countQuotesAndLinesAvx512(const char* text, size_t size, int64_t& quotes, int64_t& lines);

}  // namespace shoal::data
