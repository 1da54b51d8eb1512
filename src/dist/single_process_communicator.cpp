// The communicator of a job with one process: every collective leaves its input as it is.
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
  void broadcast(std::span<float>, int) override {}
  std::vector<int64_t> allGather(int64_t value) override { return {value}; }
  std::vector<std::string> allGatherBytes(const std::string& bytes) override { return {bytes}; }
  void barrier() override {}
  [[noreturn]] void abort(int exitCode) override { std::exit(exitCode); }
};

}  // namespace

std::unique_ptr<Communicator> singleProcess() {
  return std::make_unique<SingleProcessCommunicator>();
}

}  // namespace shoal::dist
