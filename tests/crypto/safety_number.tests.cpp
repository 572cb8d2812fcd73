#include "crypto/safety_number.h"

#include "tests/crypto/test_support.h"

#include <catch2/catch.hpp>

using namespace sotto::crypto;
using namespace sotto::crypto::testing;

namespace {
identity_public_key key_counting(byte first) {
    identity_public_key key;
    for (std::size_t i = 0; i < key.size(); ++i) {
        key.bytes[i] = static_cast<byte>(first + i);
    }
    return key;
}
} // namespace

// The vector of docs/PROTOCOL.md ("Safety numbers"), checked against an independent Python
// implementation of the derivation.
TEST_CASE("the safety number matches the documented test vector", "[crypto][safety]") {
    const auto alice = key_counting(0x00);
    const auto bob = key_counting(0x20);
    CHECK(safety_number_half(alice, "alice") == "312853211110151013083951080530");
    CHECK(safety_number_half(bob, "bob") == "152597132313558509611953701603");
    CHECK(safety_number(alice, "alice", bob, "bob") ==
          "15259 71323 13558 50961 19537 01603 31285 32111 10151 01308 39510 80530");
}

TEST_CASE("both sides see the same safety number and it changes with either key",
          "[crypto][safety]") {
    seeded_random random(21);
    const auto alice = identity_key_pair::generate(random);
    const auto bob = identity_key_pair::generate(random);
    const auto mallory = identity_key_pair::generate(random);
    const auto number = safety_number(alice.public_key(), "alice", bob.public_key(), "bob");
    REQUIRE(number);
    CHECK(number == safety_number(bob.public_key(), "bob", alice.public_key(), "alice"));
    CHECK(number->size() == 60 + 11);
    for (std::size_t i = 0; i < number->size(); ++i) {
        if (i % 6 == 5) {
            CHECK((*number)[i] == ' ');
        } else {
            CHECK(std::isdigit(static_cast<unsigned char>((*number)[i])));
        }
    }
    CHECK(number != safety_number(alice.public_key(), "alice", mallory.public_key(), "bob"));
    CHECK(number != safety_number(alice.public_key(), "alice", bob.public_key(), "bobby"));
}

TEST_CASE("a safety number with oneself is refused", "[crypto][safety]") {
    const auto alice = key_counting(0x00);
    CHECK_FALSE(safety_number(alice, "alice", alice, "alice"));
}
