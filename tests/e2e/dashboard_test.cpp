// End-to-end: `shoal ui` on a free loopback port serves runs and metrics, refuses traversal and links
// out of its directory, tolerates a metrics file being appended, and answers a burst of clients.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/cli_runner.hpp"

namespace fs = std::filesystem;
using shoal::testing::readText;
using shoal::testing::writeText;

namespace {

struct HttpResponse {
  int status = 0;  // 0: no answer (connection failed or timed out)
  std::string body;
};

// Whether `answer` holds the whole response: headers and as many body bytes as Content-Length says
// (a server may keep the connection open after an error answer).
bool complete(const std::string& answer) {
  size_t headersEnd = answer.find("\r\n\r\n");
  if (headersEnd == std::string::npos) return false;
  std::string headers = answer.substr(0, headersEnd);
  for (auto& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t at = headers.find("\r\ncontent-length:");
  if (at == std::string::npos) return false;  // read until the server closes
  size_t length = std::strtoul(headers.c_str() + at + 17, nullptr, 10);
  return answer.size() >= headersEnd + 4 + length;
}

// Sends `request` verbatim to 127.0.0.1:port and reads the answer until the server closes.
HttpResponse rawRequest(int port, const std::string& request) {
  HttpResponse r;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return r;
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    char buf[65536];
    for (ssize_t n; !complete(answer) && (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
      answer.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (answer.rfind("HTTP/1.1 ", 0) != 0) return r;
  r.status = std::atoi(answer.c_str() + 9);
  size_t bodyAt = answer.find("\r\n\r\n");
  if (bodyAt != std::string::npos) r.body = answer.substr(bodyAt + 4);
  return r;
}

HttpResponse get(int port, const std::string& target) {
  return rawRequest(port, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
}

std::string iterationLine(int i) {
  return "{\"type\":\"iteration\",\"epoch\":1,\"iteration\":" + std::to_string(i) + ",\"loss\":" +
         std::to_string(2.0 / i) + ",\"lr\":0.1}\n";
}

// A log directory with runs, a file outside it and links pointing out of it; `shoal ui` on it.
class Dashboard : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    base_ = shoal::testing::makeTempDir("dashboard");
    logdir_ = base_ + "/logs";
    fs::create_directories(logdir_ + "/a");
    fs::create_directories(logdir_ + "/group/b");
    fs::create_directories(logdir_ + "/bad");
    std::string metrics = "{\"type\":\"config\",\"command\":\"shoal train --model mlp\"}\n";
    for (int i = 1; i <= 50; ++i) metrics += iterationLine(i);
    metrics += "{\"type\":\"epoch\",\"epoch\":1,\"iteration\":50,\"loss\":0.5,\"samples_per_sec\":900,\"lr\":0.1,"
               "\"elapsed_sec\":2,\"validation\":{\"Top1Accuracy\":0.7}}\n";
    writeText(logdir_ + "/a/metrics.jsonl", metrics);
    writeText(logdir_ + "/group/b/metrics.jsonl", metrics);
    writeText(logdir_ + "/bad/metrics.jsonl", iterationLine(1) + "{broken\n" + iterationLine(2) + "{\"type\":\"itera");
    writeText(base_ + "/secret.txt", "secret outside the log directory\n");
    fs::create_symlink(base_ + "/secret.txt", logdir_ + "/a/leak");
    fs::create_directory_symlink(base_, logdir_ + "/up");
    fs::create_symlink("metrics.jsonl", logdir_ + "/a/same-run");

    int out[2];
    ASSERT_EQ(::pipe(out), 0);
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::close(out[0]);
      ::close(out[1]);
      std::string cli = shoal::testing::cliPath();
      ::execl(cli.c_str(), "shoal", "ui", "--logdir", logdir_.c_str(), "--port", "0", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    // "dashboard: http://127.0.0.1:PORT/ ...", within 30 s.
    std::string line;
    pollfd p{out[0], POLLIN, 0};
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      if (::poll(&p, 1, 1000) <= 0) continue;
      char buf[256];
      ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    ::close(out[0]);
    size_t at = line.find("127.0.0.1:");
    if (at != std::string::npos) port_ = std::atoi(line.c_str() + at + 10);
  }
  static void TearDownTestSuite() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    fs::remove_all(base_);
  }
  void SetUp() override { ASSERT_GT(port_, 0) << "shoal ui did not announce its port"; }

  static inline std::string base_, logdir_;
  static inline pid_t pid_ = -1;
  static inline int port_ = 0;
};

}  // namespace

TEST_F(Dashboard, ServesThePageTheRunListAndMetrics) {
  auto page = get(port_, "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("shoal dashboard"), std::string::npos);
  auto runs = get(port_, "/api/runs");
  ASSERT_EQ(runs.status, 200);
  std::vector<std::string> names;
  nlohmann::json list = nlohmann::json::parse(runs.body);
  for (const auto& r : list["runs"]) names.push_back(r["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "bad", "group/b"}));
  auto file = get(port_, "/files/a/metrics.jsonl");
  EXPECT_EQ(file.status, 200);
  EXPECT_EQ(file.body, readText(logdir_ + "/a/metrics.jsonl"));
  EXPECT_EQ(get(port_, "/files/a/same-run").status, 200);  // a link that stays inside
  auto report = get(port_, "/api/report?run=a&run=group%2Fb");
  ASSERT_EQ(report.status, 200);
  EXPECT_NE(report.body.find("data-chart=\"loss\""), std::string::npos);
  EXPECT_NE(report.body.find("data-chart=\"validation_Top1Accuracy\""), std::string::npos);
  EXPECT_NE(report.body.find("data-label=\"group/b: smoothed\""), std::string::npos);
}

TEST_F(Dashboard, PageShowsRunsAndChartsInHeadlessChromium) {
  std::string chromium;
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    auto r = shoal::testing::runShell(std::string("command -v ") + name, 10);
    if (r.exitCode == 0 && !r.out.empty()) chromium = r.out.substr(0, r.out.find('\n'));
    if (!chromium.empty()) break;
  }
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (./run test installs it)";
  // The page's script fetches the run list, ticks the newest run and loads its charts.
  auto r = shoal::testing::runShell("timeout 90 " + chromium + " --headless --no-sandbox --disable-gpu --no-first-run "
                                    "--user-data-dir=" + base_ + "/chromium-profile --virtual-time-budget=5000 "
                                    "--dump-dom http://127.0.0.1:" + std::to_string(port_) + "/ 2>/dev/null", 120);
  ASSERT_EQ(r.exitCode, 0);
  EXPECT_NE(r.out.find("data-run=\"group/b\""), std::string::npos) << r.out.substr(0, 2000);
  EXPECT_NE(r.out.find("<svg"), std::string::npos) << r.out.substr(0, 2000);
  EXPECT_NE(r.out.find("data-chart=\"loss\""), std::string::npos);
  EXPECT_NE(r.out.find("id=\"status\">updated "), std::string::npos);
}

TEST_F(Dashboard, RefusesTraversalAndLinksOutOfTheLogDirectory) {
  for (const char* target : {"/files/../secret.txt", "/files/%2e%2e/secret.txt", "/files/a/%2E%2E/%2e%2e/secret.txt",
                             "/files/..%2fsecret.txt", "/files/a/..%2f..%2fsecret.txt", "/files//etc/passwd",
                             "/files/%2fetc%2fpasswd", "/files/a", "/files/nosuch", "/api/report?run=..",
                             "/api/report?run=a%2f..%2f.."}) {
    auto r = get(port_, target);
    EXPECT_EQ(r.status, 404) << target << ": " << r.body;
    EXPECT_EQ(r.body.find("secret outside"), std::string::npos) << target;
  }
  for (const char* target : {"/files/a/leak", "/files/up/secret.txt", "/api/report?run=up"}) {
    auto r = get(port_, target);
    EXPECT_TRUE(r.status == 403 || r.status == 404) << target << ": " << r.status;
    EXPECT_EQ(r.body.find("secret outside"), std::string::npos) << target;
  }
  EXPECT_EQ(get(port_, "/files/a/leak").status, 403);
}

TEST_F(Dashboard, AnswersBadRequestsWith400) {
  EXPECT_EQ(get(port_, "/api/report").status, 400);
  EXPECT_EQ(get(port_, "/api/report?run=").status, 400);
  EXPECT_EQ(rawRequest(port_, "NONSENSE\r\n\r\n").status, 400);
  EXPECT_EQ(rawRequest(port_, "GET /api/runs HTTP/9.9\r\n\r\n").status, 400);
  EXPECT_EQ(get(port_, "/nowhere").status, 404);
  EXPECT_EQ(get(port_, "/api/runs").status, 200);  // and it is still serving
}

TEST_F(Dashboard, SkipsDamagedLinesOfAMetricsFile) {
  auto r = get(port_, "/api/report?run=bad");
  ASSERT_EQ(r.status, 200);
  // "{broken" is noted; the unfinished last line is taken for one being written and skipped quietly.
  EXPECT_NE(r.body.find("skipped 1 damaged line(s): bad/metrics.jsonl:2: not valid JSON"), std::string::npos)
      << r.body.substr(0, 400);
  EXPECT_NE(r.body.find("data-chart=\"loss\""), std::string::npos);
}

TEST_F(Dashboard, ToleratesAMetricsFileBeingAppendedDuringRequests) {
  std::string path = logdir_ + "/a/metrics.jsonl";
  std::atomic<bool> writing{true};
  std::thread writer([&] {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    for (int i = 51; i <= 250; ++i) {
      std::string line = iterationLine(i);
      out << line.substr(0, line.size() / 2) << std::flush;  // half a line is visible for a moment
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      out << line.substr(line.size() / 2) << std::flush;
    }
    writing = false;
  });
  int requests = 0, failures = 0;
  while (writing || requests < 20) {
    auto r = get(port_, requests % 2 ? "/api/report?run=a" : "/files/a/metrics.jsonl");
    ++requests;
    if (r.status != 200 || r.body.find("damaged") != std::string::npos) ++failures;
  }
  writer.join();
  EXPECT_EQ(failures, 0) << "of " << requests;
  auto last = get(port_, "/api/report?run=a");
  EXPECT_EQ(last.status, 200);
  EXPECT_EQ(last.body.find("damaged"), std::string::npos);
}

TEST_F(Dashboard, ServesNewClientsWhileMoreKeepAliveConnectionsThanWorkersStayOpen) {
  std::vector<int> idle;  // each has had one answer and stays open, as a polling page's would
  for (int i = 0; i < 24; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    timeval timeout{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    std::string request = "GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
    std::string answer;
    char buf[4096];
    for (ssize_t n; !complete(answer) && (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
      answer.append(buf, static_cast<size_t>(n));
    EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << i;
    idle.push_back(fd);
  }
  EXPECT_EQ(get(port_, "/api/runs").status, 200);
  for (int fd : idle) ::close(fd);
}

TEST_F(Dashboard, AnswersABurstOfConcurrentClients) {
  constexpr int kClients = 32, kRequestsEach = 25;
  const char* targets[] = {"/api/runs", "/api/report?run=a", "/files/a/metrics.jsonl", "/", "/files/../secret.txt"};
  const int expected[] = {200, 200, 200, 200, 404};
  std::atomic<int> errors{0}, answered{0};
  auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c)
    clients.emplace_back([&, c] {
      for (int i = 0; i < kRequestsEach; ++i) {
        int k = (c + i) % 5;
        auto r = get(port_, targets[k]);
        if (r.status != expected[k]) ++errors;
        else ++answered;
      }
    });
  for (auto& t : clients) t.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "dashboard burst: " << kClients * kRequestsEach << " requests from " << kClients << " clients, "
            << errors << " errors, " << seconds << " s\n";
  RecordProperty("requests", kClients * kRequestsEach);
  RecordProperty("errors", errors.load());
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(answered, kClients * kRequestsEach);
  EXPECT_LT(seconds, 120);  // a hang would show as the 10 s socket timeouts adding up
}

// Ctrl-C ends the dashboard cleanly: it says so and exits with 0, within a few seconds.
TEST(DashboardProcess, StopsCleanlyOnSigint) {
  std::string dir = shoal::testing::makeTempDir("ui-stop");
  std::string out = dir + "/out.txt";
  auto r = shoal::testing::runShell(
      shoal::testing::cliPath() + " ui --logdir " + dir + " --port 0 > " + out +
      " 2>&1 & pid=$!; for i in $(seq 1 300); do grep -q 'dashboard: http' " + out +
      " && break; sleep 0.1; done; kill -INT $pid; for i in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done; "
      "kill -0 $pid 2>/dev/null && { kill -KILL $pid; echo STILL RUNNING; }; wait $pid");
  std::string printed = readText(out);
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err << printed;
  EXPECT_EQ(r.out.find("STILL RUNNING"), std::string::npos) << "shoal ui did not stop within 5 s of SIGINT";
  EXPECT_NE(printed.find("dashboard: http://127.0.0.1:"), std::string::npos) << printed;
  EXPECT_NE(printed.find("dashboard stopped (SIGINT)"), std::string::npos) << printed;
  fs::remove_all(dir);
}
