// The portable field splitter of unquoted CSV rows, and the choice between it and the AVX-512 one.
#include "row_fields.hpp"

#include <array>

namespace shoal::data {
namespace {

// What a byte is to the splitter: 0 part of a field, 1 a comma, 2 a line break, 3 a quote, 4 a
// blank (space, tab, carriage return).
constexpr auto kKind = [] {
  std::array<uint8_t, 256> kind{};
  kind[','] = 1;
  kind['\n'] = 2;
  kind['"'] = 3;
  kind[' '] = kind['\t'] = kind['\r'] = 4;
  return kind;
}();

}  // namespace

size_t plainRowFieldsBytewise(const char* text, size_t size, size_t pos, size_t* ends, size_t maxFields,
                              size_t& count, bool& blanks) {
  count = 0;
  blanks = false;
  for (;; ++pos) {
    const uint8_t kind = pos < size ? kKind[static_cast<unsigned char>(text[pos])] : 2;
    if (kind == 0) continue;
    if (kind == 4) {
      blanks = true;
      continue;
    }
    if (kind == 3 || count == maxFields) return kNotPlain;
    ends[count++] = pos;
    if (kind == 2) return pos < size ? pos + 1 : size;
  }
}

bool hasAvx512Bw() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  return has;
}

size_t plainRowFields(const char* text, size_t size, size_t pos, size_t* ends, size_t maxFields, size_t& count,
                      bool& blanks) {
  static const bool avx512 = hasAvx512Bw();
  return avx512 ? plainRowFieldsAvx512(text, size, pos, ends, maxFields, count, blanks)
                : plainRowFieldsBytewise(text, size, pos, ends, maxFields, count, blanks);
}

}  // namespace shoal::data
