// bench relay: the sotto relay against mosquitto (Debian's), both over TLS 1.3 on loopback with
// the same kind of self-signed ECDSA P-256 certificate, QoS 1 for mosquitto, 256-byte payloads.
//   (a) throughput: N sender/receiver pairs flooding (window of W unacknowledged sends each);
//       delivered messages per second.
//   (b) latency: one pair paced at 5,000 messages/s; p50 and p99 from send to receipt. Also
//       the floor: the same client threads with one direct TLS hop between them, no server;
//       and that floor again while a thread of the bench fdatasyncs to the same disk, which
//       shows what disk flushes alone do to this machine's tail (the durable relay flushes).
//   (c) memory: RSS of the server process per idle TLS connection, over 10,000 connections.
// The sotto relay runs twice where it matters: durable (SQLite, synchronous=FULL, the default)
// and --ephemeral (memory queue), since mosquitto's default keeps QoS 1 messages in memory only.
// Usage: bench_relay [--pairs N] [--seconds S] [--connections C] [--repeat R]
//                    [--latency-rounds L (default 7: a 2 s round is cheap, its p99 is noisy)]
//                    [--only throughput|latency|memory]
#include "bench/support.h"

#include <asio/read.hpp>
#include <asio/write.hpp>

namespace {

using namespace sotto;
using namespace sotto::bench;
constexpr std::size_t window = 256;

struct settings {
    int pairs = 4;
    double seconds = 3.0;
    int connections = 10'000;
    int repeat = 3;
    int latency_rounds = 7;
    // "" runs every phase; "throughput", "latency" or "memory" only that one (for iterating on
    // one figure; the summary line then shows nan for the others).
    std::string only;
    [[nodiscard]] bool runs(const char* phase) const { return only.empty() || only == phase; }
};

double sotto_throughput(const workspace& ws, std::uint16_t port, const settings& s, int round) {
    auto tls = net::make_client_context();
    std::vector<sotto_user> users;
    for (int i = 0; i < 2 * s.pairs; ++i) {
        users.emplace_back("t" + std::to_string(round) + "u" + std::to_string(i),
                           static_cast<std::uint64_t>(i + 1));
    }
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::function<asio::awaitable<void>()>> work;
    for (int p = 0; p < s.pairs; ++p) {
        const sotto_user* sender = &users[static_cast<std::size_t>(2 * p)];
        const sotto_user* receiver = &users[static_cast<std::size_t>(2 * p + 1)];
        work.emplace_back([&, receiver]() -> asio::awaitable<void> {
            auto link = co_await sotto_connect(tls, ws, port, *receiver, true);
            ++ready;
            co_await receive_and_ack(link, delivered);
        });
        work.emplace_back([&, sender, receiver]() -> asio::awaitable<void> {
            auto link = co_await sotto_connect(tls, ws, port, *sender, true);
            ++ready;
            std::vector<std::string> to{receiver->name}; // GCC 12: no temporaries in co_await
            co_await flood_sends(link, std::move(to), window, go);
        });
    }
    return run_flood(std::move(work), ready, 2 * s.pairs, go, delivered, s.seconds);
}

// One pair paced at `per_second`; returns latencies in microseconds.
std::vector<double> sotto_latency(const workspace& ws, std::uint16_t port, double seconds,
                                  double per_second, int round) {
    auto tls = net::make_client_context();
    sotto_user sender("l" + std::to_string(round) + "s", 101),
        receiver("l" + std::to_string(round) + "r", 102);
    asio::io_context a(1), b(1);
    std::vector<double> latencies;
    std::atomic<int> ready{0};
    std::atomic<bool> done{false};
    const auto total = static_cast<std::uint64_t>(seconds * per_second);
    std::vector<std::function<asio::awaitable<void>()>> work;
    work.emplace_back([&]() -> asio::awaitable<void> {
        auto link = co_await sotto_connect(tls, ws, port, receiver, true);
        ++ready;
        wire::Frame ack;
        while (latencies.size() < total) {
            auto frame = co_await link->receive();
            if (!frame) {
                break;
            }
            if (frame->has_deliver()) {
                latencies.push_back(latency_us(frame->deliver().ciphertext()));
                auto* item = ack.mutable_deliver_ack()->add_items();
                item->set_sender(frame->deliver().sender());
                item->set_id(frame->deliver().id());
                link->send(ack);
                ack.Clear();
            }
        }
        done = true;
    });
    work.emplace_back([&]() -> asio::awaitable<void> {
        auto link = co_await sotto_connect(tls, ws, port, sender, true);
        ++ready;
        while (ready < 2) {
            auto executor = co_await asio::this_coro::executor;
            asio::steady_timer t(executor, std::chrono::milliseconds(5));
            co_await t.async_wait(use_tuple);
        }
        // Drain SendResults in the background.
        auto executor = co_await asio::this_coro::executor;
        asio::co_spawn(executor, drain_frames(link), asio::detached);
        const auto interval = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / per_second));
        auto next = clock_type::now();
        asio::steady_timer timer(executor);
        wire::Frame frame;
        frame.mutable_send()->add_recipients(receiver.name);
        std::string id(16, '\0');
        for (std::uint64_t i = 1; i <= total; ++i) {
            next += interval;
            timer.expires_at(next);
            co_await timer.async_wait(use_tuple);
            std::memcpy(id.data(), &i, sizeof i);
            frame.mutable_send()->set_id(id);
            frame.mutable_send()->set_ciphertext(stamp_payload(i));
            link->send(frame);
        }
    });
    // Both on one context each: the receiver's clock reads happen on its own thread.
    run_on({&a, &b}, work, [&] {
        const auto give_up = clock_type::now() + std::chrono::duration<double>(seconds + 30);
        while (!done && clock_type::now() < give_up) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    });
    return latencies;
}

// Opens `count` idle authenticated connections (one user, many connections, from 127.0.0.x
// source addresses to stay under the per-address cap), measures the server's RSS, closes them.
double sotto_memory_per_connection(const workspace& ws, std::uint16_t port, pid_t server,
                                   int count) {
    auto tls = net::make_client_context();
    sotto_user user("idle", 77);
    asio::io_context io(1);
    std::vector<std::shared_ptr<net::link::connection>> links;
    std::size_t before = 0;
    std::size_t after = 0;
    run_on({&io}, {[&]() -> asio::awaitable<void> {
               auto first = co_await sotto_connect(tls, ws, port, user, true);
               links.push_back(first);
               before = rss_kib(server);
               const auto stop_opening = clock_type::now() + std::chrono::seconds(120);
               for (int i = 1; i < count && clock_type::now() < stop_opening; ++i) {
                   net::link::link_options options;
                   options.relay = {"127.0.0.1", port};
                   options.pinned_fingerprint = ws.fingerprint;
                   // The relay caps connections per address (256): spread over 127.0.x.y.
                   options.bind_address = "127.0." + std::to_string(1 + i / 200 / 250) + "." +
                                          std::to_string(2 + (i / 200) % 250);
                   auto link = net::link::connection::create(io.get_executor(), tls, options);
                   const auto connected = co_await link->connect();
                   if (connected.status != net::link::connect_status::connected) {
                       throw std::runtime_error("idle connect " + std::to_string(i) + ": " +
                                                connected.message);
                   }
                   const auto auth = co_await link->login(user.name, user.signer());
                   if (auth.status() != wire::AuthResult::OK) {
                       throw std::runtime_error("idle login: " + auth.message());
                   }
                   links.push_back(link);
               }
               asio::steady_timer settle(io, std::chrono::milliseconds(2000));
               co_await settle.async_wait(use_tuple);
               after = rss_kib(server);
           }},
           [&] {
               const auto give_up = clock_type::now() + std::chrono::minutes(5);
               while (after == 0 && clock_type::now() < give_up) {
                   std::this_thread::sleep_for(std::chrono::milliseconds(20));
               }
           });
    const auto opened = links.size();
    for (auto& link : links) {
        link->close();
    }
    if (after == 0 || opened < 2) {
        throw std::runtime_error("sotto idle connections did not finish");
    }
    if (static_cast<int>(opened) < count) {
        std::printf("(c) note: sotto accepted only %zu of %d connections within 120 s\n", opened,
                    count);
    }
    return static_cast<double>(after - before) * 1024.0 / static_cast<double>(opened - 1);
}

// ---------------------------------------------------------------- mosquitto clients

double mosquitto_throughput(const workspace& ws, std::uint16_t port, const settings& s, int round) {
    std::atomic<std::uint64_t> delivered{0};
    std::vector<std::unique_ptr<mqtt_client>> receivers, senders;
    for (int p = 0; p < s.pairs; ++p) {
        auto receiver = std::make_unique<mqtt_client>(
            ws, port, "t" + std::to_string(round) + "r" + std::to_string(p));
        receiver->delivered = &delivered;
        receiver->subscribe("pair/" + std::to_string(p));
        receivers.push_back(std::move(receiver));
        senders.push_back(std::make_unique<mqtt_client>(
            ws, port, "t" + std::to_string(round) + "s" + std::to_string(p)));
    }
    std::atomic<bool> stop{false};
    std::vector<std::thread> publishers;
    const std::string payload(payload_size, 'x');
    for (int p = 0; p < s.pairs; ++p) {
        publishers.emplace_back([&, p] {
            auto& sender = *senders[static_cast<std::size_t>(p)];
            const auto topic = "pair/" + std::to_string(p);
            while (!stop) {
                if (sender.in_flight >= static_cast<std::int64_t>(window)) {
                    std::this_thread::yield();
                    continue;
                }
                ++sender.in_flight;
                mosquitto_publish(sender.handle, nullptr, topic.c_str(),
                                  static_cast<int>(payload.size()), payload.data(), 1, false);
            }
        });
    }
    std::atomic<int> ready{2 * s.pairs};
    const auto rate = measure_rate(ready, 2 * s.pairs, delivered, s.seconds);
    stop = true;
    for (auto& t : publishers) {
        t.join();
    }
    return rate;
}

// The floor under both servers' latency: the same two client threads and pacing, one direct
// TLS 1.3 hop over loopback between them. A relay adds a second hop and its own work, so no
// relay's p50 or p99 here can go below this one's.
std::vector<double> direct_latency(const workspace& ws, double seconds, double per_second) {
    using tls_socket = asio::ssl::stream<asio::ip::tcp::socket>;
    auto server_tls = net::make_server_context(net::certificate_files{ws.certificate, ws.key});
    auto client_tls = net::make_client_context();
    asio::io_context a(1), b(1);
    asio::ip::tcp::acceptor acceptor(b, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = acceptor.local_endpoint().port();
    std::vector<double> latencies;
    std::atomic<bool> ready{false};
    std::atomic<bool> done{false};
    const auto total = static_cast<std::uint64_t>(seconds * per_second);
    std::vector<std::function<asio::awaitable<void>()>> work;
    work.emplace_back([&]() -> asio::awaitable<void> { // on b: the receiving thread
        tls_socket stream(b, server_tls);
        co_await acceptor.async_accept(stream.lowest_layer(), asio::use_awaitable);
        stream.lowest_layer().set_option(asio::ip::tcp::no_delay(true));
        co_await stream.async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
        ready = true;
        std::string payload(payload_size, '\0');
        while (latencies.size() < total) {
            auto [error, n] = co_await asio::async_read(stream, asio::buffer(payload), use_tuple);
            if (error) {
                break;
            }
            latencies.push_back(latency_us(payload));
        }
        done = true;
    });
    work.emplace_back([&]() -> asio::awaitable<void> { // on a: the sending thread
        tls_socket stream(a, client_tls);
        co_await stream.lowest_layer().async_connect({asio::ip::make_address("127.0.0.1"), port},
                                                     asio::use_awaitable);
        stream.lowest_layer().set_option(asio::ip::tcp::no_delay(true));
        co_await stream.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
        asio::steady_timer timer(a);
        while (!ready) {
            timer.expires_after(std::chrono::milliseconds(5));
            co_await timer.async_wait(use_tuple);
        }
        const auto interval = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / per_second));
        auto next = clock_type::now();
        for (std::uint64_t i = 1; i <= total && !done; ++i) {
            next += interval;
            timer.expires_at(next);
            co_await timer.async_wait(use_tuple);
            const auto payload = stamp_payload(i);
            co_await asio::async_write(stream, asio::buffer(payload), use_tuple);
        }
        // Stays connected until the receiver has read everything (run_on stops both).
        timer.expires_after(std::chrono::seconds(static_cast<int>(seconds) + 30));
        co_await timer.async_wait(use_tuple);
    });
    run_on({&b, &a}, work, [&] {
        const auto give_up = clock_type::now() + std::chrono::duration<double>(seconds + 30);
        while (!done && clock_type::now() < give_up) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    });
    return latencies;
}

// Disk flushes on the side, in the bench's own thread: 4 KiB written and fdatasynced back to back
// in the workspace (the durable relay's disk), as a group-committing relay under load does. The
// floor measured while it runs shows what the machine's flushes alone do to a path that touches
// no disk; on a VM whose flushes stall the guest, that bounds the durable relay's tail.
class flush_load {
  public:
    explicit flush_load(const workspace& ws)
        : fd_(::open((ws.directory / "flush-load").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600)) {
        if (fd_ < 0) {
            throw std::runtime_error("cannot open the flush-load file");
        }
        thread_ = std::thread([this] {
            const std::string block(4096, 'f');
            for (std::uint64_t i = 0; !stop_; ++i) {
                const auto offset = static_cast<off_t>((i % 256) * block.size());
                if (::pwrite(fd_, block.data(), block.size(), offset) < 0 || ::fdatasync(fd_) < 0) {
                    break;
                }
                ++flushes_;
            }
        });
    }
    ~flush_load() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    flush_load(const flush_load&) = delete;
    flush_load& operator=(const flush_load&) = delete;
    [[nodiscard]] std::uint64_t flushes() const { return flushes_; }

  private:
    int fd_;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> flushes_{0};
    std::thread thread_;
};

std::vector<double> mosquitto_latency(const workspace& ws, std::uint16_t port, double seconds,
                                      double per_second, int round) {
    std::vector<double> latencies;
    std::mutex latencies_mutex;
    mqtt_client receiver(ws, port, "l" + std::to_string(round) + "r");
    receiver.latencies = &latencies;
    receiver.latencies_mutex = &latencies_mutex;
    receiver.subscribe("latency");
    mqtt_client sender(ws, port, "l" + std::to_string(round) + "s");
    const auto total = static_cast<std::uint64_t>(seconds * per_second);
    const auto interval = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / per_second));
    auto next = clock_type::now();
    for (std::uint64_t i = 1; i <= total; ++i) {
        next += interval;
        std::this_thread::sleep_until(next);
        const auto payload = stamp_payload(i);
        mosquitto_publish(sender.handle, nullptr, "latency", static_cast<int>(payload.size()),
                          payload.data(), 1, false);
    }
    const auto give_up = clock_type::now() + std::chrono::seconds(10);
    for (;;) {
        {
            std::lock_guard lock(latencies_mutex);
            if (latencies.size() >= total) {
                break;
            }
        }
        if (clock_type::now() > give_up) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::lock_guard lock(latencies_mutex);
    return latencies;
}

// `count` idle MQTT-over-TLS connections made by hand (CONNECT, wait for CONNACK): libmosquitto
// would want a thread or a loop per client.
double mosquitto_memory_per_connection(std::uint16_t port, pid_t server, int count) {
    auto tls = net::make_client_context();
    asio::io_context io(1);
    std::vector<std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket>>> streams;
    std::size_t before = 0;
    std::size_t after = 0;
    run_on({&io}, {[&]() -> asio::awaitable<void> {
               const asio::ip::tcp::endpoint target(asio::ip::make_address("127.0.0.1"), port);
               const auto stop_opening = clock_type::now() + std::chrono::seconds(120);
               for (int i = 0; i < count && clock_type::now() < stop_opening; ++i) {
                   auto stream =
                       std::make_unique<asio::ssl::stream<asio::ip::tcp::socket>>(io, tls);
                   auto [connect_error] =
                       co_await stream->lowest_layer().async_connect(target, use_tuple);
                   if (connect_error) {
                       throw std::runtime_error("mqtt connect: " + connect_error.message());
                   }
                   auto [handshake_error] =
                       co_await stream->async_handshake(asio::ssl::stream_base::client, use_tuple);
                   if (handshake_error) {
                       throw std::runtime_error("mqtt tls: " + handshake_error.message());
                   }
                   const std::string client_id = "idle" + std::to_string(i);
                   std::string body;
                   body += std::string("\x00\x04MQTT\x04\x02\x00\x00",
                                       10); // v3.1.1, clean, no keepalive
                   body.push_back(static_cast<char>(client_id.size() >> 8U));
                   body.push_back(static_cast<char>(client_id.size() & 0xffU));
                   body += client_id;
                   std::string packet;
                   packet.push_back('\x10');
                   packet.push_back(static_cast<char>(body.size()));
                   packet += body;
                   co_await asio::async_write(*stream, asio::buffer(packet), use_tuple);
                   std::array<char, 4> connack{};
                   auto [read_error, n] =
                       co_await asio::async_read(*stream, asio::buffer(connack), use_tuple);
                   if (read_error || connack[0] != '\x20') {
                       throw std::runtime_error("mqtt connack missing");
                   }
                   streams.push_back(std::move(stream));
                   if (i == 0) {
                       before = rss_kib(server);
                   }
               }
               asio::steady_timer settle(io, std::chrono::milliseconds(2000));
               co_await settle.async_wait(use_tuple);
               after = rss_kib(server);
           }},
           [&] {
               const auto give_up = clock_type::now() + std::chrono::minutes(5);
               while (after == 0 && clock_type::now() < give_up) {
                   std::this_thread::sleep_for(std::chrono::milliseconds(20));
               }
           });
    const auto opened = streams.size();
    streams.clear();
    if (after == 0 || opened < 2) {
        throw std::runtime_error("mosquitto idle connections did not finish");
    }
    if (static_cast<int>(opened) < count) {
        std::printf("(c) note: mosquitto accepted only %zu of %d connections within 120 s\n",
                    opened, count);
    }
    return static_cast<double>(after - before) * 1024.0 / static_cast<double>(opened - 1);
}

settings parse(int argc, char** argv) {
    settings s;
    parse_flags(
        argc, argv,
        {{"--pairs", [&](const std::string& v) { s.pairs = std::stoi(v); }},
         {"--seconds", [&](const std::string& v) { s.seconds = std::stod(v); }},
         {"--connections", [&](const std::string& v) { s.connections = std::stoi(v); }},
         {"--repeat", [&](const std::string& v) { s.repeat = std::stoi(v); }},
         {"--latency-rounds", [&](const std::string& v) { s.latency_rounds = std::stoi(v); }},
         {"--only", [&](const std::string& v) { s.only = v; }}});
    return s;
}

} // namespace

int run(int argc, char** argv);

int main(int argc, char** argv) {
    return sotto::bench::bench_main("relay", argc, argv, run);
}

int run(int argc, char** argv) {
    const auto s = parse(argc, argv);
    mosquitto_lib_init();
    workspace ws;
    std::printf("bench relay: %d pairs, %.1f s per throughput run, %d repeats, %d latency rounds, "
                "%zu-byte payloads, window %zu\n",
                s.pairs, s.seconds, s.repeat, s.latency_rounds, payload_size, window);

    std::vector<double> ours_durable, ours_ephemeral, theirs;
    std::vector<double> p50_durable, p99_durable, p50_ephemeral, p99_ephemeral, p50_theirs,
        p99_theirs, p50_floor, p99_floor, p50_flushed, p99_flushed, flush_rate;
    const int rounds =
        std::max(s.runs("throughput") ? s.repeat : 0, s.runs("latency") ? s.latency_rounds : 0);
    const auto shown = [](bool ran, const std::vector<double>& values) {
        return ran ? last(values) : std::nan(""); // this round's figure, if it measured one
    };
    for (int round = 0; round < rounds; ++round) {
        // Each measurement on a fresh server, so one run's backlog never slows the next; the
        // three servers' runs follow each other within a round, so they share its conditions.
        const bool throughput = s.runs("throughput") && round < s.repeat;
        const bool latency = s.runs("latency") && round < s.latency_rounds;
        if (throughput) {
            const auto port = free_port();
            auto relay = start_sotto(ws, port, false, "durable-t" + std::to_string(round));
            ours_durable.push_back(sotto_throughput(ws, port, s, round));
        }
        if (latency) {
            const auto port = free_port();
            auto relay = start_sotto(ws, port, false, "durable-l" + std::to_string(round));
            const auto latencies = sotto_latency(ws, port, 2.0, 5000, round);
            p50_durable.push_back(percentile(latencies, 0.5));
            p99_durable.push_back(percentile(latencies, 0.99));
        }
        if (throughput) {
            const auto port = free_port();
            auto relay = start_sotto(ws, port, true, "");
            ours_ephemeral.push_back(sotto_throughput(ws, port, s, round));
        }
        if (latency) {
            const auto port = free_port();
            auto relay = start_sotto(ws, port, true, "");
            const auto latencies = sotto_latency(ws, port, 2.0, 5000, round);
            p50_ephemeral.push_back(percentile(latencies, 0.5));
            p99_ephemeral.push_back(percentile(latencies, 0.99));
        }
        if (throughput) {
            const auto port = free_port();
            auto broker = start_mosquitto(ws, port);
            theirs.push_back(mosquitto_throughput(ws, port, s, round));
        }
        if (latency) {
            const auto port = free_port();
            auto broker = start_mosquitto(ws, port);
            const auto latencies = mosquitto_latency(ws, port, 2.0, 5000, round);
            p50_theirs.push_back(percentile(latencies, 0.5));
            p99_theirs.push_back(percentile(latencies, 0.99));
            const auto floor = direct_latency(ws, 2.0, 5000);
            p50_floor.push_back(percentile(floor, 0.5));
            p99_floor.push_back(percentile(floor, 0.99));
            const auto started = clock_type::now();
            flush_load flushing(ws);
            const auto flushed = direct_latency(ws, 2.0, 5000);
            flush_rate.push_back(
                static_cast<double>(flushing.flushes()) /
                std::chrono::duration<double>(clock_type::now() - started).count());
            p50_flushed.push_back(percentile(flushed, 0.5));
            p99_flushed.push_back(percentile(flushed, 0.99));
        }
        std::printf(
            "round %d: throughput msg/s sotto durable %.0f, sotto ephemeral %.0f, mosquitto %.0f; "
            "p99 us %.0f / %.0f / %.0f, floor %.0f, floor under flushes %.0f\n",
            round + 1, shown(throughput, ours_durable), shown(throughput, ours_ephemeral),
            shown(throughput, theirs), shown(latency, p99_durable), shown(latency, p99_ephemeral),
            shown(latency, p99_theirs), shown(latency, p99_floor), shown(latency, p99_flushed));
        std::fflush(stdout);
    }
    double mem_ours = std::nan("");
    double mem_theirs = std::nan("");
    if (s.runs("memory")) {
        const auto port = free_port();
        auto relay = start_sotto(ws, port, true, "");
        mem_ours = sotto_memory_per_connection(ws, port, relay->pid, s.connections);
        std::printf("(c) sotto: %.0f B per idle connection\n", mem_ours);
        std::fflush(stdout);
    }
    if (s.runs("memory")) {
        const auto port = free_port();
        auto broker = start_mosquitto(ws, port);
        mem_theirs = mosquitto_memory_per_connection(port, broker->pid, s.connections);
        std::printf("(c) mosquitto: %.0f B per idle connection\n", mem_theirs);
        std::fflush(stdout);
    }
    mosquitto_lib_cleanup();

    const auto t_d = median(ours_durable), t_e = median(ours_ephemeral), t_m = median(theirs);
    std::printf(
        "(a) throughput, median msg/s: sotto durable %.0f, sotto --ephemeral %.0f, mosquitto %.0f "
        "(ratios %.2f, %.2f)\n",
        t_d, t_e, t_m, t_d / t_m, t_e / t_m);
    std::printf(
        "(b) latency at 5000/s, median of p50/p99 us: sotto durable %.0f/%.0f, sotto --ephemeral "
        "%.0f/%.0f, mosquitto %.0f/%.0f; floor (one direct TLS hop, no server) %.0f/%.0f\n",
        median(p50_durable), median(p99_durable), median(p50_ephemeral), median(p99_ephemeral),
        median(p50_theirs), median(p99_theirs), median(p50_floor), median(p99_floor));
    std::printf(
        "(b) the same floor while this process fdatasyncs 4 KiB to the relay's disk back to "
        "back (%.0f flushes/s): %.0f/%.0f\n",
        median(flush_rate), median(p50_flushed), median(p99_flushed));
    std::printf("(c) RSS per idle TLS connection over %d: sotto %.0f B, mosquitto %.0f B\n",
                s.connections, mem_ours, mem_theirs);
    std::printf("bench relay: throughput ratio %.2f, p99 ratio %.2f, mem/conn ratio %.2f\n",
                t_d / t_m, median(p99_durable) / median(p99_theirs), mem_ours / mem_theirs);
    return 0;
}
