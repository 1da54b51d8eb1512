// shoal's C++ exceptions as the Python exceptions of shoal.errors, with the library's messages.
#include <exception>

#include "bindings.hpp"
#include "shoal/error.hpp"

namespace shoal::python {
namespace {

// Raises shoal.errors.<name>(message) (with `key` for a ConfigError).
void raise(const char* name, const char* message, const std::string* key = nullptr) {
  py::object cls = py::module_::import("shoal.errors").attr(name);
  py::object error = cls(message);
  if (key) error.attr("key") = *key;
  PyErr_SetObject(cls.ptr(), error.ptr());
}

// An input error about a file that is not there (the readers say "no such file"; the model and
// JSON readers "cannot open").
bool missingFile(const std::string& message) {
  return message.find("no such file") != std::string::npos ||
         message.find("cannot open") != std::string::npos ||
         message.find("not found") != std::string::npos;
}

}  // namespace

void bindErrors(py::module_&) {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ConfigError& e) {
      raise("ConfigError", e.what(), &e.key());
    } catch (const UsageError& e) {
      raise("UsageError", e.what());
    } catch (const InputError& e) {
      raise(missingFile(e.what()) ? "InputFileNotFoundError" : "InputError", e.what());
    } catch (const ShapeError& e) {
      raise("ShapeError", e.what());
    } catch (const OutputError& e) {
      raise("OutputError", e.what());
    } catch (const DivergenceError& e) {
      raise("DivergenceError", e.what());
    } catch (const Error& e) {
      raise("ShoalError", e.what());
    }
  });
}

}  // namespace shoal::python
