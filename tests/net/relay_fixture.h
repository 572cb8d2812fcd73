#pragma once
// A relay on 127.0.0.1 with an ephemeral port and real TLS, and coroutine helpers for clients.
// GCC 12 miscompiles co_await inside ?: and inside Catch macros (temporaries destroyed twice):
// always co_await into a local first, then CHECK the local.

#include "crypto/identity.h"
#include "net/link/link.h"
#include "net/relay/server.h"
#include "net/tls.h"
#include "store/relay_store.h"
#include "tests/support/temporary_directory.h"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

namespace sotto::testing {

inline constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// One certificate for the whole test run: generating it is cheap but not free.
inline const net::certificate_files& test_certificate() {
    static temporary_directory directory;
    static const auto files = net::ensure_self_signed_certificate(directory.path());
    return files;
}

struct test_relay {
    asio::ssl::context tls;
    std::shared_ptr<net::relay::backend> backend;
    std::unique_ptr<net::relay::server> server;
    std::string fingerprint;

    explicit test_relay(
        net::relay::server_options options = {},
        std::unique_ptr<store::relay_store> store = store::make_memory_relay_store(),
        net::relay::local_backend_options backend_options = {})
        : tls(net::make_server_context(test_certificate())) {
        options.listen_port = 0;
        backend = net::relay::make_local_backend(std::move(store), backend_options);
        server = std::make_unique<net::relay::server>(options, tls, backend);
        server->start();
        fingerprint = net::certificate_file_fingerprint(test_certificate().certificate);
    }
    ~test_relay() { server->stop(); }

    [[nodiscard]] net::link::link_options link_options() const {
        net::link::link_options options;
        options.relay = {"127.0.0.1", server->port()};
        options.pinned_fingerprint = fingerprint;
        return options;
    }
};

// A user with a deterministic identity key.
struct test_user {
    std::string name;
    crypto::identity_key_pair keys;
    explicit test_user(std::string username, std::uint64_t seed = 0)
        : name(std::move(username)),
          keys(make_keys(seed == 0 ? std::hash<std::string>{}(name) : seed)) {}
    [[nodiscard]] net::link::signer signer() const {
        return [this](crypto::bytes_view message) { return keys.sign(message); };
    }

  private:
    static crypto::identity_key_pair make_keys(std::uint64_t seed) {
        crypto::seeded_random random(seed);
        return crypto::identity_key_pair::generate(random);
    }
};

// Runs `coroutine` on `io` until it finishes; fails the test after `timeout`. Exceptions
// (including failed REQUIREs) thrown inside come out here.
template <typename Coroutine>
void run_coroutine(asio::io_context& io, Coroutine coroutine,
                   std::chrono::seconds timeout = std::chrono::seconds(30)) {
    bool done = false;
    std::exception_ptr failure;
    asio::co_spawn(io, std::move(coroutine), [&](std::exception_ptr error) {
        failure = error;
        done = true;
    });
    const auto give_up = std::chrono::steady_clock::now() + timeout;
    while (!done && std::chrono::steady_clock::now() < give_up) {
        io.run_for(std::chrono::milliseconds(50));
        if (io.stopped()) {
            io.restart();
        }
    }
    if (failure) {
        std::rethrow_exception(failure);
    }
    REQUIRE(done);
}

// Connects, pins and registers (or logs in); requires success.
inline asio::awaitable<std::shared_ptr<net::link::connection>>
connect_user(const test_relay& relay, asio::ssl::context& client_tls, const test_user& user,
             bool register_first) {
    auto executor = co_await asio::this_coro::executor;
    auto link = net::link::connection::create(executor, client_tls, relay.link_options());
    const auto connected = co_await link->connect();
    INFO(connected.message);
    REQUIRE(connected.status == net::link::connect_status::connected);
    // No co_await inside ?: -- GCC 12 destroys the temporaries of both branches.
    wire::AuthResult result;
    if (register_first) {
        result = co_await link->register_account(user.name, user.keys.public_key(), user.signer());
    } else {
        result = co_await link->login(user.name, user.signer());
    }
    INFO(result.message());
    REQUIRE(result.status() == wire::AuthResult::OK);
    co_return link;
}

// Registers `user` and leaves: an account that is offline from then on.
inline asio::awaitable<void>
register_offline(const test_relay& relay, asio::ssl::context& client_tls, const test_user& user) {
    auto link = co_await connect_user(relay, client_tls, user, true);
    link->close();
}

// The next frame of the wanted kind, skipping Presence and others; nullopt when closed.
inline asio::awaitable<std::optional<wire::Frame>> receive_kind(net::link::connection& link,
                                                                wire::Frame::BodyCase kind) {
    for (;;) {
        auto frame = co_await link.receive();
        if (!frame || frame->body_case() == kind) {
            co_return frame;
        }
    }
}

inline wire::Frame make_send(const std::vector<std::string>& recipients, std::uint8_t id_byte,
                             const std::string& ciphertext, std::uint8_t id_prefix = 0) {
    wire::Frame frame;
    auto& send = *frame.mutable_send();
    for (const auto& r : recipients) {
        send.add_recipients(r);
    }
    std::string id(16, static_cast<char>(id_prefix));
    id[15] = static_cast<char>(id_byte);
    send.set_id(id);
    send.set_ciphertext(ciphertext);
    return frame;
}

inline asio::awaitable<void> sleep_for(std::chrono::milliseconds duration) {
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor, duration);
    co_await timer.async_wait(use_tuple);
}

} // namespace sotto::testing
