// `shoal predict`: predicted class and class probabilities of a saved model, as CSV.
#include <cmath>
#include <iostream>

#include "commands.hpp"
#include "data_options.hpp"
#include "model_loading.hpp"
#include "shoal/backend/cpu_info.hpp"
#include "shoal/error.hpp"
#include "shoal/io/atomic_file.hpp"
#include "shoal/train/predict.hpp"

namespace shoal::cli {
namespace {

struct PredictOptions {
  std::string modelFile;
  DataOptions data;
  std::string out;
  int64_t batch = 512;
  int threads = 0;
};

// Appends one CSV row per sample: class, then probabilities (softmax of the scores unless the
// model already ends in SoftMax; softmax of log-probabilities gives the probabilities back).
void appendRows(const Tensor& output, bool alreadyProbabilities, std::string& csv) {
  int64_t n = output.dim(0), classes = output.dim(1);
  std::vector<double> p(static_cast<size_t>(classes));
  char buf[32];
  for (int64_t i = 0; i < n; ++i) {
    const float* row = output.data() + i * classes;
    int64_t best = 0;
    double maxScore = row[0], sum = 0;
    for (int64_t c = 1; c < classes; ++c) {
      if (row[c] > row[best]) best = c;
      maxScore = std::max<double>(maxScore, row[c]);
    }
    for (int64_t c = 0; c < classes; ++c) {
      p[c] = alreadyProbabilities ? row[c] : std::exp(row[c] - maxScore);
      sum += p[c];
    }
    csv += std::to_string(best);
    for (int64_t c = 0; c < classes; ++c) {
      std::snprintf(buf, sizeof buf, ",%.6g", alreadyProbabilities ? p[c] : p[c] / sum);
      csv += buf;
    }
    csv += '\n';
  }
}

void run(PredictOptions& o) {
  backend::setThreadCount(o.threads);
  io::LoadedModel loaded = io::loadModel(o.modelFile);
  LoadedData sets = loadData(o.data, /*training=*/false, static_cast<int>(loaded.info.classes),
                             /*ignoreLabel=*/true);
  data::Dataset& data = *sets.test;
  fitDataToModel(data, loaded.info, "the data");
  nn::Module& model = *loaded.model;
  bool alreadyProbabilities = model.outputModule().typeName() == "SoftMax";

  std::string csv = "prediction";
  for (int64_t c = 0; c < loaded.info.classes; ++c) csv += ",p" + std::to_string(c);
  csv += '\n';
  appendRows(train::predict(model, data, o.batch), alreadyProbabilities, csv);
  if (o.out.empty() || o.out == "-") {
    std::cout << csv;
  } else {
    io::writeFileAtomically(o.out, csv);
    std::cerr << "wrote " << data.size() << " predictions to " << o.out << "\n";
  }
}

}  // namespace

Subcommand addPredictCommand(CLI::App& app) {
  auto o = std::make_shared<PredictOptions>();
  CLI::App* sub = app.add_subcommand(
      "predict", "Predict classes with a saved model: CSV of the class and its probabilities");
  sub->add_option("--model-file", o->modelFile, "Saved model (.shoal)")->required();
  addDataOptions(*sub, o->data, /*training=*/false);
  sub->add_option("--out", o->out, "Predictions CSV to write (default: standard output)");
  sub->add_option("--batch", o->batch, "Batch size")->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--threads", o->threads, "Compute threads (default: all cores)")->check(CLI::PositiveNumber);
  return {sub, [o] { run(*o); return 0; }};
}

}  // namespace shoal::cli
