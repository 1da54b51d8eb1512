// Typed tables on 2 MPI ranks: each rank reads its own byte range, and the ranks together encode exactly as 1 process does.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "shoal/data/table_reader.hpp"
#include "shoal/dist/communicator.hpp"

using namespace shoal;

namespace {

dist::Communicator& ranks() {
  static std::unique_ptr<dist::Communicator> comm = dist::connect(/*timeoutSeconds=*/60);
  return *comm;
}

struct Encoded {
  data::TableSchema schema;
  data::Dataset set;
};

Encoded encode(const std::string& path, const data::TableOptions& o, dist::Communicator& comm) {
  const data::TableLayout layout = data::inspectTable(path, o);
  data::RawTable raw = data::readTableRows(layout, o, nullptr, comm);
  Encoded e{data::fitTableSchema(raw, layout, o, comm), {}};
  data::mapToSchema(raw, layout, e.schema);
  e.set = data::encodeTable(raw, layout, e.schema);
  return e;
}

}  // namespace

TEST(TableRanks, TwoRanksEncodeIdenticallyToOne) {
  dist::Communicator& comm = ranks();
  ASSERT_EQ(comm.size(), 2);
  const std::string path = "/tmp/shoal_table_ranks_" + std::to_string(comm.allGather(::getpid())[0]) + ".csv";
  if (comm.rank() == 0) {
    std::ofstream out(path);
    out << "id,label,amount,home,city,flag\n";
    for (int i = 0; i < 2001; ++i) {
      // Categories only in the second half, quoted line breaks, missing cells, an uneven split.
      out << i << "," << (i % 3 == 0 ? "bad" : "good") << "," << (i % 11 == 0 ? "" : std::to_string(i % 97 * 1.25))
          << "," << (i < 1000 ? "rent" : i % 2 ? "own" : "\"with\nparents\"") << ",c" << (i * 7) % (i < 1000 ? 5 : 40)
          << "," << (i % 13 == 0 ? "NA" : i % 2 ? "true" : "false") << (i + 1 < 2001 ? "\n" : "");
    }
  }
  comm.barrier();
  data::TableOptions o;
  o.labelColumn = "label";
  o.ignore = {"id"};
  o.impute = "median";
  o.threads = 2;
  const Encoded share = encode(path, o, comm);
  auto single = dist::singleProcess();
  const Encoded whole = encode(path, o, *single);
  EXPECT_EQ(share.schema.toJson(), whole.schema.toJson());
  const std::vector<int64_t> rows = comm.allGather(share.set.size());
  EXPECT_EQ(rows[0] + rows[1], 2001);
  EXPECT_GT(rows[0], 500);
  EXPECT_GT(rows[1], 500);
  const int64_t first = comm.rank() == 0 ? 0 : rows[0];
  const int64_t width = whole.schema.width();
  const auto* mine = static_cast<const float*>(share.set.sampleMemory());
  const auto* all = static_cast<const float*>(whole.set.sampleMemory()) + first * width;
  EXPECT_EQ(std::vector<float>(mine, mine + share.set.size() * width), std::vector<float>(all, all + share.set.size() * width));
  EXPECT_EQ(share.set.labels(), std::vector<int32_t>(whole.set.labels().begin() + first,
                                                     whole.set.labels().begin() + first + share.set.size()));
  comm.barrier();
  if (comm.rank() == 0) std::remove(path.c_str());
}
