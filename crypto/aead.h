#pragma once
// XChaCha20-Poly1305-IETF with associated data. A ciphertext is the encrypted plaintext
// followed by the 16-byte tag.

#include "crypto/secret.h"
#include "crypto/types.h"

#include <optional>
#include <vector>

namespace sotto::crypto {

// Encrypts `plaintext` into `out`, which must hold plaintext.size() + aead_tag_size bytes;
// false (nothing written) when it does not. `out` may not overlap `plaintext` partially.
bool aead_encrypt(bytes_view key, const aead_nonce& nonce, bytes_view plaintext,
                  bytes_view associated_data, mutable_bytes_view out) noexcept;
// Decrypts and authenticates `ciphertext` into `out` (ciphertext.size() - aead_tag_size
// bytes); false, with `out` zeroed, for a forged or malformed ciphertext or a wrong size.
bool aead_decrypt(bytes_view key, const aead_nonce& nonce, bytes_view ciphertext,
                  bytes_view associated_data, mutable_bytes_view out) noexcept;

// Convenience forms returning new buffers; decryption returns nullopt on any failure.
[[nodiscard]] std::vector<byte> aead_encrypt(const aead_key& key, const aead_nonce& nonce,
                                             bytes_view plaintext, bytes_view associated_data);
[[nodiscard]] std::optional<secret_buffer> aead_decrypt(const aead_key& key,
                                                        const aead_nonce& nonce,
                                                        bytes_view ciphertext,
                                                        bytes_view associated_data);

} // namespace sotto::crypto
