#pragma once
// Fixed-size key, nonce and signature types. Sizes are sotto's own constants; crypto/sodium.cpp
// static_asserts each one against libsodium's, so a header never needs <sodium.h>.

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>

namespace sotto::crypto {

inline constexpr std::size_t identity_public_key_size = 32; // Ed25519 public key
inline constexpr std::size_t identity_secret_key_size = 64; // Ed25519 secret key (seed || public)
inline constexpr std::size_t identity_seed_size = 32;
inline constexpr std::size_t signature_size = 64;
inline constexpr std::size_t x25519_key_size = 32; // X25519 public, secret and shared
inline constexpr std::size_t aead_key_size = 32;   // XChaCha20-Poly1305-IETF
inline constexpr std::size_t aead_nonce_size = 24;
inline constexpr std::size_t aead_tag_size = 16;
inline constexpr std::size_t sha256_size = 32;
inline constexpr std::size_t sha512_size = 64;

using byte = std::uint8_t;
using bytes_view = std::span<const byte>;
using mutable_bytes_view = std::span<byte>;

// A public value of N bytes; Tag keeps an identity key from being passed where an
// ephemeral key is wanted.
template <std::size_t N, typename Tag>
struct fixed_bytes {
    static constexpr std::size_t size_bytes = N;
    std::array<byte, N> bytes{};

    [[nodiscard]] constexpr byte* data() noexcept { return bytes.data(); }
    [[nodiscard]] constexpr const byte* data() const noexcept { return bytes.data(); }
    [[nodiscard]] static constexpr std::size_t size() noexcept { return N; }
    [[nodiscard]] constexpr bytes_view view() const noexcept { return bytes; }
    [[nodiscard]] constexpr mutable_bytes_view mutable_view() noexcept { return bytes; }

    // Builds from exactly N bytes; false when the input has another length.
    [[nodiscard]] static constexpr bool from(bytes_view input, fixed_bytes& out) noexcept {
        if (input.size() != N) {
            return false;
        }
        for (std::size_t i = 0; i < N; ++i) {
            out.bytes[i] = input[i];
        }
        return true;
    }

    friend constexpr bool operator==(const fixed_bytes&, const fixed_bytes&) = default;
    friend constexpr auto operator<=>(const fixed_bytes&, const fixed_bytes&) = default;
};

using identity_public_key = fixed_bytes<identity_public_key_size, struct identity_public_key_tag>;
using signature = fixed_bytes<signature_size, struct signature_tag>;
using x25519_public_key = fixed_bytes<x25519_key_size, struct x25519_public_key_tag>;
using aead_nonce = fixed_bytes<aead_nonce_size, struct aead_nonce_tag>;
using sha256_digest = fixed_bytes<sha256_size, struct sha256_digest_tag>;

} // namespace sotto::crypto
