#include "crypto/padding.h"

#include "tests/crypto/test_support.h"

#include <catch2/catch.hpp>

using namespace sotto::crypto;
using namespace sotto::crypto::testing;

TEST_CASE("plaintexts pad to the smallest bucket that fits them and unpad exactly",
          "[crypto][padding]") {
    const std::pair<std::size_t, std::size_t> cases[] = {
        {0, 64},        {63, 64},       {64, 256},      {255, 256},
        {256, 1024},    {1023, 1024},   {4095, 4096},   {4096, 16384},
        {16383, 16384}, {16384, 32768}, {40000, 49152}, {max_padded_size - 1, max_padded_size}};
    for (const auto& [size, bucket] : cases) {
        INFO(size);
        CHECK(padded_size(size) == bucket);
        std::vector<byte> plaintext(size, 0x00); // zeros right before the pad are kept
        if (size > 0) {
            plaintext.front() = 0x80;
        }
        const auto padded = pad(plaintext);
        REQUIRE(padded);
        CHECK(padded->size() == bucket);
        const auto back = unpad(*padded);
        REQUIRE(back);
        CHECK(std::equal(back->begin(), back->end(), plaintext.begin(), plaintext.end()));
    }
    CHECK_FALSE(padded_size(max_padded_size));
    CHECK_FALSE(pad(std::vector<byte>(max_padded_size)));
}

TEST_CASE("malformed padding is refused", "[crypto][padding]") {
    CHECK_FALSE(unpad({}));
    CHECK_FALSE(unpad(std::vector<byte>(64, 0)));    // no marker
    CHECK_FALSE(unpad(std::vector<byte>(63, 0x80))); // not a bucket size
    auto bad = std::vector<byte>(64, 0);
    bad[10] = 0x01; // last non-zero byte is not 0x80
    CHECK_FALSE(unpad(bad));
    auto good = *pad(bytes_of("hi"));
    CHECK(unpad(good)->size() == 2);
    good.push_back(0);
    CHECK_FALSE(unpad(good));
}
