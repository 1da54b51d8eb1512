// SGD's sparse step (threshold compression's momentum correction): the buffer becomes the update, only its elements move, state resumes exactly, and what does not fit is refused.
#include <gtest/gtest.h>

#include <cmath>
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
  for (const auto& [name, t] : sgd.saveState().tensors)
    if (name == "momentum_buffer") return t.toVector();
  ADD_FAILURE() << "no momentum buffer";
  return {};
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

TEST(SgdSparseUpdate, IsSgdsStepForTheUpdatesDifferenceWithAndWithoutWeightDecay) {
  // momentum correction's old form: the reducer returned g' = G_t - m G_{t-1} and SGD ran its
  // dense pass (b = m b + g' + wd p): the sparse step must take the same steps
  const float m = 0.9f;
  for (const double wd : {0.0, 0.05}) {
    SGD sparse({.lr = 0.05, .momentum = 0.9, .weightDecay = wd});
    SGD dense({.lr = 0.05, .momentum = 0.9, .weightDecay = wd});
    Tensor viaSparse = startingParams(), viaDense = startingParams(), grads(Shape{kCount});
    std::vector<float> last(kCount, 0.0f);
    for (int step = 0; step < 40; ++step) {
      // a few codes, on changing elements, some repeated, of a unit that changes
      std::vector<int32_t> codes;
      for (int32_t e = 1; e <= kCount; ++e)
        if ((e * 7 + step * 3) % 5 < 2) codes.push_back((e + step) % 3 == 0 ? -e : e);
      if (step % 4 == 0) codes.push_back(codes.empty() ? 1 : codes.front());
      const SparseUpdate u = update(codes, 0.125f * static_cast<float>(1 + step % 3));
      std::vector<float> sum(kCount, 0.0f);
      for (int32_t code : codes) sum[std::abs(code) - 1] += code > 0 ? u.unit : -u.unit;
      for (int64_t i = 0; i < kCount; ++i) grads[i] = sum[i] - m * last[i];
      last = sum;
      stepSparse(sparse, viaSparse, u);
      dense.step(viaDense, grads, [] { return 0.0f; });
      for (int64_t i = 0; i < kCount; ++i)
        ASSERT_NEAR(viaSparse[i], viaDense[i], 1e-5f * (1.0f + std::fabs(viaDense[i])))
            << "weight decay " << wd << ", step " << step << ", element " << i;
    }
    const std::vector<float> a = bufferOf(sparse), b = bufferOf(dense);
    for (int64_t i = 0; i < kCount; ++i) EXPECT_NEAR(a[i], b[i], 1e-5f) << "weight decay " << wd;
  }
}

TEST(SgdSparseUpdate, ResumesExactlyFromSavedStateWithAndWithoutWeightDecay) {
  for (const double wd : {0.0, 0.05}) {
    SGD first({.lr = 0.1, .momentum = 0.9, .weightDecay = wd});
    Tensor params = startingParams();
    stepSparse(first, params, update({1, -4, 4, 4}, 0.5f));
    SGD resumed({.lr = 0.1, .momentum = 0.9, .weightDecay = wd});
    resumed.restoreState(first.saveState());
    Tensor again = params.clone();
    for (const SparseUpdate& u : {update({-2, 8}, 0.125f), update({4, 5}, 0.25f)}) {
      stepSparse(first, params, u);
      stepSparse(resumed, again, u);
    }
    EXPECT_EQ(again.toVector(), params.toVector()) << "weight decay " << wd;
    EXPECT_EQ(bufferOf(resumed), bufferOf(first)) << "weight decay " << wd;
    EXPECT_EQ(resumed.iteration(), first.iteration());
  }
  // the saved codes are checked
  SGD sgd({.lr = 0.1, .momentum = 0.9});
  Tensor params = startingParams();
  stepSparse(sgd, params, update({3}, 0.5f));
  optim::OptimState state = sgd.saveState();
  state.tensors.back().second.data()[1] = kCount + 5.0f;  // high 0, low: past the end
  EXPECT_THROW(SGD({.lr = 0.1, .momentum = 0.9}).restoreState(state), InputError);
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
