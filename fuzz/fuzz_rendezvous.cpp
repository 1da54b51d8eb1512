// libFuzzer target: bytes sent to the rendezvous store, before the handshake (a stranger) or after
// a valid one (an admitted rank's requests); the store must answer or close, never hang or crash.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "dist/rendezvous_protocol.hpp"
#include "dist/rendezvous_server.hpp"
#include "dist/rendezvous_socket.hpp"

namespace rv = shoal::dist::rendezvous;

// Input: one mode byte (bit 0: handshake first as the next unused rank), then the bytes to send.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const rv::JobIdentity job{"fuzz-secret", 1 << 20, "0", shoal::dist::sha256("fuzz")};
  static rv::StoreServer store("127.0.0.1", 0, job, 1.0);
  static int32_t nextRank = 0;
  if (size < 1) return 0;
  const auto deadline = rv::Clock::now() + std::chrono::seconds(3);
  int fd = rv::connectBy({"127.0.0.1", store.port()}, deadline);
  if (fd < 0) __builtin_trap();  // the store stopped accepting
  auto greeting = rv::recvExactlyBy(fd, rv::kGreeting.size() + rv::kNonceBytes, deadline);
  if (!greeting) __builtin_trap();
  if (data[0] & 1) {
    rv::Hello hello{nextRank++, job.worldSize, job.attempt, job.configHash, rv::randomNonce()};
    rv::sendAllBy(fd, rv::frame(rv::encodeHello(hello, job.secret, greeting->substr(rv::kGreeting.size()))), deadline);
    auto length = rv::recvExactlyBy(fd, 4, deadline);
    if (!length || !rv::recvExactlyBy(fd, rv::getU32(*length, 0), deadline)) __builtin_trap();  // no verdict
  }
  rv::sendAllBy(fd, std::string(reinterpret_cast<const char*>(data + 1), size - 1), deadline);
  ::shutdown(fd, SHUT_WR);
  // The store answers what it can and closes once this side has closed: reading ends by the deadline.
  char sink[4096];
  for (;;) {
    if (rv::Clock::now() >= deadline) __builtin_trap();  // the store neither answered nor closed
    pollfd ready{fd, POLLIN, 0};
    if (::poll(&ready, 1, 100) <= 0) continue;
    if (::recv(fd, sink, sizeof sink, 0) <= 0) break;
  }
  ::close(fd);
  return 0;
}
