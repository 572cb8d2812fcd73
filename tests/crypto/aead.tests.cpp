#include "crypto/aead.h"

#include "tests/crypto/test_support.h"

#include <catch2/catch.hpp>

using namespace sotto::crypto;
using namespace sotto::crypto::testing;

TEST_CASE("an AEAD ciphertext opens only with its key, nonce and associated data",
          "[crypto][aead]") {
    seeded_random random(5);
    aead_key key;
    random.fill(key.mutable_view());
    aead_nonce nonce;
    random.fill(nonce.mutable_view());
    const auto plaintext = bytes_of("attack at dawn");
    const auto ad = bytes_of("header");
    const auto sealed = aead_encrypt(key, nonce, plaintext, ad);
    REQUIRE(sealed.size() == plaintext.size() + aead_tag_size);

    const auto opened = aead_decrypt(key, nonce, sealed, ad);
    REQUIRE(opened);
    CHECK(std::equal(opened->view().begin(), opened->view().end(), plaintext.begin(),
                     plaintext.end()));

    CHECK_FALSE(aead_decrypt(key, nonce, sealed, bytes_of("headex")));
    auto other_nonce = nonce;
    other_nonce.bytes[0] ^= 1U;
    CHECK_FALSE(aead_decrypt(key, other_nonce, sealed, ad));
    aead_key other_key;
    CHECK_FALSE(aead_decrypt(other_key, nonce, sealed, ad));
    for (std::size_t bit = 0; bit < sealed.size() * 8; ++bit) {
        auto flipped = sealed;
        flipped[bit / 8] ^= static_cast<byte>(1U << (bit % 8));
        REQUIRE_FALSE(aead_decrypt(key, nonce, flipped, ad));
    }
    CHECK_FALSE(aead_decrypt(key, nonce, bytes_view(sealed).first(aead_tag_size - 1), ad));
}

TEST_CASE("an empty plaintext round-trips", "[crypto][aead]") {
    aead_key key;
    const aead_nonce nonce{};
    const auto sealed = aead_encrypt(key, nonce, {}, {});
    CHECK(sealed.size() == aead_tag_size);
    const auto opened = aead_decrypt(key, nonce, sealed, {});
    REQUIRE(opened);
    CHECK(opened->empty());
}
