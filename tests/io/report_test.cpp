// Report building blocks: metrics reading with damaged lines, charts per recorded series, SVG, safe paths.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "shoal/error.hpp"
#include "shoal/report/html_report.hpp"
#include "shoal/report/run_charts.hpp"
#include "shoal/report/run_directory.hpp"
#include "shoal/report/run_metrics.hpp"
#include "shoal/report/svg_chart.hpp"
#include "support/cli_runner.hpp"

using namespace shoal;
namespace fs = std::filesystem;

namespace {

const char* kMetrics =
    R"JSON({"type":"config","command":"shoal train --model mlp","batch":64}
{"type":"iteration","epoch":1,"iteration":1,"loss":2.3,"lr":0.1}
{"type":"iteration","epoch":1,"iteration":2,"loss":1.9,"lr":0.1}
{"type":"layers","epoch":1,"iteration":2,"layers":[{"name":"2 Linear(784 -> 10)","weight_norm":3.5,"grad_norm":0.4,"update_norm":0.01,"update_ratio":0.003}]}
{"type":"epoch","epoch":1,"iteration":2,"loss":2.1,"samples_per_sec":5000,"lr":0.1,"elapsed_sec":1.5,"validation":{"Top1Accuracy":0.8,"Loss":0.6},"comm_sec":0.2,"comm_share":0.12,"bytes_per_step":3180040,"ranks":2,"profile":{"layers":[{"name":"2 Linear","forward_ms":0.5,"backward_ms":0.9,"share":0.7}],"data_ms":0.1,"optimizer_ms":0.2,"step_ms":2.0}}
)JSON";

std::vector<std::string> chartIds(const std::vector<report::Chart>& charts) {
  std::vector<std::string> ids;
  for (const auto& c : charts) ids.push_back(c.id);
  return ids;
}

}  // namespace

TEST(RunMetrics, FilesRecordsByType) {
  std::vector<std::string> warnings;
  auto run = report::parseMetrics(kMetrics, "m", [&](const std::string& w) { warnings.push_back(w); });
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(run.lines, 5);
  ASSERT_EQ(run.iterations.size(), 2u);
  EXPECT_DOUBLE_EQ(run.iterations[1].loss, 1.9);
  EXPECT_EQ(run.epochs.size(), 1u);
  EXPECT_EQ(run.layerStats.size(), 1u);
  EXPECT_EQ(run.config["batch"], 64);
}

// An interrupted run logged iterations 1-4 and epoch 2; it resumes from the checkpoint at
// iteration 2 and records iterations 3-4 and epoch 2 again.
TEST(RunMetrics, AResumeDropsWhatTheInterruptedRunRecordedAfterItsCheckpoint) {
  std::string text = R"JSON({"type":"config","batch":2}
{"type":"iteration","epoch":1,"iteration":1,"loss":2.0,"lr":0.1}
{"type":"iteration","epoch":1,"iteration":2,"loss":1.8,"lr":0.1}
{"type":"epoch","epoch":1,"iteration":2,"loss":1.9}
{"type":"iteration","epoch":2,"iteration":3,"loss":1.7,"lr":0.1}
{"type":"validation","epoch":2,"iteration":3,"validation":{"Loss":1.6}}
{"type":"layers","epoch":2,"iteration":3,"layers":[]}
{"type":"iteration","epoch":2,"iteration":4,"loss":1.6,"lr":0.1}
{"type":"epoch","epoch":2,"iteration":4,"loss":1.65}
{"type":"summary","iterations":4}
{"type":"config","batch":2}
{"type":"resume","iteration":2,"epoch":2,"checkpoint":"ckpt/checkpoint-0000000002.shoalckpt"}
{"type":"iteration","epoch":2,"iteration":3,"loss":1.75,"lr":0.1}
{"type":"iteration","epoch":2,"iteration":4,"loss":1.55,"lr":0.1}
{"type":"epoch","epoch":2,"iteration":4,"loss":1.62}
)JSON";
  std::vector<std::string> warnings;
  auto run = report::parseMetrics(text, "m", [&](const std::string& w) { warnings.push_back(w); });
  EXPECT_TRUE(warnings.empty());
  ASSERT_EQ(run.iterations.size(), 4u);
  for (size_t i = 0; i < run.iterations.size(); ++i)
    EXPECT_EQ(run.iterations[i].iteration, static_cast<int64_t>(i + 1));
  EXPECT_DOUBLE_EQ(run.iterations[2].loss, 1.75);  // the resumed run's, not the interrupted one's
  ASSERT_EQ(run.epochs.size(), 2u);
  EXPECT_DOUBLE_EQ(run.epochs[1]["loss"].get<double>(), 1.62);
  EXPECT_TRUE(run.validations.empty());
  EXPECT_TRUE(run.layerStats.empty());
  EXPECT_TRUE(run.summary.is_null()) << "the interrupted run's summary no longer stands";
  // A resume record without its iteration is damaged: skipped with a warning, nothing dropped.
  warnings.clear();
  auto damaged = report::parseMetrics(std::string(kMetrics) + "{\"type\":\"resume\",\"iteration\":1}\n", "m",
                                      [&](const std::string& w) { warnings.push_back(w); });
  EXPECT_EQ(damaged.iterations.size(), 2u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("\"resume\" record without its required fields"), std::string::npos) << warnings[0];
}

TEST(RunMetrics, SkipsMalformedAndUnfinishedLinesWithAWarning) {
  std::string text = std::string(kMetrics) + "{\"type\":\"iteration\",\"epoch\":1,\"iteration\":3,\"loss\":1.8,\"lr\":0.1}\n" +
                     "not json at all\n[1,2]\n{\"type\":\"iteration\",\"epoch\":1}\n\n" +
                     "{\"type\":\"iteration\",\"epoch\":1,\"iteration\":4,\"lo";
  std::vector<std::string> warnings;
  auto run = report::parseMetrics(text, "runs/a/metrics.jsonl", [&](const std::string& w) { warnings.push_back(w); });
  EXPECT_EQ(run.iterations.size(), 3u);
  ASSERT_EQ(warnings.size(), 4u);
  EXPECT_EQ(warnings[0], "runs/a/metrics.jsonl:7: not valid JSON; line skipped");
  EXPECT_NE(warnings[1].find(":8: expected a JSON object"), std::string::npos) << warnings[1];
  EXPECT_NE(warnings[2].find(":9: \"iteration\" record without its required fields"), std::string::npos) << warnings[2];
  EXPECT_EQ(warnings[3], "runs/a/metrics.jsonl:11: unfinished last line skipped");
}

TEST(RunMetrics, RecordsWithFieldsOfTheWrongTypeDoNotStopTheReport) {
  const char* odd =
      R"JSON({"type":"summary","flops":"many","parameters":1e300,"layers":[{"flops":"y","parameters":[1]},7]}
{"type":"iteration","epoch":1e300,"iteration":-1e300,"loss":1,"lr":"fast"}
{"type":"epoch","epoch":1,"loss":"x","validation":{"Top1Accuracy":"high"},"profile":{"layers":[{"name":"x","forward_ms":"slow"},3]}}
{"type":"layers","iteration":"one","layers":[{"name":5},{"name":"l","update_ratio":"big"}]}
{"type":"config","data":[],"hardware":"none","command":{"a":1}}
{"type":"test","Top1Accuracy":null}
)JSON";
  auto run = report::parseMetrics(odd, "m", [](const std::string&) {});
  run.name = "odd";
  std::string page;
  EXPECT_NO_THROW(page = report::renderReportPage({run}));
  EXPECT_NE(page.find("data-chart=\"loss\""), std::string::npos);
}

TEST(HtmlReport, ModelTableShowsShapesCountsAndShares) {
  auto run = report::parseMetrics(
      R"JSON({"type":"summary","input":[1,28,28],"parameters":2416,"flops":483200,"layers":[{"index":4,"layer":"SpatialConvolution(6 -> 16, 5x5)","output":[16,10,10],"parameters":2416,"flops":481600},{"index":5,"layer":"ReLU","output":[16,10,10],"parameters":0,"flops":1600}]})JSON"
      "\n",
      "m", [](const std::string&) {});
  std::string body = report::renderReportBody({run});
  EXPECT_NE(body.find("<td>SpatialConvolution(6 -&gt; 16, 5x5)</td><td>[16, 10, 10]</td><td>2,416</td><td>481,600</td>"
                      "<td>99.7%</td>"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("<td>total</td><td></td><td>2,416</td><td>483,200</td><td>100.0%</td>"), std::string::npos);
}

TEST(RunMetrics, RandomlyDamagedMetricsNeverThrow) {
  std::mt19937 gen(7);
  const std::string original = kMetrics;
  const char replacements[] = "{}[]\":,0123456789.-e \nabtype";
  for (int round = 0; round < 3000; ++round) {
    std::string text = original;
    int edits = 1 + static_cast<int>(gen() % 8);
    for (int e = 0; e < edits; ++e) {
      size_t at = gen() % text.size();
      switch (gen() % 3) {
        case 0: text[at] = replacements[gen() % (sizeof replacements - 1)]; break;
        case 1: text.erase(at, 1 + gen() % 6); break;
        default: text = text.substr(0, at) + replacements[gen() % (sizeof replacements - 1)] + text.substr(at);
      }
      if (text.empty()) text.push_back('{');
    }
    auto run = report::parseMetrics(text, "m", [](const std::string&) {});
    ASSERT_NO_THROW(report::renderReportPage({run, run})) << text;
  }
}

TEST(RunCharts, OneChartPerRecordedSeries) {
  auto run = report::parseMetrics(kMetrics, "m", [](const std::string&) {});
  run.name = "a";
  auto ids = chartIds(report::chartsFor({run}));
  std::vector<std::string> expected{"loss",         "validation_Loss", "validation_Top1Accuracy", "throughput", "lr",
                                    "update_ratio", "weight_norm",     "grad_norm",               "comm_share", "comm_sec",
                                    "layer_time"};
  EXPECT_EQ(ids, expected);
  std::string body = report::renderReportBody({run});
  EXPECT_NE(body.find("Time per layer, epoch 1"), std::string::npos);  // the --profile table
  EXPECT_NE(body.find("<th>bytes_per_step</th><td>3,180,040</td>"), std::string::npos);
  auto bare = report::parseMetrics("{\"type\":\"iteration\",\"epoch\":1,\"iteration\":1,\"loss\":2,\"lr\":0.1}\n", "m",
                                   [](const std::string&) {});
  EXPECT_EQ(chartIds(report::chartsFor({bare})), (std::vector<std::string>{"loss", "throughput", "lr"}));
}

TEST(RunCharts, SeveralRunsShareChartsWithNamedSeries) {
  auto a = report::parseMetrics(kMetrics, "a", [](const std::string&) {});
  auto b = a;
  a.name = "allreduce", b.name = "average";
  auto charts = report::chartsFor({a, b});
  ASSERT_EQ(charts[0].id, "loss");
  ASSERT_EQ(charts[0].series.size(), 4u);
  EXPECT_EQ(charts[0].series[1].label, "allreduce: smoothed");
  EXPECT_EQ(charts[0].series[3].label, "average: smoothed");
  EXPECT_EQ(charts[0].series[0].colour, charts[0].series[1].colour);  // one colour per run
  EXPECT_NE(charts[0].series[1].colour, charts[0].series[3].colour);
  std::string page = report::renderReportPage({a, b});
  EXPECT_NE(page.find("data-label=\"average: smoothed\""), std::string::npos);
  EXPECT_NE(page.find("<tr><th></th><th>allreduce</th><th>average</th></tr>"), std::string::npos);  // side by side
  EXPECT_EQ(page.find("<h3>Model: "), std::string::npos);  // one model table: both trained the same
}

TEST(RunCharts, LongRunsAreThinnedKeepingTheLastPoint) {
  std::string text;
  for (int i = 1; i <= 4690; ++i)
    text += "{\"type\":\"iteration\",\"epoch\":1,\"iteration\":" + std::to_string(i) + ",\"loss\":1,\"lr\":0.1}\n";
  auto run = report::parseMetrics(text, "m", [](const std::string&) {});
  auto charts = report::chartsFor({run});
  const auto& raw = charts[0].series[0].points;
  EXPECT_LE(raw.size(), 2001u);
  EXPECT_GE(raw.size(), 1000u);
  EXPECT_EQ(raw.back().first, 4690);
  EXPECT_NEAR(report::smoothingWeight(2000), 0.99, 1e-12);
  EXPECT_EQ(report::smoothingWeight(4690), 0.995);  // at most
  EXPECT_EQ(report::smoothingWeight(10), 0.6);
}

TEST(RunCharts, SmoothingIsBiasCorrected) {
  auto s = report::smoothed({4, 4, 4}, 0.9);
  for (double v : s) EXPECT_NEAR(v, 4, 1e-12);
  auto t = report::smoothed({0, 10}, 0.5);
  EXPECT_NEAR(t[1], (0.5 * 0 * 0.5 + 0.5 * 10) / 0.75, 1e-12);
}

TEST(SvgChart, DrawsFinitePointsAndSaysWhenEmpty) {
  report::Chart c{"x", "Title <&>", "iteration", "loss", false,
                  {{"run", {{1, 2}, {2, NAN}, {3, 1}}, false}}};
  std::string svg = report::renderSvgChart(c);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("Title &lt;&amp;&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  report::Chart empty{"e", "Empty", "x", "y", true, {{"run", {{1, 0}, {2, -1}}, false}}};
  EXPECT_NE(report::renderSvgChart(empty).find("no data recorded yet"), std::string::npos);
}

TEST(SvgChart, TicksAreRoundAndCoverTheRange) {
  auto t = report::niceTicks(0.13, 0.92, 5);
  ASSERT_FALSE(t.empty());
  EXPECT_NEAR(t.front(), 0.2, 1e-12);
  EXPECT_NEAR(t.back(), 0.8, 1e-12);
  EXPECT_TRUE(report::niceTicks(1, 1, 5).empty());
}

TEST(SvgChart, ARangeOfRoundingErrorsEndsWithAFewTicks) {
  // two losses equal but for their last bit once made the tick loop run until memory ran out
  const double loss = 0.5876, next = std::nextafter(loss, 1.0);
  EXPECT_LE(report::niceTicks(loss, next, 5).size(), 21u);
  report::Chart c{"loss", "Loss", "iteration", "loss", false, {{"train", {{1, loss}, {2, next}}}}};
  const std::string svg = report::renderSvgChart(c);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find(">0.6<"), std::string::npos) << svg;  // widened to +-10%: round ticks again
}

TEST(RunDirectory, RefusesTraversalAndLinksOutOfTheRoot) {
  fs::path base = shoal::testing::makeTempDir("run-dir");
  fs::path root = base / "logs";
  fs::create_directories(root / "a");
  shoal::testing::writeText((root / "a" / "metrics.jsonl").string(), "{}\n");
  shoal::testing::writeText((base / "secret.txt").string(), "secret\n");
  fs::create_symlink(base / "secret.txt", root / "a" / "leak");
  fs::create_symlink(base, root / "up");
  fs::create_symlink("metrics.jsonl", root / "a" / "inside");
  const std::string r = root.string();
  using report::PathStatus;
  EXPECT_EQ(report::resolveUnderRoot(r, "a/metrics.jsonl").status, PathStatus::Ok);
  EXPECT_EQ(report::resolveUnderRoot(r, "a/inside").status, PathStatus::Ok);
  EXPECT_EQ(report::resolveUnderRoot(r, "").status, PathStatus::Ok);
  EXPECT_EQ(report::resolveUnderRoot(r, "../secret.txt").status, PathStatus::NotFound);
  EXPECT_EQ(report::resolveUnderRoot(r, "a/../../secret.txt").status, PathStatus::NotFound);
  EXPECT_EQ(report::resolveUnderRoot(r, "/etc/passwd").status, PathStatus::NotFound);
  EXPECT_EQ(report::resolveUnderRoot(r, "a//metrics.jsonl").status, PathStatus::NotFound);
  EXPECT_EQ(report::resolveUnderRoot(r, "a/missing").status, PathStatus::NotFound);
  EXPECT_EQ(report::resolveUnderRoot(r, "a/leak").status, PathStatus::Outside);
  EXPECT_EQ(report::resolveUnderRoot(r, "up/secret.txt").status, PathStatus::Outside);
  EXPECT_EQ(report::resolveUnderRoot(r, std::string("a/metrics.jsonl\0x", 17)).status, PathStatus::NotFound);
  fs::remove_all(base);
}

TEST(RunMetrics, ARunIsNamedAfterItsDirectory) {
  fs::path root = shoal::testing::makeTempDir("run-name");
  fs::create_directories(root / "lenet-a");
  shoal::testing::writeText((root / "lenet-a" / "metrics.jsonl").string(), "");
  auto ignore = [](const std::string&) {};
  for (const std::string dir : {"/lenet-a", "/lenet-a/", "/lenet-a/.", "/lenet-a/../lenet-a"})
    EXPECT_EQ(report::readRunMetrics(root.string() + dir, ignore).name, "lenet-a") << dir;
  EXPECT_THROW(report::readRunMetrics((root / "missing").string(), ignore), InputError);
  fs::remove_all(root);
}

TEST(RunDirectory, ListsNestedRunsButNotLinkedOnes) {
  fs::path root = shoal::testing::makeTempDir("run-list");
  fs::create_directories(root / "b");
  fs::create_directories(root / "group" / "c");
  fs::create_directories(root / "empty");
  shoal::testing::writeText((root / "b" / "metrics.jsonl").string(), "");
  shoal::testing::writeText((root / "group" / "c" / "metrics.jsonl").string(), "");
  fs::create_directory_symlink(root / "b", root / "alias");
  EXPECT_EQ(report::listRuns(root.string()), (std::vector<std::string>{"b", "group/c"}));
  fs::remove_all(root);
}
