#pragma once
// Plaintext padding to bucket sizes (docs/PROTOCOL.md, "Padding"), so that ciphertext lengths
// reveal only a bucket: 64, 256, 1024, 4096, 16384 bytes, then multiples of 16384. The pad is
// ISO/IEC 7816-4: one 0x80 byte then zeros, so it is removed unambiguously.

#include "crypto/types.h"

#include <optional>
#include <vector>

namespace sotto::crypto {

inline constexpr std::size_t max_padded_size = 16384 * 64; // 1 MiB

// The padded size for `size` plaintext bytes; nullopt when it would exceed max_padded_size.
[[nodiscard]] std::optional<std::size_t> padded_size(std::size_t size) noexcept;
// `plaintext` padded; nullopt when too long.
[[nodiscard]] std::optional<std::vector<byte>> pad(bytes_view plaintext);
// The plaintext inside `padded` (a view into it); nullopt when the size is not a bucket or
// the pad is malformed.
[[nodiscard]] std::optional<bytes_view> unpad(bytes_view padded) noexcept;

} // namespace sotto::crypto
