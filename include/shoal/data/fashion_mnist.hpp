// Fashion-MNIST: the four IDX files of Debian's dataset-fashion-mnist package as train/test sets.
#pragma once
#include <string>

#include "shoal/data/dataset.hpp"

namespace shoal::data {

struct TrainTest {
  Dataset train;
  Dataset test;
};

// $SHOAL_FASHION_MNIST_DIR when set and non-empty, else /usr/share/datasets/fashion-mnist.
std::string fashionMnistDir();
// The 60,000 training and 10,000 test images (uint8 {1, 28, 28}, 10 classes, pixel scale)
// from train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and
// t10k-labels-idx1-ubyte.gz in `dir`. A missing directory is an InputError that says how to
// install the package.
TrainTest loadFashionMnist(const std::string& dir = fashionMnistDir());

}  // namespace shoal::data
