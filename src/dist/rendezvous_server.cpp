// The rendezvous store on rank 0: one poll loop serves every connection, so a peer that sends
// garbage, too much or nothing never holds up the others; each is refused with its reason.
#include "rendezvous_server.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <map>
#include <optional>
#include <vector>

#include "rendezvous_protocol.hpp"
#include "rendezvous_socket.hpp"

namespace shoal::dist::rendezvous {
namespace {

constexpr size_t kMaxConnections = 256;

struct Connection {
  int fd = -1;
  std::string peer;  // address:port
  std::string in, out;
  bool admitted = false;  // past the handshake
  bool closeWhenSent = false;
  Clock::time_point deadline;  // for the handshake
  std::string storeNonce;
  int rank = -1;
  std::optional<std::string> waitingFor;  // a Get's key not yet set
};

std::string shortHash(const Digest& d) { return toHex(d).substr(0, 12); }

void warn(const std::string& what) {
  std::fprintf(stderr, "shoal: warning: rendezvous: %s\n", what.c_str());
  std::fflush(stderr);
}

// The store's state and what it does with each message; the loop below does the I/O.
class Store {
 public:
  explicit Store(const JobIdentity& job) : job_(job) {}

  void admitOrRefuse(Connection& c, std::string_view frameBytes) {
    bool macOk = false;
    auto hello = decodeHello(frameBytes, job_.secret, c.storeNonce, macOk);
    if (!hello) {
      warn("refused " + c.peer + ": not a shoal rendezvous handshake");
      c.closeWhenSent = true;
      return;
    }
    std::string refusal = reasonToRefuse(*hello, macOk);
    const std::string who = "rank " + std::to_string(hello->rank) + " at " + c.peer;
    if (!refusal.empty()) {
      warn("refused " + (macOk ? who : c.peer) + ": " + refusal);
      c.out += frame(encodeReply(false, refusal, job_.secret, hello->clientNonce));
      c.closeWhenSent = true;
      return;
    }
    joined_[hello->rank] = c.peer;
    c.rank = hello->rank;
    c.admitted = true;
    c.out += frame(encodeReply(true, "rank " + std::to_string(hello->rank) + " joined", job_.secret,
                               hello->clientNonce));
  }

  // False when the request is malformed (the connection is then closed).
  bool serve(Connection& c, std::string_view request, std::vector<Connection>& all) {
    if (request.empty() || c.waitingFor) return false;
    size_t at = 1;
    switch (static_cast<Op>(request[0])) {
      case Op::Set: {
        auto key = takeString(request, at);
        auto value = takeString(request, at);
        if (!key || !value || at != request.size()) return false;
        values_[*key] = *value;
        c.out += frame("");
        for (Connection& other : all)
          if (other.waitingFor == *key) {
            other.out += frame(*value);
            other.waitingFor.reset();
          }
        return true;
      }
      case Op::Get: {
        auto key = takeString(request, at);
        if (!key || at != request.size()) return false;
        if (auto it = values_.find(*key); it != values_.end()) c.out += frame(it->second);
        else c.waitingFor = *key;
        return true;
      }
      case Op::Check: {
        std::string present;
        while (at < request.size()) {
          auto key = takeString(request, at);
          if (!key) return false;
          present += values_.count(*key) ? '\1' : '\0';
        }
        c.out += frame(present);
        return true;
      }
      case Op::Joined: {
        if (at != request.size()) return false;
        std::string ranks;
        for (const auto& [rank, peer] : joined_) putU32(ranks, static_cast<uint32_t>(rank));
        c.out += frame(ranks);
        return true;
      }
    }
    return false;
  }

 private:
  // Empty when the hello is from a rank of this job that has not joined yet.
  std::string reasonToRefuse(const Hello& h, bool macOk) const {
    if (!macOk) return "wrong job secret (its handshake was not signed with this job's secret)";
    if (h.attempt != job_.attempt)
      return "it is from attempt \"" + h.attempt + "\" of the job, this store serves attempt \"" + job_.attempt + "\"";
    if (h.worldSize != job_.worldSize)
      return "wrong world size: it says " + std::to_string(h.worldSize) + ", the job has " +
             std::to_string(job_.worldSize) + " ranks";
    if (h.rank < 0 || h.rank >= job_.worldSize)
      return "rank " + std::to_string(h.rank) + " is out of range (the job's ranks are 0-" +
             std::to_string(job_.worldSize - 1) + ")";
    if (!sameDigest(h.configHash, job_.configHash))
      return "its run configuration differs from rank 0's (configuration hash " + shortHash(h.configHash) +
             " against " + shortHash(job_.configHash) +
             "): the model, optimiser, batch, seed and strategy must agree";
    if (auto it = joined_.find(h.rank); it != joined_.end())
      return "duplicate rank: rank " + std::to_string(h.rank) + " already joined from " + it->second;
    return "";
  }

  const JobIdentity& job_;
  std::map<std::string, std::string> values_;
  std::map<int, std::string> joined_;  // rank -> its address
};

// Reads what is there; false when the peer closed or failed.
bool readAvailable(Connection& c) {
  char buffer[65536];
  for (;;) {
    ssize_t n = ::recv(c.fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) {
      c.in.append(buffer, static_cast<size_t>(n));
      if (c.in.size() > kMaxFrameBytes + 4) return true;  // the frame check below refuses it
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

// Writes what the socket takes now; false when the peer is gone.
bool writeAvailable(Connection& c) {
  while (!c.out.empty()) {
    ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      c.out.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
  return true;
}

// Handles the complete frames in c.in; false when the connection must close now.
bool handleFrames(Connection& c, Store& store, std::vector<Connection>& all) {
  while (c.in.size() >= 4 && !c.closeWhenSent) {
    const uint32_t length = getU32(c.in, 0);
    const uint32_t limit = c.admitted ? kMaxFrameBytes : kMaxHelloBytes;
    if (length > limit) {
      warn("refused " + c.peer + (c.admitted ? " (rank " + std::to_string(c.rank) + ")" : "") + ": a message of " +
           std::to_string(length) + " bytes is over the limit of " + std::to_string(limit) +
           (c.admitted ? "" : " (not a shoal rendezvous handshake)"));
      return false;
    }
    if (c.in.size() < 4 + length) break;
    const std::string body = c.in.substr(4, length);
    c.in.erase(0, 4 + length);
    if (!c.admitted) {
      store.admitOrRefuse(c, body);
    } else if (!store.serve(c, body, all)) {
      warn("closed the connection of rank " + std::to_string(c.rank) + " at " + c.peer + ": a malformed request");
      return false;
    }
  }
  return true;
}

}  // namespace

StoreServer::StoreServer(const std::string& host, int port, JobIdentity job, double handshakeSeconds)
    : job_(std::move(job)), handshakeSeconds_(handshakeSeconds) {
  listenFd_ = listenOn(host, port);
  port_ = boundPort(listenFd_);
  wakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] { serve(); });
}

StoreServer::~StoreServer() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wakeFd_, &one, sizeof one);
  thread_.join();
  ::close(wakeFd_);
  ::close(listenFd_);
}

void StoreServer::serve() {
  Store store(job_);
  std::vector<Connection> connections;
  const auto handshakeTime = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(handshakeSeconds_));
  for (;;) {
    std::vector<pollfd> polled{{wakeFd_, POLLIN, 0}, {listenFd_, POLLIN, 0}};
    auto next = Clock::now() + std::chrono::seconds(1);
    for (const Connection& c : connections) {
      polled.push_back({c.fd, static_cast<short>(POLLIN | (c.out.empty() ? 0 : POLLOUT)), 0});
      if (!c.admitted) next = std::min(next, c.deadline);
    }
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count();
    if (::poll(polled.data(), polled.size(), static_cast<int>(std::max<long long>(wait, 0) + 1)) < 0 && errno != EINTR)
      return;
    if (polled[0].revents) return;
    std::vector<bool> keep(connections.size(), true);
    for (size_t i = 0; i < connections.size(); ++i) {
      Connection& c = connections[i];
      const short events = polled[i + 2].revents;
      if (events & (POLLIN | POLLHUP | POLLERR)) {
        if (!readAvailable(c) || !handleFrames(c, store, connections)) keep[i] = false;
      }
      if (keep[i] && !writeAvailable(c)) keep[i] = false;
      if (keep[i] && c.closeWhenSent && c.out.empty()) keep[i] = false;
      if (keep[i] && !c.admitted && !c.closeWhenSent && Clock::now() >= c.deadline) {
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%g s", handshakeSeconds_);
        warn("dropped " + c.peer + ": no handshake within " + seconds + " (a half-open connection or not a shoal rank)");
        keep[i] = false;
      }
    }
    // Writes queued for other connections (a Set answering Gets) go out on the next turn.
    for (size_t i = connections.size(); i-- > 0;)
      if (!keep[i]) {
        ::close(connections[i].fd);
        connections.erase(connections.begin() + static_cast<long>(i));
      }
    if (polled[1].revents & POLLIN) {
      for (;;) {
        int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;
        if (connections.size() >= kMaxConnections) {
          warn("refused " + peerAddress(fd) + ": too many open connections");
          ::close(fd);
          continue;
        }
        Connection c;
        c.fd = fd;
        c.peer = peerAddress(fd);
        c.storeNonce = randomNonce();
        c.out = std::string(kGreeting) + c.storeNonce;
        c.deadline = Clock::now() + handshakeTime;
        connections.push_back(std::move(c));
      }
    }
  }
}

}  // namespace shoal::dist::rendezvous
