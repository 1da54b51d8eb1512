// Dataset: size and label validation, numeric targets, normalised gathering, head copies, borrowed samples, no reallocation.
#include "shoal/data/dataset.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "shoal/error.hpp"

using shoal::Error;
using shoal::Shape;
using shoal::Tensor;
using namespace shoal::data;

namespace {

// 4 samples of 1x2x2 bytes: sample s holds 10s, 10s+1, 10s+2, 10s+3; labels 3, 1, 0, 2.
Dataset byteSet() {
  std::vector<uint8_t> pixels;
  for (int s = 0; s < 4; ++s)
    for (int j = 0; j < 4; ++j) pixels.push_back(static_cast<uint8_t>(10 * s + j));
  return Dataset::fromBytes(Shape{1, 2, 2}, pixels, {3, 1, 0, 2}, 4);
}

// 3 samples of 2 features: (1, 10), (2, 20), (3, 30).
Dataset floatSet(std::vector<int32_t> labels = {0, 1, 1}) {
  return Dataset::fromFloats(Shape{2}, {1, 10, 2, 20, 3, 30}, std::move(labels), 2);
}

}  // namespace

TEST(Dataset, FromBytesValidatesSizesAndLabels) {
  EXPECT_THROW(Dataset::fromBytes(Shape{1, 2, 2}, std::vector<uint8_t>(7), {}, 10), Error);
  EXPECT_THROW(Dataset::fromBytes(Shape{1, 2, 2}, std::vector<uint8_t>(8), {0, 1, 2}, 10), Error);
  EXPECT_THROW(Dataset::fromBytes(Shape{1, 2, 2}, std::vector<uint8_t>(8), {0, 10}, 10), Error);
  EXPECT_THROW(Dataset::fromBytes(Shape{1, 2, 2}, std::vector<uint8_t>(8), {-1, 0}, 10), Error);
  EXPECT_THROW(Dataset::fromBytes(Shape{1, 2, 2}, std::vector<uint8_t>(8), {0, 0}, 0), Error);
  try {
    Dataset::fromFloats(Shape{3}, std::vector<float>(7), {0, 1}, 2);
    ADD_FAILURE() << "expected a size error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("7 values"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[3]"), std::string::npos) << e.what();
  }
  Dataset unlabelled = Dataset::fromBytes(Shape{1, 2, 2}, std::vector<uint8_t>(8), {}, 0);
  EXPECT_EQ(unlabelled.size(), 2);
  EXPECT_FALSE(unlabelled.hasLabels());
  Dataset d = byteSet();
  EXPECT_EQ(d.size(), 4);
  EXPECT_EQ(d.numClasses(), 4);
  EXPECT_TRUE(d.hasLabels());
}

TEST(Dataset, GatherBytesWithBroadcastPreprocessing) {
  Dataset d = byteSet();
  d.setPreprocessing({{2.0f}, {0.5f}});
  Tensor input, target;
  std::vector<int64_t> indices{2, 0, 3};
  d.gather(indices, input, target);
  EXPECT_EQ(input.shape(), (Shape{3, 1, 2, 2}));
  EXPECT_EQ(target.shape(), (Shape{3}));
  EXPECT_EQ(input.toVector(),
            (std::vector<float>{9, 9.5f, 10, 10.5f, -1, -0.5f, 0, 0.5f, 14, 14.5f, 15, 15.5f}));
  EXPECT_EQ(target.toVector(), (std::vector<float>{0, 3, 2}));
}

TEST(Dataset, GatherBytesWithPerFeaturePreprocessing) {
  Dataset d = byteSet();
  d.setPreprocessing({{0, 1, 2, 3}, {1, 2, 3, 4}});
  Tensor input, target;
  std::vector<int64_t> indices{1};
  d.gather(indices, input, target);
  // (10 - 0) * 1, (11 - 1) * 2, (12 - 2) * 3, (13 - 3) * 4
  EXPECT_EQ(input.toVector(), (std::vector<float>{10, 20, 30, 40}));
  // Per-feature offset with a shared scale.
  d.setPreprocessing({{0, 1, 2, 3}, {0.5f}});
  d.gather(indices, input, target);
  EXPECT_EQ(input.toVector(), (std::vector<float>{5, 5, 5, 5}));
}

TEST(Dataset, GatherFloatsBroadcastAndPerFeature) {
  Dataset d = floatSet();
  Tensor input, target;
  std::vector<int64_t> indices{2, 1};
  d.gather(indices, input, target);
  EXPECT_EQ(input.shape(), (Shape{2, 2}));
  EXPECT_EQ(input.toVector(), (std::vector<float>{3, 30, 2, 20}));
  EXPECT_EQ(target.toVector(), (std::vector<float>{1, 1}));
  d.setPreprocessing({{1.0f}, {2.0f}});
  d.gather(indices, input, target);
  EXPECT_EQ(input.toVector(), (std::vector<float>{4, 58, 2, 38}));
  d.setPreprocessing({{2, 20}, {1, 0.1f}});
  d.gather(indices, input, target);
  EXPECT_EQ(input[0], 1.0f);
  EXPECT_FLOAT_EQ(input[1], 1.0f);
  EXPECT_EQ(input[2], 0.0f);
  EXPECT_FLOAT_EQ(input[3], 0.0f);
}

TEST(Dataset, SetPreprocessingChecksWidth) {
  Dataset d = floatSet();
  EXPECT_THROW(d.setPreprocessing({{0, 0, 0}, {1}}), Error);
  EXPECT_THROW(d.setPreprocessing({{0}, {}}), Error);
  EXPECT_NO_THROW(d.setPreprocessing({{0, 0}, {1}}));
}

TEST(Dataset, UnlabelledTargetIsMinusOne) {
  Dataset d = floatSet({});
  Tensor input, target;
  std::vector<int64_t> indices{0, 1, 2};
  d.gather(indices, input, target);
  EXPECT_EQ(target.shape(), (Shape{3}));
  EXPECT_EQ(target.toVector(), (std::vector<float>{-1, -1, -1}));
}

TEST(Dataset, GatherRejectsOutOfRangeIndices) {
  Dataset d = floatSet();
  Tensor input, target;
  std::vector<int64_t> bad{0, 3};
  EXPECT_THROW(d.gather(bad, input, target), Error);
  std::vector<int64_t> negative{-1};
  EXPECT_THROW(d.gather(negative, input, target), Error);
}

TEST(Dataset, GatherDoesNotReallocateOnceABatchWasHeld) {
  Dataset d = byteSet();
  Tensor input, target;
  std::vector<int64_t> big{0, 1, 2, 3};
  std::vector<int64_t> small{3, 1};
  d.gather(big, input, target);
  const float* inputData = input.data();
  const float* targetData = target.data();
  for (int round = 0; round < 3; ++round) {
    d.gather(small, input, target);
    EXPECT_EQ(input.shape(), (Shape{2, 1, 2, 2}));
    d.gather(big, input, target);
    EXPECT_EQ(input.data(), inputData);
    EXPECT_EQ(target.data(), targetData);
  }
  EXPECT_EQ(target.toVector(), (std::vector<float>{3, 1, 0, 2}));
}

TEST(Dataset, HeadCopiesTheFirstSamples) {
  Dataset d = byteSet();
  d.setPreprocessing({{0.0f}, {2.0f}});
  Dataset h = d.head(2);
  EXPECT_EQ(h.size(), 2);
  EXPECT_EQ(h.labels(), (std::vector<int32_t>{3, 1}));
  EXPECT_EQ(h.numClasses(), 4);
  EXPECT_EQ(h.sampleShape(), (Shape{1, 2, 2}));
  EXPECT_EQ(h.preprocessing().scale, std::vector<float>{2.0f});
  EXPECT_EQ(h.rawFeatures(), (std::vector<float>{0, 1, 2, 3, 10, 11, 12, 13}));
  EXPECT_EQ(d.head(100).size(), 4);
  Dataset f = floatSet().head(1);
  EXPECT_EQ(f.rawFeatures(), (std::vector<float>{1, 10}));
  EXPECT_EQ(f.labels(), (std::vector<int32_t>{0}));
}

TEST(Dataset, RawFeaturesAreUnnormalised) {
  Dataset d = byteSet();
  d.setPreprocessing(Preprocessing::pixelScale());
  std::vector<float> raw = d.rawFeatures();
  ASSERT_EQ(raw.size(), 16u);
  EXPECT_EQ(raw[5], 11.0f);
  EXPECT_EQ(floatSet().rawFeatures(), (std::vector<float>{1, 10, 2, 20, 3, 30}));
}

TEST(Dataset, BorrowedSamplesAreReadInPlaceAndKeptAlive) {
  auto owner = std::make_shared<std::vector<float>>(std::vector<float>{1, 10, 2, 20, 3, 30});
  std::weak_ptr<std::vector<float>> watch = owner;
  Dataset d = Dataset::borrowFloats(Shape{2}, owner->data(), 3, {0, 1, 1}, 2, owner);
  EXPECT_EQ(d.sampleMemory(), owner->data());
  const float* memory = owner->data();
  owner.reset();
  EXPECT_FALSE(watch.expired());  // the data set keeps the memory alive
  Dataset copy = d;
  EXPECT_EQ(copy.sampleMemory(), memory);  // copies share the samples
  Tensor input, target;
  const std::vector<int64_t> indices{2, 0};
  copy.gather(indices, input, target);
  EXPECT_EQ(input.toVector(), (std::vector<float>{3, 30, 1, 10}));
  EXPECT_EQ(target.toVector(), (std::vector<float>{1, 0}));
  Dataset head = d.head(1);
  EXPECT_NE(head.sampleMemory(), memory);  // a head is a copy
  d = Dataset();
  copy = Dataset();
  EXPECT_TRUE(watch.expired());
  EXPECT_EQ(head.rawFeatures(), (std::vector<float>{1, 10}));
}

TEST(Dataset, BorrowedBytesCheckCountsAndLabels) {
  std::vector<uint8_t> pixels(8, 7);
  auto keep = std::make_shared<int>(0);
  Dataset d = Dataset::borrowBytes(Shape{1, 2, 2}, pixels.data(), 2, {0, 1}, 2, keep);
  EXPECT_TRUE(d.holdsBytes());
  EXPECT_EQ(d.sampleMemory(), pixels.data());
  EXPECT_THROW(Dataset::borrowBytes(Shape{1, 2, 2}, pixels.data(), 2, {0, 2}, 2, keep), Error);
  EXPECT_THROW(Dataset::borrowBytes(Shape{1, 2, 2}, pixels.data(), 2, {0}, 2, keep), Error);
}

TEST(Dataset, NumericTargetsAreGatheredAndSelectedRowByRow) {
  Dataset d = floatSet({});
  d.setTargets({0.5f, -1, 1.5f, -2, 2.5f, -3}, 2);
  EXPECT_TRUE(d.hasLabels());
  EXPECT_TRUE(d.labels().empty());
  EXPECT_EQ(d.targetWidth(), 2);
  Tensor input, target;
  std::vector<int64_t> indices{2, 0};
  d.gather(indices, input, target);
  EXPECT_EQ(target.shape(), (Shape{2, 2}));
  EXPECT_EQ(target.toVector(), (std::vector<float>{2.5f, -3, 0.5f, -1}));
  Dataset picked = d.select(std::vector<int64_t>{1});
  EXPECT_EQ(picked.targetWidth(), 2);
  std::vector<int64_t> first{0};
  picked.gather(first, input, target);
  EXPECT_EQ(target.toVector(), (std::vector<float>{1.5f, -2}));
}

TEST(Dataset, NumericTargetsAreCheckedAndNotMixedWithLabels) {
  Dataset unlabelled = floatSet({});
  EXPECT_THROW(unlabelled.setTargets({1, 2}, 1), shoal::ShapeError);  // 3 samples need 3 values
  try {
    unlabelled.setTargets({1, std::nanf(""), 3}, 1);
    FAIL() << "no error";
  } catch (const shoal::UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "numeric targets: value 0 of sample 1 is not a finite number");
  }
  Dataset labelled = floatSet();
  EXPECT_THROW(labelled.setTargets({1, 2, 3}, 1), shoal::UsageError);
}
