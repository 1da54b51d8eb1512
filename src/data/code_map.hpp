// CodeMap: strings to int32 codes in an open-addressing table, for the per-cell category lookups of the table reader.
#pragma once
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace shoal::data {

// Keys are copied in on insert; lookups take a view (no allocation). Linear probing over a
// power-of-two slot array kept at most half full. A key of up to 7 bytes (most categories) is
// packed into one word with its length and kept in its slot with its code, so looking it up reads
// only the slot array; a longer key's slot holds 56 bits of its hash, and the key itself is
// compared only when they match.
class CodeMap {
 public:
  static constexpr int32_t kAbsent = -1;

  // The code of `key`, or kAbsent.
  int32_t find(std::string_view key) const { return findWord(key, wordOf(key)); }

  // The same, for a key inside a buffer that can be read up to `readableEnd` (null: unknown): a
  // short key with 8 readable bytes from its start is packed by one load and a mask instead of
  // byte by byte.
  int32_t find(std::string_view key, const char* readableEnd) const {
    if (!readableEnd || key.empty() || key.size() > kShort || readableEnd - key.data() < 8) return find(key);
    uint64_t bytes;
    std::memcpy(&bytes, key.data(), 8);
    const uint64_t lengthBits = 8 * key.size();  // below 64
    return findWord(key, (bytes & ((uint64_t{1} << lengthBits) - 1)) | static_cast<uint64_t>(key.size()) << 56);
  }

  // Adds `key` (not yet present) with `code`.
  void insert(std::string_view key, int32_t code) {
    if ((keys_.size() + 1) * 2 > slots_.size()) grow();
    keys_.emplace_back(key);
    codes_.push_back(code);
    place(keys_.size() - 1);
  }

  size_t size() const { return keys_.size(); }

 private:
  static constexpr size_t kShort = 7;  // longest key packed whole into a word
  static constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  static constexpr uint64_t kLongMark = 0xFFull << 56;  // a length byte no short key has

  // The code of `key` whose word (wordOf) is `word`.
  int32_t findWord(std::string_view key, uint64_t word) const {
    if (slots_.empty()) return kAbsent;
    const uint64_t h = hashOf(word, key);
    for (size_t s = h >> shift_;; s = (s + 1) & mask_) {
      const Slot& slot = slots_[s];
      if (slot.entry == 0) return kAbsent;
      if (slot.word != word) continue;
      if (key.size() <= kShort || equal(keys_[slot.entry - 1], key)) return slot.code;
    }
  }

  struct Slot {
    uint64_t word = 0;   // a short key's bytes and length, or kLongMark | 56 bits of a long key's hash
    int32_t code = 0;
    uint32_t entry = 0;  // 0: empty, else 1 + the index of the key in keys_
  };

  // Bytes (little-endian) in bits 0-55 and the length in bits 56-63 for a short key; for a long
  // one, kLongMark and the top 56 bits of its hash.
  static uint64_t wordOf(std::string_view key) {
    if (key.size() <= kShort) {
      uint64_t word = static_cast<uint64_t>(key.size()) << 56;
      for (size_t i = 0; i < key.size(); ++i) word |= static_cast<uint64_t>(static_cast<unsigned char>(key[i])) << (8 * i);
      return word;
    }
    return kLongMark | (longHash(key) >> 8);
  }

  // Where a key's probe starts is this hash's top bits (every bit of the input moves them): the
  // short key's word times an odd constant, or a long key's hash of its bytes.
  static uint64_t hashOf(uint64_t word, std::string_view key) { return key.size() > kShort ? longHash(key) : word * kMul; }

  static uint64_t load(const char* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  }

  // A key longer than kShort, 8 bytes at a time, each word mixed by a multiply and a shift; the
  // length seeds it. The last 1-7 bytes (little-endian) come from the key's last 8 bytes shifted
  // down, so no byte past the key is read.
  static uint64_t longHash(std::string_view key) {
    uint64_t h = key.size() * kMul;
    size_t i = 0;
    for (; i + 8 <= key.size(); i += 8) {
      h = (h ^ load(key.data() + i)) * kMul;
      h ^= h >> 29;
    }
    const size_t rest = key.size() - i;
    const uint64_t tail = rest ? load(key.data() + key.size() - 8) >> (8 * (8 - rest)) : 0;
    h = (h ^ tail) * kMul;
    return h ^ (h >> 32);
  }

  // Keys longer than kShort, 8 bytes at a time, the last word overlapping the one before (a call
  // to memcmp costs more than this for keys this short).
  static bool equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i + 8 <= a.size(); i += 8)
      if (load(a.data() + i) != load(b.data() + i)) return false;
    return load(a.data() + a.size() - 8) == load(b.data() + b.size() - 8);
  }

  void place(size_t index) {
    const std::string& key = keys_[index];
    const uint64_t word = wordOf(key);
    size_t s = hashOf(word, key) >> shift_;
    while (slots_[s].entry != 0) s = (s + 1) & mask_;
    slots_[s] = {word, codes_[index], static_cast<uint32_t>(index + 1)};
  }

  void grow() {
    slots_.assign(slots_.empty() ? 64 : slots_.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
    shift_ = 64 - std::countr_zero(slots_.size());
    for (size_t i = 0; i < keys_.size(); ++i) place(i);
  }

  std::vector<std::string> keys_;
  std::vector<int32_t> codes_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  int shift_ = 64;  // 64 - log2(slots)
};

}  // namespace shoal::data
