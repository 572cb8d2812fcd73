#pragma once
// X25519 key agreement that refuses degenerate peers: a low-order public key or an all-zero
// shared secret is an error value, never a key.

#include "crypto/random.h"
#include "crypto/secret.h"
#include "crypto/types.h"

#include <optional>

namespace sotto::crypto {

using x25519_shared_secret = secret_bytes<x25519_key_size, struct x25519_shared_secret_tag>;

struct x25519_key_pair {
    x25519_public_key public_key;
    x25519_secret_key secret_key;

    // A fresh key pair whose secret comes from `random`.
    static x25519_key_pair generate(random_source& random);
    // The pair of a stored secret key.
    static x25519_key_pair from_secret(x25519_secret_key secret);
    [[nodiscard]] x25519_key_pair clone() const { return {public_key, secret_key.clone()}; }
};

// True for the points of order 1, 2, 4 and 8 (and their non-canonical encodings, ignoring the
// top bit as X25519 does): keys that would force a predictable shared secret.
[[nodiscard]] bool is_low_order(const x25519_public_key& key) noexcept;

// X25519(secret, peer) into `out`; false (and `out` zeroed) when `peer` is low order or the
// result is all zero.
[[nodiscard]] bool x25519(const x25519_secret_key& secret, const x25519_public_key& peer,
                          mutable_bytes_view out) noexcept;
// The same as a value; nullopt in the same cases.
[[nodiscard]] std::optional<x25519_shared_secret> x25519(const x25519_secret_key& secret,
                                                         const x25519_public_key& peer);

} // namespace sotto::crypto
