#pragma once
// Constants and pure helpers both ends of the relay protocol share (docs/PROTOCOL.md Part 1).

#include "net/tls.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace sotto::net {

inline constexpr std::uint32_t protocol_version = 1;
inline constexpr std::size_t challenge_nonce_size = 32;
inline constexpr std::size_t message_id_size = 16;

// The bytes a Login or Register signature covers (docs/PROTOCOL.md "Login input"):
//   "sotto-login-v1" 0x00 || nonce (32) || u8 length of username || username || exporter (32)
// The TLS exporter value ties the signature to this TLS session, so a signature recorded on one
// connection is worthless on any other. Empty when the nonce has the wrong size or the username
// is longer than 255 bytes.
[[nodiscard]] std::vector<std::uint8_t> login_input(std::span<const std::uint8_t> nonce,
                                                    std::string_view username,
                                                    const channel_binding& binding);

} // namespace sotto::net
