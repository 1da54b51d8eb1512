// The rendezvous store rank 0 hosts: a key-value store over TCP that admits only ranks of this job.
#pragma once
#include <atomic>
#include <string>
#include <thread>

#include "hmac_sha256.hpp"

namespace shoal::dist::rendezvous {

// What every rank must agree on to be let in.
struct JobIdentity {
  std::string secret;
  int worldSize = 1;
  std::string attempt;
  Digest configHash{};
};

// Listens on host:port (port 0: any free port) and serves on its own thread with one poll loop:
// each connection has a deadline for its handshake and size limits on every message, so a peer
// that sends garbage, too much or nothing is refused or dropped while the others are served.
// Refusals are printed to stderr ("shoal: warning: rendezvous: refused ...") and sent to the peer.
class StoreServer {
 public:
  // UsageError when the address cannot be listened on (not this machine's, port taken).
  StoreServer(const std::string& host, int port, JobIdentity job, double handshakeSeconds);
  ~StoreServer();
  StoreServer(const StoreServer&) = delete;
  StoreServer& operator=(const StoreServer&) = delete;

  int port() const { return port_; }

 private:
  void serve();

  JobIdentity job_;
  double handshakeSeconds_;
  int listenFd_ = -1;
  int wakeFd_ = -1;  // an eventfd that ends the loop
  int port_ = 0;
  std::thread thread_;
};

}  // namespace shoal::dist::rendezvous
