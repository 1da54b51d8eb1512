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

// A run setting is invalid, alone or with another one. what() is "run config: " + message();
// message() names the settings as quoted configuration keys ("optim.lr", "dist.strategy"), so
// that a front end can put its own names for them (CLI flags, Python arguments) in their place.
class ConfigError : public UsageError {
 public:
  ConfigError(std::string key, std::string message);
  const std::string& key() const { return key_; }  // the setting at fault, e.g. "optim.lr"
  const std::string& message() const { return message_; }

 private:
  std::string key_, message_;
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
