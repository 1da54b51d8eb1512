// TableModule: the shared base of layers that take two or more inputs (BigDL's tables: CAddTable, JoinTable).
#pragma once
#include <vector>

#include "shoal/nn/module.hpp"

namespace shoal::nn {

// Used as a graph node of two or more inputs through forwardInputs/backwardInputs; the
// single-input forward and outputShape throw a ShapeError saying so. Subclasses compute the
// output shape and the passes; input shapes are checked once per set of shapes.
class TableModule : public Module {
 public:
  TableModule(TableModule&&) = default;

  int inputCount() const override { return kAnyInputCount; }
  Shape outputShape(const Shape& inputShape) const override;
  Shape outputShapeOfInputs(std::span<const Shape> inputShapes) const override;
  const Tensor& forwardInputs(std::span<const Tensor* const> inputs) override;
  std::span<const Tensor> backwardInputs(std::span<const Tensor* const> inputs,
                                         const Tensor& gradOutput) override;

 protected:
  TableModule() = default;
  // The per-sample output shape of two or more per-sample input shapes; ShapeError naming the
  // layer and the input that does not fit.
  virtual Shape tableOutputShape(std::span<const Shape> inputShapes) const = 0;
  // output_ from the inputs (shapes already checked).
  virtual void updateTableOutput(std::span<const Tensor* const> inputs) = 0;
  // gradInputs_ (one per input, sized by the caller) from gradOutput.
  virtual void updateTableGradInputs(std::span<const Tensor* const> inputs, const Tensor& gradOutput) = 0;

  // ShapeError (naming the layer and the input) unless the inputs are batches of one sample
  // count whose sample shapes fit; UsageError for a channels-last input the layer cannot read.
  void checkInputs(std::span<const Tensor* const> inputs);
  // ShapeError unless gradOutput has the shape of `output`.
  void checkGradOutput(const Tensor& gradOutput, const Tensor& output) const;

  void updateOutput(const Tensor& input) override;
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;

  std::vector<Tensor> gradInputs_;

 private:
  std::vector<Shape> checkedShapes_;
};

}  // namespace shoal::nn
