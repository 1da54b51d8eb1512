// Moving a model's gradient buffer into a communicator's reducible memory and back.
#include "shoal/dist/shared_gradients.hpp"

#include <utility>

namespace shoal::dist {

SharedGradients::SharedGradients(Communicator& comm, nn::FlatParameters& flat) {
  float* memory = comm.reducibleMemory(flat.count());
  if (!memory) return;
  flat.placeGrads(Tensor::borrowed(Shape{flat.count()}, memory));
  flat_ = &flat;
}

SharedGradients::~SharedGradients() {
  if (flat_) flat_->placeGrads(Tensor(Shape{flat_->count()}));
}

SharedGradients::SharedGradients(SharedGradients&& other) noexcept
    : flat_(std::exchange(other.flat_, nullptr)) {}

SharedGradients& SharedGradients::operator=(SharedGradients&& other) noexcept {
  if (this != &other) {
    SharedGradients old(std::move(*this));
    flat_ = std::exchange(other.flat_, nullptr);
  }
  return *this;
}

}  // namespace shoal::dist
