#include "crypto/hkdf.h"

#include <sodium.h>

#include <algorithm>
#include <array>

namespace sotto::crypto {

namespace {

struct sha256_hmac {
    static constexpr std::size_t size = crypto_auth_hmacsha256_BYTES;
    using state = crypto_auth_hmacsha256_state;
    static void init(state& s, bytes_view key) {
        crypto_auth_hmacsha256_init(&s, key.data(), key.size());
    }
    static void update(state& s, bytes_view data) {
        crypto_auth_hmacsha256_update(&s, data.data(), data.size());
    }
    static void final(state& s, byte* out) { crypto_auth_hmacsha256_final(&s, out); }
};

struct sha512_hmac {
    static constexpr std::size_t size = crypto_auth_hmacsha512_BYTES;
    using state = crypto_auth_hmacsha512_state;
    static void init(state& s, bytes_view key) {
        crypto_auth_hmacsha512_init(&s, key.data(), key.size());
    }
    static void update(state& s, bytes_view data) {
        crypto_auth_hmacsha512_update(&s, data.data(), data.size());
    }
    static void final(state& s, byte* out) { crypto_auth_hmacsha512_final(&s, out); }
};

template <typename Hmac>
bool hmac(bytes_view key, bytes_view message, mutable_bytes_view out) {
    if (out.size() != Hmac::size) {
        return false;
    }
    typename Hmac::state state;
    Hmac::init(state, key);
    Hmac::update(state, message);
    Hmac::final(state, out.data());
    sodium_memzero(&state, sizeof state);
    return true;
}

template <typename Hmac>
bool hkdf(bytes_view salt, bytes_view ikm, bytes_view info, mutable_bytes_view out) {
    if (out.empty() || out.size() > 255 * Hmac::size) {
        std::fill(out.begin(), out.end(), byte{0});
        return false;
    }
    std::array<byte, Hmac::size> zero_salt{};
    std::array<byte, Hmac::size> prk{};
    std::array<byte, Hmac::size> block{};
    typename Hmac::state state;

    Hmac::init(state, salt.empty() ? bytes_view(zero_salt) : salt);
    Hmac::update(state, ikm);
    Hmac::final(state, prk.data());

    std::size_t written = 0;
    for (byte counter = 1; written < out.size(); ++counter) {
        Hmac::init(state, prk);
        if (counter > 1) {
            Hmac::update(state, block);
        }
        Hmac::update(state, info);
        Hmac::update(state, bytes_view(&counter, 1));
        Hmac::final(state, block.data());
        const std::size_t take = std::min(block.size(), out.size() - written);
        std::copy_n(block.begin(), take, out.begin() + static_cast<std::ptrdiff_t>(written));
        written += take;
    }
    sodium_memzero(prk.data(), prk.size());
    sodium_memzero(block.data(), block.size());
    sodium_memzero(&state, sizeof state);
    return true;
}

} // namespace

bool hmac_sha256(bytes_view key, bytes_view message, mutable_bytes_view out) noexcept {
    return hmac<sha256_hmac>(key, message, out);
}
bool hmac_sha512(bytes_view key, bytes_view message, mutable_bytes_view out) noexcept {
    return hmac<sha512_hmac>(key, message, out);
}
bool hkdf_sha256(bytes_view salt, bytes_view ikm, bytes_view info,
                 mutable_bytes_view out) noexcept {
    return hkdf<sha256_hmac>(salt, ikm, info, out);
}
bool hkdf_sha512(bytes_view salt, bytes_view ikm, bytes_view info,
                 mutable_bytes_view out) noexcept {
    return hkdf<sha512_hmac>(salt, ikm, info, out);
}

} // namespace sotto::crypto
