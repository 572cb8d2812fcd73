#pragma once
// Long-term Ed25519 identity keys: generation, signing, verification and fingerprints.

#include "crypto/random.h"
#include "crypto/secret.h"
#include "crypto/types.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sotto::crypto {

class identity_key_pair {
  public:
    // A fresh key pair from `random`.
    static identity_key_pair generate(random_source& random);
    // Rebuilds a key pair from its stored secret key; nullopt when the secret's embedded
    // public half does not match the one derived from its seed (a corrupted key).
    static std::optional<identity_key_pair> from_secret(identity_secret_key secret);

    [[nodiscard]] const identity_public_key& public_key() const noexcept { return public_key_; }
    [[nodiscard]] const identity_secret_key& secret_key() const noexcept { return secret_key_; }

    // Detached Ed25519 signature of `message`.
    [[nodiscard]] signature sign(bytes_view message) const;

  private:
    identity_key_pair(identity_public_key public_key, identity_secret_key secret_key)
        : public_key_(public_key), secret_key_(std::move(secret_key)) {}

    identity_public_key public_key_;
    identity_secret_key secret_key_;
};

// True only for a valid signature of `message` by `key`; false for anything else, including
// non-canonical or small-order keys.
[[nodiscard]] bool verify(const identity_public_key& key, bytes_view message,
                          const signature& sig) noexcept;

// Lowercase hex, two characters a byte.
[[nodiscard]] std::string to_hex(bytes_view bytes);
// Parses lowercase or uppercase hex (no separators); nullopt on odd length or a bad digit.
[[nodiscard]] std::optional<std::vector<byte>> from_hex(std::string_view hex);

// SHA-256 of `input`.
[[nodiscard]] sha256_digest sha256(bytes_view input);

// Human-comparable fingerprint of an identity key: SHA-256 of the key, first 16 bytes,
// as 8 groups of 4 hex digits separated by spaces ("3f2a 9c01 ...").
[[nodiscard]] std::string fingerprint(const identity_public_key& key);

} // namespace sotto::crypto
