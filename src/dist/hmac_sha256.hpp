// SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104): what the rendezvous handshake authenticates with.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace shoal::dist {

using Digest = std::array<uint8_t, 32>;

Digest sha256(std::string_view message);
Digest hmacSha256(std::string_view key, std::string_view message);
// Compares in time independent of where the digests differ.
bool sameDigest(const Digest& a, const Digest& b);
std::string toHex(const Digest& digest);

}  // namespace shoal::dist
