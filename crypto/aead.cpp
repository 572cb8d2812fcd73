#include "crypto/aead.h"

#include <sodium.h>

namespace sotto::crypto {

bool aead_encrypt(bytes_view key, const aead_nonce& nonce, bytes_view plaintext,
                  bytes_view associated_data, mutable_bytes_view out) noexcept {
    if (key.size() != aead_key_size || out.size() != plaintext.size() + aead_tag_size) {
        return false;
    }
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        out.data(), nullptr, plaintext.data(), plaintext.size(), associated_data.data(),
        associated_data.size(), nullptr, nonce.data(), key.data());
    return true;
}

bool aead_decrypt(bytes_view key, const aead_nonce& nonce, bytes_view ciphertext,
                  bytes_view associated_data, mutable_bytes_view out) noexcept {
    if (key.size() != aead_key_size || ciphertext.size() < aead_tag_size ||
        out.size() != ciphertext.size() - aead_tag_size) {
        return false;
    }
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            out.data(), nullptr, nullptr, ciphertext.data(), ciphertext.size(),
            associated_data.data(), associated_data.size(), nonce.data(), key.data()) != 0) {
        sodium_memzero(out.data(), out.size());
        return false;
    }
    return true;
}

std::vector<byte> aead_encrypt(const aead_key& key, const aead_nonce& nonce, bytes_view plaintext,
                               bytes_view associated_data) {
    std::vector<byte> out(plaintext.size() + aead_tag_size);
    static_cast<void>(aead_encrypt(key.view(), nonce, plaintext, associated_data, out));
    return out;
}

std::optional<secret_buffer> aead_decrypt(const aead_key& key, const aead_nonce& nonce,
                                          bytes_view ciphertext, bytes_view associated_data) {
    if (ciphertext.size() < aead_tag_size) {
        return std::nullopt;
    }
    // A zero-length plaintext still needs a buffer to write into.
    secret_buffer out(ciphertext.size() - aead_tag_size);
    byte unused = 0;
    mutable_bytes_view target = out.empty() ? mutable_bytes_view(&unused, 0) : out.mutable_view();
    if (!aead_decrypt(key.view(), nonce, ciphertext, associated_data, target)) {
        return std::nullopt;
    }
    return out;
}

} // namespace sotto::crypto
