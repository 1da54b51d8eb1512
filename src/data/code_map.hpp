// CodeMap: strings to int32 codes in an open-addressing table, for the per-cell category lookups of the table reader.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace shoal::data {

// Keys are copied in on insert; lookups take a view (no allocation) and cost one hash of the
// bytes, a probe or two and one compare. Linear probing over a power-of-two slot array kept at
// most half full; a slot holds the entry's index and 32 bits of its hash, so a probe reads the
// entry (and its key) only when those bits match.
class CodeMap {
 public:
  static constexpr int32_t kAbsent = -1;

  // The code of `key`, or kAbsent.
  int32_t find(std::string_view key) const {
    if (slots_.empty()) return kAbsent;
    const uint64_t h = hash(key);
    const uint64_t tag = h >> 32 << 32;
    for (size_t s = h & mask_;; s = (s + 1) & mask_) {
      const uint64_t slot = slots_[s];
      if (slot == 0) return kAbsent;
      if ((slot & kTagBits) != tag) continue;
      const Entry& e = entries_[(slot & kIndexBits) - 1];
      if (equal(e.key, key)) return e.code;
    }
  }

  // Adds `key` (not yet present) with `code`.
  void insert(std::string_view key, int32_t code) {
    if ((entries_.size() + 1) * 2 > slots_.size()) grow();
    const uint64_t h = hash(key);
    entries_.push_back({std::string(key), h, code});
    place(h, entries_.size());
  }

  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string key;
    uint64_t hash;
    int32_t code;
  };

  // Byte by byte: categories are short, and a call to memcmp costs more than the loop.
  static bool equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (a[i] != b[i]) return false;
    return true;
  }

  // 8 bytes at a time, each word mixed by a multiply and a rotation; the length seeds it.
  static uint64_t hash(std::string_view key) {
    constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
    uint64_t h = key.size() * kMul;
    size_t i = 0;
    for (; i + 8 <= key.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, key.data() + i, 8);
      h = (h ^ w) * kMul;
      h ^= h >> 29;
    }
    uint64_t tail = 0;
    for (size_t j = key.size(); j > i; --j) tail = tail << 8 | static_cast<unsigned char>(key[j - 1]);
    h = (h ^ tail) * kMul;
    return h ^ (h >> 32);
  }

  static constexpr uint64_t kTagBits = ~uint64_t{0} << 32, kIndexBits = ~kTagBits;

  void place(uint64_t h, size_t entry) {
    size_t s = h & mask_;
    while (slots_[s] != 0) s = (s + 1) & mask_;
    slots_[s] = (h & kTagBits) | entry;
  }

  void grow() {
    slots_.assign(slots_.empty() ? 64 : slots_.size() * 2, 0);
    mask_ = slots_.size() - 1;
    for (size_t i = 0; i < entries_.size(); ++i) place(entries_[i].hash, i + 1);
  }

  std::vector<Entry> entries_;
  std::vector<uint64_t> slots_;  // 0 empty, else the hash's high 32 bits | 1 + an index into entries_
  size_t mask_ = 0;
};

}  // namespace shoal::data
