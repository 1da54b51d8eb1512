// Model summary: each layer's output shape, parameter count and forward FLOPs per sample (Keras' model.summary()).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "shoal/nn/module.hpp"

namespace shoal::nn {

struct LayerSummary {
  int64_t index = 0;         // from 1, as in "layer 3"
  std::string description;   // "Linear(784 -> 1000)"
  Shape outputShape;         // per sample
  int64_t parameters = 0;
  int64_t flops = 0;         // forward pass, per sample
  // What the plan runs the layer in. In an fp32 model "fp32". In a model with bf16 layers:
  // "bf16" for a bf16 layer reading and writing bf16, with ", rounds its fp32 input" where its
  // input arrives in f32 and ", writes fp32" where its reader takes f32; "fp32 (no bf16 path)"
  // for a computing layer without one, "fp32 (bf16 does not pay here)" for one that keeps f32
  // (a convolution of few input planes, an Embedding), with ", widens its bf16 input" where that arrives in
  // bf16; "bf16 (fused into #2)" (or fp32) for an epilogue computed in row 2's step (a ReLU or
  // a pooling); the element type carried for a layer that passes it on (Flatten, JoinTable);
  // "mixed" for a container of bf16 and fp32 layers.
  std::string precision = "fp32";
};

struct ModelSummary {
  Shape inputShape;  // per sample
  std::vector<LayerSummary> layers;
  int64_t parameters = 0;
  int64_t flops = 0;

  // The printed table: layer, output shape, parameters, FLOPs per sample and their share,
  // precision, totals.
  std::string table() const;
  // {"input": [...], "layers": [{"index", "layer", "output", "parameters", "flops", "precision"}],
  //  "parameters", "flops"}
  nlohmann::json toJson() const;
};

// One row per direct child of `model` (its layers, or a graph's nodes as "name = layer"), or one
// row for a model that is a single layer, for per-sample `inputShape`. FLOPs are each module's
// Module::flops, which counts a multiply-add as 2: Linear 2*in*out (+out for the bias),
// SpatialConvolution 2*(in/groups)*kW*kH per output element (+1 for the bias), pooling kW*kH per
// output element, batch normalisation 2 per element, SoftMax/LogSoftMax 3 per element, other
// elementwise layers 1 per element, reshapes 0; a container sums its children.
ModelSummary summarize(Module& model, const Shape& inputShape);

// Digits grouped by thousands: 795010 -> "795,010".
std::string withThousands(int64_t n);
// What a module's layers compute in: "fp32", "bf16" or "mixed" (a container of both).
std::string precisionLabel(Module& module);

}  // namespace shoal::nn
