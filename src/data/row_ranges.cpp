// Cutting CSV text into ranges of whole rows: quote parities decide which line breaks end a row.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "row_fields.hpp"
#include "shoal/data/table_reader.hpp"

namespace shoal::data {

namespace {

constexpr uint64_t kOnes = 0x0101010101010101ull, kLow7 = 0x7f7f7f7f7f7f7f7full;

// The number of bytes of `word` equal to the byte `c` (a byte-wise compare without carries
// between bytes: a zero byte of word ^ c*kOnes is the only one whose high bit stays clear); the
// flags, one per byte, are summed by a multiply (no popcount instruction in baseline x86-64).
int64_t matches(uint64_t word, uint64_t c) {
  const uint64_t x = word ^ (c * kOnes);
  const uint64_t flags = ~(((x & kLow7) + kLow7) | x | kLow7) >> 7;
  return static_cast<int64_t>((flags * kOnes) >> 56);
}

}  // namespace

// 64 bytes at a time on AVX-512BW CPUs; else 8 bytes at a time (one pass for both counts), then
// the tail byte by byte.
ChunkCounts countChunk(std::string_view text) {
  ChunkCounts counts;
  static const bool avx512 = hasAvx512Bw();
  if (avx512) {
    countQuotesAndLinesAvx512(text.data(), text.size(), counts.quotes, counts.lines);
    return counts;
  }
  size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    counts.quotes += matches(word, '"');
    counts.lines += matches(word, '\n');
  }
  for (; i < text.size(); ++i) {
    counts.quotes += text[i] == '"';
    counts.lines += text[i] == '\n';
  }
  return counts;
}

ChunkCounts countRange(std::string_view text, size_t begin, size_t end, const CountedPieces& counted) {
  constexpr size_t kPiece = 4 << 20;
  ChunkCounts total;
  for (size_t at = begin; at < end; at += kPiece) {
    const size_t to = std::min(end, at + kPiece);
    const ChunkCounts c = countChunk(text.substr(at, to - at));
    total.quotes += c.quotes;
    total.lines += c.lines;
    if (counted) counted(at, to);
  }
  return total;
}

size_t nextRowStart(std::string_view text, size_t from, bool inQuotes) {
  if (from >= text.size()) return text.size();
  if (!inQuotes && (from == 0 || text[from - 1] == '\n')) return from;
  for (size_t p = from; p < text.size(); ++p) {
    if (text[p] == '"') inQuotes = !inQuotes;
    else if (text[p] == '\n' && !inQuotes) return p + 1;
  }
  return text.size();
}

std::vector<RowRange> splitRows(std::string_view text, RowRange range, int parts, const CountedPieces& counted) {
  parts = std::max(parts, 1);
  std::vector<RowRange> out;
  const size_t length = range.end - range.begin;
  size_t begin = range.begin;
  int64_t line = range.firstLine;
  bool inQuotes = false;  // at `scanned`
  size_t scanned = range.begin;
  for (int i = 1; i <= parts; ++i) {
    size_t end = range.end;
    if (i < parts) {
      const size_t cut = range.begin + length * static_cast<size_t>(i) / static_cast<size_t>(parts);
      if (cut > scanned) {
        inQuotes ^= (countRange(text, scanned, cut, counted).quotes & 1) != 0;
        scanned = cut;
      }
      end = std::clamp(nextRowStart(text.substr(0, range.end), std::max(cut, begin), inQuotes), begin, range.end);
      if (end > scanned) {  // the rows up to `end` were scanned past `cut`: quotes now balanced
        inQuotes = false;
        scanned = end;
      }
    }
    const int64_t lines = parts == 1 && range.lines >= 0 ? range.lines : countRange(text, begin, end, counted).lines;
    out.push_back({begin, end, line, lines});
    line += lines;
    begin = end;
  }
  return out;
}

}  // namespace shoal::data
