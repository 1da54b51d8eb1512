// Terminal progress bar drawing.
#include "shoal/train/progress_bar.hpp"

#include <unistd.h>

#include <cstdio>

namespace shoal::train {

ProgressBar::ProgressBar() : enabled_(isatty(STDERR_FILENO) == 1) {}

void ProgressBar::update(int64_t epoch, int64_t done, int64_t total, double loss) {
  if (!enabled_ || total <= 0) return;
  auto now = std::chrono::steady_clock::now();
  if (done < total && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  constexpr int kWidth = 30;
  char bar[kWidth + 1];
  int filled = static_cast<int>(kWidth * done / total);
  for (int i = 0; i < kWidth; ++i) bar[i] = i < filled ? '#' : '.';
  bar[kWidth] = '\0';
  std::fprintf(stderr, "\r  epoch %lld [%s] %lld/%lld  loss %.4f ", static_cast<long long>(epoch),
               bar, static_cast<long long>(done), static_cast<long long>(total), loss);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::clear() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r%80s\r", "");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace shoal::train
