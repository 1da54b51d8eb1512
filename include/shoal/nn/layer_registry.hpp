// The layer registry: each layer registers its JSON builder and arguments where it is defined.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "shoal/nn/module.hpp"

namespace shoal::nn {

// One layer's JSON arguments with typed look-ups that name the layer and argument when they
// fail, and the per-sample shapes of its inputs (for sizes that follow from them).
class LayerArgs {
 public:
  // `location`: where the layer sits ("model.json: layer 2"); `type`: its type name.
  LayerArgs(const nlohmann::json& j, const std::string& location, const std::string& type,
            std::span<const Shape> inputShapes)
      : j_(j), location_(location), where_(location + " (" + type + ")"), inputShapes_(inputShapes) {}

  const nlohmann::json& node() const { return j_; }
  // "model.json: layer 2": where the layer sits, for containers that name their children.
  const std::string& location() const { return location_; }
  // "model.json: layer 2 (Linear)": where argument errors point.
  const std::string& where() const { return where_; }
  // The first input's per-sample shape (a layer of one input has only that one).
  const Shape& inputShape() const;
  std::span<const Shape> inputShapes() const { return inputShapes_; }

  int64_t integer(const std::string& key) const;
  int64_t integer(const std::string& key, int64_t fallback) const;
  double number(const std::string& key, double fallback) const;
  bool flag(const std::string& key, bool fallback) const;
  // A pair [w, h] or a single integer for both; `fallback` when absent.
  std::pair<int64_t, int64_t> pair(const std::string& key, std::pair<int64_t, int64_t> fallback) const;
  // The required, positive "kernel" argument.
  std::pair<int64_t, int64_t> kernel() const;
  std::vector<int64_t> integers(const std::string& key) const;
  [[noreturn]] void fail(const std::string& what) const;

 private:
  const nlohmann::json& require(const std::string& key) const;

  const nlohmann::json& j_;
  std::string location_, where_;
  std::span<const Shape> inputShapes_;
};

using LayerBuilder = std::function<std::unique_ptr<Module>(const LayerArgs&)>;

// A layer type as JSON specs name it: its arguments (besides "type", "name" and "inputs", which
// every node may have) and its builder.
struct LayerType {
  std::string name;
  std::vector<std::string> arguments;
  LayerBuilder build;
};

// Adds `type` to the registry (a second type of the same name is a programming error and
// aborts at start-up); returns true so that it can initialise a static.
bool registerLayer(LayerType type);
// The registered type `name`, or null.
const LayerType* findLayerType(const std::string& name);
// Every registered type's name, sorted.
std::vector<std::string> knownLayerTypes();

}  // namespace shoal::nn

// Registers a layer type from its source file:
//   SHOAL_REGISTER_LAYER(Linear, {"Linear", {"in", "out", "bias"}, [](const LayerArgs& a) {...}});
#define SHOAL_REGISTER_LAYER(id, ...) \
  static const bool shoalLayerRegistered_##id = ::shoal::nn::registerLayer(::shoal::nn::LayerType __VA_ARGS__)
