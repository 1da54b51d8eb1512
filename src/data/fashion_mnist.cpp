// Fashion-MNIST loading: locating the Debian data set and reading its train and test halves.
#include "shoal/data/fashion_mnist.hpp"

#include <cstdlib>
#include <filesystem>
#include <future>

#include "shoal/data/idx_reader.hpp"
#include "shoal/error.hpp"

namespace shoal::data {

std::string fashionMnistDir() {
  const char* dir = std::getenv("SHOAL_FASHION_MNIST_DIR");
  return dir && *dir ? dir : "/usr/share/datasets/fashion-mnist";
}

TrainTest loadFashionMnist(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw InputError(dir +
                     ": Fashion-MNIST directory not found; install Debian's "
                     "dataset-fashion-mnist package (apt-get install dataset-fashion-mnist) "
                     "or point SHOAL_FASHION_MNIST_DIR at a directory holding its four "
                     "idx .gz files");
  auto file = [&](const char* name) { return (std::filesystem::path(dir) / name).string(); };
  // The test half decompresses on a second thread while the training half does on this one.
  auto test = std::async(std::launch::async, [&] {
    return readIdx(file("t10k-images-idx3-ubyte.gz"), file("t10k-labels-idx1-ubyte.gz"), 10);
  });
  Dataset train =
      readIdx(file("train-images-idx3-ubyte.gz"), file("train-labels-idx1-ubyte.gz"), 10);
  return {std::move(train), test.get()};
}

}  // namespace shoal::data
