// Comparing a fused model with its unfused twin: the same outputs and gradients, bit for bit.
#include "support/same_runs.hpp"

#include "shoal/nn/flat_parameters.hpp"
#include "support/fixtures.hpp"

namespace shoal::testing {

void expectSameRuns(nn::Module& fused, nn::Module& unfused, const Tensor& x, const Tensor& g) {
  for (bool training : {true, false}) {
    fused.setTraining(training);
    unfused.setTraining(training);
    for (int pass = 0; pass < 2; ++pass) {
      expectNear(fused.forward(x), unfused.forward(x), 0, 0, "output");
      fused.zeroGradParameters();
      unfused.zeroGradParameters();
      expectNear(fused.backward(x, g), unfused.backward(x, g), 0, 0, "gradInput");
      expectNear(fused.flatParameters().grads(), unfused.flatParameters().grads(), 0, 0,
                 "parameter gradients");
    }
  }
}

}  // namespace shoal::testing
