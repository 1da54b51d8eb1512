// Turning the metrics of one or more runs into the report's charts (runs overlaid, one legend).
#include "shoal/report/run_charts.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace shoal::report {
namespace {

constexpr size_t kMaxPoints = 2000;  // per series; longer ones keep every k-th point

std::vector<std::pair<double, double>> thinned(std::vector<std::pair<double, double>> points) {
  if (points.size() <= kMaxPoints) return points;
  size_t stride = (points.size() + kMaxPoints - 1) / kMaxPoints;
  std::vector<std::pair<double, double>> kept;
  for (size_t i = 0; i < points.size(); i += stride) kept.push_back(points[i]);
  if (kept.back() != points.back()) kept.push_back(points.back());
  return kept;
}

std::optional<double> numberAt(const nlohmann::json& j, const std::string& key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

// Series label: the run's name first when several runs share the chart.
std::string label(const RunMetrics& run, bool several, const std::string& what) {
  if (what.empty()) return run.name;
  return several ? run.name + ": " + what : what;
}

// A per-epoch chart of the number under `key` (scaled) in each run's epoch records.
Chart epochChart(const std::vector<RunMetrics>& runs, std::string id, std::string title, std::string yLabel,
                 const std::string& key, double scale = 1) {
  Chart c{std::move(id), std::move(title), "epoch", std::move(yLabel), false, {}};
  for (const auto& run : runs) {
    Series s{label(run, runs.size() > 1, ""), {}, false};
    for (const auto& e : run.epochs)
      if (auto v = numberAt(e, key)) s.points.push_back({e["epoch"].get<double>(), *v * scale});
    if (!s.points.empty()) c.series.push_back(std::move(s));
  }
  return c;
}

// One chart per per-layer statistic of the "layers" records, one series per run and layer.
Chart layerChart(const std::vector<RunMetrics>& runs, std::string id, std::string title, std::string yLabel,
                 const std::string& key) {
  Chart c{std::move(id), std::move(title), "iteration", std::move(yLabel), true, {}};
  for (const auto& run : runs) {
    std::vector<std::string> order;
    std::map<std::string, Series> byLayer;
    for (const auto& record : run.layerStats) {
      auto iteration = numberAt(record, "iteration");
      if (!iteration) continue;
      for (const auto& layer : record["layers"]) {
        if (!layer.is_object() || !layer.contains("name") || !layer["name"].is_string()) continue;
        auto v = numberAt(layer, key);
        if (!v) continue;
        std::string name = layer["name"].get<std::string>();
        auto [it, added] = byLayer.try_emplace(name, Series{label(run, runs.size() > 1, name), {}, false});
        if (added) order.push_back(name);
        it->second.points.push_back({*iteration, *v});
      }
    }
    for (const auto& name : order) c.series.push_back(std::move(byLayer[name]));
  }
  return c;
}

// Per-layer forward+backward milliseconds per epoch from --profile's "profile" field.
Chart layerTimeChart(const std::vector<RunMetrics>& runs) {
  Chart c{"layer_time", "Time per layer (forward + backward)", "epoch", "ms per step", false, {}};
  for (const auto& run : runs) {
    std::vector<std::string> order;
    std::map<std::string, Series> byLayer;
    for (const auto& e : run.epochs) {
      auto p = e.find("profile");
      if (p == e.end() || !p->is_object() || !p->contains("layers") || !(*p)["layers"].is_array()) continue;
      for (const auto& layer : (*p)["layers"]) {
        if (!layer.is_object() || !layer.contains("name") || !layer["name"].is_string()) continue;
        double ms = numberAt(layer, "forward_ms").value_or(0) + numberAt(layer, "backward_ms").value_or(0);
        std::string name = layer["name"].get<std::string>();
        auto [it, added] = byLayer.try_emplace(name, Series{label(run, runs.size() > 1, name), {}, false});
        if (added) order.push_back(name);
        it->second.points.push_back({e["epoch"].get<double>(), ms});
      }
    }
    for (const auto& name : order) c.series.push_back(std::move(byLayer[name]));
  }
  return c;
}

// A two-class test record's curve (record[key] = {xKey: [...], yKey: [...]}), one series per run.
Chart testCurveChart(const std::vector<RunMetrics>& runs, const char* key, const char* title, const char* xLabel,
                     const char* yLabel, const char* xKey, const char* yKey) {
  Chart c{key, title, xLabel, yLabel, false, {}};
  for (const auto& run : runs) {
    if (!run.test.is_object()) continue;
    auto curve = run.test.find(key);
    if (curve == run.test.end() || !curve->is_object()) continue;
    auto xs = curve->find(xKey), ys = curve->find(yKey);
    if (xs == curve->end() || ys == curve->end() || !xs->is_array() || !ys->is_array() || xs->size() != ys->size())
      continue;
    Series s{label(run, runs.size() > 1, ""), {}, false};
    for (size_t k = 0; k < xs->size(); ++k)
      if ((*xs)[k].is_number() && (*ys)[k].is_number()) s.points.push_back({(*xs)[k].get<double>(), (*ys)[k].get<double>()});
    if (!s.points.empty()) c.series.push_back(std::move(s));
  }
  return c;
}

}  // namespace

std::vector<double> smoothed(const std::vector<double>& values, double weight) {
  std::vector<double> out;
  out.reserve(values.size());
  double average = 0, correction = 1;
  for (double v : values) {
    average = weight * average + (1 - weight) * v;
    correction *= weight;
    out.push_back(correction < 1 ? average / (1 - correction) : v);
  }
  return out;
}

double smoothingWeight(size_t points) {
  return std::clamp(1.0 - 20.0 / static_cast<double>(std::max<size_t>(points, 1)), 0.6, 0.995);
}

std::vector<Chart> chartsFor(const std::vector<RunMetrics>& runs) {
  const bool several = runs.size() > 1;
  std::vector<Chart> charts;

  Chart loss{"loss", "Training loss per iteration", "iteration", "loss", false, {}};
  Chart lr{"lr", "Learning rate", "iteration", "learning rate", false, {}};
  for (size_t r = 0; r < runs.size(); ++r) {
    const RunMetrics& run = runs[r];
    const int colour = static_cast<int>(r);  // a run's raw and smoothed losses share its colour
    std::vector<std::pair<double, double>> raw, rates;
    std::vector<double> losses;
    for (const auto& p : run.iterations) {
      raw.push_back({static_cast<double>(p.iteration), p.loss});
      rates.push_back({static_cast<double>(p.iteration), p.lr});
      losses.push_back(p.loss);
    }
    std::vector<double> smooth = smoothed(losses, smoothingWeight(losses.size()));
    std::vector<std::pair<double, double>> smoothPoints;
    for (size_t i = 0; i < raw.size(); ++i) smoothPoints.push_back({raw[i].first, smooth[i]});
    loss.series.push_back({label(run, several, "raw"), thinned(std::move(raw)), true, colour});
    loss.series.push_back({label(run, several, "smoothed"), thinned(std::move(smoothPoints)), false, colour});
    lr.series.push_back({label(run, several, ""), thinned(std::move(rates)), false});
  }
  charts.push_back(std::move(loss));

  std::vector<std::string> metrics;  // validation metric names, in first-seen order
  for (const auto& run : runs)
    for (const auto& e : run.epochs)
      if (auto v = e.find("validation"); v != e.end() && v->is_object())
        for (const auto& [name, value] : v->items())
          if (value.is_number() && std::find(metrics.begin(), metrics.end(), name) == metrics.end())
            metrics.push_back(name);
  for (const auto& metric : metrics) {
    Chart c{"validation_" + metric, "Validation " + metric + " per epoch", "epoch", metric, false, {}};
    for (const auto& run : runs) {
      Series s{label(run, several, ""), {}, false};
      for (const auto& e : run.epochs)
        if (auto v = e.find("validation"); v != e.end() && v->is_object())
          if (auto value = numberAt(*v, metric)) s.points.push_back({e["epoch"].get<double>(), *value});
      if (!s.points.empty()) c.series.push_back(std::move(s));
    }
    charts.push_back(std::move(c));
  }

  charts.push_back(epochChart(runs, "throughput", "Training throughput", "samples/s", "samples_per_sec"));
  charts.push_back(std::move(lr));

  for (Chart c : {layerChart(runs, "update_ratio", "Update-to-weight ratio per layer", "|update| / |weight|",
                             "update_ratio"),
                  layerChart(runs, "weight_norm", "Weight norm per layer", "|weight|", "weight_norm"),
                  layerChart(runs, "grad_norm", "Gradient norm per layer", "|gradient|", "grad_norm"),
                  epochChart(runs, "comm_share", "Communication share of step time", "% of step time",
                             "comm_share", 100),
                  epochChart(runs, "comm_sec", "Communication time per epoch", "seconds", "comm_sec"),
                  layerTimeChart(runs),
                  testCurveChart(runs, "roc", "Test ROC curve", "false-positive rate", "true-positive rate", "fpr", "tpr"),
                  testCurveChart(runs, "pr", "Test precision-recall curve", "recall", "precision", "recall",
                                 "precision")})
    if (!c.series.empty()) charts.push_back(std::move(c));
  return charts;
}

}  // namespace shoal::report
