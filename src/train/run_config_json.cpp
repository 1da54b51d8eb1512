// The JSON form of a RunConfig: one list of keys walked both ways, strict about unknown keys and types.
#include <fstream>
#include <set>
#include <sstream>

#include "shoal/error.hpp"
#include "shoal/train/run_config.hpp"

namespace shoal::train {
namespace {

using nlohmann::json;

// Visits every setting as (key, member), sections as nested calls, in the order of the JSON form.
template <class Visitor>
void visitSettings(RunConfig& c, Visitor& v) {
  v.section("model", [&] {
    v.field("name", c.model.name);
    v.field("hidden", c.model.hidden);
    v.field("file", c.model.file);
  });
  v.section("data", [&] {
    v.field("named", c.data.named);
    v.field("train_images", c.data.trainImages);
    v.field("train_labels", c.data.trainLabels);
    v.field("test_images", c.data.testImages);
    v.field("test_labels", c.data.testLabels);
    v.field("train_csv", c.data.trainCsv);
    v.field("test_csv", c.data.testCsv);
    v.field("label_column", c.data.labelColumn);
    v.field("no_label", c.data.noLabel);
    v.field("train_limit", c.data.trainLimit);
    v.field("test_limit", c.data.testLimit);
    v.field("preprocessing", c.data.preprocessing);
    v.field("table", c.data.table);
    v.field("categorical", c.data.categorical);
    v.field("numeric", c.data.numeric);
    v.field("ignore", c.data.ignore);
    v.field("embed", c.data.embed);
    v.field("one_hot", c.data.oneHot);
    v.field("missing", c.data.missing);
    v.field("impute", c.data.impute);
    v.field("embed_threshold", c.data.embedThreshold);
    v.field("max_categories", c.data.maxCategories);
    v.field("type_errors", c.data.typeErrors);
    v.field("holdout", c.data.holdout);
    v.field("cache", c.data.cache);
  });
  v.field("loss", c.loss);
  v.field("class_weight", c.classWeight);
  v.section("optim", [&] {
    v.field("method", c.optim.method);
    v.field("lr", c.optim.lr);
    v.field("momentum", c.optim.momentum);
    v.field("dampening", c.optim.dampening);
    v.field("nesterov", c.optim.nesterov);
    v.field("weight_decay", c.optim.weightDecay);
    v.field("beta1", c.optim.beta1);
    v.field("beta2", c.optim.beta2);
    v.field("epsilon", c.optim.epsilon);
    v.field("schedule", c.optim.schedule);
    v.field("warmup", c.optim.warmup);
    v.field("lbfgs_iterations", c.optim.lbfgsIterations);
    v.field("line_search", c.optim.lineSearch);
  });
  v.section("end", [&] {
    v.field("epochs", c.end.epochs);
    v.field("iterations", c.end.iterations);
    v.field("min_loss", c.end.minLoss);
  });
  v.field("batch", c.batch);
  v.field("precision", c.precision);
  v.field("seed", c.seed);
  v.field("shuffle", c.shuffle);
  v.field("validate_every", c.validateEvery);
  v.section("validation", [&] {
    v.field("methods", c.validation.methods);
    v.field("threshold", c.validation.threshold);
    v.field("split", c.validation.split);
    v.field("stratify", c.validation.stratify);
    v.field("batch", c.validation.batch);
    v.field("early_stop", c.validation.earlyStop);
    v.field("early_stop_metric", c.validation.earlyStopMetric);
  });
  v.section("dist", [&] {
    v.field("strategy", c.dist.strategy);
    v.field("average_every", c.dist.averageEvery);
    v.field("shard", c.dist.shard);
    v.field("comm_timeout", c.dist.commTimeout);
    v.field("shared_memory", c.dist.sharedMemory);
    v.field("comm", c.dist.comm);
    v.field("rendezvous", c.dist.rendezvous);
    v.field("world_size", c.dist.worldSize);
    v.field("rank", c.dist.rank);
    v.field("job_secret_file", c.dist.jobSecretFile);
    v.field("compress", c.dist.compress);
    v.field("threshold_density", c.dist.thresholdDensity);
    v.field("overlap", c.dist.overlap);
    v.field("bucket_mb", c.dist.bucketMb);
    v.field("hierarchical", c.dist.hierarchical);
  });
  v.section("checkpoint", [&] {
    v.field("dir", c.checkpoint.dir);
    v.field("every", c.checkpoint.every);
    v.field("keep", c.checkpoint.keep);
  });
  v.field("resume", c.resume);
  v.field("threads", c.threads);
  v.field("profile", c.profile);
  v.field("stats_every", c.statsEvery);
  v.section("output", [&] {
    v.field("dir", c.output.dir);
    v.field("quiet", c.output.quiet);
    v.field("report", c.output.report);
  });
}

class Writer {
 public:
  json result = json::object();

  template <class Body>
  void section(const std::string& key, Body body) {
    json* outer = at_;
    at_ = &(*outer)[key];
    *at_ = json::object();
    body();
    at_ = outer;
  }
  template <class T>
  void field(const std::string& key, const T& value) { (*at_)[key] = value; }
  void field(const std::string& key, const std::optional<double>& value) {
    (*at_)[key] = value ? json(*value) : json(nullptr);
  }

 private:
  json* at_ = &result;
};

class Reader {
 public:
  explicit Reader(const json& root) : at_(&root) { expectObject(root, ""); }

  template <class Body>
  void section(const std::string& key, Body body) {
    known_.back().insert(key);
    if (!at_->contains(key)) return;
    const json* outer = at_;
    at_ = &(*outer)[key];
    path_.push_back(key);
    expectObject(*at_, pathOf(""));
    known_.emplace_back();
    body();
    rejectUnknown();
    known_.pop_back();
    path_.pop_back();
    at_ = outer;
  }

  template <class T>
  void field(const std::string& key, T& value) {
    known_.back().insert(key);
    if (!at_->contains(key)) return;
    read(key, (*at_)[key], value);
  }

  void finish() { rejectUnknown(); }

 private:
  void read(const std::string& key, const json& j, std::string& value) {
    if (!j.is_string()) wrongType(key, "a string", j);
    value = j.get<std::string>();
  }
  void read(const std::string& key, const json& j, bool& value) {
    if (!j.is_boolean()) wrongType(key, "true or false", j);
    value = j.get<bool>();
  }
  void read(const std::string& key, const json& j, int64_t& value) {
    if (!j.is_number_integer()) wrongType(key, "an integer", j);
    value = j.get<int64_t>();
  }
  void read(const std::string& key, const json& j, uint64_t& value) {
    if (!j.is_number_unsigned()) wrongType(key, "a non-negative integer", j);
    value = j.get<uint64_t>();
  }
  void read(const std::string& key, const json& j, double& value) {
    if (!j.is_number()) wrongType(key, "a number", j);
    value = j.get<double>();
  }
  void read(const std::string& key, const json& j, std::optional<double>& value) {
    if (j.is_null()) return value.reset();
    if (!j.is_number()) wrongType(key, "a number or null", j);
    value = j.get<double>();
  }
  void read(const std::string& key, const json& j, std::vector<int64_t>& value) {
    if (!j.is_array()) wrongType(key, "a list of integers", j);
    for (const json& e : j)
      if (!e.is_number_integer()) wrongType(key, "a list of integers", j);
    value = j.get<std::vector<int64_t>>();
  }
  void read(const std::string& key, const json& j, std::vector<std::string>& value) {
    if (!j.is_array()) wrongType(key, "a list of strings", j);
    for (const json& e : j)
      if (!e.is_string()) wrongType(key, "a list of strings", j);
    value = j.get<std::vector<std::string>>();
  }

  std::string pathOf(const std::string& key) const {
    std::string p;
    for (const auto& part : path_) p += part + ".";
    return key.empty() && !p.empty() ? p.substr(0, p.size() - 1) : p + key;
  }
  [[noreturn]] void wrongType(const std::string& key, const std::string& expected, const json& j) const {
    throw InputError("run config: \"" + pathOf(key) + "\": expected " + expected + ", got " + j.dump());
  }
  void expectObject(const json& j, const std::string& path) const {
    if (!j.is_object())
      throw InputError("run config: " + (path.empty() ? std::string("the configuration") : "\"" + path + "\"") +
                       ": expected an object, got " + j.dump());
  }
  void rejectUnknown() const {
    for (const auto& [key, value] : at_->items()) {
      if (known_.back().count(key)) continue;
      std::string expected;
      for (const auto& k : known_.back()) expected += (expected.empty() ? "" : ", ") + k;
      throw InputError("run config: unknown key \"" + pathOf(key) + "\" (expected one of " + expected + ")");
    }
  }

  const json* at_;
  std::vector<std::string> path_;
  std::vector<std::set<std::string>> known_{1};
};

}  // namespace

nlohmann::json RunConfig::toJson() const {
  Writer w;
  visitSettings(const_cast<RunConfig&>(*this), w);  // the writer only reads the members
  return w.result;
}

RunConfig RunConfig::fromJson(const nlohmann::json& j) {
  RunConfig c;
  Reader r(j);
  visitSettings(c, r);
  r.finish();
  return c;
}

RunConfig RunConfig::fromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot read the run configuration");
  std::stringstream text;
  text << in.rdbuf();
  json j = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw InputError(path + ": not valid JSON");
  try {
    return fromJson(j);
  } catch (const InputError& e) {
    throw InputError(path + ": " + e.what());
  }
}

}  // namespace shoal::train
