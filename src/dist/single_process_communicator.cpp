// The communicator of a job with one process: every collective leaves its input as it is.
#include <algorithm>
#include <cstdlib>

#include "shoal/dist/communicator.hpp"

namespace shoal::dist {
namespace {

class SingleProcessCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int localSize() const override { return 1; }
  void allReduce(std::span<float>, ReduceOp) override {}
  void allReduce(std::span<double>, ReduceOp) override {}
  void allReduceBf16(std::span<bfloat16>) override {}
  void allGatherBytesInto(std::span<const std::byte> data, std::span<std::byte> gathered,
                          std::span<int64_t> lengths) override {
    requireOneLengthPerRank(lengths);
    lengths[0] = static_cast<int64_t>(data.size());
    requireRoom(lengths, gathered.size());
    std::copy(data.begin(), data.end(), gathered.begin());
  }
  void broadcast(std::span<float>, int) override {}
  std::vector<int64_t> allGather(int64_t value) override { return {value}; }
  void barrier() override {}
  [[noreturn]] void abort(int exitCode) override { std::exit(exitCode); }
};

}  // namespace

std::unique_ptr<Communicator> singleProcess() {
  return std::make_unique<SingleProcessCommunicator>();
}

}  // namespace shoal::dist
