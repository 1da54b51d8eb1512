// A small PNG decoder for tests (8-bit RGB/RGBA, not interlaced): enough to look at a screenshot.
#pragma once
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace shoal::testing {

struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;  // 3 bytes per pixel, rows top to bottom
};

// Decodes `png`; on failure returns an empty image and sets `error`.
inline RgbImage decodePng(const std::string& png, std::string& error) {
  auto be32 = [&](size_t at) {
    return (uint32_t(uint8_t(png[at])) << 24) | (uint32_t(uint8_t(png[at + 1])) << 16) |
           (uint32_t(uint8_t(png[at + 2])) << 8) | uint32_t(uint8_t(png[at + 3]));
  };
  if (png.size() < 8 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return error = "not a PNG signature", RgbImage{};
  RgbImage image;
  int channels = 0;
  std::string compressed;
  for (size_t at = 8; at + 12 <= png.size();) {
    uint32_t length = be32(at);
    std::string type = png.substr(at + 4, 4);
    if (at + 12 + length > png.size()) return error = "truncated chunk " + type, RgbImage{};
    if (type == "IHDR") {
      image.width = static_cast<int>(be32(at + 8));
      image.height = static_cast<int>(be32(at + 12));
      int depth = uint8_t(png[at + 16]), colour = uint8_t(png[at + 17]), interlace = uint8_t(png[at + 20]);
      if (depth != 8 || (colour != 2 && colour != 6) || interlace != 0)
        return error = "unsupported PNG format (depth " + std::to_string(depth) + ", colour type " +
                       std::to_string(colour) + ")", RgbImage{};
      channels = colour == 6 ? 4 : 3;
    } else if (type == "IDAT") {
      compressed += png.substr(at + 8, length);
    } else if (type == "IEND") {
      break;
    }
    at += 12 + length;
  }
  if (channels == 0 || image.width <= 0 || image.height <= 0) return error = "no IHDR", RgbImage{};
  const size_t stride = static_cast<size_t>(image.width) * channels;
  std::vector<uint8_t> raw(static_cast<size_t>(image.height) * (stride + 1));
  uLongf rawSize = raw.size();
  if (uncompress(raw.data(), &rawSize, reinterpret_cast<const Bytef*>(compressed.data()), compressed.size()) != Z_OK ||
      rawSize != raw.size())
    return error = "bad image data", RgbImage{};
  std::vector<uint8_t> pixels(static_cast<size_t>(image.height) * stride);
  for (int y = 0; y < image.height; ++y) {
    const uint8_t filter = raw[y * (stride + 1)];
    const uint8_t* in = &raw[y * (stride + 1) + 1];
    uint8_t* out = &pixels[y * stride];
    const uint8_t* up = y > 0 ? &pixels[(y - 1) * stride] : nullptr;
    for (size_t i = 0; i < stride; ++i) {
      int a = i >= size_t(channels) ? out[i - channels] : 0, b = up ? up[i] : 0,
          c = up && i >= size_t(channels) ? up[i - channels] : 0;
      int predictor = 0;
      switch (filter) {
        case 0: predictor = 0; break;
        case 1: predictor = a; break;
        case 2: predictor = b; break;
        case 3: predictor = (a + b) / 2; break;
        case 4: {
          int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
          predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: return error = "bad filter type " + std::to_string(filter), RgbImage{};
      }
      out[i] = static_cast<uint8_t>(in[i] + predictor);
    }
  }
  image.rgb.resize(static_cast<size_t>(image.width) * image.height * 3);
  for (size_t p = 0; p < static_cast<size_t>(image.width) * image.height; ++p)
    for (int k = 0; k < 3; ++k) image.rgb[p * 3 + k] = pixels[p * channels + k];
  return image;
}

}  // namespace shoal::testing
