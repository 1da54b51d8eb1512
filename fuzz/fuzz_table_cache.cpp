// libFuzzer target: the table cache reader (header, sizes, checksum, schema, labels) on arbitrary files.
#include <cstddef>
#include <cstdint>
#include <string>

#include "input_file.hpp"
#include "shoal/data/table_cache.hpp"
#include "shoal/error.hpp"

// Input: the cache file. Its key must be {"fuzz": 1} (as in the seed corpus) to get past the
// staleness check into the sizes, the checksum and the rows.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shoal;
  static fuzz::FuzzInputFile file("table_cache");
  static const nlohmann::json key{{"fuzz", 1}};
  std::string why;
  try {
    auto table = data::openTableCache(file.write(data, size), key, why);
    if (!table) {
      if (why.empty()) __builtin_trap();  // a refusal always says why
      return 0;
    }
    // Accepted: the rows fit the schema, every label is a class, every value can be read.
    const int64_t width = table->schema.width();
    if (table->train.sampleShape()[0] != width) __builtin_trap();
    for (const data::Dataset* set : {&table->train, table->test ? &*table->test : nullptr}) {
      if (!set) continue;
      for (int32_t label : set->labels())
        if (label < 0 || label >= table->schema.classes) __builtin_trap();
      const auto* values = static_cast<const float*>(set->sampleMemory());
      volatile float last = 0;  // every row read: ASan sees a read past the mapped file
      for (int64_t i = 0; i < set->size() * width; ++i) last = values[i];
      (void)last;
    }
  } catch (const Error&) {
  }
  return 0;
}
