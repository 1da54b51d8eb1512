// The AVX-512 count of quotes and line breaks in CSV text: 64 bytes per compare, the matches summed by popcount.
#include <immintrin.h>

#include "row_fields.hpp"

namespace shoal::data {

void countQuotesAndLinesAvx512(const char* text, size_t size, int64_t& quotes, int64_t& lines) {
  const __m512i quote = _mm512_set1_epi8('"'), lineBreak = _mm512_set1_epi8('\n');
  int64_t q = 0, l = 0;
  for (size_t at = 0; at < size; at += 64) {
    const size_t left = size - at;
    const __mmask64 live = left >= 64 ? ~__mmask64{0} : (__mmask64{1} << left) - 1;
    const __m512i bytes = _mm512_maskz_loadu_epi8(live, text + at);
    q += __builtin_popcountll(_mm512_mask_cmpeq_epi8_mask(live, bytes, quote));
    l += __builtin_popcountll(_mm512_mask_cmpeq_epi8_mask(live, bytes, lineBreak));
  }
  quotes = q;
  lines = l;
}

}  // namespace shoal::data
