// A one-line progress bar on stderr while an epoch runs, shown only when stderr is a terminal.
#pragma once
#include <chrono>
#include <cstdint>

namespace shoal::train {

class ProgressBar {
 public:
  ProgressBar();  // enabled when stderr is a terminal
  // Redraws at most ten times a second; never allocates.
  void update(int64_t epoch, int64_t done, int64_t total, double loss);
  // Erases the bar so a log line can take its place.
  void clear();

 private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace shoal::train
