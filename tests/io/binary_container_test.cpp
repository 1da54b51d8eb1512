// The shared binary container: exact round trips and refusal of files whose block table lies.
#include "shoal/io/binary_container.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>

#include "shoal/error.hpp"

using namespace shoal;

namespace {

constexpr char kMagic[8] = {'S', 'H', 'O', 'A', 'L', 'T', 'S', 'T'};

// A container file written by hand: header JSON text, `floats` values, a correct checksum.
std::string handMade(const std::string& headerText, size_t floats) {
  std::string out(kMagic, 8);
  uint32_t version = 1;
  uint64_t length = headerText.size();
  out.append(reinterpret_cast<const char*>(&version), sizeof version);
  out.append(reinterpret_cast<const char*>(&length), sizeof length);
  out += headerText;
  out.append(floats * sizeof(float), '\0');
  auto crc = static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(out.data()),
                                         static_cast<uInt>(out.size())));
  out.append(reinterpret_cast<const char*>(&crc), sizeof crc);
  return out;
}

std::string decodeError(const std::string& bytes) {
  try {
    io::decodeContainer("f.bin", bytes, kMagic, 1, "test file");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(BinaryContainer, RoundTripKeepsHeaderNamesShapesAndValues) {
  io::Container c;
  c.header = {{"answer", 42}, {"third", 1.0 / 3.0}, {"nested", {{"list", {1, 2, 3}}}}};
  c.blocks.emplace_back("matrix", Tensor::fromVector({2, 3}, {1, -2, 3.5f, 1e-30f, 0, 7}));
  c.blocks.emplace_back("empty", Tensor(Shape{0}));
  c.blocks.emplace_back("scalar", Tensor::fromVector(Shape{}, {9}));
  io::Container d = io::decodeContainer("f.bin", io::encodeContainer(kMagic, 1, c), kMagic, 1, "test file");
  EXPECT_EQ(d.header, c.header);
  ASSERT_EQ(d.blocks.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(d.blocks[i].first, c.blocks[i].first);
    EXPECT_EQ(d.blocks[i].second.shape(), c.blocks[i].second.shape());
    EXPECT_EQ(d.blocks[i].second.toVector(), c.blocks[i].second.toVector());
  }
  ASSERT_NE(d.find("scalar"), nullptr);
  EXPECT_EQ((*d.find("scalar"))[0], 9.0f);
  EXPECT_EQ(d.find("absent"), nullptr);
}

TEST(BinaryContainer, HeaderMustBeAnObjectWithoutBlocks) {
  io::Container c;
  c.header = {{"blocks", 1}};
  EXPECT_THROW(io::encodeContainer(kMagic, 1, c), UsageError);
  c.header = nlohmann::json::array();
  EXPECT_THROW(io::encodeContainer(kMagic, 1, c), UsageError);
}

TEST(BinaryContainer, RefusesBlockTablesThatDisagreeWithTheFile) {
  EXPECT_EQ(decodeError(handMade(R"({"blocks": [{"name": "a", "shape": [2]}]})", 2)), "no error");
  EXPECT_NE(decodeError(handMade(R"({"blocks": []})", 2)).find("corrupt test file: 8 unexpected bytes"),
            std::string::npos);
  EXPECT_NE(decodeError(handMade(R"({"blocks": [{"name": "a", "shape": [3]}]})", 2)).find("block \"a\""),
            std::string::npos);
  EXPECT_NE(decodeError(handMade(R"({"blocks": [{"name": "a", "shape": [-1]}]})", 0)).find("block \"a\""),
            std::string::npos);
  // Extents whose product overflows 64 bits.
  std::string huge = R"({"blocks": [{"name": "a", "shape": [4294967296, 4294967296, 4294967296]}]})";
  EXPECT_NE(decodeError(handMade(huge, 1)).find("does not fit"), std::string::npos);
  EXPECT_NE(decodeError(handMade(R"({"blocks": [{"name": "a", "shape": [1, 1, 1, 1, 1, 1, 1]}]})", 1))
                .find("does not fit"),
            std::string::npos);
  EXPECT_NE(decodeError(handMade(R"({"no blocks": 1})", 0)).find("corrupt test file header"), std::string::npos);
  EXPECT_NE(decodeError(handMade("[1, 2", 0)).find("corrupt test file header"), std::string::npos);
  EXPECT_NE(decodeError(handMade(R"({"blocks": [{"name": 5, "shape": [1]}]})", 1)).find("corrupt test file header"),
            std::string::npos);
}
