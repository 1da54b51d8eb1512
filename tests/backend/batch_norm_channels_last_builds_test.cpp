// The channels-last batch normalisation passes give the same bits in the baseline build (compiled here) as in the library's (the AVX-512 one on CPUs with it).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "backend/cpu/batch_norm_kernels.hpp"
#include "shoal/backend/backend.hpp"
#include "support/gradient_check.hpp"

namespace shoal {
namespace {

namespace cpu = backend::cpu;
using testing::randomTensor;

// The lanes of a span are explicit arrays summed in a fixed order, so the vector width does not
// change a result: training, inference and backward (with the fused ReLU) agree to the bit.
TEST(BatchNormChannelsLastBuilds, BaselineMatchesTheLibrary) {
  for (const Shape& shape : {Shape{3, 20, 7, 9}, Shape{2, 1100, 3, 3}, Shape{8, 16, 15, 17}}) {
    const int64_t c = shape[1];
    const Tensor weight = randomTensor({c}, 1, 0.5f, 1.5f), bias = randomTensor({c}, 2);
    const Tensor x = randomTensor(shape, 3, -1.0f, 2.0f).toLayout(Layout::ChannelsLast);
    const Tensor g = randomTensor(shape, 4).toLayout(Layout::ChannelsLast);
    auto channelsLast = [&] {
      Tensor t(shape);
      t.setLayout(Layout::ChannelsLast);
      return t;
    };
    // the library's op
    auto op = backend::current().makeBatchNorm(1e-5, true);
    Tensor y = channelsLast(), yi = channelsLast(), gx = channelsLast();
    Tensor mean({c}), variance({c}), gw({c}), gb({c});
    op->forwardTraining(x, weight, bias, y, mean, variance, true);
    op->forwardInference(x, weight, bias, mean, variance, yi, true);
    op->backward(x, g, &y, weight, bias, mean, variance, true, gx, gw, gb);
    // the baseline passes
    cpu::BatchNormPass p{.n = shape[0], .c = c, .s = shape[2] * shape[3], .eps = 1e-5f,
                         .weight = weight.data(), .bias = bias.data(), .relu = true,
                         .channelsLast = true};
    std::vector<double> scratch(static_cast<size_t>(cpu::channelsLastScratch(p)));
    p.scratch = scratch.data();
    Tensor by = channelsLast(), byi = channelsLast(), bgx = channelsLast();
    Tensor bmean({c}), bvariance({c}), bgw({c}), bgb({c});
    cpu::normaliseWithBatchStatistics(p, x.data(), by.data(), bmean.data(), bvariance.data());
    cpu::normaliseWithGivenStatistics(p, x.data(), bmean.data(), bvariance.data(), byi.data());
    p.relu = false;
    cpu::batchNormBackward(p, x.data(), g.data(), by.data(), bmean.data(), bvariance.data(), true,
                           bgx.data(), bgw.data(), bgb.data());
    const std::string what = shape.str();
    EXPECT_EQ(by.toVector(), y.toVector()) << what << " training dst";
    EXPECT_EQ(bmean.toVector(), mean.toVector()) << what << " mean";
    EXPECT_EQ(bvariance.toVector(), variance.toVector()) << what << " variance";
    EXPECT_EQ(byi.toVector(), yi.toVector()) << what << " inference dst";
    EXPECT_EQ(bgx.toVector(), gx.toVector()) << what << " gradSrc";
    EXPECT_EQ(bgw.toVector(), gw.toVector()) << what << " gradWeight";
    EXPECT_EQ(bgb.toVector(), gb.toVector()) << what << " gradBias";
  }
}

}  // namespace
}  // namespace shoal
