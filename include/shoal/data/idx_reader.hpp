// IDX files (the MNIST / Fashion-MNIST layout), raw or gzip-compressed, read into a Dataset.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "shoal/data/dataset.hpp"
#include "shoal/tensor/shape.hpp"

namespace shoal::data {

// IDX magic numbers: unsigned-byte items, 3 dimensions (N, H, W) for images, 1 (N) for labels.
inline constexpr uint32_t kIdxImagesMagic = 0x00000803;
inline constexpr uint32_t kIdxLabelsMagic = 0x00000801;

// The pixels of an IDX image file, N * H * W bytes; sets `sampleShape` to {1, H, W}.
// Throws InputError naming the file for a missing file, a wrong magic, implausible dimensions,
// a truncated file, trailing bytes or corrupt gzip data.
std::vector<uint8_t> readIdxImages(const std::string& path, Shape& sampleShape);
// The labels of an IDX label file, one byte per item (range not checked).
std::vector<uint8_t> readIdxLabels(const std::string& path);
// Images and labels as one Dataset of uint8 samples {1, H, W} with Preprocessing::pixelScale().
// Also throws InputError when the counts differ or a label is outside [0, numClasses).
Dataset readIdx(const std::string& imagesPath, const std::string& labelsPath, int numClasses = 10);

}  // namespace shoal::data
