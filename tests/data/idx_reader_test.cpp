// IDX reading: raw and gzip round trips, the real Fashion-MNIST, and every malformed-input error.
#include "shoal/data/idx_reader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <random>

#include "data/temp_dir.hpp"
#include "shoal/data/fashion_mnist.hpp"
#include "shoal/error.hpp"

using shoal::InputError;
using shoal::Shape;
using shoal::Tensor;
using shoal::testing::TempDir;
using namespace shoal::data;

namespace {

void putU32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

std::vector<uint8_t> idxImages(uint32_t n, uint32_t h, uint32_t w,
                               const std::vector<uint8_t>& pixels) {
  std::vector<uint8_t> out;
  putU32(out, kIdxImagesMagic);
  putU32(out, n);
  putU32(out, h);
  putU32(out, w);
  out.insert(out.end(), pixels.begin(), pixels.end());
  return out;
}

std::vector<uint8_t> idxLabels(const std::vector<uint8_t>& labels) {
  std::vector<uint8_t> out;
  putU32(out, kIdxLabelsMagic);
  putU32(out, static_cast<uint32_t>(labels.size()));
  out.insert(out.end(), labels.begin(), labels.end());
  return out;
}

// 5 images of 2x3 with pixel i*6 + j * 7 and labels 0..4.
struct Sample {
  std::vector<uint8_t> pixels;
  std::vector<uint8_t> labels{3, 0, 4, 1, 2};
  Sample() {
    for (int i = 0; i < 30; ++i) pixels.push_back(static_cast<uint8_t>(i * 7 + 1));
  }
};

// Runs `f`, expecting an InputError whose message contains every piece of `pieces`.
template <typename F>
void expectInputError(F&& f, std::initializer_list<std::string> pieces) {
  try {
    f();
    ADD_FAILURE() << "expected an InputError containing " << *pieces.begin();
  } catch (const InputError& e) {
    std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    for (const std::string& piece : pieces)
      EXPECT_NE(what.find(piece), std::string::npos) << "\"" << piece << "\" not in: " << what;
  }
}

void expectSample(const Dataset& d) {
  Sample s;
  ASSERT_EQ(d.size(), 5);
  EXPECT_EQ(d.sampleShape(), (Shape{1, 2, 3}));
  EXPECT_EQ(d.numClasses(), 10);
  EXPECT_EQ(d.labels(), (std::vector<int32_t>{3, 0, 4, 1, 2}));
  EXPECT_FLOAT_EQ(d.preprocessing().scale[0], 1.0f / 255.0f);
  Tensor input, target;
  std::vector<int64_t> indices{4, 1};
  d.gather(indices, input, target);
  EXPECT_EQ(input.shape(), (Shape{2, 1, 2, 3}));
  for (int j = 0; j < 6; ++j) {
    EXPECT_FLOAT_EQ(input[j], s.pixels[24 + j] / 255.0f);
    EXPECT_FLOAT_EQ(input[6 + j], s.pixels[6 + j] / 255.0f);
  }
  EXPECT_EQ(target.toVector(), (std::vector<float>{2, 0}));
}

}  // namespace

TEST(IdxReader, RawRoundTrip) {
  TempDir dir;
  Sample s;
  Dataset d = readIdx(dir.write("images", idxImages(5, 2, 3, s.pixels)),
                      dir.write("labels", idxLabels(s.labels)));
  expectSample(d);
}

TEST(IdxReader, GzipRoundTrip) {
  TempDir dir;
  Sample s;
  Dataset d = readIdx(dir.writeGzip("images.gz", idxImages(5, 2, 3, s.pixels)),
                      dir.writeGzip("labels.gz", idxLabels(s.labels)));
  expectSample(d);
}

TEST(IdxReader, MixedRawAndGzipAndSeparateReaders) {
  TempDir dir;
  Sample s;
  Shape shape;
  std::vector<uint8_t> pixels =
      readIdxImages(dir.writeGzip("i.gz", idxImages(5, 2, 3, s.pixels)), shape);
  EXPECT_EQ(shape, (Shape{1, 2, 3}));
  EXPECT_EQ(pixels, s.pixels);
  EXPECT_EQ(readIdxLabels(dir.write("l", idxLabels(s.labels))), s.labels);
}

TEST(IdxReader, MissingFile) {
  TempDir dir;
  std::string labels = dir.write("labels", idxLabels({1}));
  expectInputError([&] { readIdx(dir.file("nope-images.gz"), labels); },
                   {dir.file("nope-images.gz") + ": ", "no such file"});
}

TEST(IdxReader, DirectoryInsteadOfFile) {
  TempDir dir;
  std::filesystem::create_directory(dir.file("sub"));
  expectInputError([&] { readIdxLabels(dir.file("sub")); }, {dir.file("sub"), "is a directory"});
}

TEST(IdxReader, WrongMagicSaysExpectedAndFound) {
  TempDir dir;
  std::string labels = dir.write("labels", idxLabels({1, 2}));
  // The label file given as the images.
  expectInputError([&] { readIdx(labels, labels); },
                   {labels + ": ", "expected magic 0x00000803", "found 0x00000801", "label file"});
  std::string images = dir.writeGzip("images.gz", idxImages(1, 1, 1, {0}));
  expectInputError([&] { readIdxLabels(images); },
                   {"images.gz: ", "expected magic 0x00000801", "found 0x00000803"});
  std::string text = dir.write("text.csv", std::string("1,2,3\n4,5,6\n"));
  expectInputError([&] { readIdxLabels(text); },
                   {"text.csv: ", "expected magic 0x00000801", "not an IDX file"});
}

TEST(IdxReader, TruncatedHeader) {
  TempDir dir;
  std::vector<uint8_t> bytes = idxImages(5, 2, 3, {});
  bytes.resize(10);
  std::string path = dir.write("short", bytes);
  Shape shape;
  expectInputError([&] { readIdxImages(path, shape); },
                   {path, "truncated", "16-byte header", "found 10 bytes"});
  std::string empty = dir.write("empty", std::vector<uint8_t>{});
  expectInputError([&] { readIdxLabels(empty); },
                   {empty, "truncated", "8-byte header", "found 0 bytes"});
}

TEST(IdxReader, TruncatedPayloadRawAndGzip) {
  TempDir dir;
  Sample s;
  std::vector<uint8_t> bytes = idxImages(5, 2, 3, s.pixels);
  bytes.resize(16 + 20);
  Shape shape;
  for (std::string path : {dir.write("cut", bytes), dir.writeGzip("cut.gz", bytes)})
    expectInputError([&] { readIdxImages(path, shape); },
                     {path + ": ", "truncated", "5 images of 2x3", "30 bytes", "found 20 bytes",
                      "enough for 3 of the 5 images"});
  std::string labels = dir.write("labels", std::vector<uint8_t>{0, 0, 8, 1, 0, 0, 0, 9, 1, 2});
  expectInputError([&] { readIdxLabels(labels); }, {labels, "9 labels", "found 2 bytes"});
}

TEST(IdxReader, AbsurdHeaderIsTruncatedNotAHugeAllocation) {
  TempDir dir;
  Shape shape;
  for (std::string path :
       {dir.write("huge", idxImages(0x7fffffff, 65536, 65536, {1, 2, 3})),
        dir.writeGzip("huge.gz", idxImages(0x7fffffff, 65536, 65536, {1, 2, 3}))})
    expectInputError([&] { readIdxImages(path, shape); },
                     {path, "truncated", "2147483647 images of 65536x65536", "found 3 bytes"});
  std::string labels =
      dir.write("labels", std::vector<uint8_t>{0, 0, 8, 1, 0x7f, 0xff, 0xff, 0xff, 1});
  expectInputError([&] { readIdxLabels(labels); }, {labels, "2147483647 labels", "found 1 bytes"});
}

TEST(IdxReader, ImplausibleDimensions) {
  TempDir dir;
  Shape shape;
  std::string zero = dir.write("zero", idxImages(0, 2, 2, {}));
  expectInputError([&] { readIdxImages(zero, shape); }, {zero, "claims 0 items"});
  std::string negative = dir.write("negative", idxImages(0xffffffff, 2, 2, {}));
  expectInputError([&] { readIdxImages(negative, shape); }, {negative, "claims 4294967295 items"});
  std::string wide = dir.write("wide", idxImages(1, 1, 70000, {}));
  expectInputError([&] { readIdxImages(wide, shape); }, {wide, "1x70000 pixels"});
  std::string flat = dir.write("flat", idxImages(1, 0, 5, {}));
  expectInputError([&] { readIdxImages(flat, shape); }, {flat, "0x5 pixels"});
}

TEST(IdxReader, TrailingBytes) {
  TempDir dir;
  std::string path = dir.write("labels", idxLabels({1, 2, 3}));
  std::vector<uint8_t> bytes = idxLabels({1, 2, 3});
  bytes.push_back(7);
  bytes.push_back(7);
  path = dir.write("labels", bytes);
  expectInputError([&] { readIdxLabels(path); }, {path, "2 bytes follow the 3 labels"});
}

TEST(IdxReader, CountMismatchNamesBothFiles) {
  TempDir dir;
  Sample s;
  std::string images = dir.write("imgs", idxImages(5, 2, 3, s.pixels));
  std::string labels = dir.write("lbls", idxLabels({1, 2, 3, 4}));
  expectInputError([&] { readIdx(images, labels); }, {images, "5 images", labels, "4 labels"});
}

TEST(IdxReader, LabelOutOfRangeNamesFileItemAndValue) {
  TempDir dir;
  Sample s;
  std::string images = dir.write("imgs", idxImages(5, 2, 3, s.pixels));
  std::string labels = dir.write("lbls", idxLabels({1, 2, 3, 12, 4}));
  expectInputError([&] { readIdx(images, labels); },
                   {labels + ": ", "byte 11", "label 12", "item 3", "outside [0, 10)"});
  // The same labels are fine with 13 classes.
  EXPECT_EQ(readIdx(images, labels, 13).numClasses(), 13);
}

TEST(IdxReader, CorruptAndTruncatedGzip) {
  TempDir dir;
  std::vector<uint8_t> pixels(2000);
  std::mt19937 rng(1);
  for (auto& p : pixels) p = static_cast<uint8_t>(rng() % 7);
  std::string good = dir.writeGzip("good.gz", idxImages(20, 10, 10, pixels));
  std::vector<uint8_t> gz = shoal::testing::readBytes(good);
  Shape shape;
  EXPECT_EQ(readIdxImages(good, shape), pixels);

  std::vector<uint8_t> cut(gz.begin(), gz.begin() + static_cast<long>(gz.size() / 2));
  std::string cutPath = dir.write("cut.gz", cut);
  expectInputError([&] { readIdxImages(cutPath, shape); },
                   {cutPath + ": truncated gzip file", "unexpected end of file"});

  std::vector<uint8_t> crc = gz;
  crc[crc.size() - 6] ^= 0xff;  // the CRC-32 in the trailer
  std::string crcPath = dir.write("crc.gz", crc);
  expectInputError([&] { readIdxImages(crcPath, shape); }, {crcPath + ": ", "corrupt gzip data"});

  std::vector<uint8_t> header = gz;
  header[3] = 0xe0;  // reserved flag bits
  std::string headerPath = dir.write("header.gz", header);
  expectInputError([&] { readIdxImages(headerPath, shape); }, {headerPath + ": "});
}

TEST(IdxReader, RandomCorruptionNeverCrashes) {
  TempDir dir;
  Sample s;
  std::vector<uint8_t> raw = idxImages(5, 2, 3, s.pixels);
  std::string gzPath = dir.writeGzip("good.gz", raw);
  std::vector<uint8_t> gz = shoal::testing::readBytes(gzPath);
  std::mt19937 rng(7);
  int errors = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<uint8_t> bytes = trial % 2 ? gz : raw;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k)
      bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
    if (rng() % 4 == 0) bytes.resize(rng() % bytes.size());
    std::string path = dir.write("fuzz", bytes);
    Shape shape;
    try {
      std::vector<uint8_t> pixels = readIdxImages(path, shape);
      ASSERT_EQ(shape.rank(), 3u);
      ASSERT_GT(shape.numel(), 0);
      EXPECT_FALSE(pixels.empty());
      EXPECT_EQ(pixels.size() % static_cast<size_t>(shape.numel()), 0u);
    } catch (const InputError&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 50);
}

TEST(FashionMnist, MissingDirectorySaysWhatToInstall) {
  expectInputError([] { loadFashionMnist("/nonexistent/fashion"); },
                   {"/nonexistent/fashion", "dataset-fashion-mnist", "SHOAL_FASHION_MNIST_DIR"});
}

TEST(FashionMnist, DirectoryFromEnvironment) {
  const char* old = std::getenv("SHOAL_FASHION_MNIST_DIR");
  std::string saved = old ? old : "";
  setenv("SHOAL_FASHION_MNIST_DIR", "/tmp/somewhere", 1);
  EXPECT_EQ(fashionMnistDir(), "/tmp/somewhere");
  unsetenv("SHOAL_FASHION_MNIST_DIR");
  EXPECT_EQ(fashionMnistDir(), "/usr/share/datasets/fashion-mnist");
  if (old) setenv("SHOAL_FASHION_MNIST_DIR", saved.c_str(), 1);
}

TEST(FashionMnist, ReadsTheDebianDataSet) {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(dir + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed";
  TrainTest data = loadFashionMnist(dir);
  ASSERT_EQ(data.train.size(), 60000);
  ASSERT_EQ(data.test.size(), 10000);
  for (const Dataset* d : {&data.train, &data.test}) {
    EXPECT_EQ(d->sampleShape(), (Shape{1, 28, 28}));
    EXPECT_EQ(d->numClasses(), 10);
    std::vector<int64_t> perClass(10, 0);
    for (int32_t label : d->labels()) {
      ASSERT_GE(label, 0);
      ASSERT_LT(label, 10);
      ++perClass[label];
    }
    // Fashion-MNIST is balanced: 6,000 / 1,000 images per class.
    for (int64_t count : perClass) EXPECT_EQ(count, d->size() / 10);
  }
  std::vector<float> raw = data.test.rawFeatures();
  EXPECT_EQ(*std::min_element(raw.begin(), raw.end()), 0.0f);
  EXPECT_EQ(*std::max_element(raw.begin(), raw.end()), 255.0f);
  // Training labels start 9, 0, 0, 3 (ankle boot, T-shirt, T-shirt, dress).
  EXPECT_EQ(std::vector<int32_t>(data.train.labels().begin(), data.train.labels().begin() + 4),
            (std::vector<int32_t>{9, 0, 0, 3}));
  Tensor input, target;
  std::vector<int64_t> all(100);
  for (int64_t i = 0; i < 100; ++i) all[i] = i * 600;
  data.train.gather(all, input, target);
  EXPECT_EQ(input.shape(), (Shape{100, 1, 28, 28}));
  auto [lo, hi] = std::minmax_element(input.data(), input.data() + input.numel());
  EXPECT_EQ(*lo, 0.0f);
  EXPECT_LE(*hi, 1.0f);
  EXPECT_GT(*hi, 0.9f);
}
