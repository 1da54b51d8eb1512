// Golden-value fixture loading and tolerant comparison.
#include "support/fixtures.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

namespace shoal::testing {

nlohmann::json loadFixture(const std::string& name) {
  std::string path = std::string(SHOAL_FIXTURES_DIR) + "/" + name;
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "missing fixture " << path << " (regenerate with ./run golden)";
    return nlohmann::json::object();
  }
  return nlohmann::json::parse(in);
}

Tensor tensorFromJson(const nlohmann::json& j) {
  return Tensor::fromVector(Shape(j.at("shape").get<std::vector<int64_t>>()),
                            j.at("data").get<std::vector<float>>());
}

void expectNear(const Tensor& actual, const Tensor& expected, double rtol, double atol,
                const std::string& what) {
  ASSERT_EQ(actual.shape(), expected.shape()) << what;
  int reported = 0;
  for (int64_t i = 0; i < actual.numel(); ++i) {
    double tol = atol + rtol * std::abs(expected[i]);
    if (std::abs(actual[i] - expected[i]) > tol && reported++ < 5)
      ADD_FAILURE() << what << "[" << i << "]: got " << actual[i] << ", expected " << expected[i];
  }
}

}  // namespace shoal::testing
