#include "crypto/random.h"

#include <catch2/catch.hpp>

#include <array>

using namespace sotto::crypto;

TEST_CASE(
    "an empty fill is allowed and draws no bytes, and a seeded stream stays the same after it",
    "[crypto][random]") {
    // An empty view's data() may be null, which libsodium's randombytes functions must never get
    // (UBSan: "null pointer passed as argument 1" under the asan preset).
    system_random system;
    system.fill(mutable_bytes_view{});
    seeded_random with_empty(3), without(3);
    with_empty.fill(mutable_bytes_view{});
    std::array<byte, 32> a{}, b{}, skipped{};
    without.fill(skipped); // the empty draw used a call number too
    with_empty.fill(a);
    without.fill(b);
    CHECK(a == b);
    seeded_random again(3);
    std::array<byte, 32> first{};
    again.fill(first);
    CHECK(first == skipped);
}
