// The live dashboard's HTTP server (cpp-httplib): the page, the run list, the charts and run files.
#pragma once
#include <functional>
#include <string>

namespace shoal::cli {

struct DashboardSettings {
  std::string logdir;
  std::string host = "127.0.0.1";
  int port = 6006;  // 0: any free port
  int threads = 16;
};

// Serves until SIGINT or SIGTERM and returns that signal (requests in progress are answered
// first). Routes (GET only):
//   /                       the dashboard page
//   /api/runs               {"runs": [{"name", "modified", "bytes"}]}: run directories under logdir
//   /api/report?run=R...    the report body (HTML) for runs R (1 to 16; 400 without one)
//   /files/PATH             a file under logdir (404 for "..", missing files and directories;
//                           403 for links that lead out of logdir)
// `listening` is called with the bound port before requests are served. Throws UsageError when the
// address cannot be bound, Error when the server stops accepting connections by itself.
int serveDashboard(const DashboardSettings& settings, const std::function<void(int port)>& listening);

}  // namespace shoal::cli
