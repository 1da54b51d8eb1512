// The live dashboard's single page: a run list and the report's charts, refreshed by polling.
#pragma once
#include <string>

namespace shoal::report {

// The HTML document served at "/": it polls api/runs and api/report?run=... (inline script, no
// network access beyond the dashboard itself).
const std::string& dashboardPage();

}  // namespace shoal::report
