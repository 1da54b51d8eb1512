// `shoal predict`: predicted class and class probabilities of a saved model, as CSV.
#include <algorithm>
#include <iostream>

#include "commands.hpp"
#include "data_options.hpp"
#include "flag_names.hpp"
#include "shoal/error.hpp"
#include "shoal/io/atomic_file.hpp"
#include "shoal/train/hardware.hpp"
#include "shoal/train/saved_model.hpp"

namespace shoal::cli {
namespace {

struct PredictOptions {
  std::string modelFile;
  train::DataConfig data;
  std::string out;
  int64_t batch = 512;
  int threads = 0;
  std::string precision = "fp32";
};

// A CSV cell holding `text` (quoted when it holds a comma, a quote or a line break).
std::string csvCell(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + '"';
}

// The name of class `c`: a table's class name (string labels), else its index.
std::string className(const io::ModelInfo& info, int64_t c) {
  return info.table && !info.table->classNames.empty() ? csvCell(info.table->className(c)) : std::to_string(c);
}

// Appends one CSV row per sample: the most probable class, then the class probabilities.
void appendRows(const Tensor& probabilities, const io::ModelInfo& info, std::string& csv) {
  int64_t n = probabilities.dim(0), classes = probabilities.dim(1);
  char buf[32];
  for (int64_t i = 0; i < n; ++i) {
    const float* row = probabilities.data() + i * classes;
    csv += className(info, std::max_element(row, row + classes) - row);
    for (int64_t c = 0; c < classes; ++c) {
      std::snprintf(buf, sizeof buf, ",%.6g", row[c]);
      csv += buf;
    }
    csv += '\n';
  }
}

void run(PredictOptions& o) {
  train::useThreads(o.threads);
  train::ModelOnData loaded = loadModelOnData(o.modelFile, o.data, train::DataUse::Prediction);
  const std::string note = train::setModelPrecision(*loaded.model.model, o.precision);
  if (!note.empty()) std::cerr << "shoal: note: " << note << "\n";
  const data::Dataset& data = loaded.data;
  std::string csv = "prediction";
  const io::ModelInfo& info = loaded.model.info;
  const bool named = info.table && !info.table->classNames.empty();
  for (int64_t c = 0; c < info.classes; ++c) csv += "," + (named ? className(info, c) : "p" + std::to_string(c));
  csv += '\n';
  appendRows(train::predictProbabilities(*loaded.model.model, data, o.batch), info, csv);
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
      "predict", "Predict classes with a saved model: CSV of the class and its probabilities (a table model's "
      "class names: a column per class under its name)");
  sub->add_option("--model-file", o->modelFile, "Saved model (.shoal)")->required();
  addDataOptions(*sub, o->data, /*training=*/false);
  sub->add_option("--out", o->out, "Predictions CSV to write (default: standard output)");
  sub->add_option("--batch", o->batch, "Batch size")->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--threads", o->threads, "Compute threads (default: all cores)")->check(CLI::PositiveNumber);
  sub->add_option("--precision", o->precision,
                  "What the model's products read: fp32, bf16 or auto (as for train)")
      ->check(CLI::IsMember({"fp32", "bf16", "auto"}))
      ->capture_default_str();
  return {sub, [o] {
            try {
              run(*o);
            } catch (const ConfigError& e) {
              throw UsageError(withFlagNames(e.message(), dataCsvFlag()));
            }
            return 0;
          }};
}

}  // namespace shoal::cli
