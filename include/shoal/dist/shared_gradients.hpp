// SharedGradients: while it lives, a model's gradient buffer sits in memory the communicator all-reduces in place.
#pragma once
#include "shoal/dist/communicator.hpp"
#include "shoal/nn/flat_parameters.hpp"

namespace shoal::dist {

// Ranks on one machine then sum gradients by loads and stores into each other's buffers, with no
// copy into or out of message buffers. Gradient values are kept on both moves.
class SharedGradients {
 public:
  SharedGradients() = default;
  // Collective. Leaves the gradients where they are when `comm` has no reducible memory.
  SharedGradients(Communicator& comm, nn::FlatParameters& flat);
  // Moves the gradients back into memory of their own.
  ~SharedGradients();
  SharedGradients(SharedGradients&& other) noexcept;
  SharedGradients& operator=(SharedGradients&& other) noexcept;

  bool active() const { return flat_ != nullptr; }

 private:
  nn::FlatParameters* flat_ = nullptr;  // null when nothing was moved
};

}  // namespace shoal::dist
