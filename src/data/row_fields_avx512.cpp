// The AVX-512 field splitter of unquoted CSV rows: commas, line breaks and quotes found 64 bytes per compare.
#include <immintrin.h>

#include "row_fields.hpp"

namespace shoal::data {

// Each block of 64 bytes (the last one loaded under a mask, so nothing past `size` is read) gives
// bit masks; the commas before the row's first line break are the field ends, lowest first.
size_t plainRowFieldsAvx512(const char* text, size_t size, size_t pos, size_t* ends, size_t maxFields,
                            size_t& count, bool& blanks) {
  count = 0;
  uint64_t blankBits = 0;
  const __m512i comma = _mm512_set1_epi8(','), lineBreak = _mm512_set1_epi8('\n'), quote = _mm512_set1_epi8('"');
  const __m512i space = _mm512_set1_epi8(' '), tab = _mm512_set1_epi8('\t'), carriage = _mm512_set1_epi8('\r');
  for (size_t at = pos;; at += 64) {
    const size_t left = size - at;
    const __mmask64 live = left >= 64 ? ~__mmask64{0} : (__mmask64{1} << left) - 1;
    const __m512i bytes = _mm512_maskz_loadu_epi8(live, text + at);
    const uint64_t commas = _mm512_mask_cmpeq_epi8_mask(live, bytes, comma);
    const uint64_t breaks = _mm512_mask_cmpeq_epi8_mask(live, bytes, lineBreak);
    const uint64_t quotes = _mm512_mask_cmpeq_epi8_mask(live, bytes, quote);
    const uint64_t stop = breaks & (~breaks + 1);  // the first line break, or 0
    const uint64_t inRow = stop ? stop - 1 : live;   // the row's bytes in this block
    if (quotes & inRow) return kNotPlain;
    blankBits |= (_mm512_mask_cmpeq_epi8_mask(live, bytes, space) | _mm512_mask_cmpeq_epi8_mask(live, bytes, tab) |
                  _mm512_mask_cmpeq_epi8_mask(live, bytes, carriage)) &
                 inRow;
    for (uint64_t c = commas & inRow; c; c &= c - 1) {
      if (count == maxFields) return kNotPlain;
      ends[count++] = at + static_cast<size_t>(__builtin_ctzll(c));
    }
    if (stop || left <= 64) {
      if (count == maxFields) return kNotPlain;
      const size_t end = stop ? at + static_cast<size_t>(__builtin_ctzll(stop)) : size;
      ends[count++] = end;
      blanks = blankBits != 0;
      return stop ? end + 1 : size;
    }
  }
}

}  // namespace shoal::data
