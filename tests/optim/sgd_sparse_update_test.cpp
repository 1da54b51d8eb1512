// SGD's sparse step (threshold compression's momentum correction): the buffer becomes the update, only its elements move, state resumes exactly, and what does not fit is refused.
#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "shoal/error.hpp"
#include "shoal/optim/adam.hpp"
#include "shoal/optim/sgd.hpp"
#include "shoal/tensor/bfloat16.hpp"

namespace shoal {
namespace {

using optim::SGD;
using optim::SparseUpdate;

constexpr int64_t kCount = 8;

Tensor startingParams() { return Tensor::fromVector({kCount}, {1.0f, -2.0f, 3.0f, 0.5f, 0.25f, -1.0f, 2.5f, 4.0f}); }

SparseUpdate update(std::vector<int32_t> codes, float unit) {
  return SparseUpdate{.codes = std::move(codes), .unit = unit, .finite = true, .momentum = 0.9};
}

std::vector<float> bufferOf(const SGD& sgd) {
  optim::OptimState state = sgd.saveState();
  EXPECT_EQ(state.tensors.size(), 1u);
  return state.tensors.at(0).second.toVector();
}

float stepSparse(SGD& sgd, Tensor& params, const SparseUpdate& u) {
  return sgd.stepBySparseUpdate(params, [] { return 1.5f; }, u);
}

TEST(SgdSparseUpdate, TheBufferBecomesTheUpdateAndOnlyItsElementsMove) {
  SGD sgd({.lr = 0.1, .momentum = 0.9});
  Tensor params = startingParams();
  const std::vector<float> start = params.toVector();
  // element 2 twice up, element 6 down, element 0 up: unit 0.5
  EXPECT_EQ(stepSparse(sgd, params, update({3, 3, -7, 1}, 0.5f)), 1.5f);
  std::vector<float> expected = start;
  expected[2] = (start[2] - 0.1f * 0.5f) - 0.1f * 0.5f;
  expected[6] = start[6] + 0.1f * 0.5f;
  expected[0] = start[0] - 0.1f * 0.5f;
  EXPECT_EQ(params.toVector(), expected);
  EXPECT_EQ(bufferOf(sgd), (std::vector<float>{0.5f, 0, 1.0f, 0, 0, 0, -0.5f, 0}));
  EXPECT_EQ(sgd.iteration(), 1);

  // the next update replaces the buffer: the last one's elements back to 0
  stepSparse(sgd, params, update({-5}, 0.25f));
  expected[4] = start[4] + 0.1f * 0.25f;
  EXPECT_EQ(params.toVector(), expected);
  EXPECT_EQ(bufferOf(sgd), (std::vector<float>{0, 0, 0, 0, -0.25f, 0, 0, 0}));

  // a dense step after it continues from that buffer: b = m b + g
  Tensor grads = Tensor::full(Shape{kCount}, 1.0f);
  sgd.step(params, grads, [] { return 0.0f; });
  const std::vector<float> b = bufferOf(sgd);
  EXPECT_FLOAT_EQ(b[4], 0.9f * -0.25f + 1.0f);
  EXPECT_FLOAT_EQ(b[0], 1.0f);
  // and a sparse step after a dense one clears the whole buffer
  stepSparse(sgd, params, update({8}, 1.0f));
  EXPECT_EQ(bufferOf(sgd), (std::vector<float>{0, 0, 0, 0, 0, 0, 0, 1.0f}));
}

TEST(SgdSparseUpdate, FollowsTheLearningRateScheduleAndTheBf16Copy) {
  auto schedule = std::make_shared<optim::StepSchedule>(1, 0.5, false);  // halves every step
  SGD sgd({.lr = 1.0, .momentum = 0.9}, schedule);
  Tensor params = startingParams();
  Tensor low(Shape{kCount}, DType::BF16);
  for (int64_t i = 0; i < kCount; ++i) low.data<bfloat16>()[i] = bfloat16(0.0f);
  sgd.setLowPrecisionCopy(&low);
  stepSparse(sgd, params, update({2}, 0.375f));  // lr 1
  stepSparse(sgd, params, update({2}, 0.375f));  // lr 0.5
  EXPECT_EQ(params[1], (-2.0f - 0.375f) - 0.5f * 0.375f);
  EXPECT_EQ(low.data<bfloat16>()[1].bits, bfloat16(params[1]).bits) << "the copy follows a moved element";
  EXPECT_EQ(low.data<bfloat16>()[0].bits, bfloat16(0.0f).bits) << "an element not in the update is not touched";
}

TEST(SgdSparseUpdate, ResumesExactlyFromSavedState) {
  SGD first({.lr = 0.1, .momentum = 0.9});
  Tensor params = startingParams();
  stepSparse(first, params, update({1, -4, 4, 4}, 0.5f));
  SGD resumed({.lr = 0.1, .momentum = 0.9});
  resumed.restoreState(first.saveState());
  Tensor again = params.clone();
  stepSparse(first, params, update({-2, 8}, 0.125f));
  stepSparse(resumed, again, update({-2, 8}, 0.125f));
  EXPECT_EQ(again.toVector(), params.toVector());
  EXPECT_EQ(bufferOf(resumed), bufferOf(first));
  EXPECT_EQ(resumed.iteration(), first.iteration());
}

TEST(SgdSparseUpdate, CarriesTheExchangesFiniteCheck) {
  SGD sgd({.lr = 0.1, .momentum = 0.9});
  Tensor params = startingParams();
  SparseUpdate bad = update({1}, 0.5f);
  bad.finite = false;
  stepSparse(sgd, params, bad);
  EXPECT_FALSE(sgd.lastGradientsFinite(Tensor(Shape{kCount})));
  stepSparse(sgd, params, update({1}, 0.5f));
  EXPECT_TRUE(sgd.lastGradientsFinite(Tensor(Shape{kCount})));
}

TEST(SgdSparseUpdate, RefusesWhatItCannotTakeWithoutMovingAnything) {
  Tensor params = startingParams();
  const std::vector<float> start = params.toVector();
  SGD sgd({.lr = 0.1, .momentum = 0.9, .weightDecay = 0.01});
  EXPECT_THROW(stepSparse(sgd, params, update({1}, 0.5f)), UsageError) << "the update applied no weight decay";
  SparseUpdate withDecay = update({1}, 0.5f);
  withDecay.weightDecay = 0.01;
  EXPECT_NO_THROW(stepSparse(sgd, params, withDecay));
  params = startingParams();
  SGD other({.lr = 0.1, .momentum = 0.5});
  EXPECT_THROW(stepSparse(other, params, update({1}, 0.5f)), UsageError) << "another momentum";
  SGD nesterov({.lr = 0.1, .momentum = 0.9, .nesterov = true});
  EXPECT_THROW(stepSparse(nesterov, params, update({1}, 0.5f)), UsageError);
  SGD plain({.lr = 0.1});
  EXPECT_THROW(stepSparse(plain, params, update({1}, 0.5f)), UsageError);
  SGD sgdOk({.lr = 0.1, .momentum = 0.9});
  EXPECT_THROW(stepSparse(sgdOk, params, update({1, kCount + 1}, 0.5f)), UsageError) << "past the end";
  EXPECT_THROW(stepSparse(sgdOk, params, update({0}, 0.5f)), UsageError) << "0 is no code";
  EXPECT_EQ(params.toVector(), start);
  optim::Adam adam({});
  EXPECT_THROW(adam.stepBySparseUpdate(params, [] { return 0.0f; }, update({1}, 0.5f)), UsageError);
}

}  // namespace
}  // namespace shoal
