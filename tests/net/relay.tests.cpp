#include "net/frame.h"
#include "net/protocol.h"
#include "relay_fixture.h"
#include "tests/net/gated_store.h"

#include <asio/detached.hpp>
#include <asio/write.hpp>
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>

using namespace sotto;
using namespace sotto::testing;
using sotto::net::link::connection;

namespace {

asio::awaitable<void> ack(connection& link, const wire::Deliver& deliver) {
    wire::Frame frame;
    auto* item = frame.mutable_deliver_ack()->add_items();
    item->set_sender(deliver.sender());
    item->set_id(deliver.id());
    link.send(frame);
    co_return;
}

// Returns once the relay has answered a key lookup for `name` from `link`: the store answers
// lookups after the connection's own login fetch, so a test may gate fetches from then on.
asio::awaitable<void> after_own_login_fetch(connection& link, std::string name) {
    wire::Frame lookup;
    lookup.mutable_key_lookup()->set_username(name);
    link.send(lookup);
    const auto info = co_await receive_kind(link, wire::Frame::kKeyInfo);
    REQUIRE(info); // GCC 12: no co_await inside an assertion's temporaries
}

// A relay whose store can hold commits and fetches at a gate (tests/net/gated_store.h), a client
// context and two users: what the tests of the early-push and fetch paths start from.
struct gated_relay {
    gated_store::gate gate;
    test_relay relay{{}, std::make_unique<gated_store>(gate)};
    asio::io_context io;
    asio::ssl::context tls = net::make_client_context();
    test_user alice{"alice"}, bob{"bob"};
};

// Sends a raw byte string on a fresh, Hello'd connection and returns the relay's Error code,
// or CODE_UNSPECIFIED when the connection closed without one.
asio::awaitable<wire::Error::Code> error_after_raw(const test_relay& relay, asio::ssl::context& tls,
                                                   const test_user* login_as, std::string raw) {
    auto executor = co_await asio::this_coro::executor;
    std::shared_ptr<connection> link;
    if (login_as != nullptr) {
        link = co_await connect_user(relay, tls, *login_as, true);
    } else {
        link = connection::create(executor, tls, relay.link_options());
        const auto connected = co_await link->connect();
        REQUIRE(connected.status == net::link::connect_status::connected);
    }
    link->send_raw(std::move(raw));
    while (auto frame = co_await link->receive()) {
        if (frame->has_error()) {
            // The relay closes after the Error: nothing but the end of the stream follows.
            const auto code = frame->error().code();
            auto after = co_await link->receive();
            CHECK_FALSE(after.has_value());
            co_return code;
        }
    }
    co_return wire::Error::CODE_UNSPECIFIED;
}

asio::awaitable<wire::AuthResult::Status> register_with(const test_relay& relay,
                                                        asio::ssl::context& tls,
                                                        const test_user& user, std::string code) {
    auto executor = co_await asio::this_coro::executor;
    auto link = connection::create(executor, tls, relay.link_options());
    {
        const auto awaited = co_await link->connect();
        REQUIRE(awaited.status == net::link::connect_status::connected);
    }
    const auto result =
        co_await link->register_account(user.name, user.keys.public_key(), user.signer(), code);
    co_return result.status();
}

// alice -> bob still flows.
asio::awaitable<void> still_working(connection& a, connection& b, std::uint8_t n) {
    a.send(make_send({"bob"}, n, "still here"));
    auto deliver = co_await receive_kind(b, wire::Frame::kDeliver);
    REQUIRE(deliver);
    CHECK(deliver->deliver().ciphertext() == "still here");
    co_await ack(b, deliver->deliver());
}

std::string header(std::uint32_t length) {
    return {static_cast<char>(length >> 24U), static_cast<char>(length >> 16U),
            static_cast<char>(length >> 8U), static_cast<char>(length)};
}

} // namespace

TEST_CASE("many clients register, log in and exchange messages concurrently", "[net][relay]") {
    test_relay relay;
    asio::io_context io;
    auto tls = net::make_client_context();
    constexpr int users = 16;
    constexpr int messages_each = 20;
    std::vector<test_user> people;
    for (int i = 0; i < users; ++i) {
        people.emplace_back("user" + std::to_string(i));
    }
    // Register everyone first so no Send meets an unknown recipient.
    for (auto& person : people) {
        run_coroutine(io, [&]() -> asio::awaitable<void> {
            auto link = co_await connect_user(relay, tls, person, true);
            link->close();
        });
    }
    std::map<std::string, std::multiset<std::string>> received;
    std::map<std::string, int> queued_results;
    int finished = 0;
    for (int i = 0; i < users; ++i) {
        asio::co_spawn(
            io,
            [&, i]() -> asio::awaitable<void> {
                const auto& me = people[static_cast<std::size_t>(i)];
                auto link = co_await connect_user(relay, tls, me, false);
                const auto& peer = people[static_cast<std::size_t>((i + 1) % users)];
                for (int m = 0; m < messages_each; ++m) {
                    link->send(make_send({peer.name}, static_cast<std::uint8_t>(m),
                                         me.name + ":" + std::to_string(m),
                                         static_cast<std::uint8_t>(i)));
                }
                int results = 0;
                int delivered = 0;
                while (results < messages_each || delivered < messages_each) {
                    auto frame = co_await link->receive();
                    REQUIRE(frame.has_value());
                    if (frame->has_send_result()) {
                        ++results;
                        REQUIRE(frame->send_result().results_size() == 1);
                        if (frame->send_result().results(0).status() == wire::SendResult::QUEUED) {
                            ++queued_results[me.name];
                        }
                    } else if (frame->has_deliver()) {
                        ++delivered;
                        received[me.name].insert(frame->deliver().ciphertext());
                        co_await ack(*link, frame->deliver());
                    }
                }
                link->close();
                ++finished;
            },
            asio::detached);
    }
    run_coroutine(io, [&]() -> asio::awaitable<void> {
        while (finished < users) {
            co_await sleep_for(std::chrono::milliseconds(10));
        }
    });
    for (int i = 0; i < users; ++i) {
        const auto& me = people[static_cast<std::size_t>(i)];
        const auto& sender = people[static_cast<std::size_t>((i + users - 1) % users)];
        CHECK(queued_results[me.name] == messages_each);
        std::multiset<std::string> expected;
        for (int m = 0; m < messages_each; ++m) {
            expected.insert(sender.name + ":" + std::to_string(m));
        }
        CHECK(received[me.name] == expected);
    }
}

TEST_CASE("messages to an offline user arrive in order when it logs in and not again after the ack",
          "[net][relay]") {
    test_relay relay;
    asio::io_context io;
    auto tls = net::make_client_context();
    test_user alice("alice");
    test_user bob("bob");
    run_coroutine(io, [&]() -> asio::awaitable<void> {
        auto b = co_await connect_user(relay, tls, bob, true);
        b->close();
        auto a = co_await connect_user(relay, tls, alice, true);
        for (std::uint8_t m = 0; m < 5; ++m) {
            a->send(make_send({"bob"}, m, "sealed-" + std::to_string(m)));
            auto result = co_await receive_kind(*a, wire::Frame::kSendResult);
            REQUIRE(result);
            CHECK(result->send_result().results(0).status() == wire::SendResult::QUEUED);
        }
        b = co_await connect_user(relay, tls, bob, false);
        for (std::uint8_t m = 0; m < 5; ++m) {
            auto deliver = co_await receive_kind(*b, wire::Frame::kDeliver);
            REQUIRE(deliver);
            CHECK(deliver->deliver().sender() == "alice");
            CHECK(deliver->deliver().ciphertext() == "sealed-" + std::to_string(m));
            co_await ack(*b, deliver->deliver());
        }
        // A round trip makes sure the acks were handled before we reconnect.
        wire::Frame users_request;
        users_request.mutable_users_request();
        b->send(users_request);
        {
            const auto awaited = co_await receive_kind(*b, wire::Frame::kUsers);
            REQUIRE(awaited);
        }
        relay.backend->drain();
        b->close();
        b = co_await connect_user(relay, tls, bob, false);
        a->send(make_send({"bob"}, 99, "after"));
        auto deliver = co_await receive_kind(*b, wire::Frame::kDeliver);
        REQUIRE(deliver);
        CHECK(deliver->deliver().ciphertext() == "after"); // nothing acked came back first
    });
}

TEST_CASE("a wrong signature, a signature replayed from another TLS session and an unknown name "
          "are refused",
          "[net][relay]") {
    test_relay relay;
    asio::io_context io;
    auto tls = net::make_client_context();
    test_user alice("alice");
    test_user mallory("alice", 12345); // same name, another key
    run_coroutine(io, [&]() -> asio::awaitable<void> {
        auto first = co_await connect_user(relay, tls, alice, true);
        SECTION("wrong key") {
            auto link = connection::create(io.get_executor(), tls, relay.link_options());
            const auto connected = co_await link->connect();
            INFO(connected.message);
            REQUIRE(connected.status == net::link::connect_status::connected);
            const auto result = co_await link->login("alice", mallory.signer());
            CHECK(result.status() == wire::AuthResult::BAD_SIGNATURE);
        }
        SECTION("replayed from another session") {
            // Record what alice signed on one connection and present it on another.
            auto recorder = connection::create(io.get_executor(), tls, relay.link_options());
            {
                const auto awaited = co_await recorder->connect();
                REQUIRE(awaited.status == net::link::connect_status::connected);
            }
            std::optional<crypto::signature> recorded;
            const auto good = co_await recorder->login("alice", [&](crypto::bytes_view message) {
                recorded = alice.keys.sign(message);
                return *recorded;
            });
            REQUIRE(good.status() == wire::AuthResult::OK);
            auto replay = connection::create(io.get_executor(), tls, relay.link_options());
            {
                const auto awaited = co_await replay->connect();
                REQUIRE(awaited.status == net::link::connect_status::connected);
            }
            CHECK(replay->binding() != recorder->binding());
            const auto result =
                co_await replay->login("alice", [&](crypto::bytes_view) { return *recorded; });
            CHECK(result.status() == wire::AuthResult::BAD_SIGNATURE);
        }
        SECTION("unregistered name") {
            test_user nobody("nobody");
            auto link = connection::create(io.get_executor(), tls, relay.link_options());
            {
                const auto awaited = co_await link->connect();
                REQUIRE(awaited.status == net::link::connect_status::connected);
            }
            const auto result = co_await link->login("nobody", nobody.signer());
            CHECK(result.status() == wire::AuthResult::UNKNOWN_USER);
        }
        SECTION("a name held by another key") {
            auto link = connection::create(io.get_executor(), tls, relay.link_options());
            {
                const auto awaited = co_await link->connect();
                REQUIRE(awaited.status == net::link::connect_status::connected);
            }
            const auto result = co_await link->register_account("alice", mallory.keys.public_key(),
                                                                mallory.signer());
            CHECK(result.status() == wire::AuthResult::NAME_TAKEN);
        }
        first->close();
    });
}

TEST_CASE("repeated failed logins from one address are rate limited", "[net][relay]") {
    net::relay::server_options options;
    options.failed_login_burst_per_ip = 3;
    options.failed_logins_per_minute_per_ip = 1;
    test_relay relay(options);
    asio::io_context io;
    auto tls = net::make_client_context();
    test_user nobody("nobody");
    run_coroutine(io, [&]() -> asio::awaitable<void> {
        std::vector<wire::AuthResult::Status> statuses;
        for (int i = 0; i < 5; ++i) {
            auto link = connection::create(io.get_executor(), tls, relay.link_options());
            {
                const auto awaited = co_await link->connect();
                REQUIRE(awaited.status == net::link::connect_status::connected);
            }
            const auto result = co_await link->login("nobody", nobody.signer());
            statuses.push_back(result.status());
        }
        CHECK(statuses[0] == wire::AuthResult::UNKNOWN_USER);
        CHECK(statuses[2] == wire::AuthResult::UNKNOWN_USER);
        CHECK(statuses[3] == wire::AuthResult::RATE_LIMITED);
        CHECK(statuses[4] == wire::AuthResult::RATE_LIMITED);
    });
}

TEST_CASE("invite codes are required, single-use and expire", "[net][relay]") {
    auto store = store::make_memory_relay_store();
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    REQUIRE(store->add_invite({"good-code", 1, now + 3600}));
    REQUIRE(store->add_invite({"old-code", 5, now - 10}));
    net::relay::server_options options;
    options.invite_only = true;
    test_relay relay(options, std::move(store));
    asio::io_context io;
    auto tls = net::make_client_context();
    run_coroutine(io, [&]() -> asio::awaitable<void> {
        const test_user carol("carol"), dave("dave"), erin("erin");
        {
            const auto awaited = co_await register_with(relay, tls, carol, "");
            CHECK(awaited == wire::AuthResult::INVITE_REQUIRED);
        }
        {
            const auto awaited = co_await register_with(relay, tls, carol, "old-code");
            CHECK(awaited == wire::AuthResult::INVITE_INVALID);
        }
        {
            const auto awaited = co_await register_with(relay, tls, carol, "made-up");
            CHECK(awaited == wire::AuthResult::INVITE_INVALID);
        }
        {
            const auto awaited = co_await register_with(relay, tls, dave, "good-code");
            CHECK(awaited == wire::AuthResult::OK);
        }
        {
            const auto awaited = co_await register_with(relay, tls, erin, "good-code");
            CHECK(awaited == wire::AuthResult::INVITE_INVALID);
        }
    });
}

TEST_CASE("each malformed input closes only its own connection", "[net][relay]") {
    net::relay::server_options options;
    options.limits.auth_deadline = std::chrono::milliseconds(1500);
    test_relay relay(options);
    asio::io_context io;
    auto tls = net::make_client_context();
    test_user alice("alice"), bob("bob"), mallory("mallory");
    run_coroutine(io, [&]() -> asio::awaitable<void> {
        auto a = co_await connect_user(relay, tls, alice, true);
        auto b = co_await connect_user(relay, tls, bob, true);
        wire::Frame ping;
        ping.mutable_ping()->set_token(1);
        const std::string valid = net::encode_frame(ping);
        wire::Frame deliver;
        deliver.mutable_deliver()->set_sender("bob");
        const std::vector<std::pair<std::string, wire::Error::Code>> cases_after_login{
            {header(64 * 1024 + 1) + std::string("xx"), wire::Error::FRAME_TOO_LARGE},
            {header(3) + std::string("\xff\xff\xff"), wire::Error::MALFORMED_FRAME},
            {header(3) + std::string("\x98\x06\x01", 3),
             wire::Error::MALFORMED_FRAME}, // unknown type
            {valid + std::string("\xde\xad\xbe\xef garbage"), wire::Error::FRAME_TOO_LARGE},
            {net::encode_frame(deliver), wire::Error::UNEXPECTED_FRAME}, // only the relay sends it
        };
        std::uint8_t n = 0;
        for (const auto& [raw, expected] : cases_after_login) {
            INFO("case " << int(n));
            {
                const auto awaited = co_await error_after_raw(relay, tls, &mallory, raw);
                CHECK(awaited == expected);
            }
            co_await still_working(*a, *b, ++n);
        }
        // A Send before authenticating.
        const std::string early_send = net::encode_frame(make_send({"bob"}, 5, "x"));
        {
            const auto awaited = co_await error_after_raw(relay, tls, nullptr, early_send);
            CHECK(awaited == wire::Error::UNEXPECTED_FRAME);
        }
        co_await still_working(*a, *b, ++n);
        // A truncated frame: half a header, then silence until the auth deadline.
        const std::string half_header = header(100).substr(0, 2);
        {
            const auto awaited = co_await error_after_raw(relay, tls, nullptr, half_header);
            CHECK(awaited == wire::Error::AUTH_TIMEOUT);
        }
        co_await still_working(*a, *b, ++n);
        a->close();
        b->close();
    });
}

TEST_CASE("a full recipient queue is refused with QUEUE_FULL", "[net][relay]") {
    net::relay::local_backend_options backend_options;
    backend_options.limits.max_messages = 3;
    test_relay relay({}, store::make_memory_relay_store(), backend_options);
    asio::io_context io;
    auto tls = net::make_client_context();
    test_user alice("alice"), bob("bob");
    run_coroutine(io, [&]() -> asio::awaitable<void> {
        co_await register_offline(relay, tls, bob);
        auto a = co_await connect_user(relay, tls, alice, true);
        std::vector<wire::SendResult::Status> statuses;
        for (std::uint8_t m = 0; m < 4; ++m) {
            a->send(make_send({"bob"}, m, "m"));
            auto result = co_await receive_kind(*a, wire::Frame::kSendResult);
            REQUIRE(result);
            statuses.push_back(result->send_result().results(0).status());
        }
        CHECK(statuses == std::vector<wire::SendResult::Status>{
                              wire::SendResult::QUEUED, wire::SendResult::QUEUED,
                              wire::SendResult::QUEUED, wire::SendResult::QUEUE_FULL});
        a->send(make_send({"nobody"}, 9, "m"));
        auto unknown = co_await receive_kind(*a, wire::Frame::kSendResult);
        REQUIRE(unknown);
        CHECK(unknown->send_result().results(0).status() == wire::SendResult::UNKNOWN_RECIPIENT);
    });
}

TEST_CASE("a repeated Send is stored and delivered once", "[net][relay]") {
    test_relay relay;
    asio::io_context io;
    auto tls = net::make_client_context();
    test_user alice("alice"), bob("bob");
    run_coroutine(io, [&]() -> asio::awaitable<void> {
        co_await register_offline(relay, tls, bob);
        auto a = co_await connect_user(relay, tls, alice, true);
        std::vector<wire::SendResult::Status> statuses;
        for (int i = 0; i < 3; ++i) {
            a->send(make_send({"bob"}, 7, "same"));
            auto result = co_await receive_kind(*a, wire::Frame::kSendResult);
            REQUIRE(result);
            statuses.push_back(result->send_result().results(0).status());
        }
        CHECK(statuses == std::vector<wire::SendResult::Status>{wire::SendResult::QUEUED,
                                                                wire::SendResult::DUPLICATE,
                                                                wire::SendResult::DUPLICATE});
        a->send(make_send({"bob"}, 8, "marker"));
        {
            const auto awaited = co_await receive_kind(*a, wire::Frame::kSendResult);
            REQUIRE(awaited);
        }
        auto b = co_await connect_user(relay, tls, bob, false);
        auto first = co_await receive_kind(*b, wire::Frame::kDeliver);
        auto second = co_await receive_kind(*b, wire::Frame::kDeliver);
        REQUIRE(first);
        REQUIRE(second);
        CHECK(first->deliver().ciphertext() == "same");
        CHECK(second->deliver().ciphertext() == "marker");
    });
}

TEST_CASE("presence, the online list and the key directory", "[net][relay]") {
    test_relay relay;
    asio::io_context io;
    auto tls = net::make_client_context();
    test_user alice("alice"), bob("bob");
    run_coroutine(io, [&]() -> asio::awaitable<void> {
        auto a = co_await connect_user(relay, tls, alice, true);
        co_await register_offline(relay, tls, bob);
        wire::Frame lookup;
        lookup.mutable_key_lookup()->set_username("bob");
        a->send(lookup);
        auto info = co_await receive_kind(*a, wire::Frame::kKeyInfo);
        REQUIRE(info);
        CHECK(info->key_info().identity_key() ==
              std::string(reinterpret_cast<const char*>(bob.keys.public_key().data()), 32));
        lookup.mutable_key_lookup()->set_username("nobody");
        a->send(lookup);
        info = co_await receive_kind(*a, wire::Frame::kKeyInfo);
        REQUIRE(info);
        CHECK(info->key_info().identity_key().empty());
        // alice looked bob up, so she sees him come and go.
        auto b = co_await connect_user(relay, tls, bob, false);
        auto online = co_await receive_kind(*a, wire::Frame::kPresence);
        REQUIRE(online);
        CHECK(online->presence().username() == "bob");
        CHECK(online->presence().online());
        wire::Frame users;
        users.mutable_users_request();
        a->send(users);
        auto list = co_await receive_kind(*a, wire::Frame::kUsers);
        REQUIRE(list);
        CHECK(std::vector<std::string>(list->users().online().begin(),
                                       list->users().online().end()) ==
              std::vector<std::string>{"alice", "bob"});
        b->close();
        auto offline = co_await receive_kind(*a, wire::Frame::kPresence);
        REQUIRE(offline);
        CHECK_FALSE(offline->presence().online());
    });
}

namespace {

std::size_t resident_kilobytes() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stoul(line.substr(6));
        }
    }
    return 0;
}

} // namespace

TEST_CASE("a thousand connections that never finish TLS do not hurt others and are dropped at the "
          "deadline",
          "[net][relay]") {
    net::relay::server_options options;
    options.max_connections_per_ip = 1100; // every test connection comes from 127.0.0.1
    options.limits.auth_deadline = std::chrono::milliseconds(2000);
    test_relay relay(options);
    asio::io_context io;
    auto tls = net::make_client_context();
    test_user alice("alice"), bob("bob");
    const auto rss_before = resident_kilobytes();
    std::vector<std::unique_ptr<asio::ip::tcp::socket>> stalled;
    run_coroutine(
        io,
        [&]() -> asio::awaitable<void> {
            auto a = co_await connect_user(relay, tls, alice, true);
            auto b = co_await connect_user(relay, tls, bob, true);
            const asio::ip::tcp::endpoint target(asio::ip::make_address("127.0.0.1"),
                                                 relay.server->port());
            for (int i = 0; i < 1000; ++i) {
                auto socket = std::make_unique<asio::ip::tcp::socket>(io);
                auto [error] = co_await socket->async_connect(target, use_tuple);
                REQUIRE_FALSE(error);
                if (i % 2 == 0) {
                    // Half of them start a TLS record and stop: a 5-byte record header claiming
                    // more.
                    const std::string partial("\x16\x03\x01\x02\x00", 5);
                    co_await asio::async_write(*socket, asio::buffer(partial), use_tuple);
                }
                stalled.push_back(std::move(socket));
            }
            // The relay accepted them all, and alice and bob still talk.
            for (int i = 0; i < 100 && relay.server->connection_count() < 1002; ++i) {
                co_await sleep_for(std::chrono::milliseconds(10));
            }
            CHECK(relay.server->connection_count() == 1002);
            const auto rss_during = resident_kilobytes();
            INFO("RSS grew by " << (rss_during - rss_before)
                                << " KiB for 1000 stalled connections");
#ifndef __SANITIZE_ADDRESS__ // ASan's redzones and quarantine make RSS no measure of the relay
            CHECK(rss_during - rss_before < 64 * 1024);
#endif
            co_await still_working(*a, *b, 1);
            // After the deadline the relay has closed every one of them.
            for (int i = 0; i < 400 && relay.server->connection_count() > 2; ++i) {
                co_await sleep_for(std::chrono::milliseconds(10));
            }
            CHECK(relay.server->connection_count() == 2);
            co_await still_working(*a, *b, 2);
            a->close();
            b->close();
        },
        std::chrono::seconds(60));
}

TEST_CASE("connections over the per-address cap are closed at once", "[net][relay]") {
    net::relay::server_options options;
    options.max_connections_per_ip = 3;
    test_relay relay(options);
    asio::io_context io;
    auto tls = net::make_client_context();
    run_coroutine(io, [&]() -> asio::awaitable<void> {
        std::vector<std::shared_ptr<connection>> links;
        std::vector<net::link::connect_status> statuses;
        for (int i = 0; i < 4; ++i) {
            auto link = connection::create(io.get_executor(), tls, relay.link_options());
            const auto result = co_await link->connect();
            statuses.push_back(result.status);
            links.push_back(link);
        }
        CHECK(statuses[2] == net::link::connect_status::connected);
        CHECK(statuses[3] != net::link::connect_status::connected);
        links[0]->close();
        for (int i = 0; i < 100 && relay.server->connection_count() > 2; ++i) {
            co_await sleep_for(std::chrono::milliseconds(10));
        }
        auto again = connection::create(io.get_executor(), tls, relay.link_options());
        const auto result = co_await again->connect();
        CHECK(result.status == net::link::connect_status::connected);
    });
}

TEST_CASE("the relay database holds ciphertext only: no plaintext of a known message",
          "[net][relay]") {
    temporary_directory directory;
    test_user alice("alice"), bob("bob");
    const std::string plaintext = "meet me at the old mill at nine -- sotto voce";
    // A stand-in for the end-to-end layer: XOR with a SHA-256 keystream the relay never sees.
    std::string ciphertext = plaintext;
    const auto pad = crypto::sha256(
        crypto::bytes_view(reinterpret_cast<const std::uint8_t*>("shared secret"), 13));
    for (std::size_t i = 0; i < ciphertext.size(); ++i) {
        ciphertext[i] =
            static_cast<char>(ciphertext[i] ^ static_cast<char>(pad.bytes[i % pad.bytes.size()]));
    }
    {
        test_relay relay({}, store::open_relay_store(directory.path()));
        asio::io_context io;
        auto tls = net::make_client_context();
        run_coroutine(io, [&]() -> asio::awaitable<void> {
            co_await register_offline(relay, tls, bob);
            auto a = co_await connect_user(relay, tls, alice, true);
            a->send(make_send({"bob"}, 1, ciphertext));
            const auto result = co_await receive_kind(*a, wire::Frame::kSendResult);
            REQUIRE(result);
            CHECK(result->send_result().results(0).status() == wire::SendResult::QUEUED);
        });
    }
    std::string everything;
    for (const auto& entry : std::filesystem::directory_iterator(directory.path())) {
        std::ifstream file(entry.path(), std::ios::binary);
        everything.append(std::istreambuf_iterator<char>(file), {});
    }
    CHECK(everything.find(ciphertext) != std::string::npos); // the search can find what is there
    CHECK(everything.find(plaintext) == std::string::npos);
    CHECK(everything.find("old mill") == std::string::npos);
}

TEST_CASE("an idle connection is pinged, kept while it answers and closed when it does not",
          "[net][relay]") {
    net::relay::server_options options;
    options.limits.idle_timeout = std::chrono::milliseconds(600);
    test_relay relay(options);
    asio::io_context io;
    auto tls = net::make_client_context();
    test_user alice("alice"), bob("bob");
    run_coroutine(io, [&]() -> asio::awaitable<void> {
        auto silent = co_await connect_user(relay, tls, alice, true);
        auto lively = co_await connect_user(relay, tls, bob, true);
        // bob keeps reading (receive() answers each Ping); alice reads nothing for 1.5 s.
        const auto started = std::chrono::steady_clock::now();
        bool bob_alive = true;
        bool reader_done = false; // the reader uses this frame's locals: it must end first
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                while (std::chrono::steady_clock::now() - started <
                       std::chrono::milliseconds(1500)) {
                    auto frame = co_await lively->receive();
                    if (!frame) {
                        bob_alive = false;
                        break;
                    }
                }
                reader_done = true;
            },
            asio::detached);
        co_await sleep_for(std::chrono::milliseconds(1500));
        auto error = co_await receive_kind(*silent, wire::Frame::kError);
        REQUIRE(error);
        CHECK(error->error().code() == wire::Error::IDLE_TIMEOUT);
        CHECK(bob_alive);
        lively->close();
        while (!reader_done) {
            co_await sleep_for(std::chrono::milliseconds(5));
        }
    });
}

TEST_CASE("connections quiet for many sweeps still take frames and receive pushes at once",
          "[net][relay]") {
    // A short auth deadline makes the sweep run every 50 ms, so after 400 ms of silence both
    // connections have parked their reader and retired their writer (server.cpp, sweep).
    net::relay::server_options options;
    options.limits.auth_deadline = std::chrono::milliseconds(200);
    test_relay relay(options);
    asio::io_context io;
    auto tls = net::make_client_context();
    test_user alice("alice"), bob("bob");
    run_coroutine(io, [&]() -> asio::awaitable<void> {
        auto a = co_await connect_user(relay, tls, alice, true);
        auto b = co_await connect_user(relay, tls, bob, true);
        for (int round = 0; round < 3; ++round) {
            co_await sleep_for(std::chrono::milliseconds(400));
            const auto sent = std::chrono::steady_clock::now();
            a->send(make_send({"bob"}, static_cast<std::uint8_t>(20 + round),
                              "after silence " + std::to_string(round)));
            auto result = co_await receive_kind(*a, wire::Frame::kSendResult);
            REQUIRE(result);
            CHECK(result->send_result().results(0).status() == wire::SendResult::QUEUED);
            auto delivered = co_await receive_kind(*b, wire::Frame::kDeliver);
            REQUIRE(delivered);
            CHECK(delivered->deliver().ciphertext() == "after silence " + std::to_string(round));
            // Not held until a sweep: well under one interval of the default limits (500 ms).
            CHECK(std::chrono::steady_clock::now() - sent < std::chrono::milliseconds(300));
        }
        a->close();
        b->close();
    });
}

TEST_CASE("a recipient that stops reading for many sweeps later gets every byte intact",
          "[net][relay]") {
    // The relay's writer is blocked on a full socket for many sweep intervals: the sweep must
    // not take its buffer (which a write in progress still uses) nor retire it.
    net::relay::server_options options;
    options.limits.auth_deadline = std::chrono::milliseconds(200); // a sweep every 50 ms
    test_relay relay(options);
    asio::io_context io;
    auto tls = net::make_client_context();
    test_user alice("alice"), bob("bob");
    constexpr int messages = 800; // 32 MB: more than the loopback socket buffers hold
    const auto body = [](int i) { return std::string(40 * 1024, static_cast<char>('a' + i % 26)); };
    run_coroutine(io, [&]() -> asio::awaitable<void> {
        co_await register_offline(relay, tls, bob);
        auto a = co_await connect_user(relay, tls, alice, true);
        for (int i = 0; i < messages; ++i) {
            a->send(make_send({"bob"}, static_cast<std::uint8_t>(i & 0xff), body(i),
                              static_cast<std::uint8_t>(1 + (i >> 8))));
            auto result = co_await receive_kind(*a, wire::Frame::kSendResult);
            REQUIRE(result);
            REQUIRE(result->send_result().results(0).status() == wire::SendResult::QUEUED);
        }
        // bob logs in to 32 MB queued: a page of it goes into one write, which the full socket
        // holds for many sweeps while bob reads nothing.
        auto b = co_await connect_user(relay, tls, bob, false);
        co_await sleep_for(std::chrono::milliseconds(600));
        for (int i = 0; i < messages; ++i) {
            auto delivered = co_await receive_kind(*b, wire::Frame::kDeliver);
            REQUIRE(delivered);
            REQUIRE(delivered->deliver().ciphertext() == body(i));
        }
        a->close();
        b->close();
    });
}

TEST_CASE("a recipient that logs in and falls behind while a sender floods it gets everything "
          "in the order sent",
          "[net][relay]") {
    // Envelopes go to an online recipient before their commit; logging in (a fetch from the
    // store) and falling behind (pushes left to the store) in mid-stream must not reorder them.
    test_relay relay;
    asio::io_context io;
    auto tls = net::make_client_context();
    test_user alice("alice"), bob("bob");
    constexpr int messages = 3000;
    const auto body = [](int i) { return std::to_string(i) + std::string(2000, 'x'); };
    run_coroutine(
        io,
        [&]() -> asio::awaitable<void> {
            co_await register_offline(relay, tls, bob);
            auto a = co_await connect_user(relay, tls, alice, true);
            int sent = 0;
            bool sender_done = false;
            auto executor = co_await asio::this_coro::executor;
            asio::co_spawn(
                executor,
                [&]() -> asio::awaitable<void> {
                    int in_flight = 0;
                    while (sent < messages || in_flight > 0) {
                        if (sent < messages && in_flight < 64) {
                            a->send(make_send({"bob"}, static_cast<std::uint8_t>(sent & 0xff),
                                              body(sent), static_cast<std::uint8_t>(sent >> 8)));
                            ++sent;
                            ++in_flight;
                            if (sent > 500 && sent % 8 == 0) {
                                // Paced after the first 500, so that sends keep arriving while
                                // bob logs in, fetches and falls behind.
                                co_await sleep_for(std::chrono::milliseconds(1));
                            }
                            continue;
                        }
                        auto result = co_await receive_kind(*a, wire::Frame::kSendResult);
                        REQUIRE(result);
                        REQUIRE(result->send_result().results(0).status() ==
                                wire::SendResult::QUEUED);
                        --in_flight;
                    }
                    sender_done = true;
                },
                asio::detached);
            while (sent < 500) {
                co_await sleep_for(std::chrono::milliseconds(1));
            }
            auto b = co_await connect_user(relay, tls, bob, false);
            std::vector<int> order;
            std::set<int> seen;
            while (static_cast<int>(seen.size()) < messages) {
                auto delivered = co_await receive_kind(*b, wire::Frame::kDeliver);
                REQUIRE(delivered);
                const int index = std::stoi(delivered->deliver().ciphertext());
                if (seen.insert(index).second) {
                    order.push_back(index);
                }
                co_await ack(*b, delivered->deliver());
                if (seen.size() == 1500) {
                    co_await sleep_for(std::chrono::milliseconds(300)); // falls behind
                }
            }
            REQUIRE(std::is_sorted(order.begin(), order.end()));
            while (!sender_done) {
                co_await sleep_for(std::chrono::milliseconds(5));
            }
            a->close();
            b->close();
        },
        std::chrono::seconds(60));
}

TEST_CASE_METHOD(
    gated_relay,
    "a message sent while the recipient's login fetch is in flight is not overtaken by the "
    "next one",
    "[net][relay]") {
    // m1 arrives while bob's login fetch is in flight, so bob's connection holds its early push
    // back; the fetch ends and m1's commit is slow; m2 arrives, with bob live again. Sent early,
    // m2 would overtake m1.
    run_coroutine(io, [&]() -> asio::awaitable<void> {
        co_await register_offline(relay, tls, bob);
        auto a = co_await connect_user(relay, tls, alice, true);
        co_await after_own_login_fetch(*a, "bob"); // the gate below holds bob's fetch only
        gate.close(gated_store::step::pending);
        auto b = co_await connect_user(relay, tls, bob, false);
        gate.wait_for(gated_store::step::pending); // bob's fetch is in flight
        a->send(make_send({"bob"}, 1, "m1"));
        co_await sleep_for(std::chrono::milliseconds(100)); // m1 reached bob's connection
        gate.close(gated_store::step::enqueue);
        gate.open(gated_store::step::pending);
        gate.wait_for(gated_store::step::enqueue); // the fetch is done, m1's commit waits
        a->send(make_send({"bob"}, 2, "m2"));
        co_await sleep_for(std::chrono::milliseconds(100)); // m2 reached bob's connection
        gate.open(gated_store::step::enqueue);
        auto first = co_await receive_kind(*b, wire::Frame::kDeliver);
        auto second = co_await receive_kind(*b, wire::Frame::kDeliver);
        REQUIRE(first);
        REQUIRE(second);
        CHECK(first->deliver().ciphertext() == "m1");
        CHECK(second->deliver().ciphertext() == "m2");
        a->close();
        b->close();
    });
}

TEST_CASE_METHOD(gated_relay,
                 "a message held back by the recipient's login fetch goes out when the fetch ends, "
                 "without waiting for its commit",
                 "[net][relay]") {
    // m1 arrives while bob's login fetch is in flight, so bob's connection holds it; the fetch
    // ends before m1's commit, which then waits at the gate. m1 must go out at once (sequence 0:
    // pushed, not fetched), or every later push would wait for a commit as long as any is held.
    run_coroutine(io, [&]() -> asio::awaitable<void> {
        co_await register_offline(relay, tls, bob);
        auto a = co_await connect_user(relay, tls, alice, true);
        co_await after_own_login_fetch(*a, "bob");
        gate.close(gated_store::step::pending);
        gate.close(gated_store::step::enqueue);
        auto b = co_await connect_user(relay, tls, bob, false);
        gate.wait_for(gated_store::step::pending); // bob's fetch is in flight
        a->send(make_send({"bob"}, 1, "m1"));
        co_await sleep_for(std::chrono::milliseconds(100)); // m1 reached bob's connection
        gate.open(gated_store::step::pending);
        gate.wait_for(gated_store::step::enqueue); // the fetch is done, m1's commit waits
        // Should m1 wait for its commit after all, the commit goes ahead after a second and m1
        // comes with its sequence: the check below fails instead of the test timing out.
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                co_await sleep_for(std::chrono::seconds(1));
                gate.open(gated_store::step::enqueue);
            },
            asio::detached);
        auto first = co_await receive_kind(*b, wire::Frame::kDeliver);
        REQUIRE(first);
        CHECK(first->deliver().ciphertext() == "m1");
        CHECK(first->deliver().sequence() == 0);
        gate.open(gated_store::step::enqueue);
        a->send(make_send({"bob"}, 2, "m2"));
        auto second = co_await receive_kind(*b, wire::Frame::kDeliver);
        REQUIRE(second);
        CHECK(second->deliver().ciphertext() == "m2"); // m1 was not delivered twice
        CHECK(second->deliver().sequence() == 0);      // pushed early again: nothing is held
        a->close();
        b->close();
    });
}

TEST_CASE_METHOD(
    gated_relay,
    "a message committed while the recipient's login fetch is in flight comes in the next "
    "page and starts no further fetch",
    "[net][relay]") {
    // bob has a full page waiting (256) when he logs in. m1 arrives while his first fetch waits
    // at the gate, so it is held, and it commits before the second fetch reads: that page has
    // it. A third fetch (what the relay did when m1's commit outcome came during the second)
    // would be one more round trip per commit, and a sender streaming faster than that kept the
    // recipient fetching for as long as it streamed.
    constexpr int backlog = 256; // the relay's page
    run_coroutine(io, [&]() -> asio::awaitable<void> {
        co_await register_offline(relay, tls, bob);
        auto a = co_await connect_user(relay, tls, alice, true);
        for (int i = 0; i < backlog; ++i) {
            a->send(make_send({"bob"}, static_cast<std::uint8_t>(i), "b" + std::to_string(i), 1));
        }
        for (int i = 0; i < backlog; ++i) {
            const auto result = co_await receive_kind(*a, wire::Frame::kSendResult);
            REQUIRE(result);
        }
        gate.close(gated_store::step::pending);
        const int fetches_before = gate.fetches;
        auto b = co_await connect_user(relay, tls, bob, false);
        gate.wait_for(gated_store::step::pending); // bob's first fetch is in flight
        a->send(make_send({"bob"}, 1, "m1", 2));
        co_await sleep_for(std::chrono::milliseconds(100)); // m1 held by bob's connection
        gate.open(gated_store::step::pending);
        std::vector<std::string> got;
        while (got.size() < backlog + 1) {
            const auto delivered = co_await receive_kind(*b, wire::Frame::kDeliver);
            REQUIRE(delivered);
            got.push_back(delivered->deliver().ciphertext());
        }
        CHECK(got.front() == "b0");
        CHECK(got[backlog - 1] == "b" + std::to_string(backlog - 1));
        CHECK(got.back() == "m1");
        co_await sleep_for(std::chrono::milliseconds(200)); // any further fetch would be done
        CHECK(gate.fetches - fetches_before == 2);
        a->send(make_send({"bob"}, 2, "m2", 2));
        const auto next = co_await receive_kind(*b, wire::Frame::kDeliver);
        REQUIRE(next);
        CHECK(next->deliver().ciphertext() == "m2"); // neither m1 nor a backlog one again
        CHECK(next->deliver().sequence() == 0);      // pushed early: the fetches are over
        a->close();
        b->close();
    });
}

TEST_CASE("a recipient that logs in while a sender streams gets each message once, in order, "
          "and pushed before its commit again once the login fetch is done",
          "[net][relay]") {
    // A real SQLite store, so commits take an fsync and overlap the login fetch's pages.
    temporary_directory directory;
    test_relay relay({}, store::open_relay_store(directory.path()));
    asio::io_context io;
    auto tls = net::make_client_context();
    test_user alice("alice"), bob("bob");
    constexpr int backlog = 300; // more than a page
    constexpr int streamed = 4000;
    const auto id = [](int i) {
        return std::pair{static_cast<std::uint8_t>(i & 0xff), static_cast<std::uint8_t>(i >> 8)};
    };
    run_coroutine(
        io,
        [&]() -> asio::awaitable<void> {
            co_await register_offline(relay, tls, bob);
            auto a = co_await connect_user(relay, tls, alice, true);
            for (int i = 0; i < backlog; ++i) {
                const auto [low, high] = id(i);
                a->send(make_send({"bob"}, low, std::to_string(i), high));
            }
            for (int i = 0; i < backlog; ++i) {
                const auto result = co_await receive_kind(*a, wire::Frame::kSendResult);
                REQUIRE(result);
            }
            auto executor = co_await asio::this_coro::executor;
            int sent = backlog;
            asio::co_spawn( // 4,000 messages a second, while bob logs in and after
                executor,
                [&]() -> asio::awaitable<void> {
                    asio::steady_timer pace(executor);
                    auto next = std::chrono::steady_clock::now();
                    for (; sent < backlog + streamed; ++sent) {
                        next += std::chrono::microseconds(250);
                        pace.expires_at(next);
                        co_await pace.async_wait(use_tuple);
                        const auto [low, high] = id(sent);
                        a->send(make_send({"bob"}, low, std::to_string(sent), high));
                    }
                },
                asio::detached);
            asio::co_spawn( // alice's SendResults, read so they never back up
                executor,
                [a]() -> asio::awaitable<void> {
                    while (co_await a->receive()) {
                    }
                },
                asio::detached);
            co_await sleep_for(std::chrono::milliseconds(50));
            auto b = co_await connect_user(relay, tls, bob, false);
            std::vector<int> order;
            std::vector<std::uint64_t> sequences;
            while (order.size() < backlog + streamed) {
                const auto delivered = co_await receive_kind(*b, wire::Frame::kDeliver);
                REQUIRE(delivered);
                order.push_back(std::stoi(delivered->deliver().ciphertext()));
                sequences.push_back(delivered->deliver().sequence());
                co_await ack(*b, delivered->deliver());
            }
            for (std::size_t i = 0; i < order.size(); ++i) {
                INFO("delivery " << i);
                REQUIRE(order[i] == static_cast<int>(i)); // each once, in the order sent
            }
            // The last 500 were sent more than 0.8 s after bob logged in: pushed early.
            const auto early = std::count(sequences.end() - 500, sequences.end(), 0U);
            CHECK(early >= 490);
            a->close();
            b->close();
        },
        std::chrono::seconds(60));
}

TEST_CASE_METHOD(gated_relay,
                 "an online recipient gets a message before its commit, and not again after it",
                 "[net][relay]") {
    run_coroutine(io, [&]() -> asio::awaitable<void> {
        auto b = co_await connect_user(relay, tls, bob, true);
        auto a = co_await connect_user(relay, tls, alice, true);
        gate.close(gated_store::step::enqueue);
        a->send(make_send({"bob"}, 1, "early"));
        auto delivered = co_await receive_kind(*b, wire::Frame::kDeliver);
        REQUIRE(delivered); // while the commit still waits at the gate
        CHECK(delivered->deliver().ciphertext() == "early");
        CHECK(delivered->deliver().sequence() == 0);
        gate.open(gated_store::step::enqueue);
        auto result = co_await receive_kind(*a, wire::Frame::kSendResult);
        REQUIRE(result);
        CHECK(result->send_result().results(0).status() == wire::SendResult::QUEUED);
        a->send(make_send({"bob"}, 2, "next"));
        auto next = co_await receive_kind(*b, wire::Frame::kDeliver);
        REQUIRE(next);
        CHECK(next->deliver().ciphertext() == "next"); // "early" was not delivered twice
        a->close();
        b->close();
    });
}

TEST_CASE("an envelope that expires unread is reported to its sender at the next login and "
          "never delivered",
          "[net][relay]") {
    net::relay::local_backend_options backend_options;
    backend_options.limits.max_age = std::chrono::seconds(1);
    backend_options.expiry_interval = std::chrono::milliseconds(100);
    test_relay relay({}, store::make_memory_relay_store(), backend_options);
    asio::io_context io;
    auto tls = net::make_client_context();
    test_user alice("alice"), bob("bob");
    run_coroutine(io, [&]() -> asio::awaitable<void> {
        co_await register_offline(relay, tls, bob);
        auto a = co_await connect_user(relay, tls, alice, true);
        a->send(make_send({"bob"}, 9, "too late"));
        auto result = co_await receive_kind(*a, wire::Frame::kSendResult);
        REQUIRE(result);
        REQUIRE(result->send_result().results(0).status() == wire::SendResult::QUEUED);
        a->close();
        co_await sleep_for(std::chrono::milliseconds(2500)); // older than max_age, swept
        auto again = co_await connect_user(relay, tls, alice, false);
        auto notice = co_await receive_kind(*again, wire::Frame::kExpiryNotice);
        REQUIRE(notice);
        CHECK(notice->expiry_notice().recipient() == "bob");
        CHECK(notice->expiry_notice().id() == make_send({"bob"}, 9, "").send().id());
        // bob gets nothing: a marker sent now is the first thing he sees.
        again->send(make_send({"bob"}, 10, "marker"));
        auto b = co_await connect_user(relay, tls, bob, false);
        auto first = co_await receive_kind(*b, wire::Frame::kDeliver);
        REQUIRE(first);
        CHECK(first->deliver().ciphertext() == "marker");
        again->close();
        b->close();
    });
}

TEST_CASE("a connection over its frame rate is closed with RATE_LIMITED", "[net][relay]") {
    net::relay::server_options options;
    options.limits.frames_per_second = 5;
    options.limits.frame_burst = 10;
    test_relay relay(options);
    asio::io_context io;
    auto tls = net::make_client_context();
    test_user alice("alice");
    run_coroutine(io, [&]() -> asio::awaitable<void> {
        auto link = co_await connect_user(relay, tls, alice, true);
        wire::Frame ping;
        ping.mutable_ping()->set_token(3);
        for (int i = 0; i < 30; ++i) {
            link->send(ping);
        }
        auto error = co_await receive_kind(*link, wire::Frame::kError);
        REQUIRE(error);
        CHECK(error->error().code() == wire::Error::RATE_LIMITED);
    });
}
