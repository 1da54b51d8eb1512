// Layout: the order a 4-d activation's elements have in memory (plain NCHW or channels-last NHWC).
#pragma once
#include <cstdint>
#include <string_view>

namespace shoal {

// Plain: row-major in the order of the shape. ChannelsLast: a [N, C, H, W] tensor whose elements
// lie as [N, H, W, C] (element (n, c, h, w) at ((n * H + h) * W + w) * C + c), the order in which
// oneDNN's convolutions read and write without reordering; only 4-d tensors have it. A graph keeps
// activations between its convolution, batch normalisation, ReLU and addition nodes channels-last.
enum class Layout : uint8_t { Plain, ChannelsLast };

// "plain", "channels-last".
constexpr std::string_view layoutName(Layout layout) {
  return layout == Layout::ChannelsLast ? "channels-last" : "plain";
}

}  // namespace shoal
