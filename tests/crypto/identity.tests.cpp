#include "crypto/identity.h"

#include <catch2/catch.hpp>

#include <string>

using namespace sotto::crypto;

namespace {
std::vector<byte> bytes_of(std::string_view text) {
    return {text.begin(), text.end()};
}
} // namespace

TEST_CASE("a signature verifies only for the signed message and the signer's key",
          "[crypto][identity]") {
    seeded_random random(1);
    const auto alice = identity_key_pair::generate(random);
    const auto bob = identity_key_pair::generate(random);
    const auto message = bytes_of("hello bob");
    const auto sig = alice.sign(message);
    CHECK(verify(alice.public_key(), message, sig));
    CHECK_FALSE(verify(bob.public_key(), message, sig));
    CHECK_FALSE(verify(alice.public_key(), bytes_of("hello bot"), sig));
    for (std::size_t bit = 0; bit < signature_size * 8; ++bit) {
        auto flipped = sig;
        flipped.bytes[bit / 8] ^= static_cast<byte>(1U << (bit % 8));
        REQUIRE_FALSE(verify(alice.public_key(), message, flipped));
    }
}

TEST_CASE("a seeded source generates the same identity twice and different seeds differ",
          "[crypto][identity]") {
    seeded_random first(42);
    seeded_random second(42);
    seeded_random other(43);
    const auto a = identity_key_pair::generate(first);
    const auto b = identity_key_pair::generate(second);
    const auto c = identity_key_pair::generate(other);
    CHECK(a.public_key() == b.public_key());
    CHECK(a.public_key() != c.public_key());
}

TEST_CASE("a stored secret key round-trips and a corrupted one is refused", "[crypto][identity]") {
    system_random random;
    const auto original = identity_key_pair::generate(random);
    auto restored = identity_key_pair::from_secret(original.secret_key().clone());
    REQUIRE(restored);
    CHECK(restored->public_key() == original.public_key());

    auto corrupted = original.secret_key().clone();
    corrupted.data()[40] ^= 1U; // the embedded public half
    CHECK_FALSE(identity_key_pair::from_secret(std::move(corrupted)));
}

TEST_CASE("a verification against an all-zero key fails rather than crashing",
          "[crypto][identity]") {
    const identity_public_key zero{};
    const signature sig{};
    CHECK_FALSE(verify(zero, bytes_of("x"), sig));
}

TEST_CASE("hex encoding round-trips and rejects malformed input", "[crypto][encoding]") {
    const std::vector<byte> data{0x00, 0x7f, 0x80, 0xff};
    CHECK(to_hex(data) == "007f80ff");
    CHECK(from_hex("007F80ff") == data);
    CHECK_FALSE(from_hex("abc"));
    CHECK_FALSE(from_hex("zz"));
    CHECK_FALSE(from_hex("00 11"));
    CHECK(from_hex("")->empty());
}

TEST_CASE("SHA-256 matches the FIPS 180-2 test vector", "[crypto][hash]") {
    CHECK(to_hex(sha256(bytes_of("abc")).view()) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("a fingerprint is 8 groups of 4 hex digits and differs between keys",
          "[crypto][identity]") {
    seeded_random random(7);
    const auto a = identity_key_pair::generate(random);
    const auto b = identity_key_pair::generate(random);
    const auto text = fingerprint(a.public_key());
    CHECK(text.size() == 39);
    for (std::size_t i = 4; i < text.size(); i += 5) {
        CHECK(text[i] == ' ');
    }
    CHECK(text != fingerprint(b.public_key()));
    CHECK(text == fingerprint(a.public_key()));
}

TEST_CASE("uniform draws stay below their bound", "[crypto][random]") {
    seeded_random random(3);
    for (std::uint32_t bound : {1U, 2U, 3U, 10U, 1000U, 0xffffffffU}) {
        for (int i = 0; i < 200; ++i) {
            REQUIRE(random.uniform(bound) < std::max(bound, 1U));
        }
    }
    CHECK(random.uniform(0) == 0);
}
