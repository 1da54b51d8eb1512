// Small POSIX socket helpers for the rendezvous: resolving, listening, connecting and framed
// reads and writes, each bounded by a deadline.
#pragma once
#include <chrono>
#include <optional>
#include <string>

namespace shoal::dist::rendezvous {

using Clock = std::chrono::steady_clock;

// "HOST:PORT" split; UsageError naming `key` when it is not one.
struct Endpoint {
  std::string host;
  int port = 0;
};
Endpoint parseEndpoint(const std::string& text, const std::string& key);

// A listening socket on host:port (non-blocking); UsageError saying why not.
int listenOn(const std::string& host, int port);
int boundPort(int fd);
// A connected socket, retrying refused connections until `deadline` (the host may start later);
// -1 when the deadline passes.
int connectBy(const Endpoint& at, Clock::time_point deadline);
// This end's address of a connected socket, as text ("198.18.0.2").
std::string localAddress(int fd);
std::string peerAddress(int fd);

// False when the peer closed or the deadline passed first.
bool sendAllBy(int fd, const std::string& bytes, Clock::time_point deadline);
// Exactly n bytes, or nullopt (closed or deadline).
std::optional<std::string> recvExactlyBy(int fd, size_t n, Clock::time_point deadline);

}  // namespace shoal::dist::rendezvous
