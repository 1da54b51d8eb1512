// `shoal ui`: serve the live dashboard for the run directories under --logdir.
#include <csignal>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "dashboard_server.hpp"
#include "shoal/error.hpp"

namespace shoal::cli {

Subcommand addUiCommand(CLI::App& app) {
  auto o = std::make_shared<DashboardSettings>();
  CLI::App* sub = app.add_subcommand("ui", "Serve a live dashboard of the runs under a directory");
  sub->add_option("--logdir", o->logdir, "Directory holding run directories (each with metrics.jsonl)")->required();
  sub->add_option("--port", o->port, "TCP port (0: any free port, printed at start)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  sub->add_option("--host", o->host, "Address to listen on (loopback unless told otherwise)")->capture_default_str();
  return {sub, [o] {
            std::error_code ec;
            if (!std::filesystem::is_directory(o->logdir, ec))
              throw UsageError("ui: --logdir " + o->logdir + " is not a directory");
            int signal = serveDashboard(*o, [&](int port) {
              std::cout << "dashboard: http://" << o->host << ":" << port << "/ (runs under " << o->logdir
                        << "; Ctrl-C stops it)" << std::endl;
            });
            std::cout << "dashboard stopped (" << (signal == SIGINT ? "SIGINT" : "SIGTERM") << ")"
                      << std::endl;
            return 0;
          }};
}

}  // namespace shoal::cli
