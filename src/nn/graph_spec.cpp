// Building a Graph from its JSON specification: named nodes with "inputs", checked for cycles, missing inputs, dangling nodes and shapes.
#include <algorithm>
#include <map>

#include "shoal/error.hpp"
#include "shoal/nn/graph.hpp"
#include "shoal/nn/layer_registry.hpp"
#include "shoal/nn/model_spec.hpp"

namespace shoal::nn {
namespace {

using nlohmann::json;

struct NodeSpec {
  std::string name;
  const json* spec;
  std::vector<std::string> inputs;
};

std::vector<std::string> names(const json& list, const std::string& what, const std::string& where) {
  if (!list.is_array()) throw InputError(where + ": " + what + " must be a list of names, got " + list.dump());
  std::vector<std::string> out;
  for (const json& n : list) {
    if (!n.is_string()) throw InputError(where + ": " + what + " must hold names (strings), got " + n.dump());
    out.push_back(n.get<std::string>());
  }
  return out;
}

// The nodes of spec["nodes"] with their names and inputs: a node without "name" is named by its
// index from 1, one without "inputs" takes the node listed before it (the first: the first input).
std::vector<NodeSpec> readNodes(const json& spec, const std::vector<std::string>& inputs,
                                const std::string& where) {
  if (!spec.contains("nodes") || !spec["nodes"].is_array() || spec["nodes"].empty())
    throw InputError(where + ": a Graph needs a non-empty \"nodes\" list");
  std::vector<NodeSpec> nodes;
  std::map<std::string, int> seen;
  for (const std::string& in : inputs) seen[in] = 1;
  for (size_t i = 0; i < spec["nodes"].size(); ++i) {
    const json& node = spec["nodes"][i];
    std::string at = where + ": node " + std::to_string(i + 1);
    if (!node.is_object()) throw InputError(at + ": expected an object with a string \"type\"");
    NodeSpec n{std::to_string(i + 1), &node, {}};
    if (node.contains("name")) {
      if (!node["name"].is_string() || node["name"].get<std::string>().empty() ||
          node["name"].get<std::string>().find('.') != std::string::npos)
        throw InputError(at + ": \"name\" must be a non-empty string without dots, got " + node["name"].dump());
      n.name = node["name"].get<std::string>();
    }
    if (seen[n.name]++) throw InputError(at + ": the name \"" + n.name + "\" is used twice");
    n.inputs = node.contains("inputs") ? names(node["inputs"], "\"inputs\"", at + " (" + n.name + ")")
                                       : std::vector<std::string>{i == 0 ? inputs[0] : nodes.back().name};
    nodes.push_back(std::move(n));
  }
  return nodes;
}

// The nodes in an order where every node comes after its inputs; InputError naming the node for
// an input that does not exist and naming the nodes of a cycle.
std::vector<const NodeSpec*> ordered(const std::vector<NodeSpec>& nodes,
                                     const std::vector<std::string>& inputs, const std::string& where) {
  std::map<std::string, const NodeSpec*> byName;
  for (const auto& n : nodes) byName[n.name] = &n;
  for (const auto& n : nodes)
    for (const auto& in : n.inputs)
      if (!byName.count(in) && std::find(inputs.begin(), inputs.end(), in) == inputs.end())
        throw InputError(where + ": node \"" + n.name + "\": its input \"" + in +
                         "\" is neither a node nor a graph input");
  std::vector<const NodeSpec*> order;
  std::map<std::string, bool> done;
  for (const auto& in : inputs) done[in] = true;
  while (order.size() < nodes.size()) {
    bool progress = false;
    for (const auto& n : nodes) {
      if (done[n.name]) continue;
      if (std::all_of(n.inputs.begin(), n.inputs.end(), [&](const std::string& in) { return done[in]; })) {
        done[n.name] = true;
        order.push_back(&n);
        progress = true;
      }
    }
    if (!progress) {
      std::string cycle;
      for (const auto& n : nodes)
        if (!done[n.name]) cycle += (cycle.empty() ? "\"" : ", \"") + n.name + "\"";
      throw InputError(where + ": the nodes " + cycle + " form a cycle (each waits for another's output)");
    }
  }
  return order;
}

std::unique_ptr<Module> buildGraph(const LayerArgs& a) {
  const json& spec = a.node();
  const std::string& where = a.location();
  std::vector<std::string> inputs =
      spec.contains("input_names") ? names(spec["input_names"], "\"input_names\"", where)
                                   : std::vector<std::string>{"input"};
  if (inputs.empty()) throw InputError(where + ": a Graph needs at least one input");
  if (a.inputShapes().size() != inputs.size())
    throw ShapeError(where + ": the graph has " + std::to_string(inputs.size()) + " inputs but is given " +
                     std::to_string(a.inputShapes().size()));
  std::vector<NodeSpec> nodes = readNodes(spec, inputs, where);
  std::string outputName = nodes.back().name;
  if (spec.contains("output")) {
    if (!spec["output"].is_string()) throw InputError(where + ": \"output\" must be a node name, got " + spec["output"].dump());
    outputName = spec["output"].get<std::string>();
    if (std::none_of(nodes.begin(), nodes.end(), [&](const NodeSpec& n) { return n.name == outputName; }))
      throw InputError(where + ": the output \"" + outputName + "\" is not a node");
  }
  auto graph = std::make_unique<Graph>();
  std::map<std::string, Graph::Node> ids;
  std::map<std::string, Shape> shapes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    ids[inputs[i]] = graph->input(inputs[i]);
    shapes[inputs[i]] = a.inputShapes()[i];
  }
  for (const NodeSpec* n : ordered(nodes, inputs, where)) {
    std::string at = where + ": node \"" + n->name + "\"";
    std::vector<Shape> inShapes;
    std::vector<Graph::Node> inIds;
    for (const auto& in : n->inputs) inShapes.push_back(shapes[in]), inIds.push_back(ids[in]);
    std::unique_ptr<Module> module = buildModule(*n->spec, inShapes, at);
    try {
      ids[n->name] = graph->add(n->name, std::move(module), inIds);
      shapes[n->name] = graph->node(n->name).outputShapeOfInputs(inShapes);
    } catch (const InputError&) {
      throw;
    } catch (const Error& e) {
      throw ShapeError(where + ": " + e.what());
    }
  }
  graph->setOutput(ids[outputName]);
  // Every node must lead to the output; name the first that does not.
  std::map<std::string, bool> leads{{outputName, true}};
  std::vector<const NodeSpec*> order = ordered(nodes, inputs, where);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    if (!leads[(*it)->name])
      throw InputError(where + ": node \"" + (*it)->name + "\" is dangling: its output reaches no output (the output is \"" +
                       outputName + "\")");
    for (const auto& in : (*it)->inputs) leads[in] = true;
  }
  return graph;
}

}  // namespace

SHOAL_REGISTER_LAYER(Graph, {"Graph", {"input_names", "nodes", "output"}, buildGraph});

}  // namespace shoal::nn
