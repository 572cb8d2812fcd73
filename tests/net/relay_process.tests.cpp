// The real `sotto --relay` process, killed with SIGKILL at random moments while clients send.
#include "relay_fixture.h"
#include "tests/support/child.h"

#include <asio/detached.hpp>
#include <catch2/catch.hpp>

#include <signal.h>

#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

using namespace sotto;
using namespace sotto::testing;
using sotto::net::link::connection;

namespace {

// The relay binary on `data` and `port` (free_port(): bound with SO_REUSEADDR and kept across
// restarts, so clients reconnect to the same place).
struct relay_process {
    std::unique_ptr<child_process> child;
    std::string fingerprint;

    relay_process(const std::filesystem::path& data, std::uint16_t port,
                  const std::vector<std::string>& extra = {}) {
        std::vector<std::string> arguments{
            SOTTO_BINARY,  "--relay",     "--listen",    "127.0.0.1:" + std::to_string(port),
            "--data-dir",  data.string(), "--log-level", "warn",
            "--max-queue", "1000000"};
        arguments.insert(arguments.end(), extra.begin(), extra.end());
        child = std::make_unique<child_process>(arguments, std::map<std::string, std::string>{});
        const std::string marker = "certificate fingerprint (SHA-256): ";
        while (const auto line = child->read_line(std::chrono::seconds(10))) {
            if (line->rfind(marker, 0) == 0) {
                fingerprint = line->substr(marker.size());
                return;
            }
        }
        FAIL("the relay did not start");
    }
    void kill_hard() {
        if (child) {
            child->signal(SIGKILL);
            child->wait(std::chrono::seconds(10));
            child.reset();
        }
    }
    void signal_terminate() { child->signal(SIGTERM); }
    // SIGTERM and wait: a graceful stop exits 0.
    void terminate() {
        if (child) {
            signal_terminate();
            wait_for_exit();
        }
    }
    void wait_for_exit() {
        if (child) {
            CHECK(child->wait(std::chrono::seconds(10)) == 0);
            child.reset();
        }
    }
    ~relay_process() { kill_hard(); }
};

using message_key = std::pair<std::string, std::string>; // (sender, id)

struct sender_state {
    test_user user;
    std::uint32_t next = 0;
    std::set<std::string> unacked; // ids sent but not yet acked
    std::set<std::string> acked;
    bool told_shutting_down = false; // an Error(SHUTTING_DOWN) ended its last connection
    explicit sender_state(std::string name) : user(std::move(name)) {}
};

std::string id_for(std::size_t sender, std::uint32_t counter) {
    std::string id(16, '\0');
    id[0] = static_cast<char>(sender);
    for (int b = 0; b < 4; ++b) {
        id[static_cast<std::size_t>(12 + b)] = static_cast<char>(counter >> (8 * (3 - b)));
    }
    return id;
}

// Sends until the connection dies: first everything not yet acked (same ids: retries), then new
// messages, with up to 16 in flight.
asio::awaitable<void> sender_loop(net::link::link_options options, asio::ssl::context& tls,
                                  sender_state& me, std::size_t index, bool first_round,
                                  int& running) {
    auto executor = co_await asio::this_coro::executor;
    auto link = connection::create(executor, tls, options);
    const auto connected = co_await link->connect();
    if (connected.status == net::link::connect_status::connected) {
        wire::AuthResult auth;
        if (first_round) {
            auth = co_await link->register_account(me.user.name, me.user.keys.public_key(),
                                                   me.user.signer());
        } else {
            auth = co_await link->login(me.user.name, me.user.signer());
        }
        if (auth.status() == wire::AuthResult::OK) {
            std::vector<std::string> queue(me.unacked.begin(), me.unacked.end());
            std::size_t in_flight = 0;
            std::size_t position = 0;
            bool alive = true;
            while (alive) {
                while (in_flight < 16) {
                    std::string id;
                    if (position < queue.size()) {
                        id = queue[position++];
                    } else {
                        id = id_for(index, me.next++);
                        me.unacked.insert(id);
                    }
                    wire::Frame frame;
                    frame.mutable_send()->add_recipients("inbox");
                    frame.mutable_send()->set_id(id);
                    frame.mutable_send()->set_ciphertext("sealed:" + id);
                    link->send(frame);
                    ++in_flight;
                }
                auto reply = co_await link->receive();
                if (!reply) {
                    alive = false;
                } else if (reply->has_error()) {
                    me.told_shutting_down = reply->error().code() == wire::Error::SHUTTING_DOWN;
                } else if (reply->has_send_result()) {
                    --in_flight;
                    const auto status = reply->send_result().results(0).status();
                    if (status == wire::SendResult::QUEUED ||
                        status == wire::SendResult::DUPLICATE) {
                        me.unacked.erase(reply->send_result().id());
                        me.acked.insert(reply->send_result().id());
                    }
                }
            }
        }
    }
    --running;
}

asio::awaitable<void> register_inbox(net::link::link_options options, asio::ssl::context& tls,
                                     const test_user& inbox) {
    auto executor = co_await asio::this_coro::executor;
    auto link = connection::create(executor, tls, options);
    const auto connected = co_await link->connect();
    REQUIRE(connected.status == net::link::connect_status::connected);
    const auto auth =
        co_await link->register_account("inbox", inbox.keys.public_key(), inbox.signer());
    REQUIRE(auth.status() == wire::AuthResult::OK);
    link->close();
}

// Restarts the relay on `data` and requires that inbox receives every message the senders saw
// acked (at least once; the relay may also hold some whose ack never arrived).
void check_every_acked_delivered(const std::filesystem::path& data, std::uint16_t port,
                                 const std::string& fingerprint,
                                 const std::vector<sender_state>& senders, const test_user& inbox) {
    auto tls = net::make_client_context();
    relay_process relay(data, port);
    CHECK(relay.fingerprint == fingerprint);
    net::link::link_options options;
    options.relay = {"127.0.0.1", port};
    options.pinned_fingerprint = fingerprint;
    asio::io_context io;
    std::set<message_key> delivered;
    run_coroutine(
        io,
        [&]() -> asio::awaitable<void> {
            auto link = connection::create(io.get_executor(), tls, options);
            const auto connected = co_await link->connect();
            REQUIRE(connected.status == net::link::connect_status::connected);
            const auto auth = co_await link->login("inbox", inbox.signer());
            REQUIRE(auth.status() == wire::AuthResult::OK);
            // Everything queued arrives right after login. The relay may also hold messages it
            // committed just before a kill whose ack never reached the sender, so counting is not
            // enough: wait until every acked message is there (a real loss times out and fails).
            std::set<message_key> outstanding;
            for (const auto& s : senders) {
                for (const auto& id : s.acked) {
                    outstanding.insert({s.user.name, id});
                }
            }
            while (!outstanding.empty()) {
                auto frame = co_await receive_kind(*link, wire::Frame::kDeliver);
                REQUIRE(frame);
                const auto& deliver = frame->deliver();
                CHECK(deliver.ciphertext() == "sealed:" + deliver.id());
                delivered.insert({deliver.sender(), deliver.id()});
                outstanding.erase({deliver.sender(), deliver.id()});
            }
        },
        std::chrono::seconds(60));
    std::size_t missing = 0;
    for (const auto& s : senders) {
        for (const auto& id : s.acked) {
            if (!delivered.contains({s.user.name, id})) {
                ++missing;
            }
        }
    }
    CHECK(missing == 0);
}

// What both process tests use: a data directory, a port, five senders and the inbox they
// send to.
struct sending_clients {
    temporary_directory directory;
    std::filesystem::path data = directory.path() / "relay";
    std::uint16_t port = free_port();
    asio::ssl::context tls = net::make_client_context();
    std::vector<sender_state> senders = make_senders(5);
    test_user inbox{"inbox"};

    static std::vector<sender_state> make_senders(int count) {
        std::vector<sender_state> made;
        for (int i = 0; i < count; ++i) {
            made.emplace_back("sender" + std::to_string(i));
        }
        return made;
    }
};

} // namespace

TEST_CASE("every acked message survives kill -9 of the relay process", "[net][relay][kill]") {
    sending_clients clients;
    auto& [directory, data, port, tls, senders, inbox] = clients;
    std::mt19937 random(20261122);
    constexpr int kills = 10;
    std::string fingerprint;
    for (int round = 0; round <= kills; ++round) {
        relay_process relay(data, port);
        if (round == 0) {
            fingerprint = relay.fingerprint;
        }
        CHECK(relay.fingerprint == fingerprint); // the certificate survives restarts too
        net::link::link_options options;
        options.relay = {"127.0.0.1", port};
        options.pinned_fingerprint = fingerprint;
        asio::io_context io;
        if (round == 0) {
            run_coroutine(io, [&]() { return register_inbox(options, tls, inbox); });
        }
        if (round == kills) {
            relay.terminate(); // a clean stop works as well, after all those kills
            break;
        }
        int running = static_cast<int>(senders.size());
        for (std::size_t i = 0; i < senders.size(); ++i) {
            asio::co_spawn(io, sender_loop(options, tls, senders[i], i, round == 0, running),
                           asio::detached);
        }
        const auto kill_after = std::chrono::milliseconds(100 + random() % 400);
        io.run_for(kill_after);
        relay.kill_hard();
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (running > 0 && std::chrono::steady_clock::now() < give_up) {
            io.run_for(std::chrono::milliseconds(20));
        }
        REQUIRE(running == 0);
    }
    std::size_t acked_total = 0;
    for (const auto& s : senders) {
        acked_total += s.acked.size();
    }
    INFO("messages acked across " << kills << " kills: " << acked_total);
    CHECK(acked_total > 0);

    check_every_acked_delivered(data, port, fingerprint, senders, inbox);
}

TEST_CASE("SIGTERM while clients send: the relay answers what it read, says it is shutting down, "
          "exits 0 and keeps every acked message",
          "[net][relay]") {
    sending_clients clients;
    auto& [directory, data, port, tls, senders, inbox] = clients;
    relay_process relay(data, port);
    const auto fingerprint = relay.fingerprint;
    net::link::link_options options;
    options.relay = {"127.0.0.1", port};
    options.pinned_fingerprint = fingerprint;
    asio::io_context io;
    run_coroutine(io, [&]() { return register_inbox(options, tls, inbox); });
    int running = static_cast<int>(senders.size());
    for (std::size_t i = 0; i < senders.size(); ++i) {
        asio::co_spawn(io, sender_loop(options, tls, senders[i], i, true, running), asio::detached);
    }
    io.run_for(std::chrono::milliseconds(400));
    relay.signal_terminate();
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (running > 0 && std::chrono::steady_clock::now() < give_up) {
        io.run_for(std::chrono::milliseconds(20));
    }
    REQUIRE(running == 0); // the relay closed every connection
    relay.wait_for_exit(); // and exited 0
    std::size_t acked_total = 0;
    for (const auto& s : senders) {
        INFO(s.user.name);
        CHECK(s.told_shutting_down);
        acked_total += s.acked.size();
    }
    CHECK(acked_total > 0);
    check_every_acked_delivered(data, port, fingerprint, senders, inbox);
}

TEST_CASE("the relay serves an operator's certificate given with --cert and --key",
          "[net][relay]") {
    temporary_directory directory;
    const auto pem = net::generate_self_signed_certificate();
    const auto certificate = directory.path() / "fullchain.pem";
    const auto key = directory.path() / "privkey.pem";
    std::ofstream(certificate) << pem.certificate;
    std::ofstream(key) << pem.key;
    std::filesystem::permissions(key, std::filesystem::perms::owner_read |
                                          std::filesystem::perms::owner_write);
    const auto port = free_port();
    relay_process relay(directory.path() / "relay", port,
                        {"--cert", certificate.string(), "--key", key.string()});
    CHECK(relay.fingerprint == net::certificate_fingerprint(pem.certificate));
    // No self-signed certificate was made beside it.
    CHECK_FALSE(std::filesystem::exists(directory.path() / "relay" / "relay-cert.pem"));
    net::link::link_options options;
    options.relay = {"127.0.0.1", port};
    options.pinned_fingerprint = net::certificate_fingerprint(pem.certificate);
    auto tls = net::make_client_context();
    asio::io_context io;
    test_user inbox("inbox");
    run_coroutine(io, [&]() { return register_inbox(options, tls, inbox); });
    relay.terminate();
}
