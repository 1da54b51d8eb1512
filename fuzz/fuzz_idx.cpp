// libFuzzer target: the IDX readers (images, labels and the pair as a Dataset), raw and gzip.
#include <cstddef>
#include <cstdint>

#include "input_file.hpp"
#include "shoal/data/idx_reader.hpp"
#include "shoal/error.hpp"

// Input: one mode byte, then the file. Mode 0: images; 1: labels; 2: a pair, split where the
// next two bytes say (images first, labels after).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static shoal::fuzz::FuzzInputFile images("idx_images");
  static shoal::fuzz::FuzzInputFile labels("idx_labels");
  if (size < 1) return 0;
  uint8_t mode = data[0] % 3;
  ++data, --size;
  try {
    if (mode == 0) {
      shoal::Shape sampleShape;
      auto pixels = shoal::data::readIdxImages(images.write(data, size), sampleShape);
      // An accepted file holds whole images.
      int64_t pixelsPerImage = sampleShape.numel();
      if (pixelsPerImage > 0 && static_cast<int64_t>(pixels.size()) % pixelsPerImage != 0)
        __builtin_trap();
    } else if (mode == 1) {
      shoal::data::readIdxLabels(labels.write(data, size));
    } else {
      if (size < 2) return 0;
      size_t split = (data[0] | (size_t{data[1]} << 8)) % (size - 1);
      data += 2, size -= 2;
      shoal::data::Dataset set = shoal::data::readIdx(images.write(data, split),
                                                      labels.write(data + split, size - split));
      // An accepted pair has one label per image, each a valid class.
      if (static_cast<int64_t>(set.labels().size()) != set.size()) __builtin_trap();
      for (int32_t label : set.labels())
        if (label < 0 || label >= set.numClasses()) __builtin_trap();
    }
  } catch (const shoal::Error&) {
  }
  return 0;
}
