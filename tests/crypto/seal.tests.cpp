#include "crypto/seal.h"

#include "tests/crypto/test_support.h"

#include <catch2/catch.hpp>

using namespace sotto::crypto;
using namespace sotto::crypto::testing;

namespace {
std::optional<seal_error> error_of(const std::variant<secret_buffer, seal_error>& result) {
    if (const auto* error = std::get_if<seal_error>(&result)) {
        return *error;
    }
    return std::nullopt;
}
std::vector<byte> opened(const std::variant<secret_buffer, seal_error>& result) {
    const auto* text = std::get_if<secret_buffer>(&result);
    REQUIRE(text != nullptr);
    return {text->view().begin(), text->view().end()};
}
} // namespace

TEST_CASE("a key derived once seals many blobs that open only with the same passphrase and context",
          "[crypto][seal]") {
    seeded_random random(1);
    const auto key =
        sealing_key::derive(make_passphrase("correct horse"), kdf_params::cheap(), random);
    REQUIRE(key);
    const auto identity_blob = seal(*key, bytes_of("identity secret"), "identity", random);
    const auto body_blob = seal(*key, bytes_of("hello"), "message-body", random);
    CHECK(opened(open_sealed(*key, identity_blob, "identity")) == bytes_of("identity secret"));
    CHECK(opened(open_sealed(*key, body_blob, "message-body")) == bytes_of("hello"));
    // Moved to another field: refused.
    CHECK(error_of(open_sealed(*key, identity_blob, "message-body")) ==
          seal_error::authentication_failed);
    // The same plaintext twice seals differently (random nonce).
    CHECK(seal(*key, bytes_of("hello"), "x", random) != seal(*key, bytes_of("hello"), "x", random));

    // A wrong passphrase with the blob's own parameters and salt: a clean error.
    const auto header = read_seal_header(identity_blob);
    REQUIRE(header);
    CHECK(header->params == kdf_params::cheap());
    CHECK(header->salt == key->salt());
    const auto wrong =
        sealing_key::derive(make_passphrase("correct horsE"), header->params, header->salt);
    REQUIRE(wrong);
    CHECK(error_of(open_sealed(*wrong, identity_blob, "identity")) ==
          seal_error::authentication_failed);
    const auto again =
        sealing_key::derive(make_passphrase("correct horse"), header->params, header->salt);
    CHECK(opened(open_sealed(*again, identity_blob, "identity")) == bytes_of("identity secret"));
}

TEST_CASE("every bit of a sealed blob flipped is refused cleanly", "[crypto][seal]") {
    seeded_random random(2);
    const auto key = sealing_key::derive(make_passphrase("pw"), kdf_params::cheap(), random);
    REQUIRE(key);
    const auto blob = seal(*key, bytes_of("secret"), "ctx", random);
    for (std::size_t bit = 0; bit < blob.size() * 8; ++bit) {
        auto flipped = blob;
        flipped[bit / 8] ^= static_cast<byte>(1U << (bit % 8));
        REQUIRE(error_of(open_sealed(*key, flipped, "ctx")));
    }
    for (std::size_t size = 0; size < blob.size(); ++size) {
        REQUIRE(error_of(open_sealed(*key, bytes_view(blob).first(size), "ctx")));
    }
    auto other_version = blob;
    other_version[0] = 2;
    CHECK(error_of(open_sealed(*key, other_version, "ctx")) == seal_error::unsupported_version);
}

TEST_CASE("raised parameters: old blobs say which key they need", "[crypto][seal]") {
    seeded_random random(3);
    const auto passphrase = make_passphrase("pw");
    const auto old_key = sealing_key::derive(passphrase, kdf_params::cheap(), random);
    kdf_params stronger = kdf_params::cheap();
    stronger.opslimit = 2;
    stronger.memlimit *= 2;
    const auto new_key = sealing_key::derive(passphrase, stronger, random);
    REQUIRE(old_key);
    REQUIRE(new_key);
    const auto old_blob = seal(*old_key, bytes_of("v1"), "ctx", random);
    CHECK(error_of(open_sealed(*new_key, old_blob, "ctx")) == seal_error::key_mismatch);
    const auto header = read_seal_header(old_blob);
    REQUIRE(header);
    const auto rederived = sealing_key::derive(passphrase, header->params, header->salt);
    CHECK(opened(open_sealed(*rederived, old_blob, "ctx")) == bytes_of("v1"));
    CHECK(read_seal_header(seal(*new_key, bytes_of("v2"), "ctx", random))->params == stronger);
}

TEST_CASE("hostile or unacceptable key parameters are refused", "[crypto][seal]") {
    seeded_random random(4);
    CHECK(kdf_params::moderate().acceptable());
    CHECK(kdf_params::moderate().memlimit == 256U * 1024 * 1024);
    CHECK_FALSE((kdf_params{0, 8192}).acceptable());
    CHECK_FALSE((kdf_params{1, 1024}).acceptable());
    CHECK_FALSE((kdf_params{1, std::uint64_t{1} << 40U}).acceptable());
    CHECK_FALSE(sealing_key::derive(make_passphrase("pw"), kdf_params{1, 1024}, random));
    const auto key = sealing_key::derive(make_passphrase("pw"), kdf_params::cheap(), random);
    auto blob = seal(*key, bytes_of("x"), "ctx", random);
    blob[6] = 0xff; // memlimit's top byte: 2^63 bytes
    CHECK_FALSE(read_seal_header(blob));
    CHECK(error_of(open_sealed(*key, blob, "ctx")) == seal_error::malformed);
}

TEST_CASE("an empty plaintext and an empty passphrase still work", "[crypto][seal]") {
    seeded_random random(5);
    const auto key = sealing_key::derive(make_passphrase(""), kdf_params::cheap(), random);
    REQUIRE(key);
    const auto blob = seal(*key, {}, "ctx", random);
    CHECK(opened(open_sealed(*key, blob, "ctx")).empty());
}
