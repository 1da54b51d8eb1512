// Preprocessing: fitted min-max and standardisation values, checks and the JSON round trip.
#include "shoal/data/preprocessing.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "shoal/error.hpp"

using shoal::Error;
using shoal::data::Preprocessing;

TEST(Preprocessing, PixelScale) {
  Preprocessing p = Preprocessing::pixelScale();
  EXPECT_FLOAT_EQ(p.apply(255.0f, 17), 1.0f);
  EXPECT_FLOAT_EQ(p.apply(51.0f, 0), 0.2f);
  EXPECT_TRUE(p.broadcast());
}

TEST(Preprocessing, MinMaxMapsEachFeatureToTheUnitInterval) {
  // 3 rows of 3 features; the last feature is constant.
  std::vector<float> rows{1, -4, 7, 3, 0, 7, 2, 4, 7};
  Preprocessing p = Preprocessing::minMax(rows, 3);
  EXPECT_EQ(p.offset, (std::vector<float>{1, -4, 7}));
  EXPECT_FLOAT_EQ(p.scale[0], 0.5f);
  EXPECT_FLOAT_EQ(p.scale[1], 0.125f);
  EXPECT_FLOAT_EQ(p.scale[2], 1.0f);
  EXPECT_FLOAT_EQ(p.apply(3, 0), 1.0f);
  EXPECT_FLOAT_EQ(p.apply(0, 1), 0.5f);
  EXPECT_FLOAT_EQ(p.apply(7, 2), 0.0f);
  EXPECT_FALSE(p.broadcast());
}

TEST(Preprocessing, StandardizeUsesMeanAndPopulationDeviation) {
  // Feature 0: 2, 4, 4, 4, 5, 5, 7, 9 (mean 5, deviation 2); feature 1 constant 3.
  std::vector<float> values{2, 4, 4, 5, 7, 9, 4, 5};
  std::vector<float> rows;
  for (float v : values) {
    rows.push_back(v);
    rows.push_back(3);
  }
  Preprocessing p = Preprocessing::standardize(rows, 2);
  EXPECT_FLOAT_EQ(p.offset[0], 5.0f);
  EXPECT_FLOAT_EQ(p.scale[0], 0.5f);
  EXPECT_FLOAT_EQ(p.offset[1], 3.0f);
  EXPECT_FLOAT_EQ(p.scale[1], 1.0f);
  EXPECT_FLOAT_EQ(p.apply(9, 0), 2.0f);
  EXPECT_FLOAT_EQ(p.apply(3, 1), 0.0f);
}

TEST(Preprocessing, StandardizeIsAccurateForLargeOffsets) {
  std::vector<float> rows{100000.0f, 100002.0f, 100004.0f};
  Preprocessing p = Preprocessing::standardize(rows, 1);
  EXPECT_FLOAT_EQ(p.offset[0], 100002.0f);
  EXPECT_NEAR(p.scale[0], 1.0 / std::sqrt(8.0 / 3.0), 1e-6);
}

TEST(Preprocessing, FittingRejectsRaggedInput) {
  EXPECT_THROW(Preprocessing::minMax({1, 2, 3}, 2), Error);
  EXPECT_THROW(Preprocessing::standardize({}, 2), Error);
  EXPECT_THROW(Preprocessing::minMax({1, 2}, 0), Error);
}

TEST(Preprocessing, CheckAcceptsOneOrWidthValues) {
  EXPECT_NO_THROW((Preprocessing{{0}, {1}}).check(5));
  EXPECT_NO_THROW((Preprocessing{{0, 1, 2}, {1}}).check(3));
  EXPECT_NO_THROW((Preprocessing{{0}, {1, 2, 3}}).check(3));
  try {
    (Preprocessing{{0, 1}, {1}}).check(3);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("offset has 2 values, expected 1 or 3"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW((Preprocessing{{0}, {NAN}}).check(1), Error);
  EXPECT_THROW((Preprocessing{{}, {1}}).check(1), Error);
}

TEST(Preprocessing, MixedLengthsIndexIndependently) {
  Preprocessing p{{10}, {1, 2, 3}};
  EXPECT_FLOAT_EQ(p.apply(11, 0), 1.0f);
  EXPECT_FLOAT_EQ(p.apply(11, 2), 3.0f);
}

TEST(Preprocessing, JsonRoundTrip) {
  Preprocessing p{{1.5f, -2}, {0.25f, 4}};
  nlohmann::json j = p.toJson();
  EXPECT_EQ(j.at("offset").size(), 2u);
  Preprocessing q = Preprocessing::fromJson(j);
  EXPECT_EQ(q.offset, p.offset);
  EXPECT_EQ(q.scale, p.scale);
  EXPECT_THROW(Preprocessing::fromJson(nlohmann::json{{"offset", {1}}, {"scale", {"x"}}}), Error);
  EXPECT_THROW(
      Preprocessing::fromJson(nlohmann::json{{"offset", nlohmann::json::array()}, {"scale", {1}}}),
      Error);
  EXPECT_THROW(Preprocessing::fromJson(nlohmann::json(3)), Error);
}
