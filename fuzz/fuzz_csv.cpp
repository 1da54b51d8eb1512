// libFuzzer target: the CSV reader under label options chosen by the first input byte.
#include <cstddef>
#include <cstdint>
#include <string>

#include "input_file.hpp"
#include "shoal/data/csv_reader.hpp"
#include "shoal/error.hpp"

// Input: one options byte, then the file. Bits 0-1 pick the label column ("0", "1", "label",
// "7"), bit 2 clears hasLabel, bit 3 sets ignoreLabel, bits 4-5 pick numClasses (0, 2, 10, 1).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static shoal::fuzz::FuzzInputFile file("csv");
  if (size < 1) return 0;
  static const char* const kColumns[] = {"0", "1", "label", "7"};
  static const int kClasses[] = {0, 2, 10, 1};
  shoal::data::CsvOptions options;
  options.labelColumn = kColumns[data[0] & 3];
  options.hasLabel = (data[0] & 4) == 0;
  options.ignoreLabel = (data[0] & 8) != 0;
  options.numClasses = kClasses[(data[0] >> 4) & 3];
  try {
    shoal::data::Dataset set = shoal::data::readCsv(file.write(data + 1, size - 1), options);
    // An accepted labelled file has one valid label per row and at least one row.
    if (set.size() <= 0) __builtin_trap();
    if (set.hasLabels()) {
      if (static_cast<int64_t>(set.labels().size()) != set.size()) __builtin_trap();
      for (int32_t label : set.labels())
        if (label < 0 || label >= set.numClasses()) __builtin_trap();
    }
  } catch (const shoal::Error&) {
  }
  return 0;
}
