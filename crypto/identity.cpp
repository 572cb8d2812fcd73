#include "crypto/identity.h"

#include <sodium.h>

#include <stdexcept>

namespace sotto::crypto {

identity_key_pair identity_key_pair::generate(random_source& random) {
    secret_bytes<identity_seed_size, struct identity_seed_tag> seed;
    random.fill(seed.mutable_view());
    identity_public_key public_key;
    identity_secret_key secret_key;
    crypto_sign_seed_keypair(public_key.data(), secret_key.data(), seed.data());
    return {public_key, std::move(secret_key)};
}

std::optional<identity_key_pair> identity_key_pair::from_secret(identity_secret_key secret) {
    identity_public_key derived;
    identity_secret_key check;
    // The first half of an Ed25519 secret key is its seed; re-deriving catches corruption.
    crypto_sign_seed_keypair(derived.data(), check.data(), secret.data());
    if (!(check == secret)) {
        return std::nullopt;
    }
    return identity_key_pair(derived, std::move(secret));
}

signature identity_key_pair::sign(bytes_view message) const {
    signature sig;
    crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret_key_.data());
    return sig;
}

bool verify(const identity_public_key& key, bytes_view message, const signature& sig) noexcept {
    return crypto_sign_verify_detached(sig.data(), message.data(), message.size(), key.data()) == 0;
}

std::string to_hex(bytes_view bytes) {
    std::string hex(bytes.size() * 2 + 1, '\0');
    sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
    hex.pop_back();
    return hex;
}

std::optional<std::vector<byte>> from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) {
        return std::nullopt;
    }
    if (hex.empty()) {
        return std::vector<byte>{}; // libsodium's buffers are declared non-null
    }
    std::vector<byte> out(hex.size() / 2);
    std::size_t written = 0;
    const char* end = nullptr;
    if (sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &written, &end) !=
            0 ||
        written != out.size() || end != hex.data() + hex.size()) {
        return std::nullopt;
    }
    return out;
}

sha256_digest sha256(bytes_view input) {
    sha256_digest digest;
    crypto_hash_sha256(digest.data(), input.data(), input.size());
    return digest;
}

std::string fingerprint(const identity_public_key& key) {
    const auto digest = sha256(key.view());
    const std::string hex = to_hex(bytes_view(digest.bytes).first(16));
    std::string grouped;
    for (std::size_t i = 0; i < hex.size(); i += 4) {
        if (i != 0) {
            grouped += ' ';
        }
        grouped += hex.substr(i, 4);
    }
    return grouped;
}

} // namespace sotto::crypto
