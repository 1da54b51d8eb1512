// `shoal summary`: print a model's layers with output shapes, parameter counts, compute share and precision.
#include <iostream>

#include "commands.hpp"
#include "shoal/error.hpp"
#include "shoal/io/model_file.hpp"
#include "shoal/nn/model_spec.hpp"
#include "shoal/nn/model_summary.hpp"
#include "shoal/train/model_setup.hpp"
#include "shoal/train/saved_model.hpp"

namespace shoal::cli {
namespace {

struct SummaryOptions {
  std::string model;
  std::string modelFile;
  std::vector<int64_t> hidden{1000};
  std::vector<int64_t> input{1, 28, 28};
  int64_t classes = 10;
  std::string precision = "fp32";
};

int run(const SummaryOptions& o) {
  if (o.model.empty() == o.modelFile.empty()) throw UsageError("summary: give one of --model or --model-file");
  io::LoadedModel loaded;
  if (!o.modelFile.empty()) {
    loaded = io::loadModel(o.modelFile);
  } else if (nn::isZooModel(o.model)) {
    nn::ZooOptions zoo;
    zoo.hidden = o.hidden;
    loaded = train::buildNamedModel(o.model, Shape(o.input), o.classes, zoo);
  } else if (o.model.size() > 5 && o.model.ends_with(".json")) {
    loaded.info.inputShape = Shape(o.input);
    loaded.model = nn::buildModel(nn::readJsonFile(o.model), loaded.info.inputShape, o.model);
  } else {
    throw UsageError("--model: '" + o.model + "' is neither a built-in model (mlp, lenet5, resnet, tabular) nor a .json spec");
  }
  const std::string note = train::setModelPrecision(*loaded.model, o.precision);
  if (!note.empty()) std::cerr << "shoal: note: " << note << "\n";
  std::cout << nn::summarize(*loaded.model, loaded.info.inputShape).table();
  return 0;
}

}  // namespace

Subcommand addSummaryCommand(CLI::App& app) {
  auto o = std::make_shared<SummaryOptions>();
  CLI::App* sub = app.add_subcommand("summary", "Print a model's layers, output shapes, parameters and FLOPs");
  sub->add_option("--model", o->model, "Built-in model (mlp, lenet5, resnet, tabular) or a JSON spec file");
  sub->add_option("--model-file", o->modelFile, "A saved model (.shoal)");
  sub->add_option("--hidden", o->hidden, "mlp hidden layer sizes, e.g. --hidden 512,256")
      ->delimiter(',')
      ->capture_default_str();
  sub->add_option("--input", o->input, "Per-sample input shape for --model, e.g. 1,28,28 or 20")
      ->delimiter(',')
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--classes", o->classes, "Output classes for a built-in model")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--precision", o->precision,
                  "Show the precision each layer runs in when the model runs in fp32, bf16 or auto "
                  "(as for train): fused steps, where a bf16 layer rounds its input or writes fp32, "
                  "and layers without a bf16 path or where it does not pay")
      ->check(CLI::IsMember({"fp32", "bf16", "auto"}))
      ->capture_default_str();
  return {sub, [o] { return run(*o); }};
}

}  // namespace shoal::cli
