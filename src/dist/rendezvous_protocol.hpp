// The rendezvous store's wire format: length-prefixed frames, the authenticated handshake and the
// requests after it (shared by the store on rank 0 and its clients).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hmac_sha256.hpp"

namespace shoal::dist::rendezvous {

// On connecting, the store sends kGreeting then a 32-byte nonce (40 bytes). Every later message
// is a frame: a 4-byte little-endian length, then that many bytes.
inline constexpr std::string_view kGreeting = "SHOALRV1";
inline constexpr size_t kNonceBytes = 32;
inline constexpr uint32_t kMaxHelloBytes = 1024;          // the handshake frame
inline constexpr uint32_t kMaxFrameBytes = 4u << 20;      // a key's value (Gloo's addresses)

// What a rank says about itself; the MAC covers all of it and the store's nonce.
struct Hello {
  int32_t rank = 0;
  int32_t worldSize = 0;
  std::string attempt;
  Digest configHash{};
  std::string clientNonce;  // kNonceBytes
};

std::string encodeHello(const Hello& hello, std::string_view secret, std::string_view storeNonce);
// The hello, or nullopt when the frame is not one (a port scanner, another protocol). `macOk`
// tells whether it was made with `secret`.
std::optional<Hello> decodeHello(std::string_view frame, std::string_view secret,
                                 std::string_view storeNonce, bool& macOk);

// The store's answer: accepted or refused with a message, MAC'd over the rank's nonce so the rank
// knows the store holds the secret too.
std::string encodeReply(bool accepted, std::string_view message, std::string_view secret,
                        std::string_view clientNonce);
struct Reply {
  bool accepted = false;
  std::string message;
  bool macOk = false;
};
std::optional<Reply> decodeReply(std::string_view frame, std::string_view secret, std::string_view clientNonce);

// Requests after the handshake: one op byte, then strings as u32 length + bytes.
enum class Op : char {
  Set = 'S',     // key, value        -> "" once stored
  Get = 'G',     // key               -> value, once some rank set it
  Check = 'C',   // key...            -> one byte per key, 1 when it exists
  Joined = 'J',  //                   -> the ranks that joined, one u32 each
};

void putU32(std::string& out, uint32_t v);
uint32_t getU32(std::string_view in, size_t at);
void putString(std::string& out, std::string_view s);
// The string at `at` (advanced past it), or nullopt when the bytes end first.
std::optional<std::string> takeString(std::string_view in, size_t& at);
std::string frame(std::string_view payload);
std::string randomNonce();

}  // namespace shoal::dist::rendezvous
