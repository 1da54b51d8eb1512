// The layer registry and the typed look-ups of a layer's JSON arguments.
#include "shoal/nn/layer_registry.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "shoal/error.hpp"

namespace shoal::nn {
namespace {

using nlohmann::json;

std::map<std::string, LayerType>& registry() {
  static std::map<std::string, LayerType> types;
  return types;
}

}  // namespace

bool registerLayer(LayerType type) {
  std::string name = type.name;
  if (!registry().emplace(name, std::move(type)).second) {
    std::fprintf(stderr, "shoal: the layer type \"%s\" is registered twice\n", name.c_str());
    std::abort();
  }
  return true;
}

const LayerType* findLayerType(const std::string& name) {
  auto it = registry().find(name);
  return it == registry().end() ? nullptr : &it->second;
}

std::vector<std::string> knownLayerTypes() {
  std::vector<std::string> names;
  for (const auto& [name, type] : registry()) names.push_back(name);
  return names;
}

const Shape& LayerArgs::inputShape() const {
  static const Shape none;
  return inputShapes_.empty() ? none : inputShapes_[0];
}

const json& LayerArgs::require(const std::string& key) const {
  if (!j_.contains(key)) fail("missing argument \"" + key + "\"");
  return j_.at(key);
}

int64_t LayerArgs::integer(const std::string& key) const {
  const json& v = require(key);
  if (!v.is_number_integer()) fail("argument \"" + key + "\" must be an integer, got " + v.dump());
  return v.get<int64_t>();
}

int64_t LayerArgs::integer(const std::string& key, int64_t fallback) const {
  return j_.contains(key) ? integer(key) : fallback;
}

double LayerArgs::number(const std::string& key, double fallback) const {
  if (!j_.contains(key)) return fallback;
  const json& v = j_.at(key);
  if (!v.is_number()) fail("argument \"" + key + "\" must be a number, got " + v.dump());
  return v.get<double>();
}

bool LayerArgs::flag(const std::string& key, bool fallback) const {
  if (!j_.contains(key)) return fallback;
  const json& v = j_.at(key);
  if (!v.is_boolean()) fail("argument \"" + key + "\" must be true or false, got " + v.dump());
  return v.get<bool>();
}

std::pair<int64_t, int64_t> LayerArgs::pair(const std::string& key,
                                            std::pair<int64_t, int64_t> fallback) const {
  if (!j_.contains(key)) return fallback;
  const json& v = j_.at(key);
  if (v.is_number_integer()) return {v.get<int64_t>(), v.get<int64_t>()};
  if (v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer())
    return {v[0].get<int64_t>(), v[1].get<int64_t>()};
  fail("argument \"" + key + "\" must be an integer or a pair [w, h], got " + v.dump());
}

std::pair<int64_t, int64_t> LayerArgs::kernel() const {
  auto k = pair("kernel", {0, 0});
  if (k.first <= 0 || k.second <= 0) fail("argument \"kernel\" must be given and positive");
  return k;
}

std::vector<int64_t> LayerArgs::integers(const std::string& key) const {
  const json& v = require(key);
  if (!v.is_array()) fail("argument \"" + key + "\" must be a list of integers, got " + v.dump());
  std::vector<int64_t> out;
  for (const json& e : v) {
    if (!e.is_number_integer()) fail("argument \"" + key + "\" must hold integers, got " + e.dump());
    out.push_back(e.get<int64_t>());
  }
  return out;
}

void LayerArgs::fail(const std::string& what) const { throw InputError(where_ + ": " + what); }

}  // namespace shoal::nn
