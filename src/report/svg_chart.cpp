// Line charts as inline SVG: axes with rounded ticks, one polyline per series, a legend.
#include "shoal/report/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "shoal/report/html_text.hpp"

namespace shoal::report {
namespace {

const char* const kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// A tick label: short, without trailing zeros ("0.001", "2e+04", "150").
std::string tickLabel(double v) {
  if (v == 0) return "0";
  char buf[32];
  double a = std::fabs(v);
  if (a >= 1e5 || a < 1e-3)
    std::snprintf(buf, sizeof buf, "%.0e", v);
  else
    std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) { lo = std::min(lo, v), hi = std::max(hi, v); }
  bool empty() const { return !(lo <= hi); }
  // A range of nothing, or of a few rounding errors (losses equal but for the last bits), is
  // widened to +-10% of its value.
  void widenIfFlat() {
    if (hi - lo > 1e-9 * std::max(std::fabs(lo), std::fabs(hi))) return;
    double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    lo -= pad, hi += pad;
  }
};

bool usable(double x, double y, bool logY) { return std::isfinite(x) && std::isfinite(y) && (!logY || y > 0); }

}  // namespace

std::vector<double> niceTicks(double lo, double hi, int count) {
  std::vector<double> ticks;
  if (!(hi > lo) || count < 1) return ticks;
  double raw = (hi - lo) / count;
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * magnitude) {
      step = m * magnitude;
      break;
    }
  // Ticks i x step for whole i; none when the step is below the values' resolution (adding it
  // would not move past a value of a range a few rounding errors wide).
  const double first = std::ceil(lo / step), last = std::floor(hi / step + 1e-9);
  if (!(last - first <= 4.0 * count) || std::fabs(first) > 1e15) return ticks;
  for (double i = first; i <= last; ++i) {
    const double t = i * step;
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  }
  return ticks;
}

std::string renderSvgChart(const Chart& chart, int width, int height) {
  const double left = 64, right = 16, top = 30, legendRow = 16;
  const size_t legendRows = (chart.series.size() + 1) / 2;
  const double bottom = 40 + legendRows * legendRow;
  const double plotW = width - left - right, plotH = height - top - bottom;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" data-chart=\"" +
                    escapeHtml(chart.id) + "\" width=\"" + std::to_string(width) + "\" height=\"" +
                    std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) + " " +
                    std::to_string(height) + "\" font-family=\"sans-serif\" font-size=\"11\">";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>";
  svg += "<text x=\"" + fmt(width / 2.0) + "\" y=\"18\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">" +
         escapeHtml(chart.title) + "</text>";

  Range xs, ys;
  for (const auto& s : chart.series)
    for (auto [x, y] : s.points)
      if (usable(x, y, chart.logY)) xs.add(x), ys.add(chart.logY ? std::log10(y) : y);
  if (xs.empty()) {
    svg += "<text x=\"" + fmt(width / 2.0) + "\" y=\"" + fmt(height / 2.0) +
           "\" text-anchor=\"middle\" fill=\"#888\">no data recorded yet</text></svg>";
    return svg;
  }
  xs.widenIfFlat();
  ys.widenIfFlat();
  if (!chart.logY) {  // keep a little air above and below the lines
    double pad = (ys.hi - ys.lo) * 0.05;
    ys.lo -= pad, ys.hi += pad;
  }
  auto px = [&](double x) { return left + (x - xs.lo) / (xs.hi - xs.lo) * plotW; };
  auto py = [&](double y) { return top + plotH - (y - ys.lo) / (ys.hi - ys.lo) * plotH; };

  // Grid, ticks and axis labels.
  svg += "<g stroke=\"#e5e5e5\">";
  std::string labels;
  for (double t : niceTicks(xs.lo, xs.hi, 6)) {
    svg += "<line x1=\"" + fmt(px(t)) + "\" y1=\"" + fmt(top) + "\" x2=\"" + fmt(px(t)) + "\" y2=\"" + fmt(top + plotH) + "\"/>";
    labels += "<text x=\"" + fmt(px(t)) + "\" y=\"" + fmt(top + plotH + 14) + "\" text-anchor=\"middle\">" + tickLabel(t) + "</text>";
  }
  std::vector<double> yTicks;
  if (chart.logY) {  // powers of ten; 1-2-5 steps within them when the range spans under two
    for (double e = std::ceil(ys.lo); e <= std::floor(ys.hi); ++e) yTicks.push_back(e);
    if (yTicks.size() < 2) {
      yTicks.clear();
      for (double e = std::floor(ys.lo); e <= std::ceil(ys.hi); ++e)
        for (double m : {1.0, 2.0, 5.0})
          if (double t = e + std::log10(m); t >= ys.lo && t <= ys.hi) yTicks.push_back(t);
    }
    if (yTicks.size() < 2) {
      yTicks.clear();
      for (double t : niceTicks(std::pow(10.0, ys.lo), std::pow(10.0, ys.hi), 4))
        if (t > 0) yTicks.push_back(std::log10(t));
    }
  } else {
    yTicks = niceTicks(ys.lo, ys.hi, 5);
  }
  for (double t : yTicks) {
    svg += "<line x1=\"" + fmt(left) + "\" y1=\"" + fmt(py(t)) + "\" x2=\"" + fmt(left + plotW) + "\" y2=\"" + fmt(py(t)) + "\"/>";
    labels += "<text x=\"" + fmt(left - 4) + "\" y=\"" + fmt(py(t) + 4) + "\" text-anchor=\"end\">" +
              tickLabel(chart.logY ? std::pow(10.0, t) : t) + "</text>";
  }
  svg += "</g>" + labels;
  svg += "<rect x=\"" + fmt(left) + "\" y=\"" + fmt(top) + "\" width=\"" + fmt(plotW) + "\" height=\"" + fmt(plotH) +
         "\" fill=\"none\" stroke=\"#999\"/>";
  svg += "<text x=\"" + fmt(left + plotW / 2) + "\" y=\"" + fmt(top + plotH + 30) + "\" text-anchor=\"middle\">" +
         escapeHtml(chart.xLabel) + "</text>";
  svg += "<text transform=\"translate(14 " + fmt(top + plotH / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
         escapeHtml(chart.yLabel) + (chart.logY ? " (log)" : "") + "</text>";

  // Lines, then the legend below the plot.
  for (size_t i = 0; i < chart.series.size(); ++i) {
    const Series& s = chart.series[i];
    const char* colour = kPalette[static_cast<size_t>(s.colour >= 0 ? s.colour : static_cast<int>(i)) % std::size(kPalette)];
    std::string points;
    for (auto [x, y] : s.points)
      if (usable(x, y, chart.logY)) points += fmt(px(x)) + "," + fmt(py(chart.logY ? std::log10(y) : y)) + " ";
    svg += "<polyline class=\"series\" data-label=\"" + escapeHtml(s.label) + "\" fill=\"none\" stroke=\"" + colour +
           "\" stroke-width=\"" + (s.faint ? "1\" stroke-opacity=\"0.35\"" : "1.8\"") + " points=\"" + points + "\"/>";
    if (s.points.size() == 1 && !points.empty())
      svg += "<circle cx=\"" + fmt(px(s.points[0].first)) + "\" cy=\"" +
             fmt(py(chart.logY ? std::log10(s.points[0].second) : s.points[0].second)) + "\" r=\"3\" fill=\"" + colour + "\"/>";
    double lx = left + (i % 2) * plotW / 2, ly = top + plotH + 44 + (i / 2) * legendRow;
    svg += "<rect x=\"" + fmt(lx) + "\" y=\"" + fmt(ly - 8) + "\" width=\"14\" height=\"3\" fill=\"" + colour + "\"" +
           (s.faint ? " fill-opacity=\"0.35\"" : "") + "/><text x=\"" + fmt(lx + 18) + "\" y=\"" + fmt(ly - 4) + "\">" +
           escapeHtml(s.label) + "</text>";
  }
  return svg + "</svg>";
}

}  // namespace shoal::report
