// Every optimiser teaches a small MLP the XOR function to 100% accuracy.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "shoal/nn/cross_entropy_criterion.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/linear.hpp"
#include "shoal/nn/mse_criterion.hpp"
#include "shoal/nn/random.hpp"
#include "shoal/nn/sequential.hpp"
#include "shoal/nn/sigmoid.hpp"
#include "shoal/nn/tanh.hpp"
#include "shoal/optim/adam.hpp"
#include "shoal/optim/lbfgs.hpp"
#include "shoal/optim/sgd.hpp"

namespace shoal {
namespace {

const Tensor kInputs = Tensor::fromVector({4, 2}, {0, 0, 0, 1, 1, 0, 1, 1});
const Tensor kLabels = Tensor::fromVector({4}, {0, 1, 1, 0});

// Full-batch training of `model` with `criterion`; returns the loss after the last step.
float train(nn::Module& model, nn::Criterion& criterion, const Tensor& target, optim::OptimMethod& method,
            int steps) {
  nn::FlatParameters& flat = model.flatParameters();
  optim::Closure closure = [&] {
    model.zeroGradParameters();
    const Tensor& output = model.forward(kInputs);
    float loss = criterion.forward(output, target);
    model.backward(kInputs, criterion.backward(output, target));
    return loss;
  };
  for (int s = 0; s < steps; ++s) method.step(flat.values(), flat.grads(), closure);
  return criterion.forward(model.forward(kInputs), target);
}

struct Case {
  std::string name;
  std::function<std::shared_ptr<optim::OptimMethod>()> make;
  int steps;
};

TEST(XorConvergence, EveryOptimiserLearnsXorWithATanhMlp) {
  using optim::LBFGS;
  std::vector<Case> cases = {
      {"sgd", [] { return std::make_shared<optim::SGD>(optim::SGD::Options{.lr = 0.5}); }, 1000},
      {"sgd momentum",
       [] { return std::make_shared<optim::SGD>(optim::SGD::Options{.lr = 0.1, .momentum = 0.9}); }, 500},
      {"sgd nesterov",
       [] {
         return std::make_shared<optim::SGD>(optim::SGD::Options{.lr = 0.1, .momentum = 0.9, .nesterov = true});
       },
       500},
      {"adam", [] { return std::make_shared<optim::Adam>(optim::Adam::Options{.lr = 0.05}); }, 500},
      {"lbfgs", [] { return std::make_shared<LBFGS>(LBFGS::Options{.lr = 0.5, .maxIter = 200}); }, 1},
      {"lbfgs wolfe",
       [] {
         return std::make_shared<LBFGS>(LBFGS::Options{.maxIter = 200, .lineSearch = LBFGS::LineSearch::StrongWolfe});
       },
       1},
  };
  for (const Case& c : cases) {
    for (uint64_t seed : {1, 2, 3}) {
      nn::manualSeed(seed);
      nn::Sequential model = nn::Sequential().add(nn::Linear(2, 8)).add(nn::Tanh()).add(nn::Linear(8, 2));
      nn::CrossEntropyCriterion criterion;
      auto method = c.make();
      float loss = train(model, criterion, kLabels, *method, c.steps);
      EXPECT_LT(loss, 0.05) << c.name << " seed " << seed;
      const Tensor& scores = model.forward(kInputs);
      for (int64_t n = 0; n < 4; ++n) {
        int predicted = scores[n * 2 + 1] > scores[n * 2] ? 1 : 0;
        EXPECT_EQ(predicted, static_cast<int>(kLabels[n])) << c.name << " seed " << seed << " sample " << n;
      }
    }
  }
}

TEST(XorConvergence, SigmoidMlpRegressesXorWithMse) {
  nn::manualSeed(4);
  nn::Sequential model = nn::Sequential().add(nn::Linear(2, 8)).add(nn::Sigmoid()).add(nn::Linear(8, 1));
  nn::MSECriterion criterion;
  Tensor target = kLabels.view({4, 1});
  optim::Adam adam({.lr = 0.05});
  float loss = train(model, criterion, target, adam, 1000);
  EXPECT_LT(loss, 1e-3);
  const Tensor& output = model.forward(kInputs);
  for (int64_t n = 0; n < 4; ++n) EXPECT_NEAR(output[n], kLabels[n], 0.1) << "sample " << n;
}

}  // namespace
}  // namespace shoal
