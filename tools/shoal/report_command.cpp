// `shoal report`: write one self-contained HTML report for one or more run directories.
#include <iostream>

#include "commands.hpp"
#include "shoal/error.hpp"
#include "shoal/report/html_report.hpp"

namespace shoal::cli {
namespace {

struct ReportOptions {
  std::vector<std::string> runs;
  std::string out;
};

int run(const ReportOptions& o) {
  if (o.runs.empty()) throw UsageError("report: give at least one run directory");
  std::string out = o.out.empty() ? (o.runs.size() == 1 ? o.runs[0] + "/report.html" : "report.html") : o.out;
  int charts = report::writeReport(o.runs, out, [](const std::string& warning) {
    std::cerr << "shoal: warning: " << warning << std::endl;
  });
  std::cout << "report: " << out << " (" << o.runs.size() << (o.runs.size() == 1 ? " run, " : " runs, ") << charts
            << " charts)" << std::endl;
  return 0;
}

}  // namespace

Subcommand addReportCommand(CLI::App& app) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* sub = app.add_subcommand(
      "report", "Write a self-contained HTML report (charts as inline SVG) for one or more run directories");
  sub->add_option("runs", o->runs, "Run directories (several are overlaid on the same charts)")->required();
  sub->add_option("--out", o->out, "The HTML file (default: RUN_DIR/report.html for one run, report.html for several)");
  return {sub, [o] { return run(*o); }};
}

}  // namespace shoal::cli
