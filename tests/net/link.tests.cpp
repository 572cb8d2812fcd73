#include "net/link/link.h"

#include "relay_fixture.h"

#include <asio/detached.hpp>
#include <catch2/catch.hpp>

#include <set>

using namespace sotto;
using namespace sotto::testing;

TEST_CASE("reconnect backoff doubles up to the maximum with jitter in [half, full]",
          "[net][link]") {
    crypto::seeded_random random(7);
    const net::link::backoff_policy policy{std::chrono::milliseconds(500),
                                           std::chrono::milliseconds(8000)};
    for (unsigned attempt = 0; attempt < 10; ++attempt) {
        const auto full = std::min<std::int64_t>(500LL << attempt, 8000);
        for (int sample = 0; sample < 50; ++sample) {
            const auto delay = net::link::backoff_delay(policy, attempt, random).count();
            CHECK(delay >= full / 2);
            CHECK(delay <= full);
        }
    }
    // Not every client waits the same: the jitter spreads them.
    std::set<std::int64_t> seen;
    for (int sample = 0; sample < 20; ++sample) {
        seen.insert(net::link::backoff_delay(policy, 3, random).count());
    }
    CHECK(seen.size() > 5);
}

TEST_CASE("the reconnecting link comes back after the relay drops it", "[net][link]") {
    test_relay relay;
    asio::io_context io;
    auto tls = net::make_client_context();
    test_user alice("alice");
    int connected = 0;
    int disconnected = 0;
    bool stop = false;
    net::link::reconnect_handlers handlers;
    handlers.authenticate = [&](net::link::connection& link) -> asio::awaitable<bool> {
        const auto result =
            co_await link.register_account(alice.name, alice.keys.public_key(), alice.signer());
        co_return result.status() == wire::AuthResult::OK;
    };
    std::shared_ptr<net::link::connection> current;
    handlers.on_connected = [&](const std::shared_ptr<net::link::connection>& link) {
        ++connected;
        current = link;
        if (connected == 1) {
            // Provoke the relay into closing this connection: a frame only the relay may send.
            wire::Frame deliver;
            deliver.mutable_deliver()->set_sender("bob");
            link->send(deliver);
        } else {
            stop = true;
            wire::Frame ping;
            ping.mutable_ping()->set_token(1);
            link->send(ping); // answered with a Pong, which wakes the loop to see `stop`
        }
    };
    handlers.on_disconnected = [&](const std::string&, std::chrono::milliseconds) {
        ++disconnected;
    };
    run_coroutine(io, [&]() -> asio::awaitable<void> {
        co_await net::link::run_with_reconnect(
            io.get_executor(), tls, relay.link_options(), handlers, [&] { return stop; },
            {std::chrono::milliseconds(20), std::chrono::milliseconds(100)});
    });
    CHECK(connected == 2);
    CHECK(disconnected == 1);
}
