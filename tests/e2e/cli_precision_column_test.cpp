// End-to-end: `shoal summary --precision bf16` shows the plan each layer runs in (fused steps, conversions) for mlp, lenet5, resnet, tabular and a spec.
#include <gtest/gtest.h>

#include <sstream>

#include "support/bf16_kernels.hpp"
#include "support/cli_runner.hpp"

using shoal::testing::runCli;

namespace {

// The precision column of the summary row whose layer column contains `layer`: the text after
// the share column ("98.7%  "), which is the row's last column.
std::string precisionOf(const std::string& table, const std::string& layer) {
  std::istringstream lines(table);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(layer) == std::string::npos) continue;
    size_t share = line.rfind("%  ");
    return share == std::string::npos ? "(no precision column)" : line.substr(share + 3);
  }
  return "(no row for " + layer + ")";
}

}  // namespace

TEST(CliPrecisionColumn, MlpFusesItsReluIntoTheBf16LinearStep) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  auto r = runCli("summary --model mlp --precision bf16");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(precisionOf(r.out, "Flatten"), "bf16") << "batches are gathered as bf16\n" << r.out;
  EXPECT_EQ(precisionOf(r.out, "Linear(784 -> 1000)"), "bf16") << r.out;
  EXPECT_EQ(precisionOf(r.out, "ReLU"), "bf16 (fused into #2)") << r.out;
  EXPECT_EQ(precisionOf(r.out, "Linear(1000 -> 10)"), "bf16, writes fp32") << r.out;
  EXPECT_EQ(precisionOf(r.out, "LogSoftMax"), "fp32 (no bf16 path)") << r.out;
}

TEST(CliPrecisionColumn, LeNet5KeepsThinConvolutionsInFp32AndSaysWhereBf16Begins) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  auto r = runCli("summary --model lenet5 --precision bf16");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(precisionOf(r.out, "SpatialConvolution(1 -> 6"), "fp32 (bf16 does not pay here)") << r.out;
  EXPECT_EQ(precisionOf(r.out, " 3  SpatialMaxPooling"), "fp32 (fused into #1)") << r.out;
  EXPECT_EQ(precisionOf(r.out, "Flatten"), "fp32") << r.out;
  EXPECT_EQ(precisionOf(r.out, "Linear(400 -> 120)"), "bf16, rounds its fp32 input") << r.out;
  EXPECT_EQ(precisionOf(r.out, " 9  ReLU"), "bf16 (fused into #8)") << r.out;
  EXPECT_EQ(precisionOf(r.out, "Linear(84 -> 10)"), "bf16, writes fp32") << r.out;
}

TEST(CliPrecisionColumn, ResNetNodesSayWhatTheyConvert) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  auto r = runCli("summary --model resnet --precision bf16");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(precisionOf(r.out, "stem_conv = "), "fp32 (bf16 does not pay here)") << r.out;
  // The graph keeps bf16 between nodes whose readers all read bf16: the stem's normalisation
  // rounds the fp32 convolution's output, the blocks read and write bf16, the last addition and
  // its fused ReLU write fp32 for the average pooling (no bf16 path).
  EXPECT_EQ(precisionOf(r.out, "stem_bn = "), "bf16, rounds its fp32 input") << r.out;
  EXPECT_EQ(precisionOf(r.out, "stem_relu = "), "bf16 (fused into #2)") << r.out;
  EXPECT_EQ(precisionOf(r.out, "block1_conv1 = "), "bf16") << r.out;
  EXPECT_EQ(precisionOf(r.out, "block1_add = "), "bf16") << r.out;
  EXPECT_EQ(precisionOf(r.out, "block3_add = "), "bf16, writes fp32") << r.out;
  EXPECT_EQ(precisionOf(r.out, "block3_relu2 = "), "bf16 (fused into #27)") << r.out;
  EXPECT_EQ(precisionOf(r.out, "pool = "), "fp32 (no bf16 path)") << r.out;
  EXPECT_EQ(precisionOf(r.out, "flatten = "), "fp32") << r.out;
}

TEST(CliPrecisionColumn, ConvolutionBlockWritesBf16ForTheNextBf16Layer) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  const std::string dir = shoal::testing::makeTempDir("e2e-precision-column");
  shoal::testing::writeText(dir + "/block.json", R"({"type": "Sequential", "layers": [
    {"type": "SpatialConvolution", "in": 32, "out": 64, "kernel": [3, 3], "pad": [1, 1]},
    {"type": "ReLU"}, {"type": "SpatialMaxPooling", "kernel": [2, 2], "stride": [2, 2]},
    {"type": "Flatten"}, {"type": "Linear", "in": 3136, "out": 10}, {"type": "LogSoftMax"}]})");
  auto r = runCli("summary --model " + dir + "/block.json --input 32,14,14 --precision bf16");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(precisionOf(r.out, "SpatialConvolution(32 -> 64"), "bf16") << r.out;
  EXPECT_EQ(precisionOf(r.out, "SpatialMaxPooling"), "bf16 (fused into #1)") << r.out;
  EXPECT_EQ(precisionOf(r.out, "Flatten"), "bf16") << r.out;
  EXPECT_EQ(precisionOf(r.out, "Linear(3136 -> 10)"), "bf16, writes fp32") << r.out;
}

TEST(CliPrecisionColumn, TabularEmbeddingsAndTheirReaders) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  const std::string dir = shoal::testing::makeTempDir("e2e-precision-tabular");
  auto data = runCli("make-data risk --rows 600 --test-rows 100 --out " + dir);
  ASSERT_EQ(data.exitCode, 0) << data.err;
  auto train = runCli("train --model tabular --train-csv " + dir + "/train.csv --label-col default "
                      "--iterations 2 --batch 64 --out " + dir + "/run");
  ASSERT_EQ(train.exitCode, 0) << train.err;
  auto r = runCli("summary --model-file " + dir + "/run/model.shoal --precision bf16");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(precisionOf(r.out, "embedding0 = "), "fp32 (bf16 does not pay here)") << r.out;
  EXPECT_EQ(precisionOf(r.out, "features = "), "fp32") << r.out;
  // the first Linear (and its fused ReLU) writes bf16 for the bf16 Linear after it
  EXPECT_EQ(precisionOf(r.out, "fc1 = "), "bf16, rounds its fp32 input") << r.out;
  EXPECT_EQ(precisionOf(r.out, "relu1 = "), "bf16 (fused into #12)") << r.out;
  auto f = runCli("summary --model-file " + dir + "/run/model.shoal");
  ASSERT_EQ(f.exitCode, 0) << f.err;
  EXPECT_EQ(f.out.find("bf16"), std::string::npos) << "an fp32 summary names no bf16\n" << f.out;
}
