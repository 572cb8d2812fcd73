#include "crypto/hkdf.h"

#include "tests/crypto/test_support.h"

#include <catch2/catch.hpp>

using namespace sotto::crypto;
using namespace sotto::crypto::testing;

namespace {
std::string hkdf256_hex(bytes_view salt, bytes_view ikm, bytes_view info, std::size_t length) {
    std::vector<byte> out(length);
    REQUIRE(hkdf_sha256(salt, ikm, info, out));
    return to_hex(out);
}
} // namespace

TEST_CASE("HKDF-SHA-256 matches RFC 5869 test case 1", "[crypto][hkdf]") {
    CHECK(
        hkdf256_hex(counting(0x00, 0x0c), std::vector<byte>(22, 0x0b), counting(0xf0, 0xf9), 42) ==
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST_CASE("HKDF-SHA-256 matches RFC 5869 test case 2 (long inputs)", "[crypto][hkdf]") {
    CHECK(hkdf256_hex(counting(0x60, 0xaf), counting(0x00, 0x4f), counting(0xb0, 0xff), 82) ==
          "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
          "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
          "cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

TEST_CASE("HKDF-SHA-256 matches RFC 5869 test case 3 (empty salt and info)", "[crypto][hkdf]") {
    CHECK(hkdf256_hex({}, std::vector<byte>(22, 0x0b), {}, 42) ==
          "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST_CASE("HKDF-SHA-512 matches an independent implementation (Python hmac)", "[crypto][hkdf]") {
    std::vector<byte> out(42);
    REQUIRE(
        hkdf_sha512(counting(0x00, 0x0c), std::vector<byte>(22, 0x0b), counting(0xf0, 0xf9), out));
    CHECK(to_hex(out) ==
          "832390086cda71fb47625bb5ceb168e4c8e26a1a16ed34d9fc7fe92c1481579338da362cb8d9f925d7cb");
    std::vector<byte> longer(100);
    REQUIRE(hkdf_sha512({}, std::vector<byte>(22, 0x0b), {}, longer));
    CHECK(to_hex(longer) ==
          "f5fa02b18298a72a8c23898a8703472c6eb179dc204c03425c970e3b164bf90fff22d04836d0e2343bac"
          "c4e7cb6045faaa698e0e3b3eb91331306def1db8319e8a699b5ee45ab993847dc4df75bde023692c8c07"
          "10a67a55123f10a8b2d8327f9eb138da");
}

TEST_CASE("HKDF refuses an empty or over-long output", "[crypto][hkdf]") {
    std::vector<byte> too_long(255 * 32 + 1, 0xaa);
    CHECK_FALSE(hkdf_sha256({}, bytes_of("ikm"), {}, too_long));
    CHECK(too_long[0] == 0);
    std::vector<byte> longest(255 * 32);
    CHECK(hkdf_sha256({}, bytes_of("ikm"), {}, longest));
    CHECK_FALSE(hkdf_sha256({}, bytes_of("ikm"), {}, {}));
}

TEST_CASE("HMAC-SHA-256 matches RFC 4231 test case 2", "[crypto][hkdf]") {
    std::array<byte, 32> out{};
    REQUIRE(hmac_sha256(bytes_of("Jefe"), bytes_of("what do ya want for nothing?"), out));
    CHECK(to_hex(out) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    std::array<byte, 31> wrong{};
    CHECK_FALSE(hmac_sha256(bytes_of("Jefe"), bytes_of("x"), wrong));
}
