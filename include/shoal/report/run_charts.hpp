// Turning the metrics of one or more runs into the report's charts (runs overlaid, one legend).
#pragma once
#include <vector>

#include "shoal/report/run_metrics.hpp"
#include "shoal/report/svg_chart.hpp"

namespace shoal::report {

// The charts for `runs`, in report order: training loss per iteration (raw and smoothed), one
// chart per validation metric per epoch, throughput, learning rate; and, when any run recorded
// them, per-layer update-to-weight ratios, weight and gradient norms, communication share and
// per-layer times; a two-class test's ROC and precision-recall curves. With several runs, each series label starts with the run's name.
std::vector<Chart> chartsFor(const std::vector<RunMetrics>& runs);

// The smoothing weight for a loss curve of `points` points: an average over about a twentieth of
// the run (TensorBoard's 0.6 at least, 0.995 at most).
double smoothingWeight(size_t points);

// Exponential moving average with bias correction (TensorBoard-style smoothing), weight in [0, 1).
std::vector<double> smoothed(const std::vector<double>& values, double weight);

}  // namespace shoal::report
