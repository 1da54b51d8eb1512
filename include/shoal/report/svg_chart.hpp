// Line charts as inline SVG: axes with rounded ticks, one polyline per series, a legend.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace shoal::report {

struct Series {
  std::string label;
  std::vector<std::pair<double, double>> points;  // (x, y), x ascending
  bool faint = false;  // drawn thin and translucent (raw values under a smoothed line)
  int colour = -1;     // palette index; -1: the series' position in the chart
};

struct Chart {
  std::string id;     // stable identifier, e.g. "loss"; the SVG's data-chart attribute
  std::string title;
  std::string xLabel;
  std::string yLabel;
  bool logY = false;  // logarithmic y axis (non-positive values are left out)
  std::vector<Series> series;
};

// The chart as an <svg> element `width` x `height` pixels. Non-finite points are left out; a
// chart without points says so instead of drawing axes.
std::string renderSvgChart(const Chart& chart, int width = 640, int height = 320);

// Tick positions covering [lo, hi] at a 1-2-5 step, about `count` of them.
std::vector<double> niceTicks(double lo, double hi, int count);

}  // namespace shoal::report
