// TableModule: input-count and shape checks shared by the layers of several inputs.
#include "shoal/nn/table_module.hpp"

#include "shoal/error.hpp"

namespace shoal::nn {

Shape TableModule::outputShape(const Shape&) const {
  throw ShapeError(label() + ": takes two or more inputs; use it as a graph node");
}

void TableModule::updateOutput(const Tensor&) { outputShape(Shape{}); }

void TableModule::updateGradInput(const Tensor&, const Tensor&) { outputShape(Shape{}); }

Shape TableModule::outputShapeOfInputs(std::span<const Shape> inputShapes) const {
  if (inputShapes.size() < 2)
    throw ShapeError(label() + ": takes two or more inputs, got " + std::to_string(inputShapes.size()));
  return tableOutputShape(inputShapes);
}

const Tensor& TableModule::forwardInputs(std::span<const Tensor* const> inputs) {
  checkInputs(inputs);
  updateTableOutput(inputs);
  return output_;
}

void TableModule::checkInputs(std::span<const Tensor* const> inputs) {
  bool same = checkedShapes_.size() == inputs.size();
  for (size_t i = 0; same && i < inputs.size(); ++i)
    same = inputs[i]->rank() > 0 && inputs[i]->dim(0) == inputs[0]->dim(0) &&
           checkedShapes_[i] == inputs[i]->shape().tail();
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i]->layout() == Layout::ChannelsLast && !acceptsChannelsLastInput())
      throw UsageError(label() + ": cannot read a channels-last input (input " +
                       std::to_string(i + 1) + ")");
  if (!same) {
    std::vector<Shape> shapes;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i]->rank() == 0 || inputs[i]->dim(0) != inputs[0]->dim(0))
        throw ShapeError(label() + ": input " + std::to_string(i + 1) + " has shape " +
                         inputs[i]->shape().str() + ", expected a batch of " +
                         std::to_string(inputs[0]->rank() ? inputs[0]->dim(0) : 0) + " samples");
      shapes.push_back(inputs[i]->shape().tail());
    }
    outputShapeOfInputs(shapes);
    checkedShapes_ = shapes;
  }
}

std::span<const Tensor> TableModule::backwardInputs(std::span<const Tensor* const> inputs,
                                                    const Tensor& gradOutput) {
  checkGradOutput(gradOutput, output_);
  gradInputs_.resize(inputs.size());
  updateTableGradInputs(inputs, gradOutput);
  return gradInputs_;
}

void TableModule::checkGradOutput(const Tensor& gradOutput, const Tensor& output) const {
  if (gradOutput.shape() != output.shape())
    throw ShapeError(label() + ": gradOutput has shape " + gradOutput.shape().str() +
                     ", expected the output shape " + output.shape().str());
}

}  // namespace shoal::nn
