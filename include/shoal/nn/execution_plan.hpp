// ExecutionPlan: the steps a chain of modules runs as, grouped by what the backend can fuse.
#pragma once
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "shoal/nn/module.hpp"
#include "shoal/nn/plan_step.hpp"

namespace shoal::nn {

// Made once for a chain by its container (and again when the chain changes): each module, in
// order, is offered the epilogues of the modules right after it (Module::asEpilogue) and may
// return one step that computes it together with a prefix of them (Module::fuse); every other
// module is a step of its own. Layers stay pure: no module looks at its neighbours' types, and a
// fused step writes its own buffers, never another module's output().
// In bf16 precision a step's output stays bf16 when the next step's first module (past any
// Flatten or Reshape) reads bf16; the chain's last output is always f32.
class ExecutionPlan {
 public:
  // `fuse` false: every module is its own step (for comparing fused and unfused execution).
  ExecutionPlan(std::span<Module* const> chain, bool fuse);

  size_t size() const { return steps_.size(); }
  PlanStep& step(size_t i) { return *steps_[i].step; }
  const PlanStep& step(size_t i) const { return *steps_[i].step; }
  // Index in the chain of step i's first module.
  size_t firstModule(size_t i) const { return steps_[i].first; }
  // "layer 1 (SpatialConvolution(...)) + ReLU + SpatialMaxPooling(2x2)".
  std::string describe(size_t i) const { return steps_[i].description; }
  // Whether step i writes its output in bf16 (the plan asked it to: the next step reads bf16).
  bool writesBf16(size_t i) const { return steps_[i].writesBf16; }

 private:
  struct Entry {
    std::unique_ptr<PlanStep> step;
    size_t first;
    std::string description;
    bool writesBf16 = false;
  };
  std::vector<Entry> steps_;
};

}  // namespace shoal::nn
