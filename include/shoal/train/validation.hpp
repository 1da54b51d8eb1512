// Validation methods (Top1Accuracy, Top5Accuracy, Loss) and evaluation of a model on a data set.
#pragma once
#include <string>
#include <vector>

#include "shoal/data/dataset.hpp"
#include "shoal/nn/criterion.hpp"
#include "shoal/nn/module.hpp"

namespace shoal::train {

// A metric computed as sum / count over batches; sums and counts add across batches and ranks.
class ValidationMethod {
 public:
  enum class Kind { Top1Accuracy, Top5Accuracy, Loss };
  explicit ValidationMethod(Kind kind) : kind_(kind) {}
  Kind kind() const { return kind_; }
  std::string name() const;  // "Top1Accuracy", "Top5Accuracy", "Loss"
  // Adds one batch: `output` [N, C] scores, `target` [N] class indices (or like output for Loss).
  void accumulate(const Tensor& output, const Tensor& target, nn::Criterion& criterion,
                  double& sum, double& count) const;

 private:
  Kind kind_;
};

inline ValidationMethod Top1Accuracy() { return ValidationMethod(ValidationMethod::Kind::Top1Accuracy); }
inline ValidationMethod Top5Accuracy() { return ValidationMethod(ValidationMethod::Kind::Top5Accuracy); }
inline ValidationMethod Loss() { return ValidationMethod(ValidationMethod::Kind::Loss); }

struct ValidationResult {
  std::string name;
  double sum = 0;
  double count = 0;
  double value() const { return count > 0 ? sum / count : 0.0; }
};

// Runs `model` in evaluation mode over `data` in batches of `batchSize` and returns one result
// per method, in order. Restores the model's previous mode.
std::vector<ValidationResult> evaluate(nn::Module& model, const data::Dataset& data,
                                       const std::vector<ValidationMethod>& methods,
                                       nn::Criterion& criterion, int64_t batchSize);

}  // namespace shoal::train
