// A rank's side of the rendezvous: the authenticated connection to the store on rank 0, usable by
// Gloo as its rendezvous::Store.
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include <gloo/rendezvous/store.h>

#include "rendezvous_server.hpp"
#include "rendezvous_socket.hpp"

namespace shoal::dist::rendezvous {

class StoreClient final : public gloo::rendezvous::Store {
 public:
  // Connects (retrying until rank 0's store is up) and introduces this rank. UsageError when the
  // store refuses it (the message says why) or cannot prove it knows the secret; shoal::Error
  // when the store cannot be reached within `timeoutSeconds` (0: forever).
  // `timeoutName` is what messages call the timeout setting.
  StoreClient(const Endpoint& at, const JobIdentity& job, int rank, double timeoutSeconds, std::string timeoutName);
  ~StoreClient() override;

  void set(const std::string& key, const std::vector<char>& data) override;
  // Waits until some rank set `key` (Gloo's full-mesh connection relies on that).
  std::vector<char> get(const std::string& key) override;
  void wait(const std::vector<std::string>& keys) override;
  void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) override;

  // Waits until every rank joined; shoal::Error naming those that did not within the timeout.
  void awaitEveryRank(int worldSize);
  // This end's address of the connection: one that the other ranks can reach.
  std::string localAddress() const;

 private:
  std::string request(const std::string& payload, const std::string& what);
  std::vector<int> joinedRanks();
  Clock::time_point deadline() const;

  Endpoint at_;
  int rank_;
  double timeout_;
  std::string timeoutName_;
  int fd_ = -1;
};

}  // namespace shoal::dist::rendezvous
