// Reads a CSV file as a typed table (each MPI rank its byte range) and prints rows/s, the encoded size and peak memory.
#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "shoal/data/table_reader.hpp"
#include "shoal/dist/communicator.hpp"

// CPU seconds of this process so far (all its threads, user and system): on a loaded machine
// this shows the work of each step where wall time also counts the waits for a core.
double processCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// usage: bench_table_read FILE.csv LABEL_COLUMN [THREADS]
int main(int argc, char** argv) {
  using namespace shoal;
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_table_read FILE.csv LABEL_COLUMN [THREADS]\n");
    return 2;
  }
  auto comm = dist::connect(600);
  data::TableOptions o;
  o.labelColumn = argv[2];
  o.threads = argc > 3 ? std::stoi(argv[3]) : 0;
  const auto start = std::chrono::steady_clock::now();
  const data::TableLayout layout = data::inspectTable(argv[1], o);
  data::RawTable raw = data::readTableRows(layout, o, nullptr, *comm);
  auto since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  };
  const double parsed = since(start), parseCpu = processCpuSeconds();
  const auto fitStart = std::chrono::steady_clock::now();
  const data::TableSchema schema = data::fitTableSchema(raw, layout, o, *comm);
  data::mapToSchema(raw, layout, schema);
  const double fitted = since(fitStart), fitCpu = processCpuSeconds() - parseCpu;
  const auto encodeStart = std::chrono::steady_clock::now();
  const data::Dataset set = data::encodeTable(std::move(raw), layout, schema);
  const double encoded = since(encodeStart), encodeCpu = processCpuSeconds() - parseCpu - fitCpu;
  comm->barrier();
  const double seconds = since(start);
  const int64_t rows = set.size();
  std::vector<int64_t> all = comm->allGather(rows);
  int64_t total = 0;
  for (int64_t r : all) total += r;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double encodedMiB = static_cast<double>(rows) * (schema.width() * 4 + 4) / (1 << 20);
  std::printf("rank %d/%d: %lld rows (of %lld) in %.3f s (parse %.3f s, fit %.3f s, encode %.3f s; CPU %.3f, %.3f, %.3f s): %.0f rows/s per rank, %.0f rows/s all ranks; "
              "encoded %.1f MiB (width %lld), peak RSS %.1f MiB (%.2fx the encoded rows)\n",
              comm->rank(), comm->size(), static_cast<long long>(rows), static_cast<long long>(total), seconds, parsed, fitted, encoded, parseCpu, fitCpu, encodeCpu,
              rows / seconds, total / seconds, encodedMiB, static_cast<long long>(schema.width()),
              usage.ru_maxrss / 1024.0, usage.ru_maxrss / 1024.0 / encodedMiB);
  return 0;
}
