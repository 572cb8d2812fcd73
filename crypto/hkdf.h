#pragma once
// HMAC and HKDF (RFC 5869) over SHA-256 and SHA-512. libsodium 1.0.18 has HMAC but no HKDF.

#include "crypto/types.h"

namespace sotto::crypto {

inline constexpr std::size_t hmac_sha256_size = 32;
inline constexpr std::size_t hmac_sha512_size = 64;

// HMAC-SHA-256 of `message` under `key` (any length) into `out`, which must hold 32 bytes;
// false (and `out` untouched) when it does not.
bool hmac_sha256(bytes_view key, bytes_view message, mutable_bytes_view out) noexcept;
// HMAC-SHA-512 likewise, `out` holding 64 bytes.
bool hmac_sha512(bytes_view key, bytes_view message, mutable_bytes_view out) noexcept;

// HKDF-SHA-256 extract-and-expand: fills all of `out` (at most 255 * 32 bytes). An empty
// salt means HashLen zero bytes, as the RFC says. False (and `out` zeroed) when `out` is
// empty or too long.
bool hkdf_sha256(bytes_view salt, bytes_view input_key_material, bytes_view info,
                 mutable_bytes_view out) noexcept;
// HKDF-SHA-512 likewise (at most 255 * 64 bytes).
bool hkdf_sha512(bytes_view salt, bytes_view input_key_material, bytes_view info,
                 mutable_bytes_view out) noexcept;

} // namespace sotto::crypto
