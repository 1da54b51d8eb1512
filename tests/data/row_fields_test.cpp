// The plain-row field splitter: its AVX-512 build finds what the byte-by-byte one finds, on rows across 64-byte blocks, with quotes, blanks and no final line break.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "data/row_fields.hpp"

namespace {

struct Split {
  size_t next = 0, count = 0;
  bool blanks = false;
  std::vector<size_t> ends;
  bool operator==(const Split&) const = default;
};

template <typename Splitter>
Split split(Splitter splitter, const std::string& text, size_t pos, size_t maxFields) {
  Split s;
  std::vector<size_t> ends(maxFields);
  s.next = splitter(text.data(), text.size(), pos, ends.data(), maxFields, s.count, s.blanks);
  if (s.next == shoal::data::kNotPlain) return {s.next, 0, false, {}};  // nothing else to use
  s.ends.assign(ends.begin(), ends.begin() + static_cast<std::ptrdiff_t>(s.count));
  return s;
}

TEST(RowFields, ByteSplitterFindsTheFieldEnds) {
  const std::string text = "ab,,c d\nx,\"y\"\n1,2";
  const Split first = split(shoal::data::plainRowFieldsBytewise, text, 0, 8);
  EXPECT_EQ(first.next, 8u);
  EXPECT_EQ(first.ends, (std::vector<size_t>{2, 3, 7}));
  EXPECT_TRUE(first.blanks);
  EXPECT_EQ(split(shoal::data::plainRowFieldsBytewise, text, 8, 8).next, shoal::data::kNotPlain);  // a quote
  const Split last = split(shoal::data::plainRowFieldsBytewise, text, 14, 8);  // no final line break
  EXPECT_EQ(last.next, text.size());
  EXPECT_EQ(last.ends, (std::vector<size_t>{15, 17}));
  EXPECT_FALSE(last.blanks);
  EXPECT_EQ(split(shoal::data::plainRowFieldsBytewise, text, 0, 2).next, shoal::data::kNotPlain);  // too many fields
}

TEST(RowFields, Avx512SplitterAgreesWithTheByteSplitter) {
  if (!shoal::data::hasAvx512Bw()) GTEST_SKIP() << "this CPU has no AVX-512BW";
  std::mt19937_64 gen(18);
  const std::string alphabet = "abc0123456789,,,,\n \t\r\"";
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const size_t length = 1 + gen() % 300;  // up to 5 blocks of 64 bytes
    for (size_t k = 0; k < length; ++k) text += alphabet[gen() % (i % 3 ? alphabet.size() - 5 : alphabet.size())];
    const size_t pos = gen() % text.size();
    const size_t maxFields = 1 + gen() % 60;
    ASSERT_EQ(split(shoal::data::plainRowFieldsAvx512, text, pos, maxFields),
              split(shoal::data::plainRowFieldsBytewise, text, pos, maxFields))
        << i;
  }
}

}  // namespace
