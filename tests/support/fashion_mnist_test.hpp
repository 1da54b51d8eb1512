// End-to-end tests on Debian's Fashion-MNIST: whether it is installed, and a fixture with a scratch directory.
#pragma once
#include <string>

#include <gtest/gtest.h>

namespace shoal::testing {

// True when the dataset-fashion-mnist package's files are where --data fashion-mnist reads them.
bool fashionMnistInstalled();

// Skips the test when Fashion-MNIST is missing; otherwise gives it a fresh scratch directory
// (named after the test suite) that is removed afterwards.
class FashionMnistTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

}  // namespace shoal::testing
