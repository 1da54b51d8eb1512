// The live dashboard's HTTP server (cpp-httplib): the page, the run list, the charts and run files.
#include "dashboard_server.hpp"

#include <pthread.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include <httplib.h>

#include "shoal/error.hpp"
#include "shoal/report/dashboard_page.hpp"
#include "shoal/report/html_report.hpp"
#include "shoal/report/html_text.hpp"
#include "shoal/report/run_directory.hpp"

namespace shoal::cli {
namespace {

constexpr size_t kMaxRunsPerReport = 16;

void reply(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(message + "\n", "text/plain; charset=utf-8");
}

// Answers with the status for a path that did not resolve; returns true when it did.
bool resolved(const report::ResolvedPath& path, httplib::Response& res) {
  if (path.status == report::PathStatus::Ok) return true;
  if (path.status == report::PathStatus::Outside) reply(res, 403, "forbidden: the path leads out of the log directory");
  else reply(res, 404, "not found");
  return false;
}

std::string contentType(const std::string& path) {
  auto ends = [&](const char* suffix) { return path.ends_with(suffix); };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".png")) return "image/png";
  if (ends(".json")) return "application/json";
  if (ends(".jsonl") || ends(".log") || ends(".txt") || ends(".csv")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

void runList(const std::string& logdir, httplib::Response& res) {
  nlohmann::json runs = nlohmann::json::array();
  for (const std::string& name : report::listRuns(logdir)) {
    struct stat st {};
    std::string metrics = logdir + "/" + name + "/metrics.jsonl";
    if (::stat(metrics.c_str(), &st) != 0) continue;  // removed since it was listed
    runs.push_back({{"name", name}, {"modified", static_cast<double>(st.st_mtime)}, {"bytes", st.st_size}});
  }
  res.set_content(nlohmann::json{{"runs", runs}}.dump(), "application/json");
}

void runReport(const std::string& logdir, const httplib::Request& req, httplib::Response& res) {
  size_t count = req.get_param_value_count("run");
  if (count == 0) return reply(res, 400, "bad request: give one or more run=NAME parameters (see /api/runs)");
  if (count > kMaxRunsPerReport)
    return reply(res, 400, "bad request: at most " + std::to_string(kMaxRunsPerReport) + " runs per report");
  std::vector<report::RunMetrics> runs;
  std::vector<std::string> warnings;
  for (size_t i = 0; i < count; ++i) {
    std::string name = req.get_param_value("run", i);
    if (name.empty()) return reply(res, 400, "bad request: empty run name");
    report::ResolvedPath metrics = report::resolveUnderRoot(logdir, (name == "." ? "" : name + "/") + "metrics.jsonl");
    if (!resolved(metrics, res)) return;
    std::ifstream in(metrics.path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    // An unfinished last line is the line training is writing now: not worth a note.
    report::RunMetrics run = report::parseMetrics(text.str(), name + "/metrics.jsonl", [&](const std::string& w) {
      if (!w.ends_with("unfinished last line skipped")) warnings.push_back(w);
    });
    run.dir = name;
    run.name = name;
    runs.push_back(std::move(run));
  }
  std::string body;
  if (!warnings.empty()) {
    body += "<p class=\"note\">skipped " + std::to_string(warnings.size()) + " damaged line(s): " +
            report::escapeHtml(warnings.front()) + (warnings.size() > 1 ? " …" : "") + "</p>";
  }
  res.set_content(body + report::renderReportBody(runs), "text/html; charset=utf-8");
}

void runFile(const std::string& logdir, const std::string& relative, httplib::Response& res) {
  report::ResolvedPath file = report::resolveUnderRoot(logdir, relative);
  if (!resolved(file, res)) return;
  struct stat st {};
  if (::stat(file.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return reply(res, 404, "not found");
  std::ifstream in(file.path, std::ios::binary);
  if (!in) return reply(res, 404, "not found");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  res.set_content(bytes.str(), contentType(file.path).c_str());
}

// While it lives, SIGINT and SIGTERM are held back from every thread started after it (the
// server's workers) and a watcher thread waits for them; the first one stops `server`. The signal
// mask must be set before the server starts its threads, which inherit it.
class StopOnSignal {
 public:
  explicit StopOnSignal(httplib::Server& server) {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
    watcher_ = std::thread([this, &server] {
      const timespec tick{0, 100'000'000};
      while (!finished_) {
        int signal = sigtimedwait(&signals_, nullptr, &tick);
        if (signal <= 0) continue;
        received_ = signal;
        // stop() does nothing before the server runs: repeat it until listening has returned.
        while (!finished_) {
          server.stop();
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
    });
  }
  ~StopOnSignal() {
    finished_ = true;
    watcher_.join();
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

  int received() const { return received_; }

 private:
  sigset_t signals_{}, previous_{};
  std::atomic<bool> finished_{false};
  std::atomic<int> received_{0};
  std::thread watcher_;
};

}  // namespace

int serveDashboard(const DashboardSettings& settings, const std::function<void(int port)>& listening) {
  const std::string logdir = settings.logdir;
  httplib::Server server;
  const int threads = settings.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  // Pages poll every 3 s: an idle connection gives its worker back after 1 s, so open tabs never
  // hold all the workers.
  server.set_keep_alive_timeout(1);
  server.set_keep_alive_max_count(100);
  server.set_payload_max_length(64 * 1024);
  server.set_default_headers({{"Cache-Control", "no-store"}, {"X-Content-Type-Options", "nosniff"}});

  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(report::dashboardPage(), "text/html; charset=utf-8");
  });
  server.Get("/api/runs", [logdir](const httplib::Request&, httplib::Response& res) { runList(logdir, res); });
  server.Get("/api/report", [logdir](const httplib::Request& req, httplib::Response& res) {
    runReport(logdir, req, res);
  });
  server.Get(R"(/files/(.*))", [logdir](const httplib::Request& req, httplib::Response& res) {
    runFile(logdir, req.matches[1].str(), res);
  });
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    reply(res, 500, "internal error");
  });
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) reply(res, res.status, res.status == 404 ? "not found" : "error " + std::to_string(res.status));
  });

  int port = settings.port;
  if (port == 0) {
    port = server.bind_to_any_port(settings.host);
    if (port < 0) throw UsageError("ui: cannot listen on " + settings.host + " (any port)");
  } else if (!server.bind_to_port(settings.host, port)) {
    throw UsageError("ui: cannot listen on " + settings.host + ":" + std::to_string(port) +
                     " (in use? try --port 0 for any free port)");
  }
  StopOnSignal stop(server);
  listening(port);
  server.listen_after_bind();
  if (stop.received() == 0) throw Error("ui: the server stopped accepting connections on port " + std::to_string(port));
  return stop.received();
}

}  // namespace shoal::cli
