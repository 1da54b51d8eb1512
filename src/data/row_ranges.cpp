// Cutting CSV text into ranges of whole rows: quote parities decide which line breaks end a row.
#include <algorithm>

#include "shoal/data/table_reader.hpp"

namespace shoal::data {

ChunkCounts countChunk(std::string_view text) {
  return {std::count(text.begin(), text.end(), '"'), std::count(text.begin(), text.end(), '\n')};
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

std::vector<RowRange> splitRows(std::string_view text, RowRange range, int parts) {
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
        inQuotes ^= (countChunk(text.substr(scanned, cut - scanned)).quotes & 1) != 0;
        scanned = cut;
      }
      end = std::clamp(nextRowStart(text.substr(0, range.end), std::max(cut, begin), inQuotes), begin, range.end);
      if (end > scanned) {  // the rows up to `end` were scanned past `cut`: quotes now balanced
        inQuotes = false;
        scanned = end;
      }
    }
    out.push_back({begin, end, line});
    line += countChunk(text.substr(begin, end - begin)).lines;
    begin = end;
  }
  return out;
}

}  // namespace shoal::data
