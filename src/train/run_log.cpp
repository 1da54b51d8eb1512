// Writing log lines and JSON-lines metrics into the run directory.
#include "shoal/train/run_log.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "shoal/error.hpp"

namespace shoal::train {
namespace {

std::function<void(const std::string&)>& lineSink() {
  static std::function<void(const std::string&)> sink;
  return sink;
}

std::FILE* openForWriting(const std::string& path, bool append) {
  std::FILE* f = std::fopen(path.c_str(), append ? "a" : "w");
  if (!f) throw OutputError(path + ": cannot open for writing: " + std::strerror(errno));
  return f;
}

void writeOrThrow(std::FILE* f, const char* text, size_t size, const std::string& what) {
  if (std::fwrite(text, 1, size, f) != size || std::fflush(f) != 0)
    throw OutputError(what + ": write failed: " + std::strerror(errno));
}

}  // namespace

RunLog::RunLog(const std::string& dir, bool quiet, bool append) : dir_(dir), quiet_(quiet) {
  if (dir_.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw OutputError(dir_ + ": cannot create the run directory: " + ec.message());
  log_ = openForWriting(dir_ + "/train.log", append);
  metrics_ = openForWriting(dir_ + "/metrics.jsonl", append);
}

RunLog::~RunLog() {
  if (log_) std::fclose(log_);
  if (metrics_) std::fclose(metrics_);
}

void setLineSink(std::function<void(const std::string&)> sink) { lineSink() = std::move(sink); }

void showLine(const std::string& text) {
  if (lineSink())
    lineSink()(text);
  else
    std::cout << text << std::endl;
}

void RunLog::line(const std::string& text) {
  if (!quiet_) showLine(text);
  if (log_) writeOrThrow(log_, (text + "\n").c_str(), text.size() + 1, dir_ + "/train.log");
}

void RunLog::record(const nlohmann::json& j) {
  if (!metrics_) return;
  std::string s = j.dump() + "\n";
  writeOrThrow(metrics_, s.c_str(), s.size(), dir_ + "/metrics.jsonl");
}

void RunLog::iteration(int64_t epoch, int64_t iteration, double loss, double lr) {
  if (!metrics_) return;
  char buf[160];
  int n = std::snprintf(buf, sizeof buf,
                        "{\"type\":\"iteration\",\"epoch\":%lld,\"iteration\":%lld,\"loss\":%.7g,"
                        "\"lr\":%.7g}\n",
                        static_cast<long long>(epoch), static_cast<long long>(iteration), loss, lr);
  if (std::fwrite(buf, 1, static_cast<size_t>(n), metrics_) != static_cast<size_t>(n))
    throw OutputError(dir_ + "/metrics.jsonl: write failed: " + std::strerror(errno));
}

}  // namespace shoal::train
