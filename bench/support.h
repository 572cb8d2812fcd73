#pragma once
// What the benchmarks that drive a relay share: the servers (sotto --relay and mosquitto, both over
// TLS 1.3 on loopback with the same kind of self-signed ECDSA P-256 certificate), their clients
// (net::link for sotto, libmosquitto at QoS 1), timing payloads and the statistics.
#include "crypto/identity.h"
#include "net/link/link.h"
#include "net/tls.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ssl.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <sys/resource.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <mosquitto.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

extern char** environ; // NOLINT

namespace sotto::bench {

using clock_type = std::chrono::steady_clock;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t payload_size = 256;

inline std::uint16_t free_port() {
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    return acceptor.local_endpoint().port();
}

inline std::size_t rss_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stoul(line.substr(6));
        }
    }
    return 0;
}

inline bool port_open(std::uint16_t port) {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    std::error_code error;
    socket.connect({asio::ip::make_address("127.0.0.1"), port}, error);
    return !error;
}

struct child_process {
    pid_t pid = -1;
    child_process(std::vector<std::string> arguments, std::uint16_t port) {
        std::vector<char*> argv;
        for (auto& a : arguments) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        const char* log = std::getenv("SOTTO_BENCH_SERVER_LOG"); // a server's stderr, for digging
        posix_spawn_file_actions_addopen(&actions, 2, log != nullptr ? log : "/dev/null",
                                         O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
            throw std::runtime_error("cannot start " + arguments[0]);
        }
        posix_spawn_file_actions_destroy(&actions);
        for (int i = 0; i < 500 && !port_open(port); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (!port_open(port)) {
            throw std::runtime_error(arguments[0] + " did not start listening");
        }
    }
    ~child_process() {
        ::kill(pid, SIGTERM);
        int status = 0;
        ::waitpid(pid, &status, 0);
    }
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;
};

struct workspace {
    std::filesystem::path directory;
    std::string certificate, key, fingerprint;
    workspace() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "sotto-bench-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        directory = pattern;
        // The same kind of certificate for both servers: self-signed ECDSA P-256.
        const auto pem = net::generate_self_signed_certificate();
        certificate = (directory / "cert.pem").string();
        key = (directory / "key.pem").string();
        std::ofstream(certificate) << pem.certificate;
        std::ofstream(key) << pem.key;
        std::filesystem::permissions(key, std::filesystem::perms::owner_read |
                                              std::filesystem::perms::owner_write);
        fingerprint = net::certificate_fingerprint(pem.certificate);
    }
    ~workspace() {
        std::error_code ignored;
        std::filesystem::remove_all(directory, ignored);
    }
};

inline std::unique_ptr<child_process> start_sotto(const workspace& ws, std::uint16_t port,
                                                  bool ephemeral, const std::string& data_name) {
    const char* binary =
        std::getenv("SOTTO_BINARY"); // another build's sotto, e.g. for a sanitizer run
    std::vector<std::string> arguments{
        binary != nullptr ? binary : SOTTO_BINARY, "--relay", "--listen",
        "127.0.0.1:" + std::to_string(port), "--cert", ws.certificate, "--key", ws.key,
        "--log-level", std::getenv("SOTTO_BENCH_SERVER_LOG") != nullptr ? "debug" : "error",
        "--max-queue", "10000000", "--max-queue-bytes", "100000000000",
        // mosquitto has no per-connection frame rate limit; ours
        // (20,000/s) would close a flooding sender.
        "--max-frame-rate", "100000000"};
    if (ephemeral) {
        arguments.emplace_back("--ephemeral");
    } else {
        arguments.emplace_back("--data-dir");
        arguments.push_back((ws.directory / data_name).string());
    }
    return std::make_unique<child_process>(arguments, port);
}

inline std::unique_ptr<child_process> start_mosquitto(const workspace& ws, std::uint16_t port) {
    const auto config = ws.directory / "mosquitto.conf";
    std::ofstream(config) << "listener " << port << " 127.0.0.1\n"
                          << "certfile " << ws.certificate << "\nkeyfile " << ws.key << "\n"
                          << "tls_version tlsv1.3\nallow_anonymous true\npersistence false\n"
                          << "max_queued_messages 10000000\nmax_inflight_messages 0\n"
                          << "max_keepalive 65535\nlog_type none\n"
                          // As the sotto relay does: without it, mosquitto's CONNACK waits behind
                          // the TLS session tickets for the client's delayed ACK (~40 ms), so it
                          // accepts ~25 connections a second and answers late.
                          << "set_tcp_nodelay true\n"
                          // Started as root, mosquitto would switch to its own user and could not
                          // read our 0600 key: stay whoever runs the benchmark.
                          << "user " << ::getpwuid(::getuid())->pw_name << "\n";
    return std::make_unique<child_process>(
        std::vector<std::string>{"/usr/sbin/mosquitto", "-c", config.string()}, port);
}

inline double percentile(std::vector<double> values, double p) {
    if (values.empty()) {
        return 0;
    }
    std::sort(values.begin(), values.end());
    const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
    return values[index];
}

inline double median(std::vector<double> values) {
    return values.empty() ? std::nan("") : percentile(std::move(values), 0.5);
}

inline double last(const std::vector<double>& values) {
    return values.empty() ? std::nan("") : values.back();
}

inline std::string stamp_payload(std::uint64_t sequence) {
    std::string payload(payload_size, 'p');
    const auto now = static_cast<std::uint64_t>(clock_type::now().time_since_epoch().count());
    std::memcpy(payload.data(), &now, sizeof now);
    std::memcpy(payload.data() + 8, &sequence, sizeof sequence);
    return payload;
}

inline double latency_us(const std::string& payload) {
    std::uint64_t sent = 0;
    std::memcpy(&sent, payload.data(), sizeof sent);
    const auto now = static_cast<std::uint64_t>(clock_type::now().time_since_epoch().count());
    return static_cast<double>(now - sent) / 1000.0;
}

// ---------------------------------------------------------------- sotto clients

struct sotto_user {
    std::string name;
    crypto::identity_key_pair keys;
    explicit sotto_user(std::string n, std::uint64_t seed) : name(std::move(n)), keys(make(seed)) {}
    static crypto::identity_key_pair make(std::uint64_t seed) {
        crypto::seeded_random random(seed);
        return crypto::identity_key_pair::generate(random);
    }
    [[nodiscard]] net::link::signer signer() const {
        return [this](crypto::bytes_view m) { return keys.sign(m); };
    }
};

inline asio::awaitable<std::shared_ptr<net::link::connection>>
sotto_connect(asio::ssl::context& tls, const workspace& ws, std::uint16_t port,
              const sotto_user& user, bool do_register) {
    net::link::link_options options;
    options.relay = {"127.0.0.1", port};
    options.pinned_fingerprint = ws.fingerprint;
    // GCC 12: never co_await inside a larger expression with temporaries; await into a local.
    auto executor = co_await asio::this_coro::executor;
    auto link = net::link::connection::create(executor, tls, options);
    const auto connected = co_await link->connect();
    if (connected.status != net::link::connect_status::connected) {
        throw std::runtime_error("connect: " + connected.message);
    }
    wire::AuthResult auth;
    if (do_register) {
        auth = co_await link->register_account(user.name, user.keys.public_key(), user.signer());
    } else {
        auth = co_await link->login(user.name, user.signer());
    }
    if (auth.status() != wire::AuthResult::OK) {
        throw std::runtime_error("auth: " + auth.message());
    }
    co_return link;
}

// Spawns each coroutine factory on one of the contexts (round robin), runs the contexts on one
// thread each until `until` returns, then stops them.
inline void run_on(std::vector<asio::io_context*> contexts,
                   std::vector<std::function<asio::awaitable<void>()>> work,
                   const std::function<void()>& until) {
    for (std::size_t i = 0; i < work.size(); ++i) {
        asio::co_spawn(*contexts[i % contexts.size()], work[i], [](std::exception_ptr error) {
            if (error) {
                try {
                    std::rethrow_exception(error);
                } catch (const std::exception& e) {
                    std::cerr << "bench client: " << e.what() << "\n";
                }
            }
        });
    }
    std::vector<std::thread> threads;
    for (auto* context : contexts) {
        threads.emplace_back([context] { context->run(); });
    }
    until();
    for (auto* context : contexts) {
        context->stop();
    }
    for (auto& thread : threads) {
        thread.join();
    }
}

// Waits for `ready` to reach `count`, warms up, then counts `delivered` over `seconds`.
inline double measure_rate(std::atomic<int>& ready, int count,
                           std::atomic<std::uint64_t>& delivered, double seconds) {
    const auto give_up = clock_type::now() + std::chrono::seconds(30);
    while (ready < count && clock_type::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (ready < count) {
        throw std::runtime_error("clients did not connect");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto base = delivered.load();
    const auto t0 = clock_type::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    const auto got = delivered.load() - base;
    const std::chrono::duration<double> elapsed = clock_type::now() - t0;
    return static_cast<double>(got) / elapsed.count();
}

// A recipient as the client engine is: counts each Deliver and acknowledges a burst of them
// once nothing more is waiting in what was read (at most 512 in one DeliverAck).
inline asio::awaitable<void> receive_and_ack(std::shared_ptr<net::link::connection> link,
                                             std::atomic<std::uint64_t>& delivered) {
    wire::Frame ack;
    for (;;) {
        auto frame = co_await link->receive();
        if (!frame) {
            break;
        }
        if (frame->has_deliver()) {
            ++delivered;
            auto* item = ack.mutable_deliver_ack()->add_items();
            item->set_sender(frame->deliver().sender());
            item->set_id(frame->deliver().id());
        }
        if (ack.has_deliver_ack() &&
            (!link->has_buffered_input() || ack.deliver_ack().items_size() >= 512)) {
            link->send(ack);
            ack.Clear();
        }
    }
}

// Runs a benchmark's body: its open-file limit raised for many connections, and any exception
// caught here (after unwinding has stopped the servers it started) as "bench NAME: why", exit 1.
inline int bench_main(const char* name, int argc, char** argv, int (*body)(int, char**)) {
    rlimit files{};
    ::getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
    try {
        return body(argc, argv);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench %s: %s\n", name, error.what());
        return 1;
    }
}

// "--flag value" pairs from the command line, each handed to its setter; an unknown flag or a
// flag without a value is an error.
inline void
parse_flags(int argc, char** argv,
            const std::map<std::string, std::function<void(const std::string&)>>& setters) {
    for (int i = 1; i < argc; i += 2) {
        const auto found = setters.find(argv[i]);
        if (found == setters.end() || i + 1 >= argc) {
            throw std::runtime_error(std::string("unknown flag or missing value: ") + argv[i]);
        }
        found->second(argv[i + 1]);
    }
}

// A flooding sender: once `go` is set, sends `recipients` 256-byte Sends (a fresh id each)
// with at most `window` unanswered, until the connection closes.
inline asio::awaitable<void> flood_sends(std::shared_ptr<net::link::connection> link,
                                         std::vector<std::string> recipients, std::size_t window,
                                         const std::atomic<bool>& go) {
    auto executor = co_await asio::this_coro::executor;
    while (!go) {
        asio::steady_timer t(executor, std::chrono::milliseconds(5));
        co_await t.async_wait(use_tuple);
    }
    wire::Frame frame;
    for (auto& name : recipients) {
        frame.mutable_send()->add_recipients(std::move(name));
    }
    frame.mutable_send()->set_ciphertext(std::string(payload_size, 'x'));
    std::string id(16, '\0');
    std::uint64_t counter = 0;
    std::size_t in_flight = 0;
    for (;;) {
        while (in_flight < window) {
            ++counter;
            std::memcpy(id.data(), &counter, sizeof counter);
            frame.mutable_send()->set_id(id);
            link->send(frame);
            ++in_flight;
        }
        auto reply = co_await link->receive();
        if (!reply) {
            break;
        }
        if (reply->has_send_result()) {
            --in_flight;
        }
    }
}

// Runs `work` on two contexts, waits until `count` clients are ready, sets `go` and returns the
// delivered rate over `seconds`.
inline double run_flood(std::vector<std::function<asio::awaitable<void>()>> work,
                        std::atomic<int>& ready, int count, std::atomic<bool>& go,
                        std::atomic<std::uint64_t>& delivered, double seconds) {
    asio::io_context a(1), b(1);
    double rate = 0;
    run_on({&a, &b}, std::move(work), [&] {
        const auto give_up = clock_type::now() + std::chrono::seconds(30);
        while (ready < count && clock_type::now() < give_up) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        go = true;
        rate = measure_rate(ready, count, delivered, seconds);
    });
    return rate;
}

inline asio::awaitable<void> drain_frames(std::shared_ptr<net::link::connection> link) {
    for (;;) {
        auto frame = co_await link->receive();
        if (!frame) {
            break;
        }
    }
}

struct mqtt_client {
    mosquitto* handle = nullptr;
    std::atomic<bool> connected{false};
    std::atomic<std::uint64_t>* delivered = nullptr;
    std::atomic<std::int64_t> in_flight{0};
    std::vector<double>* latencies = nullptr;
    std::mutex* latencies_mutex = nullptr;

    mqtt_client(const workspace& ws, std::uint16_t port, const std::string& id) {
        handle = mosquitto_new(id.c_str(), true, this);
        mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
        mosquitto_max_inflight_messages_set(handle,
                                            0); // no client-side cap: the window below rules
        mosquitto_tls_set(handle, ws.certificate.c_str(), nullptr, nullptr, nullptr, nullptr);
        mosquitto_tls_insecure_set(handle, true); // self-signed, CN not the host: like our pinning
        mosquitto_tls_opts_set(handle, 1, "tlsv1.3", nullptr);
        mosquitto_connect_callback_set(handle, [](mosquitto*, void* self, int rc) {
            static_cast<mqtt_client*>(self)->connected = rc == 0;
        });
        mosquitto_publish_callback_set(handle, [](mosquitto*, void* self, int) {
            --static_cast<mqtt_client*>(self)->in_flight;
        });
        mosquitto_message_callback_set(
            handle, [](mosquitto*, void* self, const mosquitto_message* message) {
                auto* client = static_cast<mqtt_client*>(self);
                if (client->latencies != nullptr) {
                    const std::string payload(static_cast<const char*>(message->payload),
                                              static_cast<std::size_t>(message->payloadlen));
                    std::lock_guard lock(*client->latencies_mutex);
                    client->latencies->push_back(latency_us(payload));
                }
                if (client->delivered != nullptr) {
                    ++*client->delivered;
                }
            });
        if (mosquitto_connect(handle, "127.0.0.1", port, 600) != MOSQ_ERR_SUCCESS) {
            throw std::runtime_error("mosquitto_connect failed");
        }
        mosquitto_loop_start(handle);
        for (int i = 0; i < 500 && !connected; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (!connected) {
            throw std::runtime_error("mosquitto client did not connect");
        }
    }
    ~mqtt_client() {
        mosquitto_disconnect(handle);
        mosquitto_loop_stop(handle, true);
        mosquitto_destroy(handle);
    }
    void subscribe(const std::string& topic) {
        mosquitto_subscribe(handle, nullptr, topic.c_str(), 1);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
};

} // namespace sotto::bench
