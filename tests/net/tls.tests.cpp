#include "net/tls.h"

#include "net/protocol.h"
#include "relay_fixture.h"

#include <catch2/catch.hpp>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <sys/stat.h>

using namespace sotto;
using namespace sotto::testing;

TEST_CASE("the first start creates a private self-signed certificate and later starts reuse it",
          "[net][tls]") {
    temporary_directory directory;
    const auto data = directory.path() / "relay";
    const auto files = net::ensure_self_signed_certificate(data);
    for (const auto& path : {files.certificate, files.key}) {
        struct stat info {};
        REQUIRE(::stat(path.c_str(), &info) == 0);
        CHECK((info.st_mode & 0777U) == 0600U);
    }
    struct stat directory_info {};
    REQUIRE(::stat(data.c_str(), &directory_info) == 0);
    CHECK((directory_info.st_mode & 0777U) == 0700U);
    const auto first = net::certificate_file_fingerprint(files.certificate);
    CHECK(first.size() == 64);
    const auto again = net::ensure_self_signed_certificate(data);
    CHECK(net::certificate_file_fingerprint(again.certificate) == first);
    CHECK(net::certificate_fingerprint(net::read_certificate_files(again).certificate) == first);
}

TEST_CASE("a data dir with a certificate but no key is an error, not a silent new identity",
          "[net][tls]") {
    temporary_directory directory;
    const auto files = net::ensure_self_signed_certificate(directory.path());
    std::filesystem::remove(files.key);
    CHECK_THROWS_AS(net::ensure_self_signed_certificate(directory.path()), net::tls_error);
}

TEST_CASE("generated certificates differ and their fingerprints are what clients see",
          "[net][tls]") {
    const auto one = net::generate_self_signed_certificate();
    const auto two = net::generate_self_signed_certificate();
    CHECK(net::certificate_fingerprint(one.certificate) !=
          net::certificate_fingerprint(two.certificate));
    CHECK_THROWS_AS(net::certificate_fingerprint("not a certificate"), net::tls_error);
}

TEST_CASE("pin decisions: match, first use, change and no pin", "[net][tls]") {
    const std::string seen(64, 'a');
    const std::string other(64, 'b');
    CHECK(net::check_pin(seen, seen, false).status == net::pin_status::matched);
    CHECK(net::check_pin(seen, "AA:" + std::string(62, 'A'), false).status ==
          net::pin_status::matched);
    const auto first = net::check_pin(seen, "", true);
    CHECK(first.status == net::pin_status::first_use);
    CHECK(first.seen == seen);
    CHECK(first.accepted());
    const auto changed = net::check_pin(seen, other, true);
    CHECK(changed.status == net::pin_status::mismatch);
    CHECK_FALSE(changed.accepted());
    CHECK_THAT(changed.message, Catch::Contains(seen) && Catch::Contains(other) &&
                                    Catch::Contains("--relay-fingerprint " + seen));
    const auto unpinned = net::check_pin(seen, "", false);
    CHECK(unpinned.status == net::pin_status::unpinned);
    CHECK_FALSE(unpinned.accepted());
}

TEST_CASE("a client refuses a relay whose certificate changed and trusts one on first use",
          "[net][tls]") {
    test_relay relay;
    asio::io_context io;
    auto tls = net::make_client_context();
    run_coroutine(io, [&]() -> asio::awaitable<void> {
        auto options = relay.link_options();
        options.pinned_fingerprint = std::string(64, '0');
        auto pinned_wrong = net::link::connection::create(io.get_executor(), tls, options);
        const auto refused = co_await pinned_wrong->connect();
        CHECK(refused.status == net::link::connect_status::pin_refused);
        CHECK(refused.fingerprint == relay.fingerprint);
        CHECK_THAT(refused.message, Catch::Contains("CHANGED"));

        options.pinned_fingerprint.clear();
        options.trust_on_first_use = true;
        auto first_use = net::link::connection::create(io.get_executor(), tls, options);
        const auto accepted = co_await first_use->connect();
        CHECK(accepted.status == net::link::connect_status::connected);
        CHECK(accepted.first_use);
        CHECK(accepted.fingerprint == relay.fingerprint);
    });
}

TEST_CASE("the login input binds nonce, username and TLS session", "[net][tls]") {
    std::array<std::uint8_t, 32> nonce{};
    nonce.fill(1);
    net::channel_binding binding{};
    binding.fill(2);
    const auto base = net::login_input(nonce, "alice", binding);
    REQUIRE_FALSE(base.empty());
    auto other_binding = binding;
    other_binding[0] = 3;
    auto other_nonce = nonce;
    other_nonce[31] = 0;
    CHECK(net::login_input(nonce, "alice", other_binding) != base);
    CHECK(net::login_input(other_nonce, "alice", binding) != base);
    CHECK(net::login_input(nonce, "alicf", binding) != base);
    CHECK(net::login_input(std::span(nonce).first(31), "alice", binding).empty());
    CHECK(net::login_input(nonce, std::string(256, 'a'), binding).empty());
}

namespace {

// Runs a TLS handshake between `client` and `server` in memory and returns the suite agreed.
std::string negotiated_suite(asio::ssl::context& client, asio::ssl::context& server) {
    SSL* c = SSL_new(client.native_handle());
    SSL* s = SSL_new(server.native_handle());
    BIO* client_side = nullptr;
    BIO* server_side = nullptr;
    REQUIRE(BIO_new_bio_pair(&client_side, 0, &server_side, 0) == 1);
    SSL_set_bio(c, client_side, client_side);
    SSL_set_bio(s, server_side, server_side);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    bool client_done = false;
    bool server_done = false;
    for (int round = 0; round < 20 && !(client_done && server_done); ++round) {
        client_done = client_done || SSL_do_handshake(c) == 1;
        server_done = server_done || SSL_do_handshake(s) == 1;
    }
    std::string suite = client_done && server_done ? SSL_get_cipher_name(s) : "";
    SSL_free(c);
    SSL_free(s);
    return suite;
}

} // namespace

TEST_CASE("the relay picks ChaCha20-Poly1305, the suite with the least per-connection state, "
          "and still accepts a client that offers only AES-GCM",
          "[net][tls]") {
    auto server = net::make_server_context(net::generate_self_signed_certificate());
    auto client = net::make_client_context();
    CHECK(negotiated_suite(client, server) == "TLS_CHACHA20_POLY1305_SHA256");

    auto aes_only = net::make_client_context();
    REQUIRE(SSL_CTX_set_ciphersuites(aes_only.native_handle(), "TLS_AES_128_GCM_SHA256") == 1);
    CHECK(negotiated_suite(aes_only, server) == "TLS_AES_128_GCM_SHA256");
}
