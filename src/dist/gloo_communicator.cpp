// The Gloo communicator (TCP transport), joined through the authenticated rendezvous. Like the
// Open MPI one, every collective starts with the ranks telling each other they arrived, within
// the deadline, so a stalled or dead rank ends the job with a message naming it; all-reduces and
// all-gathers of at most 256 bytes travel inside those arrival messages (one message to each
// peer, instead of an arrival and then Gloo's ring). Gloo's TCP
// transport waits on an epoll thread and condition variables: no busy-polling. When the ranks
// span several hosts with more than one rank on some (or --hierarchical on), the gradient buffer
// is reduced hierarchically: in POSIX shared memory on each host, then over a Gloo mesh of one
// leader per host, then shared back through memory.
#include <gloo/allgather.h>
#include <gloo/allgatherv.h>
#include <gloo/allreduce.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/common/error.h>
#include <gloo/math.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/file_store.h>
#include <gloo/rendezvous/prefix_store.h>
#include <gloo/transport/tcp/device.h>
#include <gloo/transport/unbound_buffer.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>

#include "rendezvous_client.hpp"
#include "rendezvous_directory.hpp"
#include "rendezvous_server.hpp"
#include "shared_memory_reducer.hpp"
#include "shoal/backend/vector_kernels.hpp"
#include "shoal/dist/connect.hpp"
#include "shoal/error.hpp"

namespace shoal::dist {
namespace {

using Clock = std::chrono::steady_clock;
using ReduceFunction = void (*)(void*, const void*, const void*, size_t);

// The slot of the arrival messages: apart from the slots of Gloo's own collectives.
constexpr uint64_t kArrivalSlot = uint64_t{0x53} << 56;
// The most bytes of values an arrival message carries: all-reduces and all-gathers this small
// travel inside it, so they take one message to every peer instead of an arrival then Gloo's
// collective (whose ring takes 2 (p - 1) steps more).
constexpr size_t kSmallBytes = 256;

// What a rank sends each peer at the start of every collective: its number, then (small
// collectives) this rank's values. Always the same size, so that a rank at a different
// collective is recognised by its number rather than by a mismatched message.
struct Arrival {
  int64_t sequence = 0;
  uint64_t kind = 0;  // which collective (a hash of its name): the ranks must agree on it too
  alignas(16) std::byte values[kSmallBytes];
};

// FNV-1a of a collective's name.
uint64_t kindOf(const char* what) {
  uint64_t h = 1469598103934665603ull;
  for (; *what; ++what) h = (h ^ static_cast<unsigned char>(*what)) * 1099511628211ull;
  return h;
}
constexpr uint64_t kProbeSlot = kArrivalSlot + 1;
// The slot of the two-rank exchange (GlooCommunicator::combineWithPartner).
constexpr uint64_t kPartnerSlot = kArrivalSlot + 2;

template <class T>
ReduceFunction reduceFunction(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return &gloo::sum<T>;
    case ReduceOp::Max: return &gloo::max<T>;
    case ReduceOp::Min: return &gloo::min<T>;
  }
  return &gloo::sum<T>;
}

// c = bf16(float(a) + float(b)): one rounding per hop of the ring.
void sumBf16(void* c, const void* a, const void* b, size_t n) {
  backend::addBf16(static_cast<const bfloat16*>(a), static_cast<const bfloat16*>(b), static_cast<bfloat16*>(c),
                   static_cast<int64_t>(n));
}

// Identifies the machine (kernel) this rank runs on: ranks with the same share its cores.
std::string machineId() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  if (in && std::getline(in, id) && !id.empty()) return id;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

// Identifies the host for the hierarchical all-reduce: the machine and its host name (simulated
// hosts are network and UTS namespaces of one kernel; containers have host names of their own).
std::string hostId() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return machineId() + "/" + host;
}

// Which ranks share this rank's host, and on a host's leader (its lowest rank) in a job that
// reduces gradients hierarchically, the leaders' own mesh.
struct HostLayout {
  std::vector<int> hostRanks;  // the job's ranks on this host, ascending
  int hosts = 1;
  bool hierarchical = false;
  std::shared_ptr<gloo::Context> leaders;  // on a leader, when hierarchical
  std::vector<int> leaderRanks;            // leader i is rank leaderRanks[i] of the job
};

std::chrono::milliseconds millis(double seconds) {
  // 0: no deadline; a year stands for forever without overflowing Gloo's deadline arithmetic
  return std::chrono::milliseconds(seconds > 0 ? static_cast<int64_t>(seconds * 1000) : int64_t{365} * 24 * 3600 * 1000);
}

class GlooCommunicator final : public Communicator {
 public:
  // `jobRanks[r]`: rank r of `context` in the job (messages name job ranks); empty: the same.
  GlooCommunicator(std::shared_ptr<gloo::Context> context, std::unique_ptr<rendezvous::StoreServer> store,
                   double timeoutSeconds, std::string timeoutName, HostLayout layout = {},
                   std::vector<int> jobRanks = {})
      : store_(std::move(store)), context_(std::move(context)), timeout_(timeoutSeconds),
        timeoutName_(std::move(timeoutName)), rank_(context_->rank), size_(context_->size),
        jobRanks_(std::move(jobRanks)), hostRanks_(std::move(layout.hostRanks)), hosts_(layout.hosts) {
    if (jobRanks_.empty())
      for (int r = 0; r < size_; ++r) jobRanks_.push_back(r);
    outbox_.assign(size_, Arrival{});
    inbox_.assign(size_, Arrival{});
    posted_.assign(size_, false);
    gatherCounts_.assign(size_, 0);
    for (int peer = 0; peer < size_; ++peer) {
      sendArrival_.push_back(context_->createUnboundBuffer(&outbox_[peer], sizeof(Arrival)));
      recvArrival_.push_back(context_->createUnboundBuffer(&inbox_[peer], sizeof(Arrival)));
    }
    const int64_t here = static_cast<int64_t>(std::hash<std::string>{}(machineId()));
    for (int64_t other : allGather(here)) localSize_ += other == here;
    if (layout.hierarchical) {
      // one name for this job's shared-memory objects: rank 0's random tag
      std::random_device random;
      const uint64_t mine = uint64_t{random()} << 32 | random();
      const uint64_t tag = static_cast<uint64_t>(allGather(static_cast<int64_t>(mine))[0]);
      sharedMemory_ = SharedMemoryReducer::create(posixSharedSegments(*this, hostRanks_, tag));
      if (sharedMemory_ && layout.leaders)
        leaders_ = std::make_unique<GlooCommunicator>(layout.leaders, nullptr, timeout_ * kLeaderPatience,
                                                      timeoutName_, HostLayout{}, layout.leaderRanks);
    }
    stats_ = CommStats{};
  }

  float* reducibleMemory(int64_t count) override {
    return sharedMemory_ ? sharedMemory_->buffer(count) : nullptr;  // agreed over the job
  }

  std::string gradientRoute() const override {
    if (sharedMemory_)
      return "hierarchical: shared memory within each of " + std::to_string(hosts_) +
             " hosts, Gloo between one leader per host";
    return size_ > 1 ? "Gloo messages" : "";
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int localSize() const override { return localSize_; }

  void allReduce(std::span<float> data, ReduceOp op) override {
    if (sharedMemory_ && op == ReduceOp::Sum && sharedMemory_->holds(data)) return reduceAcrossHosts(data);
    reduce(data.data(), data.size(), reduceFunction<float>(op), op == ReduceOp::Sum, "an all-reduce of floats");
  }

  void allReduce(std::span<double> data, ReduceOp op) override {
    reduce(data.data(), data.size(), reduceFunction<double>(op), op == ReduceOp::Sum, "an all-reduce of doubles");
  }

  void allReduceBf16(std::span<bfloat16> data) override {
    reduce(data.data(), data.size(), &sumBf16, /*commutative=*/true, "an all-reduce of bf16 values");
  }

  void broadcast(std::span<float> data, int root) override {
    run("a broadcast of floats", data.size(), rank_ == root ? data.size_bytes() : 0, [&] {
      if (data.empty()) return;
      gloo::BroadcastOptions opts(context_);
      opts.setOutput(data.data(), data.size());
      opts.setRoot(root);
      opts.setTimeout(millis(timeout_));
      gloo::broadcast(opts);
    });
  }

  std::vector<int64_t> allGather(int64_t value) override {
    std::vector<int64_t> all(size_);
    run("an all-gather of values", 1, static_cast<double>(sizeof value) * (size_ - 1),
        [&] { gatherArrivedValue(value, all); }, std::as_bytes(std::span<const int64_t>(&value, 1)));
    return all;
  }

  void allGatherBytesInto(std::span<const std::byte> data, std::span<std::byte> gathered,
                          std::span<int64_t> lengths) override {
    requireOneLengthPerRank(lengths);
    const int64_t length = static_cast<int64_t>(data.size());
    int64_t total = 0;
    run("an all-gather of bytes", data.size(), static_cast<double>(data.size()) * (size_ - 1), [&] {
      gatherArrivedValue(length, lengths);  // the lengths came with the arrival
      for (int q = 0; q < size_; ++q) {
        gatherCounts_[q] = static_cast<size_t>(lengths[q]);
        total += lengths[q];
      }
      // every rank sees the same lengths: all gather, or all refuse after the collective
      if (total == 0 || total > static_cast<int64_t>(gathered.size())) return;
      gloo::AllgathervOptions opts(context_);
      // Gloo reads the input only; its API takes a non-const pointer
      opts.setInput(const_cast<std::byte*>(data.data()), data.size());
      opts.setOutput(gathered.data(), gatherCounts_);
      opts.setTimeout(millis(timeout_));
      gloo::allgatherv(opts);
    }, std::as_bytes(std::span<const int64_t>(&length, 1)));
    requireRoom(lengths, gathered.size());
  }

  void barrier() override {
    run("a barrier", 0, 0, [] {});  // the arrival is the barrier
  }

  [[noreturn]] void abort(int exitCode) override {
    // The other ranks see this process's connections close and end within their timeout.
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(exitCode);
  }

 private:
  double ringBytes(size_t bytes) const { return 2.0 * (size_ - 1) / size_ * static_cast<double>(bytes); }

  // An all-reduce inside the arrival messages: every rank combines every rank's values in rank
  // order, so every rank gets the same bits (bf16: rounded once per addition, as per hop).
  template <class T>
  void reduceSmall(T* data, size_t count, ReduceFunction fn, const char* what) {
    const size_t bytes = count * sizeof(T);
    run(what, count, static_cast<double>(bytes) * (size_ - 1), [&] {
      if (size_ == 1 || count == 0) return;
      // this rank's values go to their place in the order; the others' come from the inbox
      alignas(16) std::byte mine[kSmallBytes];
      std::memcpy(mine, data, bytes);
      auto valuesOf = [&](int q) -> const void* { return q == rank_ ? mine : inbox_[q].values; };
      std::memcpy(data, valuesOf(0), bytes);
      for (int q = 1; q < size_; ++q) fn(data, data, valuesOf(q), count);
    }, std::as_bytes(std::span<const T>(data, count)));
  }

  // The sum of a range of the gradient buffer over all ranks: summed within the host through
  // shared memory, then over the hosts by their leaders (identical bits on every leader), then
  // copied from the leader's buffer by the host's other ranks.
  void reduceAcrossHosts(std::span<float> data) {
    const char* what = "an all-reduce of floats";
    const size_t n = data.size();
    const double local = (hostRanks_.size() - 1.0) / hostRanks_.size() * static_cast<double>(data.size_bytes());
    const double across = leaders_ ? 2.0 * (hosts_ - 1) / hosts_ * static_cast<double>(data.size_bytes()) : 0;
    const auto begin = Clock::now();
    ++sequence_;
    awaitShared(what, n, begin);
    const auto everyone = Clock::now();
    sharedMemory_->sumSlice(data);
    awaitShared(what, n, begin);
    if (leaders_) leaders_->allReduce(data, ReduceOp::Sum);
    // the others wait for the leader's exchange, which has its own (longer) deadline
    awaitShared(what, n, Clock::now(), 2 * kLeaderPatience);
    if (!leaders_) sharedMemory_->copyFrom(0, data);
    awaitShared(what, n, Clock::now());  // the leader's buffer is read
    const auto end = Clock::now();
    stats_.waitSeconds += std::chrono::duration<double>(everyone - begin).count();
    stats_.seconds += std::chrono::duration<double>(end - begin).count();
    stats_.bytesSent += 2 * local + across;
    ++stats_.collectives;
  }

  // Every rank's value, sent in its arrival message (this rank's is `mine`), into `all`.
  void gatherArrivedValue(int64_t mine, std::span<int64_t> all) const {
    for (int q = 0; q < size_; ++q)
      if (q == rank_) all[q] = mine;
      else std::memcpy(&all[q], inbox_[q].values, sizeof(int64_t));
  }

  // Every rank of this host arrives within `patience` x the timeout after `begin`.
  void awaitShared(const char* what, size_t count, Clock::time_point begin, double patience = 1) {
    if (!sharedMemory_->arrive(timeout_ * patience, begin))
      fail(what, count, "rank " + sharedMemory_->missingRanks(hostRanks_) + " did not arrive (stalled or dead)");
  }

  // `commutative`: fn(a, b) and fn(b, a) are the same bits (sums; not max and min, whose NaNs
  // depend on the order), so that two ranks may each combine in their own order.
  template <class T>
  void reduce(T* data, size_t count, ReduceFunction fn, bool commutative, const char* what) {
    if (count * sizeof(T) <= kSmallBytes) return reduceSmall(data, count, fn, what);
    run(what, count, ringBytes(count * sizeof(T)), [&] {
      if (count == 0 || size_ == 1) return;
      if (size_ == 2 && commutative) return combineWithPartner(data, count, fn);
      gloo::AllreduceOptions opts(context_);
      opts.setOutput(data, count);
      opts.setReduceFunction(fn);
      opts.setTimeout(millis(timeout_));
      gloo::allreduce(opts);
    });
  }

  // Two ranks: each sends its whole buffer to the other in one exchange (both directions of the
  // link busy at once, one round where Gloo's ring takes two, each a wait on its device thread)
  // and combines what it received: fn(x_0, x_1) on one rank, fn(x_1, x_0) on the other, the same
  // bits for a commutative fn. A timeout or a failed connection throws gloo::Exception (run()).
  // The Gloo buffers over `data` and the scratch are made once and kept (no allocation a step).
  template <class T>
  void combineWithPartner(T* data, size_t count, ReduceFunction fn) {
    const size_t bytes = count * sizeof(T);
    if (partnerScratch_.size() < bytes) {
      partnerScratch_.resize(bytes);
      theirs_ = context_->createUnboundBuffer(partnerScratch_.data(), bytes);
    }
    const int partner = 1 - rank_;
    gloo::transport::UnboundBuffer& mine = sendView(data, bytes);
    theirs_->recv(partner, kPartnerSlot, 0, bytes);
    mine.send(partner, kPartnerSlot);
    theirs_->waitRecv(nullptr, millis(timeout_));
    mine.waitSend(nullptr, millis(timeout_));
    fn(data, data, partnerScratch_.data(), count);
  }

  // Gloo's buffer over [data, data + bytes): one of the last kSendViews made, or a new one in
  // place of the oldest (a job reduces the same gradient buffer, or its buckets, every step).
  gloo::transport::UnboundBuffer& sendView(void* data, size_t bytes) {
    for (SendView& v : sendViews_)
      if (v.data == data && v.bytes == bytes) return *v.buffer;
    SendView& v = sendViews_.size() < kSendViews ? sendViews_.emplace_back()
                                                  : sendViews_[nextSendView_++ % kSendViews];
    v = {data, bytes, context_->createUnboundBuffer(data, bytes)};
    return *v.buffer;
  }

  // Collective number `sequence_`: the arrival exchange within the deadline (the time spent
  // waiting for slower ranks), carrying `values` (at most kSmallBytes: every peer's are in
  // inbox_ then), then `collective` with everyone present (the transfer).
  template <class Collective>
  void run(const char* what, size_t count, double bytes, Collective collective,
           std::span<const std::byte> values = {}) {
    const auto begin = Clock::now();
    ++sequence_;
    if (size_ > 1) arrive(what, count, begin, values);
    const auto everyone = Clock::now();
    try {
      collective();
    } catch (const gloo::Exception& e) {
      fail(what, count, interrupted(e.what()));
    }
    const auto end = Clock::now();
    stats_.waitSeconds += std::chrono::duration<double>(everyone - begin).count();
    stats_.seconds += std::chrono::duration<double>(end - begin).count();
    stats_.bytesSent += bytes;
    ++stats_.collectives;
  }

  void arrive(const char* what, size_t count, Clock::time_point begin, std::span<const std::byte> values) {
    std::string missing, gone, disordered;
    auto add = [this](std::string& list, int peer) {
      list += (list.empty() ? "" : ", ") + std::to_string(jobRanks_[peer]);
    };
    std::fill(posted_.begin(), posted_.end(), false);
    const uint64_t kind = kindOf(what);
    for (int peer = 0; peer < size_; ++peer) {
      if (peer == rank_) continue;
      outbox_[peer].sequence = sequence_;
      outbox_[peer].kind = kind;
      std::copy(values.begin(), values.end(), outbox_[peer].values);
      try {  // a connection that already failed throws here
        recvArrival_[peer]->recv(peer, kArrivalSlot);
        sendArrival_[peer]->send(peer, kArrivalSlot);
        posted_[peer] = true;
      } catch (const gloo::Exception&) {
        add(gone, peer);
      }
    }
    const auto deadline = begin + millis(timeout_);
    for (int peer = 0; peer < size_; ++peer) {
      if (peer == rank_ || !posted_[peer]) continue;
      const auto left = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
                                 std::chrono::milliseconds(1));
      try {
        recvArrival_[peer]->waitRecv(left);
        if (inbox_[peer].sequence != sequence_ || inbox_[peer].kind != kind) add(disordered, peer);
      } catch (const gloo::Exception& e) {
        add(std::string(e.what()).find("Timed out") != std::string::npos ? missing : gone, peer);
      }
    }
    for (int peer = 0; peer < size_ && missing.empty() && gone.empty(); ++peer) {
      if (peer == rank_ || !posted_[peer]) continue;
      try {
        sendArrival_[peer]->waitSend(millis(timeout_));
      } catch (const gloo::Exception&) {
        add(gone, peer);
      }
    }
    std::string cause;
    if (!missing.empty()) cause = "rank " + missing + " did not arrive (stalled or dead)";
    if (!gone.empty())
      cause += (cause.empty() ? "" : "; ") + std::string("rank ") + gone +
               " closed its connection (it ended, or its host is unreachable)";
    if (!disordered.empty())
      cause += (cause.empty() ? "" : "; ") + std::string("rank ") + disordered +
               " is at a different collective (the ranks called collectives in different orders)";
    if (!cause.empty()) fail(what, count, cause);
  }

  // Why a collective that every rank arrived at did not complete, from Gloo's message (which
  // names an address at most): a peer stopped responding (the timeout; named when there is only
  // one peer) or a connection failed (those peers named: posting on a failed one throws at once).
  std::string interrupted(const std::string& glooMessage) {
    if (glooMessage.find("Timed out") != std::string::npos)
      return (size_ == 2 ? "rank " + std::to_string(jobRanks_[1 - rank_]) : std::string("a rank")) +
             " stopped responding during it (stalled or dead): " + glooMessage;
    return "it did not complete" + closedPeers() + ": " + glooMessage;
  }

  // " (rank 1 closed its connection ...)" for the peers whose connection failed.
  std::string closedPeers() {
    std::string gone;
    for (int peer = 0; peer < size_; ++peer) {
      if (peer == rank_) continue;
      try {
        auto probe = context_->createUnboundBuffer(&outbox_[peer].sequence, sizeof(int64_t));
        probe->send(peer, kProbeSlot);
      } catch (const gloo::Exception&) {
        gone += (gone.empty() ? "" : ", ") + std::to_string(jobRanks_[peer]);
      }
    }
    return gone.empty() ? "" : " (rank " + gone + " closed its connection: it ended, or its host is unreachable)";
  }

  [[noreturn]] void fail(const char* what, size_t count, const std::string& cause) {
    std::fprintf(stderr,
                 "shoal: error: rank %d: waited %g s (%s) for the other ranks at collective #%lld (%s, %zu "
                 "values): %s\n",
                 jobRanks_[rank_], timeout_, timeoutName_.c_str(), static_cast<long long>(sequence_), what, count,
                 cause.c_str());
    abort(1);
  }

  // The leaders' deadline, as a multiple of the timeout: a host's own ranks name a stalled rank first.
  static constexpr double kLeaderPatience = 1.25;

  std::unique_ptr<rendezvous::StoreServer> store_;  // on rank 0: refuses late and stray connections
  std::shared_ptr<gloo::Context> context_;
  double timeout_;
  std::string timeoutName_;
  int rank_, size_, localSize_ = 0;
  int64_t sequence_ = 0;
  std::vector<Arrival> outbox_, inbox_;  // per peer: the arrival message sent and received
  std::vector<bool> posted_;              // per peer: this collective's arrival was posted
  // two ranks (combineWithPartner): the partner's buffer, Gloo's buffer over it, and over the sent ones
  std::vector<std::byte> partnerScratch_;
  std::unique_ptr<gloo::transport::UnboundBuffer> theirs_;
  struct SendView {
    void* data = nullptr;
    size_t bytes = 0;
    std::unique_ptr<gloo::transport::UnboundBuffer> buffer;
  };
  static constexpr size_t kSendViews = 32;
  std::vector<SendView> sendViews_;
  size_t nextSendView_ = 0;
  std::vector<size_t> gatherCounts_;  // an all-gather of bytes: every rank's length, as Gloo takes it
  std::vector<int> jobRanks_;   // rank r of this communicator is rank jobRanks_[r] of the job
  std::vector<int> hostRanks_;  // hierarchical: the job's ranks on this host
  int hosts_ = 1;
  // hierarchical: the gradient buffer in shared memory on each host; on a host's leader, the leaders
  std::unique_ptr<SharedMemoryReducer> sharedMemory_;
  std::unique_ptr<Communicator> leaders_;
  std::vector<std::unique_ptr<gloo::transport::UnboundBuffer>> sendArrival_, recvArrival_;
};

rendezvous::JobIdentity identity(const ConnectOptions& o) {
  return {o.jobSecret, o.worldSize, o.attempt, sha256(o.configuration)};
}

// Gloo's full mesh of `size` ranks over `store`, listening on `address` (one peers can reach).
std::shared_ptr<gloo::Context> connectMesh(gloo::rendezvous::Store& store, const std::string& address, int rank,
                                           int size, const ConnectOptions& o) {
  gloo::transport::tcp::attr attr;
  attr.hostname = address;
  auto device = gloo::transport::tcp::CreateDevice(attr);
  auto context = std::make_shared<gloo::rendezvous::Context>(rank, size);
  context->setTimeout(millis(o.timeoutSeconds));
  try {
    context->connectFullMesh(store, device);
  } catch (const gloo::Exception& e) {
    throw Error("rank " + std::to_string(o.rank) + ": connecting to the other ranks over TCP failed: " + e.what());
  }
  return context;
}

// The hosts of the job's ranks (gathered over `context`) and whether gradients go hierarchically:
// with shared memory allowed, several hosts, and --hierarchical on or (auto) a host with more
// than one rank; then the hosts' leaders connect a mesh of their own through `store`.
HostLayout layOutHosts(const std::shared_ptr<gloo::Context>& context, gloo::rendezvous::Store& store,
                       const std::string& address, const ConnectOptions& o) {
  std::vector<int64_t> hostOf(static_cast<size_t>(context->size));
  int64_t here = static_cast<int64_t>(std::hash<std::string>{}(hostId()));
  gloo::AllgatherOptions opts(context);
  opts.setInput(&here, 1);
  opts.setOutput(hostOf.data(), hostOf.size());
  opts.setTimeout(millis(o.timeoutSeconds));
  gloo::allgather(opts);
  HostLayout layout;
  std::vector<int64_t> seen;
  for (int r = 0; r < context->size; ++r) {
    if (std::find(seen.begin(), seen.end(), hostOf[r]) == seen.end()) {
      seen.push_back(hostOf[r]);
      layout.leaderRanks.push_back(r);  // a host's lowest rank leads it
    }
    if (hostOf[r] == here) layout.hostRanks.push_back(r);
  }
  layout.hosts = static_cast<int>(seen.size());
  layout.hierarchical = o.sharedMemory && layout.hosts > 1 &&
                        (o.hierarchy == Hierarchy::On || (o.hierarchy == Hierarchy::Auto && layout.hosts < context->size));
  if (!layout.hierarchical) return layout;
  const auto leader = std::find(layout.leaderRanks.begin(), layout.leaderRanks.end(), context->rank);
  if (leader != layout.leaderRanks.end()) {
    gloo::rendezvous::PrefixStore leadersStore("leaders", store);
    layout.leaders = connectMesh(leadersStore, address, static_cast<int>(leader - layout.leaderRanks.begin()),
                                 layout.hosts, o);
  }
  return layout;
}

}  // namespace

std::unique_ptr<Communicator> connectGloo(const ConnectOptions& o) {
  // Gloo writes to its peers' sockets without MSG_NOSIGNAL: once a peer has died, the write's
  // SIGPIPE would end this process without a word. Ignored, the write fails and the error names
  // the rank (a handler the program installed itself is left alone).
  struct sigaction pipe {};
  if (::sigaction(SIGPIPE, nullptr, &pipe) == 0 && pipe.sa_handler == SIG_DFL) std::signal(SIGPIPE, SIG_IGN);
  const rendezvous::JobIdentity job = identity(o);
  const std::string prefix = "attempt-" + o.attempt;  // each attempt of the job has its own keys
  const char* hostOverride = std::getenv("SHOAL_GLOO_HOST");
  std::shared_ptr<gloo::Context> context;
  std::unique_ptr<rendezvous::StoreServer> server;
  HostLayout layout;
  if (o.rendezvous.rfind("file:", 0) == 0) {
    const std::string dir = rendezvous::joinThroughDirectory(o.rendezvous.substr(5), job, o.rank, o.timeoutSeconds,
                                                             o.timeoutName);
    gloo::rendezvous::FileStore store(dir);
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    const std::string address = hostOverride ? hostOverride : host;
    context = connectMesh(store, address, o.rank, o.worldSize, o);
    layout = layOutHosts(context, store, address, o);
  } else {
    const auto at = rendezvous::parseEndpoint(o.rendezvous, "dist.rendezvous");
    if (o.rank == 0) server = std::make_unique<rendezvous::StoreServer>(at.host, at.port, job, std::min(o.timeoutSeconds > 0 ? o.timeoutSeconds : 10.0, 10.0));
    rendezvous::StoreClient client(at, job, o.rank, o.timeoutSeconds, o.timeoutName);
    client.awaitEveryRank(o.worldSize);
    gloo::rendezvous::PrefixStore store(prefix, client);
    const std::string address = hostOverride ? hostOverride : client.localAddress();
    context = connectMesh(store, address, o.rank, o.worldSize, o);
    layout = layOutHosts(context, store, address, o);
    // Everyone is through the rendezvous before rank 0's store may go.
    gloo::BarrierOptions opts(context);
    opts.setTimeout(millis(o.timeoutSeconds));
    gloo::barrier(opts);
  }
  return std::make_unique<GlooCommunicator>(std::move(context), std::move(server), o.timeoutSeconds, o.timeoutName,
                                            std::move(layout));
}

}  // namespace shoal::dist
