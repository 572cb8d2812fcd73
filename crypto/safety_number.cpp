#include "crypto/safety_number.h"

#include <sodium.h>

#include <array>

namespace sotto::crypto {

std::string safety_number_half(const identity_public_key& key, std::string_view username) {
    std::array<byte, crypto_hash_sha512_BYTES> digest{};
    crypto_hash_sha512_state state;
    const std::array<byte, 2> version{static_cast<byte>(safety_number_version >> 8U),
                                      static_cast<byte>(safety_number_version & 0xffU)};
    crypto_hash_sha512_init(&state);
    crypto_hash_sha512_update(&state, version.data(), version.size());
    crypto_hash_sha512_update(&state, key.data(), key.size());
    crypto_hash_sha512_update(&state, reinterpret_cast<const byte*>(username.data()),
                              username.size());
    crypto_hash_sha512_final(&state, digest.data());
    for (unsigned i = 0; i < safety_number_iterations; ++i) {
        crypto_hash_sha512_init(&state);
        crypto_hash_sha512_update(&state, digest.data(), digest.size());
        crypto_hash_sha512_update(&state, key.data(), key.size());
        crypto_hash_sha512_final(&state, digest.data());
    }
    // Six 5-byte big-endian chunks, each reduced mod 100000 to five digits.
    std::string digits;
    for (std::size_t chunk = 0; chunk < 6; ++chunk) {
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < 5; ++i) {
            value = (value << 8U) | digest[chunk * 5 + i];
        }
        const std::string group = std::to_string(value % 100000U);
        digits.append(5 - group.size(), '0');
        digits += group;
    }
    return digits;
}

std::optional<std::string> safety_number(const identity_public_key& a_key,
                                         std::string_view a_username,
                                         const identity_public_key& b_key,
                                         std::string_view b_username) {
    if (a_key == b_key && a_username == b_username) {
        return std::nullopt;
    }
    std::string a = safety_number_half(a_key, a_username);
    std::string b = safety_number_half(b_key, b_username);
    const std::string joined = a <= b ? a + b : b + a;
    std::string grouped;
    for (std::size_t i = 0; i < joined.size(); i += 5) {
        if (i != 0) {
            grouped += ' ';
        }
        grouped += joined.substr(i, 5);
    }
    return grouped;
}

} // namespace sotto::crypto
