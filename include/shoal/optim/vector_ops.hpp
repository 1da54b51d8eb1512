// Vector helpers on flat parameter-sized tensors shared by L-BFGS and its line search.
#pragma once
#include "shoal/tensor/tensor.hpp"

namespace shoal::optim {

// a . b, accumulated in double; a and b have one element count.
double dot(const Tensor& a, const Tensor& b);
// max |a_i| (0 for an empty tensor).
double maxAbs(const Tensor& a);
// sum |a_i|, accumulated in double.
double sumAbs(const Tensor& a);
// y += alpha * x; x and y have one element count.
void axpy(double alpha, const Tensor& x, Tensor& y);

}  // namespace shoal::optim
