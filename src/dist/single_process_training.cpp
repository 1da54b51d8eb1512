// The single-process training strategy: every hook leaves the model, gradients and loss as they are.
#include "shoal/dist/training_strategy.hpp"

namespace shoal::dist {
namespace {

class SingleProcessTraining final : public TrainingStrategy {
 public:
  Communicator& comm() override { return *comm_; }
  bool fullBatch() const override { return false; }
  bool globalLoss() const override { return true; }
  bool reportsCommunication() const override { return false; }
  void broadcastModel(nn::Module&) override {}
  SharedGradients shareGradients(nn::FlatParameters&) override { return {}; }
  float reduceGradients(nn::FlatParameters&, float loss, int64_t, int) override { return loss; }
  void afterStep(nn::FlatParameters&, optim::OptimMethod&, int64_t, int) override {}
  void synchronize(nn::Module&, optim::OptimMethod&) override {}
  int agreedStopSignal(int localSignal) const override { return localSignal; }

 private:
  std::unique_ptr<Communicator> comm_ = singleProcess();
};

}  // namespace

std::unique_ptr<TrainingStrategy> singleProcessTraining() {
  return std::make_unique<SingleProcessTraining>();
}

}  // namespace shoal::dist
