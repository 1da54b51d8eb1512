// End-to-end: a short real training run writes its summary, metrics and HTML report; the report
// parses, has one chart per recorded series, survives damaged metrics and renders in headless Chromium.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "e2e/png_pixels.hpp"
#include "support/cli_runner.hpp"
#include "support/fashion_mnist_test.hpp"

using shoal::testing::readText;
using shoal::testing::runCli;
using shoal::testing::runShell;
namespace fs = std::filesystem;

namespace {

using shoal::testing::fashionMnistInstalled;

// Checks that every element is closed in order (void elements and "/>" excepted); returns the
// first problem or "".
std::string checkHtmlNesting(const std::string& html) {
  static const std::set<std::string> voidElements{"meta", "br", "img", "input", "link", "hr", "wbr"};
  std::vector<std::string> open;
  size_t at = 0;
  while ((at = html.find('<', at)) != std::string::npos) {
    if (html.compare(at, 4, "<!--") == 0) {
      at = html.find("-->", at);
      if (at == std::string::npos) return "unclosed comment";
      continue;
    }
    if (html.compare(at, 2, "<!") == 0) {
      at = html.find('>', at);
      continue;
    }
    bool closing = html.compare(at, 2, "</") == 0;
    size_t nameStart = at + (closing ? 2 : 1);
    size_t nameEnd = html.find_first_of(" \t\n/>", nameStart);
    if (nameEnd == std::string::npos) return "unfinished tag at " + std::to_string(at);
    std::string name = html.substr(nameStart, nameEnd - nameStart);
    size_t end = nameEnd;
    char quote = 0;
    for (; end < html.size(); ++end) {
      char c = html[end];
      if (quote) quote = c == quote ? 0 : quote;
      else if (c == '"' || c == '\'') quote = c;
      else if (c == '>') break;
    }
    if (end >= html.size()) return "unfinished tag <" + name;
    bool selfClosing = html[end - 1] == '/';
    at = end + 1;
    if (closing) {
      if (open.empty() || open.back() != name)
        return "</" + name + "> closes <" + (open.empty() ? std::string("nothing") : open.back()) + ">";
      open.pop_back();
    } else if (!selfClosing && !voidElements.count(name)) {
      open.push_back(name);
      if (name == "style" || name == "script") {  // raw text up to the closing tag
        at = html.find("</" + name + ">", at);
        if (at == std::string::npos) return "unclosed <" + name + ">";
      }
    }
  }
  return open.empty() ? "" : "<" + open.back() + "> is never closed";
}

std::set<std::string> chartIds(const std::string& html) {
  std::set<std::string> ids;
  const std::string key = "data-chart=\"";
  for (size_t at = 0; (at = html.find(key, at)) != std::string::npos;) {
    at += key.size();
    ids.insert(html.substr(at, html.find('"', at) - at));
  }
  return ids;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += what.size()) ++n;
  return n;
}

std::string findChromium() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    auto r = runShell(std::string("command -v ") + name, 10);
    if (r.exitCode == 0 && !r.out.empty()) return r.out.substr(0, r.out.find('\n'));
  }
  return "";
}

// One short training run with per-layer statistics, shared by the tests of this file.
class TrainedRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fashionMnistInstalled()) return;
    base_ = shoal::testing::makeTempDir("e2e-report");
    dir_ = base_ + "/mlp-run";
    train_ = runCli("train --model mlp --hidden 64 --data fashion-mnist --train-limit 3000 --test-limit 1000 "
                    "--epochs 3 --batch 100 --optim sgd --lr 0.05 --momentum 0.9 --stats-every 5 --out " + dir_);
  }
  void SetUp() override {
    if (!fashionMnistInstalled()) GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed";
    ASSERT_EQ(train_.exitCode, 0) << train_.err;
  }
  static inline std::string base_, dir_;
  static inline shoal::testing::CliResult train_;
};

}  // namespace

TEST_F(TrainedRun, PrintsTheModelSummaryAndTheReportPath) {
  EXPECT_NE(train_.out.find("Linear(784 -> 64)"), std::string::npos) << train_.out;
  EXPECT_NE(train_.out.find("50,890"), std::string::npos) << train_.out;  // 784*64+64 + 64*10+10
  // The run ends by naming its report (./run demo's last line).
  std::string lastLine = train_.out.substr(train_.out.rfind('\n', train_.out.size() - 2) + 1);
  EXPECT_EQ(lastLine, "report: " + dir_ + "/report.html\n") << train_.out;
  EXPECT_TRUE(fs::exists(dir_ + "/report.html"));
  std::string metrics = readText(dir_ + "/metrics.jsonl");
  EXPECT_EQ(count(metrics, "\"type\":\"summary\""), 1u);
  EXPECT_EQ(count(metrics, "\"type\":\"layers\""), 1u + 90 / 5);  // the first step, then every 5th of 90
}

TEST_F(TrainedRun, ReportParsesAndHasOneChartPerRecordedSeries) {
  std::string html = readText(dir_ + "/report.html");
  EXPECT_EQ(checkHtmlNesting(html), "");
  EXPECT_EQ(chartIds(html), (std::set<std::string>{"loss", "validation_Top1Accuracy", "validation_Loss", "throughput",
                                                   "lr", "update_ratio", "weight_norm", "grad_norm"}));
  EXPECT_EQ(count(html, "<svg"), 8u);
  EXPECT_NE(html.find("shoal train --model mlp"), std::string::npos);  // the command line
  EXPECT_NE(html.find("Linear(784 -&gt; 64)"), std::string::npos);     // the model summary
  EXPECT_NE(html.find("Top1Accuracy"), std::string::npos);             // the test result
  // Self-contained: nothing to fetch.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_EQ(html.find(" href="), std::string::npos);
  // Update ratios: one series per layer with parameters (two Linear layers).
  EXPECT_NE(html.find("data-label=\"2 Linear(784 -&gt; 64)\""), std::string::npos);
  EXPECT_NE(html.find("data-label=\"4 Linear(64 -&gt; 10)\""), std::string::npos);
}

TEST_F(TrainedRun, ReportCommandOverlaysSeveralRuns) {
  std::string other = base_ + "/second-run";
  fs::copy(dir_, other, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  std::string out = base_ + "/both.html";
  auto r = runCli("report " + dir_ + " " + other + " --out " + out);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("report: " + out + " (2 runs, 8 charts)"), std::string::npos) << r.out;
  std::string html = readText(out);
  EXPECT_EQ(checkHtmlNesting(html), "");
  EXPECT_NE(html.find("data-label=\"mlp-run: smoothed\""), std::string::npos);
  EXPECT_NE(html.find("data-label=\"second-run: smoothed\""), std::string::npos);
  EXPECT_NE(html.find("<tr><th></th><th>mlp-run</th><th>second-run</th></tr>"), std::string::npos);
}

TEST_F(TrainedRun, DamagedMetricsLinesAreSkippedWithAWarning) {
  std::string damaged = base_ + "/damaged";
  fs::copy(dir_, damaged, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  std::string metrics = readText(damaged + "/metrics.jsonl");
  size_t cut = metrics.find("\"type\":\"iteration\"");
  metrics.insert(cut - 1, "{\"type\": broken\n");
  metrics += "{\"type\":\"iteration\",\"epoch\":3,\"itera";
  shoal::testing::writeText(damaged + "/metrics.jsonl", metrics);
  auto r = runCli("report " + damaged);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.err.find("warning: " + damaged + "/metrics.jsonl:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not valid JSON; line skipped"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unfinished last line skipped"), std::string::npos) << r.err;
  EXPECT_EQ(chartIds(readText(damaged + "/report.html")).size(), 8u);
}

TEST(ReportCli, MissingRunDirectoryIsAnInputError) {
  auto r = runCli("report /nonexistent/run");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("/nonexistent/run/metrics.jsonl: cannot open"), std::string::npos) << r.err;
}

TEST_F(TrainedRun, RendersInHeadlessChromiumToANonBlankPng) {
  std::string chromium = findChromium();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (./run test installs it)";
  std::string png = base_ + "/report.png";
  auto r = runShell("timeout 90 " + chromium + " --headless --no-sandbox --disable-gpu --hide-scrollbars "
                    "--no-first-run --user-data-dir=" + base_ + "/chromium-profile --window-size=1300,1400 "
                    "--screenshot=" + png + " file://" + dir_ + "/report.html", 120);
  ASSERT_TRUE(fs::exists(png)) << "exit " << r.exitCode << "\n" << r.err;
  std::string error;
  shoal::testing::RgbImage image = shoal::testing::decodePng(readText(png), error);
  ASSERT_EQ(error, "");
  EXPECT_EQ(image.width, 1300);
  EXPECT_EQ(image.height, 1400);
  size_t nonWhite = 0, coloured = 0, pixels = image.rgb.size() / 3;
  for (size_t p = 0; p < pixels; ++p) {
    int r0 = image.rgb[3 * p], g = image.rgb[3 * p + 1], b = image.rgb[3 * p + 2];
    if (r0 < 240 || g < 240 || b < 240) ++nonWhite;
    if (std::max({r0, g, b}) - std::min({r0, g, b}) > 60) ++coloured;  // chart lines, not grey text
  }
  EXPECT_GT(nonWhite, pixels / 50) << nonWhite << " of " << pixels;
  EXPECT_GT(coloured, 500u) << coloured << " coloured pixels";
}

TEST(SummaryCli, PrintsZooModelsWithHandComputedTotals) {
  auto r = runCli("summary --model lenet5");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("61,706"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[16, 5, 5]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("852,400"), std::string::npos) << r.out;
  auto mlp = runCli("summary --model mlp --hidden 512,256");
  ASSERT_EQ(mlp.exitCode, 0) << mlp.err;
  EXPECT_NE(mlp.out.find("Linear(512 -> 256)"), std::string::npos) << mlp.out;
  EXPECT_NE(mlp.out.find("535,818"), std::string::npos) << mlp.out;  // 401,920 + 131,328 + 2,570
  EXPECT_EQ(runCli("summary").exitCode, 2);
  EXPECT_EQ(runCli("summary --model nosuch").exitCode, 2);
}
