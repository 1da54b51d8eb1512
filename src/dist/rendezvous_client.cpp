// A rank's connection to the rendezvous store: greeting, authenticated hello, then Gloo's keys.
#include "rendezvous_client.hpp"

#include <unistd.h>

#include <algorithm>
#include <thread>

#include "rendezvous_protocol.hpp"
#include "shoal/error.hpp"

namespace shoal::dist::rendezvous {
namespace {

std::string where(const Endpoint& at) { return at.host + ":" + std::to_string(at.port); }

std::string seconds(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%g s", s);
  return text;
}

}  // namespace

StoreClient::StoreClient(const Endpoint& at, const JobIdentity& job, int rank, double timeoutSeconds,
                         std::string timeoutName)
    : at_(at), rank_(rank), timeout_(timeoutSeconds), timeoutName_(std::move(timeoutName)) {
  const std::string prefix = "rank " + std::to_string(rank) + ": rendezvous at " + where(at) + ": ";
  fd_ = connectBy(at, deadline());
  if (fd_ < 0)
    throw Error(prefix + "could not connect within " + seconds(timeout_) +
                " (rank 0 hosts the store: is it running, and is the address its own?)");
  auto greeting = recvExactlyBy(fd_, kGreeting.size() + kNonceBytes, deadline());
  if (!greeting || greeting->substr(0, kGreeting.size()) != kGreeting)
    throw Error(prefix + "not a shoal rendezvous store (it did not greet as one)");
  Hello hello{rank, job.worldSize, job.attempt, job.configHash, randomNonce()};
  if (!sendAllBy(fd_, frame(encodeHello(hello, job.secret, greeting->substr(kGreeting.size()))), deadline()))
    throw Error(prefix + "the store closed the connection during the handshake");
  auto length = recvExactlyBy(fd_, 4, deadline());
  std::optional<std::string> body;
  if (length && getU32(*length, 0) <= kMaxHelloBytes) body = recvExactlyBy(fd_, getU32(*length, 0), deadline());
  if (!body) throw Error(prefix + "no answer to the handshake within " + seconds(timeout_));
  auto reply = decodeReply(*body, job.secret, hello.clientNonce);
  if (!reply) throw Error(prefix + "an answer to the handshake that is not one");
  if (!reply->accepted) throw UsageError(prefix + "refused this rank: " + reply->message);
  if (!reply->macOk)
    throw UsageError(prefix + "the store admitted this rank without proving it knows the job secret "
                              "(not this job's store, or a different secret)");
}

StoreClient::~StoreClient() {
  if (fd_ >= 0) ::close(fd_);
}

Clock::time_point StoreClient::deadline() const {
  if (timeout_ <= 0) return Clock::time_point::max() - std::chrono::hours(24);
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_));
}

std::string StoreClient::request(const std::string& payload, const std::string& what) {
  const std::string prefix = "rank " + std::to_string(rank_) + ": rendezvous at " + where(at_) + ": ";
  const auto by = deadline();
  if (!sendAllBy(fd_, frame(payload), by))
    throw Error(prefix + "the store closed the connection (" + what + ")");
  auto noAnswer = [&] {
    return Error(prefix + (Clock::now() < by ? "the store closed the connection (rank 0 ended?)"
                                             : "no answer within " + seconds(timeout_)) +
                 " (" + what + ")");
  };
  auto length = recvExactlyBy(fd_, 4, by);
  if (!length) throw noAnswer();
  const uint32_t n = getU32(*length, 0);
  if (n > kMaxFrameBytes) throw Error(prefix + "an answer over the size limit (" + what + ")");
  auto body = recvExactlyBy(fd_, n, by);
  if (!body) throw noAnswer();
  return *body;
}

void StoreClient::set(const std::string& key, const std::vector<char>& data) {
  std::string payload(1, static_cast<char>(Op::Set));
  putString(payload, key);
  putString(payload, std::string_view(data.data(), data.size()));
  request(payload, "setting \"" + key + "\"");
}

std::vector<char> StoreClient::get(const std::string& key) {
  std::string payload(1, static_cast<char>(Op::Get));
  putString(payload, key);
  std::string value = request(payload, "waiting for \"" + key + "\", which another rank publishes");
  return {value.begin(), value.end()};
}

void StoreClient::wait(const std::vector<std::string>& keys) {
  wait(keys, std::chrono::milliseconds(static_cast<int64_t>(timeout_ * 1000)));
}

void StoreClient::wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) {
  const auto by = timeout.count() <= 0 ? Clock::time_point::max() - std::chrono::hours(24) : Clock::now() + timeout;
  std::string payload(1, static_cast<char>(Op::Check));
  for (const auto& k : keys) putString(payload, k);
  for (;;) {
    std::string present = request(payload, "checking keys");
    if (present.find('\0') == std::string::npos) return;
    if (Clock::now() >= by)
      throw Error("rank " + std::to_string(rank_) + ": rendezvous at " + where(at_) + ": keys not set within " +
                  std::to_string(timeout.count()) + " ms");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::vector<int> StoreClient::joinedRanks() {
  std::string list = request(std::string(1, static_cast<char>(Op::Joined)), "asking which ranks joined");
  std::vector<int> ranks;
  for (size_t at = 0; at + 4 <= list.size(); at += 4) ranks.push_back(static_cast<int>(getU32(list, at)));
  return ranks;
}

void StoreClient::awaitEveryRank(int worldSize) {
  const auto by = deadline();
  for (;;) {
    std::vector<int> joined = joinedRanks();
    if (static_cast<int>(joined.size()) >= worldSize) return;
    if (Clock::now() >= by) {
      std::string missing;
      int count = 0;
      for (int r = 0; r < worldSize; ++r)
        if (std::find(joined.begin(), joined.end(), r) == joined.end()) {
          missing += (missing.empty() ? "" : ", ") + std::to_string(r);
          ++count;
        }
      throw Error("rank " + std::to_string(rank_) + ": rendezvous at " + where(at_) + ": " +
                  (count == 1 ? "rank " : "ranks ") + missing + " did not join within " + seconds(timeout_) + " (" + timeoutName_ + ")");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string StoreClient::localAddress() const { return rendezvous::localAddress(fd_); }

}  // namespace shoal::dist::rendezvous
