// The training report: one self-contained HTML page (inline CSS and SVG, no scripts, no network).
#include "shoal/report/html_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "shoal/io/atomic_file.hpp"
#include "shoal/nn/model_summary.hpp"
#include "shoal/report/html_text.hpp"
#include "shoal/report/run_charts.hpp"

namespace shoal::report {
namespace {

std::string text(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null()) return "";
  return j.dump();
}

std::string number(double v, const char* format = "%.4g") {
  char buf[48];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// A per-sample shape as the CLI prints it: "[16, 5, 5]".
std::string shape(const nlohmann::json& j) {
  if (!j.is_array()) return text(j);
  std::string s;
  for (const auto& d : j) s += (s.empty() ? "" : ", ") + text(d);
  return "[" + s + "]";
}

// The number under `key`, or `fallback` when it is missing or not a number.
double numberOr(const nlohmann::json& j, const char* key, double fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

// A count with grouped digits ("795,010"), or the value as text when it is not a whole number.
std::string count(const nlohmann::json& j) {
  if (j.is_number_integer()) return nn::withThousands(j.get<int64_t>());
  if (j.is_number() && std::fabs(j.get<double>()) < 9e18) return nn::withThousands(std::llround(j.get<double>()));
  return text(j);
}

using Facts = std::vector<std::pair<std::string, std::string>>;

// "[[900, 12], [40, 48]]" as "0: 900 12 | 1: 40 48".
std::string confusionText(const nlohmann::json& rows) {
  std::string s;
  for (size_t a = 0; a < rows.size(); ++a) {
    if (a) s += " | ";
    s.append(std::to_string(a)).append(":");
    if (rows[a].is_array())
      for (const auto& v : rows[a]) s.append(" ").append(text(v));
  }
  return s;
}

// What a run's records say about it, in display order: command, configuration, hardware, results.
Facts runFacts(const RunMetrics& run) {
  Facts facts;
  const nlohmann::json& c = run.config;
  if (c.is_object()) {
    facts.push_back({"command", text(c.value("command", nlohmann::json()))});
    facts.push_back({"shoal", text(c.value("shoal", nlohmann::json()))});
    if (c.contains("data") && c["data"].is_object()) {
      const auto& d = c["data"];
      facts.push_back({"data", text(d.value("source", nlohmann::json())) + ": " + text(d.value("train", nlohmann::json())) +
                                   " training, " + text(d.value("test", nlohmann::json())) + " test samples, " +
                                   text(d.value("classes", nlohmann::json())) + " classes"});
    }
    for (const char* key : {"parameters", "batch", "epochs", "seed", "criterion", "optim", "dist"})
      if (c.contains(key)) facts.push_back({key, key == std::string("parameters") ? count(c[key]) : text(c[key])});
    if (c.contains("hardware") && c["hardware"].is_object()) {
      std::string hw;
      for (const auto& [k, v] : c["hardware"].items()) hw += (hw.empty() ? "" : ", ") + k + " " + text(v);
      facts.push_back({"hardware", hw});
    }
  } else {
    facts.push_back({"configuration", "not recorded"});
  }
  if (!run.epochs.empty()) {
    const auto& last = run.epochs.back();
    for (const char* key : {"ranks", "bytes_per_step"})
      if (last.contains(key)) facts.push_back({key, count(last[key])});
    std::string result = "epoch " + text(last["epoch"]) + ", loss " +
                         (last.contains("loss") && last["loss"].is_number() ? number(last["loss"].get<double>()) : "?");
    if (last.contains("elapsed_sec") && last["elapsed_sec"].is_number())
      result += ", " + number(last["elapsed_sec"].get<double>(), "%.1f") + " s elapsed";
    facts.push_back({"last epoch", result});
  }
  if (run.test.is_object()) {
    std::string result;
    for (const auto& [k, v] : run.test.items())
      if (v.is_number()) result += (result.empty() ? "" : ", ") + k + " " + number(v.get<double>());
    facts.push_back({"test", result});
    if (auto m = run.test.find("confusion"); m != run.test.end() && m->is_array())
      facts.push_back({"test confusion matrix (rows: actual class, columns: predicted)", confusionText(*m)});
  }
  return facts;
}

// One column per run, one row per fact any run has (blank where a run lacks it).
std::string factsTable(const std::vector<RunMetrics>& runs) {
  std::vector<Facts> all;
  std::vector<std::string> keys;
  for (const auto& run : runs) {
    all.push_back(runFacts(run));
    for (const auto& [key, value] : all.back())
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  }
  std::string t = "<table class=\"kv\">";
  if (runs.size() > 1) {
    t += "<tr><th></th>";
    for (const auto& run : runs) t += "<th>" + escapeHtml(run.name) + "</th>";
    t += "</tr>";
  }
  for (const auto& key : keys) {
    t += "<tr><th>" + escapeHtml(key) + "</th>";
    for (const auto& facts : all) {
      auto it = std::find_if(facts.begin(), facts.end(), [&](const auto& f) { return f.first == key; });
      t += "<td>" + (it == facts.end() ? std::string() : escapeHtml(it->second)) + "</td>";
    }
    t += "</tr>";
  }
  return t + "</table>";
}

std::string summaryTable(const nlohmann::json& summary) {
  if (!summary.is_object() || !summary.contains("layers") || !summary["layers"].is_array())
    return "<p class=\"note\">model summary not recorded</p>";
  double totalFlops = numberOr(summary, "flops", 0);
  auto share = [&](double f) { return totalFlops > 0 ? number(100 * f / totalFlops, "%.1f%%") : std::string(); };
  std::string t = "<table class=\"summary\"><tr><th>#</th><th>layer</th><th>output shape</th><th>parameters</th>"
                  "<th>FLOPs/sample</th><th>share</th></tr>";
  for (const auto& l : summary["layers"]) {
    if (!l.is_object()) continue;
    double flops = numberOr(l, "flops", 0);
    t += "<tr><td>" + escapeHtml(text(l.value("index", nlohmann::json()))) + "</td><td>" +
         escapeHtml(text(l.value("layer", nlohmann::json()))) + "</td><td>" + escapeHtml(shape(l.value("output", nlohmann::json()))) +
         "</td><td>" + escapeHtml(count(l.value("parameters", nlohmann::json()))) + "</td><td>" +
         escapeHtml(count(flops)) + "</td><td>" + share(flops) + "</td></tr>";
  }
  t += "<tr class=\"total\"><td></td><td>total</td><td></td><td>" + escapeHtml(count(summary.value("parameters", nlohmann::json()))) +
       "</td><td>" + escapeHtml(count(totalFlops)) + "</td><td>" + share(totalFlops) + "</td></tr>";
  return t + "</table>";
}

// The last epoch's --profile breakdown, when recorded.
std::string profileTable(const RunMetrics& run, const std::string& prefix) {
  for (auto e = run.epochs.rbegin(); e != run.epochs.rend(); ++e) {
    auto p = e->find("profile");
    if (p == e->end() || !p->is_object() || !p->contains("layers") || !(*p)["layers"].is_array()) continue;
    std::string t = "<table class=\"times\"><tr><th>layer</th><th>forward ms</th><th>backward ms</th><th>share</th></tr>";
    for (const auto& l : (*p)["layers"]) {
      if (!l.is_object()) continue;
      t += "<tr><td>" + escapeHtml(text(l.value("name", nlohmann::json()))) + "</td><td>" +
           number(numberOr(l, "forward_ms", 0), "%.3f") + "</td><td>" + number(numberOr(l, "backward_ms", 0), "%.3f") +
           "</td><td>" + number(100 * numberOr(l, "share", 0), "%.1f%%") + "</td></tr>";
    }
    for (const char* key : {"data_ms", "criterion_ms", "optimizer_ms", "step_ms"})
      if (p->contains(key) && (*p)[key].is_number())
        t += "<tr class=\"total\"><td>" + std::string(key) + "</td><td colspan=\"3\">" +
             number((*p)[key].get<double>(), "%.3f") + "</td></tr>";
    return "<h3>" + escapeHtml(prefix) + "Time per layer, epoch " + escapeHtml(text((*e)["epoch"])) + "</h3>" + t +
           "</table>";
  }
  return "";
}

}  // namespace

const std::string& reportStyle() {
  static const std::string style =
      "body{font-family:sans-serif;margin:24px;color:#222;background:#fafafa}"
      "h1{font-size:22px}h2{font-size:18px;margin-top:28px}h3{font-size:15px}"
      "table{border-collapse:collapse;margin:8px 0;font-size:13px;background:#fff}"
      "th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}"
      "table.kv th{background:#f0f0f0;white-space:nowrap}"
      "table.kv td{font-family:monospace;word-break:break-all;max-width:600px}"
      "table.summary td:nth-child(n+4),table.times td:nth-child(n+2){text-align:right;font-family:monospace}"
      "tr.total td{font-weight:bold}.note{color:#888}"
      ".charts{display:flex;flex-wrap:wrap;gap:12px}.chart{border:1px solid #ddd}";
  return style;
}

std::string renderReportBody(const std::vector<RunMetrics>& runs) {
  std::string body = "<section class=\"runs\"><h2>" + std::string(runs.size() > 1 ? "Runs" : "Run") + "</h2>";
  for (const auto& run : runs)
    body += "<p class=\"note\">" + escapeHtml(run.name) + ": " + escapeHtml(run.dir) + "</p>";
  body += factsTable(runs);
  // One model table when every run trained the same model.
  bool sameModel = std::all_of(runs.begin(), runs.end(), [&](const RunMetrics& r) { return r.summary == runs[0].summary; });
  for (const auto& run : runs) {
    body += "<h3>Model" + (runs.size() > 1 && !sameModel ? ": " + escapeHtml(run.name) : std::string()) + "</h3>" +
            summaryTable(run.summary);
    if (sameModel) break;
  }
  for (const auto& run : runs) body += profileTable(run, runs.size() > 1 ? run.name + ": " : "");
  body += "</section>";
  body += "<h2>Charts</h2><div class=\"charts\">";
  for (const Chart& c : chartsFor(runs)) body += renderSvgChart(c, 620, 320);
  return body + "</div>";
}

std::string renderReportPage(const std::vector<RunMetrics>& runs) {
  std::string names;
  for (const auto& r : runs) names += (names.empty() ? "" : ", ") + r.name;
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>shoal report: " +
         escapeHtml(names) + "</title><style>" + reportStyle() + "</style></head><body><h1>shoal training report: " +
         escapeHtml(names) + "</h1>" + renderReportBody(runs) + "</body></html>\n";
}

int writeReport(const std::vector<std::string>& runDirs, const std::string& outPath, const Warn& warn) {
  std::vector<RunMetrics> runs;
  for (const auto& dir : runDirs) runs.push_back(readRunMetrics(dir, warn));
  io::writeFileAtomically(outPath, renderReportPage(runs));
  return static_cast<int>(chartsFor(runs).size());
}

}  // namespace shoal::report
