// The Fashion-MNIST check and scratch-directory fixture shared by the end-to-end tests.
#include "support/fashion_mnist_test.hpp"

#include <filesystem>

#include "support/cli_runner.hpp"

namespace shoal::testing {

bool fashionMnistInstalled() {
  return std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
}

void FashionMnistTest::SetUp() {
  if (!fashionMnistInstalled()) GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed";
  dir_ = makeTempDir(::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name());
}

void FashionMnistTest::TearDown() {
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

}  // namespace shoal::testing
