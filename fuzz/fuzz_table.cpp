// libFuzzer target: the typed table reader (inference, parsing, fitting, encoding, reading again with the schema).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "input_file.hpp"
#include "shoal/data/table_reader.hpp"
#include "shoal/error.hpp"

// Input: one options byte, then the file. Bits 0-1 pick the label column ("0", "1", "y", "3"),
// bit 2 reads type errors as missing, bit 3 imputes medians, bit 4 caps categories at 3,
// bit 5 infers types from 2 rows, bit 6 embeds every categorical column, bit 7 uses 3 threads.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shoal;
  static fuzz::FuzzInputFile file("table");
  if (size < 1) return 0;
  static const char* const kLabels[] = {"0", "1", "y", "3"};
  data::TableOptions o;
  o.labelColumn = kLabels[data[0] & 3];
  o.typeErrorsAsMissing = (data[0] & 4) != 0;
  o.impute = (data[0] & 8) ? "median" : "mean";
  o.maxCategories = (data[0] & 16) ? 3 : 100000;
  o.inferRows = (data[0] & 32) ? 2 : 1000;
  o.embedThreshold = (data[0] & 64) ? 1 : 16;
  o.threads = (data[0] & 128) ? 3 : 1;
  const std::string& path = file.write(data + 1, size - 1);
  auto single = dist::singleProcess();
  try {
    const data::TableLayout layout = data::inspectTable(path, o);
    data::RawTable raw = data::readTableRows(layout, o, nullptr, *single);
    const data::TableSchema schema = data::fitTableSchema(raw, layout, o, *single);
    data::mapToSchema(raw, layout, schema);
    const data::Dataset set = data::encodeTable(raw, layout, schema);
    // Accepted: every value finite, every label a class, every embedded code inside its table.
    if (set.size() != raw.rows || set.sampleShape()[0] != schema.width()) __builtin_trap();
    const auto* values = static_cast<const float*>(set.sampleMemory());
    for (int64_t i = 0; i < set.size() * schema.width(); ++i)
      if (!std::isfinite(values[i])) __builtin_trap();
    for (int32_t label : set.labels())
      if (label < 0 || label >= schema.classes) __builtin_trap();
    if (data::TableSchema::fromJson(schema.toJson(), "fuzz").toJson() != schema.toJson()) __builtin_trap();
    // The same file read with its own schema encodes to the same rows.
    const data::TableLayout again = data::inspectTable(path, schema, true);
    const data::Dataset second = data::encodeTable(data::readTableRows(again, o, &schema, *single), again, schema);
    if (second.size() != set.size()) __builtin_trap();
    const auto* other = static_cast<const float*>(second.sampleMemory());
    for (int64_t i = 0; i < set.size() * schema.width(); ++i)
      if (other[i] != values[i]) __builtin_trap();
  } catch (const Error&) {
  }
  return 0;
}
