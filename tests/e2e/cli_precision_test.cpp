// End-to-end: --precision bf16 and auto through the real CLI, models that load anywhere, and a processor without bf16 (ONEDNN_MAX_CPU_ISA).
#include <gtest/gtest.h>

#include <regex>

#include "support/bf16_kernels.hpp"
#include "support/cli_runner.hpp"
#include "support/fashion_mnist_test.hpp"

using shoal::testing::fashionMnistInstalled;
using shoal::testing::runCli;
using shoal::testing::runShell;

namespace {

double valueAfter(const std::string& text, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(key + R"(:?\s*([0-9.]+))"))) return -1;
  return std::stod(m[1]);
}

// `shoal ARGS` with oneDNN held to the instruction set `isa` (a processor without bf16 units).
shoal::testing::CliResult runCliOn(const std::string& isa, const std::string& args) {
  return runShell("ONEDNN_MAX_CPU_ISA=" + isa + " " + shoal::testing::cliPath() + " " + args);
}

const char* kSmallRun = "--model mlp --hidden 64 --data fashion-mnist --train-limit 2000 "
                        "--test-limit 1000 --epochs 2 --batch 64 --lr 0.05 --momentum 0.9 --seed 3";

}  // namespace

TEST(CliPrecision, Bf16TrainsEvaluatesAndLoadsInFp32) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  if (!fashionMnistInstalled()) GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed";
  std::string dir = shoal::testing::makeTempDir("e2e-bf16");
  auto r = runCli(std::string("train ") + kSmallRun + " --precision bf16 --out " + dir + "/run");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find(", bf16"), std::string::npos) << r.out;
  EXPECT_NE(shoal::testing::readText(dir + "/run/config.json").find("\"precision\": \"bf16\""),
            std::string::npos);
  double trained = valueAfter(r.out, "test accuracy");
  EXPECT_GT(trained, 0.6) << r.out;
  // The file holds f32 master weights: the same model evaluates in fp32 and in bf16.
  for (const char* precision : {"fp32", "bf16"}) {
    auto e = runCli("eval --model-file " + dir + "/run/model.shoal --data fashion-mnist "
                    "--test-limit 1000 --precision " + precision);
    ASSERT_EQ(e.exitCode, 0) << e.err;
    EXPECT_NEAR(valueAfter(e.out, "accuracy"), trained, 0.02) << precision << ": " << e.out;
  }
  // Repeating the run from its config.json gives the same figures, bit for bit.
  auto again = runCli("train --config " + dir + "/run/config.json --out " + dir + "/again");
  ASSERT_EQ(again.exitCode, 0) << again.err;
  EXPECT_EQ(shoal::testing::readText(dir + "/run/model.shoal"),
            shoal::testing::readText(dir + "/again/model.shoal"));
}

TEST(CliPrecision, SummaryShowsThePrecisionColumn) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  auto r = runCli("summary --model lenet5 --precision bf16");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("precision"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bf16"), std::string::npos) << r.out;
  auto f = runCli("summary --model lenet5");
  EXPECT_EQ(f.out.find("bf16"), std::string::npos) << f.out;
}

TEST(CliPrecision, InfoSaysWhatAutoPicks) {
  auto r = runCli("info");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("bf16: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("precision auto: "), std::string::npos) << r.out;
  auto avx2 = runCliOn("AVX2", "info");
  EXPECT_NE(avx2.out.find("precision auto: fp32"), std::string::npos) << avx2.out;
}

// Below AVX-512 (oneDNN's instruction set capped at AVX2): auto falls back to fp32 with a note,
// and bf16 is refused, as there are no bf16 kernels.
TEST(CliPrecision, ProcessorWithoutBf16) {
  if (!fashionMnistInstalled()) GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed";
  std::string dir = shoal::testing::makeTempDir("e2e-no-bf16");
  auto autoRun = runCliOn("AVX2", std::string("train ") + kSmallRun + " --precision auto --out " + dir + "/auto");
  ASSERT_EQ(autoRun.exitCode, 0) << autoRun.err;
  EXPECT_NE(autoRun.out.find("precision auto: fp32"), std::string::npos) << autoRun.out;
  EXPECT_NE(autoRun.out.find(", fp32"), std::string::npos) << autoRun.out;

  auto refused = runCliOn("AVX2", std::string("train ") + kSmallRun + " --precision bf16 --out " + dir + "/refused");
  EXPECT_EQ(refused.exitCode, 2) << refused.out;
  EXPECT_NE(refused.err.find("precision bf16 needs a processor with AVX-512"), std::string::npos)
      << refused.err;
}

// AVX-512 without bf16 instructions (the cap at AVX512_CORE): oneDNN emulates bf16, which still
// trains and says so. The cap only lowers the instruction set, so this needs AVX-512 underneath.
TEST(CliPrecision, ProcessorWithEmulatedBf16) {
  if (!fashionMnistInstalled()) GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed";
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  std::string dir = shoal::testing::makeTempDir("e2e-emulated-bf16");
  auto emulated = runCliOn("AVX512_CORE", std::string("train ") + kSmallRun + " --precision bf16 --out " + dir + "/emulated");
  ASSERT_EQ(emulated.exitCode, 0) << emulated.err;
  EXPECT_NE(emulated.out.find("emulated"), std::string::npos) << emulated.out;
  EXPECT_GT(valueAfter(emulated.out, "test accuracy"), 0.6) << emulated.out;
}
