// What `shoal train` shows about a run besides its log lines: the model summary and the HTML report.
#pragma once
#include <string>

#include "shoal/nn/module.hpp"
#include "shoal/train/run_log.hpp"

namespace shoal::cli {

// Prints the model summary table as log lines and records it as a "summary" metrics record.
void announceModel(train::RunLog& log, nn::Module& model, const Shape& inputShape);

// Writes RUN_DIR/report.html from the run's metrics (damaged lines are warned about on stderr)
// and returns its path.
std::string writeRunReport(const std::string& runDir);

}  // namespace shoal::cli
