// What `shoal train` shows about a run besides its log lines: the model summary and the HTML report.
#include "training_views.hpp"

#include <iostream>
#include <sstream>

#include "shoal/nn/model_summary.hpp"
#include "shoal/report/html_report.hpp"

namespace shoal::cli {

void announceModel(train::RunLog& log, nn::Module& model, const Shape& inputShape) {
  nn::ModelSummary summary = nn::summarize(model, inputShape);
  std::istringstream table(summary.table());
  for (std::string line; std::getline(table, line);) log.line(line);
  nlohmann::json record = summary.toJson();
  record["type"] = "summary";
  log.record(record);
}

std::string writeRunReport(const std::string& runDir) {
  std::string path = runDir + "/report.html";
  report::writeReport({runDir}, path, [](const std::string& warning) {
    std::cerr << "shoal: warning: " << warning << std::endl;
  });
  return path;
}

}  // namespace shoal::cli
