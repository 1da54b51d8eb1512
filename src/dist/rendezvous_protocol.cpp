// The rendezvous wire format: frames, the handshake's encoding and MACs, request strings.
#include "rendezvous_protocol.hpp"

#include <random>

namespace shoal::dist::rendezvous {
namespace {

std::string_view bytesOf(const Digest& d) { return {reinterpret_cast<const char*>(d.data()), d.size()}; }

// Everything in the hello except the MAC.
std::string helloBody(const Hello& h) {
  std::string body;
  putU32(body, static_cast<uint32_t>(h.rank));
  putU32(body, static_cast<uint32_t>(h.worldSize));
  putString(body, h.attempt);
  body += bytesOf(h.configHash);
  putString(body, h.clientNonce);
  return body;
}

std::string helloMacInput(std::string_view body, std::string_view storeNonce) {
  return std::string("shoal-rendezvous-hello") + std::string(storeNonce) + std::string(body);
}

std::string replyMacInput(bool accepted, std::string_view message, std::string_view clientNonce) {
  return std::string("shoal-rendezvous-reply") + std::string(clientNonce) + (accepted ? "1" : "0") +
         std::string(message);
}

}  // namespace

void putU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

uint32_t getU32(std::string_view in, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(in[at + i])} << (8 * i);
  return v;
}

void putString(std::string& out, std::string_view s) {
  putU32(out, static_cast<uint32_t>(s.size()));
  out += s;
}

std::optional<std::string> takeString(std::string_view in, size_t& at) {
  if (at > in.size() || in.size() - at < 4) return std::nullopt;
  const uint32_t n = getU32(in, at);
  if (in.size() - at - 4 < n) return std::nullopt;
  std::string s(in.substr(at + 4, n));
  at += 4 + n;
  return s;
}

std::string frame(std::string_view payload) {
  std::string out;
  putU32(out, static_cast<uint32_t>(payload.size()));
  out += payload;
  return out;
}

std::string randomNonce() {
  std::random_device device;  // /dev/urandom
  std::string nonce(kNonceBytes, '\0');
  for (char& c : nonce) c = static_cast<char>(device() & 0xff);
  return nonce;
}

std::string encodeHello(const Hello& hello, std::string_view secret, std::string_view storeNonce) {
  std::string body = helloBody(hello);
  const Digest mac = hmacSha256(secret, helloMacInput(body, storeNonce));
  return body + std::string(bytesOf(mac));
}

std::optional<Hello> decodeHello(std::string_view frameBytes, std::string_view secret,
                                 std::string_view storeNonce, bool& macOk) {
  macOk = false;
  Hello h;
  size_t at = 0;
  if (frameBytes.size() < 8 + 32 + 32) return std::nullopt;
  h.rank = static_cast<int32_t>(getU32(frameBytes, 0));
  h.worldSize = static_cast<int32_t>(getU32(frameBytes, 4));
  at = 8;
  auto attempt = takeString(frameBytes, at);
  if (!attempt || frameBytes.size() - at < 32) return std::nullopt;
  h.attempt = *attempt;
  for (size_t i = 0; i < 32; ++i) h.configHash[i] = static_cast<uint8_t>(frameBytes[at + i]);
  at += 32;
  auto nonce = takeString(frameBytes, at);
  if (!nonce || nonce->size() != kNonceBytes || frameBytes.size() - at != 32) return std::nullopt;
  h.clientNonce = *nonce;
  Digest mac;
  for (size_t i = 0; i < 32; ++i) mac[i] = static_cast<uint8_t>(frameBytes[at + i]);
  macOk = sameDigest(mac, hmacSha256(secret, helloMacInput(frameBytes.substr(0, at), storeNonce)));
  return h;
}

std::string encodeReply(bool accepted, std::string_view message, std::string_view secret,
                        std::string_view clientNonce) {
  std::string out(1, accepted ? 'A' : 'R');
  putString(out, message);
  out += bytesOf(hmacSha256(secret, replyMacInput(accepted, message, clientNonce)));
  return out;
}

std::optional<Reply> decodeReply(std::string_view frameBytes, std::string_view secret, std::string_view clientNonce) {
  if (frameBytes.empty() || (frameBytes[0] != 'A' && frameBytes[0] != 'R')) return std::nullopt;
  Reply r;
  r.accepted = frameBytes[0] == 'A';
  size_t at = 1;
  auto message = takeString(frameBytes, at);
  if (!message || frameBytes.size() - at != 32) return std::nullopt;
  r.message = *message;
  Digest mac;
  for (size_t i = 0; i < 32; ++i) mac[i] = static_cast<uint8_t>(frameBytes[at + i]);
  r.macOk = sameDigest(mac, hmacSha256(secret, replyMacInput(r.accepted, r.message, clientNonce)));
  return r;
}

}  // namespace shoal::dist::rendezvous
