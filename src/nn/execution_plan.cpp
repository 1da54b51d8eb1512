// ExecutionPlan: grouping a chain into plain and fused steps through Module::asEpilogue and Module::fuse.
#include "shoal/nn/execution_plan.hpp"

namespace shoal::nn {
namespace {

// A module run alone through its own forward and backward.
class ModuleStep : public PlanStep {
 public:
  explicit ModuleStep(Module& module) : module_(module) {}

  size_t modules() const override { return 1; }
  const Tensor& forward(const Tensor& input) override { return module_.forward(input); }
  const Tensor& backward(const Tensor& input, const Tensor& gradOutput) override {
    return module_.backward(input, gradOutput);
  }
  void backwardParameters(const Tensor& input, const Tensor& gradOutput) override {
    module_.backwardParameters(input, gradOutput);
  }
  bool canOutputBf16() const override { return module_.canOutputBf16(); }
  void setOutputBf16(bool bf16) override { module_.setOutputBf16(bf16); }

 private:
  Module& module_;
};

}  // namespace

ExecutionPlan::ExecutionPlan(std::span<Module* const> chain, bool fuse) {
  for (size_t i = 0; i < chain.size();) {
    std::vector<Epilogue> following;
    for (size_t j = i + 1; fuse && j < chain.size(); ++j) {
      std::optional<Epilogue> e = chain[j]->asEpilogue();
      if (!e) break;
      e->label = chain[j]->label();
      following.push_back(*e);
    }
    std::unique_ptr<PlanStep> step = following.empty() ? nullptr : chain[i]->fuse(following);
    if (!step) step = std::make_unique<ModuleStep>(*chain[i]);
    std::string description = chain[i]->label();
    for (size_t j = i + 1; j < i + step->modules(); ++j) description += " + " + chain[j]->describe();
    size_t next = i + step->modules();
    steps_.push_back({std::move(step), i, std::move(description)});
    i = next;
  }
  for (size_t s = 0; s < steps_.size(); ++s) {
    bool bf16 = false;
    if (s + 1 < steps_.size() && steps_[s].step->canOutputBf16()) {
      size_t j = steps_[s + 1].first;
      while (j + 1 < chain.size() && chain[j]->passesElementType()) ++j;
      bf16 = chain[j]->acceptsBf16Input();
    }
    steps_[s].step->setOutputBf16(bf16);
    steps_[s].writesBf16 = bf16;
  }
}

}  // namespace shoal::nn
