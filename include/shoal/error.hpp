// Typed exceptions: every failure the library reports says where (file, line, layer) and what was expected.
#pragma once
#include <stdexcept>
#include <string>

namespace shoal {

// Base of all shoal errors; what() is one line, ready for stderr.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The caller asked for something invalid (bad flag value, bad argument combination).
class UsageError : public Error {
 public:
  using Error::Error;
};

// An input file is missing, unreadable or malformed; the message names the file and position.
class InputError : public Error {
 public:
  using Error::Error;
  // "path:line:column: what"; line/column 0 are left out.
  static InputError at(const std::string& path, long line, long column, const std::string& what);
};

// Tensor or layer shapes do not fit together; the message names the layer and both shapes.
class ShapeError : public Error {
 public:
  using Error::Error;
};

// A file could not be written (missing directory, disk full).
class OutputError : public Error {
 public:
  using Error::Error;
};

// Training produced a non-finite loss or gradient.
class DivergenceError : public Error {
 public:
  using Error::Error;
};

}  // namespace shoal
