// The training report: one self-contained HTML page (inline CSS and SVG, no scripts, no network).
#pragma once
#include <string>
#include <vector>

#include "shoal/report/run_metrics.hpp"

namespace shoal::report {

// The report's body for `runs`: per run the command line, configuration, hardware, model summary
// and results; then the charts, runs overlaid. Also what the live dashboard shows.
std::string renderReportBody(const std::vector<RunMetrics>& runs);

// A complete HTML document around renderReportBody, with its style sheet.
std::string renderReportPage(const std::vector<RunMetrics>& runs);

// The style sheet shared by the report and the dashboard.
const std::string& reportStyle();

// Reads each run directory (damaged lines are passed to `warn`), writes the page to `outPath`
// atomically and returns the number of charts. Throws InputError for a missing metrics file and
// OutputError when the page cannot be written.
int writeReport(const std::vector<std::string>& runDirs, const std::string& outPath, const Warn& warn);

}  // namespace shoal::report
