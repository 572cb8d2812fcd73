#include "crypto/x25519.h"

#include "tests/crypto/test_support.h"

#include <catch2/catch.hpp>

using namespace sotto::crypto;
using namespace sotto::crypto::testing;

namespace {
x25519_secret_key secret_from_hex(std::string_view text) {
    x25519_secret_key secret;
    const auto raw = hex(text);
    std::copy(raw.begin(), raw.end(), secret.data());
    return secret;
}

const char* const low_order_hex[] = {
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    // The same with the ignored top bit set.
    "0000000000000000000000000000000000000000000000000000000000000080",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
};
} // namespace

TEST_CASE("X25519 matches the RFC 7748 section 6.1 vector in both directions", "[crypto][x25519]") {
    const auto alice = x25519_key_pair::from_secret(
        secret_from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
    const auto bob = x25519_key_pair::from_secret(
        secret_from_hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
    CHECK(to_hex(alice.public_key.view()) ==
          "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    CHECK(to_hex(bob.public_key.view()) ==
          "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    const auto ab = x25519(alice.secret_key, bob.public_key);
    const auto ba = x25519(bob.secret_key, alice.public_key);
    REQUIRE(ab);
    REQUIRE(ba);
    CHECK(to_hex(ab->view()) == "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    CHECK(*ab == *ba);
}

TEST_CASE("all-zero and low-order public keys are refused", "[crypto][x25519]") {
    seeded_random random(11);
    const auto mine = x25519_key_pair::generate(random);
    for (const char* text : low_order_hex) {
        const auto point = fixed_from_hex<x25519_public_key>(text);
        INFO(text);
        CHECK(is_low_order(point));
        CHECK_FALSE(x25519(mine.secret_key, point));
        std::array<byte, 32> out{};
        out.fill(0xaa);
        CHECK_FALSE(x25519(mine.secret_key, point, out));
        CHECK(out == std::array<byte, 32>{});
    }
}

TEST_CASE("ordinary generated keys are not low order and agree", "[crypto][x25519]") {
    seeded_random random(12);
    for (int i = 0; i < 50; ++i) {
        const auto a = x25519_key_pair::generate(random);
        const auto b = x25519_key_pair::generate(random);
        REQUIRE_FALSE(is_low_order(a.public_key));
        const auto ab = x25519(a.secret_key, b.public_key);
        const auto ba = x25519(b.secret_key, a.public_key);
        REQUIRE(ab);
        REQUIRE(ba);
        REQUIRE(*ab == *ba);
    }
}
