// bench group (issue 7, Performance): group messages with sender keys.
//   (a) fan-out: one sender floods a group of M members (default 50) through the relay: one Send
//       listing every other member, one ciphertext; deliveries per second over all members.
//       The peer in the same run: mosquitto (Debian's) over TLS 1.3, one publisher and M
//       subscribers of one topic at QoS 1. Both with 256-byte payloads and the same window of
//       unacknowledged messages. The sotto relay runs durable (the default) and --ephemeral.
//   (b) sender CPU per message at 2, 10 and 50 members: the client's real group send path
//       (client/groups.cpp: the text and its outbox entry written to the encrypted client store,
//       padding, sender-key encryption and signature, the relay frame with its recipient list,
//       the relay's acknowledgement written back), process CPU time over N messages.
// Usage: bench_group [--members M] [--seconds S] [--repeat R] [--messages N]
//                    [--only fanout|sender]
#include "bench/support.h"
#include "client/groups.h"
#include "crypto/random.h"
#include "crypto/seal.h"
#include "store/client_store.h"
#include "store/wal_sync.h"

#include <atomic>
#include <ctime>
#include <functional>
#include <thread>

namespace {

using namespace sotto;
using namespace sotto::bench;
constexpr std::size_t window =
    256; // group messages in flight (each M-1 deliveries), as in bench relay

struct settings {
    int members = 50;
    double seconds = 3.0;
    int repeat = 3;
    int messages = 2000;
    std::string only;
    [[nodiscard]] bool runs(const char* phase) const { return only.empty() || only == phase; }
};

// ---------------------------------------------------------------- (a) fan-out

// "g<round><kind><index>": client names unique per run (built by appending: GCC 12 warns
// falsely on "literal" + std::string chains).
std::string label(int round, char kind, int index) {
    std::string made = "g";
    made += std::to_string(round);
    made += kind;
    made += std::to_string(index);
    return made;
}

double sotto_fanout(const workspace& ws, std::uint16_t port, const settings& s, int round) {
    auto tls = net::make_client_context();
    std::vector<sotto_user> users;
    for (int i = 0; i < s.members; ++i) {
        users.emplace_back(label(round, 'm', i), static_cast<std::uint64_t>(1000 + i));
    }
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::function<asio::awaitable<void>()>> work;
    for (int m = 1; m < s.members; ++m) {
        const sotto_user* member = &users[static_cast<std::size_t>(m)];
        work.emplace_back([&, member]() -> asio::awaitable<void> {
            auto link = co_await sotto_connect(tls, ws, port, *member, true);
            ++ready;
            co_await receive_and_ack(link, delivered);
        });
    }
    work.emplace_back([&]() -> asio::awaitable<void> {
        auto link = co_await sotto_connect(tls, ws, port, users[0], true);
        ++ready;
        std::vector<std::string> others;
        for (int m = 1; m < s.members; ++m) {
            others.push_back(users[static_cast<std::size_t>(m)].name);
        }
        co_await flood_sends(link, std::move(others), window, go);
    });
    return run_flood(std::move(work), ready, s.members, go, delivered, s.seconds);
}

double mosquitto_fanout(const workspace& ws, std::uint16_t port, const settings& s, int round) {
    std::atomic<std::uint64_t> delivered{0};
    std::vector<std::unique_ptr<mqtt_client>> subscribers;
    for (int m = 1; m < s.members; ++m) {
        auto subscriber = std::make_unique<mqtt_client>(ws, port, label(round, 's', m));
        subscriber->delivered = &delivered;
        subscriber->subscribe("group/" + std::to_string(round));
        subscribers.push_back(std::move(subscriber));
    }
    mqtt_client publisher(ws, port, label(round, 'p', 0));
    std::atomic<bool> stop{false};
    const std::string payload(payload_size, 'x');
    const auto topic = "group/" + std::to_string(round);
    std::thread flood([&] {
        while (!stop) {
            if (publisher.in_flight >= static_cast<std::int64_t>(window)) {
                std::this_thread::yield();
                continue;
            }
            ++publisher.in_flight;
            mosquitto_publish(publisher.handle, nullptr, topic.c_str(),
                              static_cast<int>(payload.size()), payload.data(), 1, false);
        }
    });
    std::atomic<int> ready{s.members};
    const auto rate = measure_rate(ready, s.members, delivered, s.seconds);
    stop = true;
    flood.join();
    return rate;
}

// ---------------------------------------------------------------- (b) sender CPU

double cpu_seconds(clockid_t clock = CLOCK_PROCESS_CPUTIME_ID) {
    timespec t{};
    ::clock_gettime(clock, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// The engine's side of group_manager, minus the network: pairwise content (the group creation
// and sender-key distributions) is dropped, and a group Send is encoded into the relay frame the
// link would write once the store's sync worker has the commits on disk (as the engine's
// send_frame does; the worker's fsync CPU counts in the figure).
class bench_host final : public client::group_host {
  public:
    // `deferred`: the engine's way, a sync worker; else every commit fsyncs inline
    // (synchronous=FULL), the comparison.
    bench_host(const std::filesystem::path& directory, crypto::random_source& random, bool deferred)
        : random_(random), identity_(crypto::identity_key_pair::generate(random)) {
        store_ = store::client_store::open(directory);
        auto key = crypto::sealing_key::derive(crypto::make_passphrase("bench"),
                                               crypto::kdf_params::cheap(), random);
        store_->create_profile(std::move(*key), {username_, "127.0.0.1:1", ""}, identity_, random);
        if (!deferred) {
            return;
        }
        const auto& content = store_->defer_durability();
        sync_ = std::make_unique<store::wal_sync>(
            *store_->file(), content, [](std::function<void()> work) { work(); },
            [this](std::uint64_t mark, const std::string& error) {
                if (!error.empty()) {
                    std::fprintf(stderr, "sync: %s\n", error.c_str());
                }
                durable_ = mark;
            });
    }
    ~bench_host() override { sync_.reset(); }

    // Waits until everything written so far is on disk.
    void wait_durable() {
        if (!sync_) {
            return; // each commit was durable when it returned
        }
        const auto mark = store_->write_mark();
        sync_->request(mark);
        while (durable_.load() < mark) {
            std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
    }
    store::client_store& group_store() override { return *store_; }
    const crypto::identity_key_pair& group_identity() override { return identity_; }
    const std::string& group_username() override { return username_; }
    crypto::random_source& group_random() override { return random_; }
    void queue_pairwise(const std::string&, e2e::Content) override {}
    bool transmit_group(const store::message_id& id, const std::vector<std::string>& recipients,
                        const std::vector<std::uint8_t>& envelope) override {
        wire::Frame frame;
        auto& send = *frame.mutable_send();
        for (const auto& name : recipients) {
            send.add_recipients(name);
        }
        send.set_id(id.data(), id.size());
        send.set_ciphertext(envelope.data(), envelope.size());
        frame.SerializeToString(&wire_);
        last_id_ = id;
        if (sync_) {
            sync_->request(store_->write_mark());
        }
        return true;
    }
    void emit_group(client::group_event) override {}
    void arm_group_retry() override {}

    [[nodiscard]] const store::message_id& last_id() const { return last_id_; }
    [[nodiscard]] std::size_t wire_bytes() const { return wire_.size(); }

  private:
    crypto::random_source& random_;
    std::string username_ = "sender";
    crypto::identity_key_pair identity_;
    std::unique_ptr<store::client_store> store_;
    std::unique_ptr<store::wal_sync> sync_;
    std::atomic<std::uint64_t> durable_{0};
    std::string wire_;
    store::message_id last_id_{};
};

struct sender_figure {
    double us_per_message = 0;        // every thread: the engine's and the sync worker's
    double engine_us_per_message = 0; // the engine's thread only
    double wall_us_per_message = 0;   // the engine's thread, wall clock (what a burst stalls it)
    std::size_t wire_bytes = 0;
};

sender_figure sender_cpu(const workspace& ws, int members, int messages, int round, bool deferred) {
    crypto::system_random random;
    const auto directory = ws.directory / ("sender-" + std::to_string(members) + "-" +
                                           std::to_string(round) + (deferred ? "" : "-inline"));
    bench_host host(directory, random, deferred);
    client::group_manager groups(host, client::group_forgery::none);
    std::vector<crypto::group_member> others;
    for (int m = 1; m < members; ++m) {
        others.push_back({"member" + std::to_string(m),
                          crypto::identity_key_pair::generate(random).public_key(), false});
    }
    const auto created = groups.create("bench", std::move(others));
    const auto* group = std::get_if<client::group_id_hex>(&created);
    if (group == nullptr) {
        throw std::runtime_error("creating the group failed: " +
                                 std::get<client::command_error>(created).message);
    }
    const std::string text(200, 't'); // pads to the same 256-byte bucket as the payloads in (a)
    const auto one = [&] {
        const auto sent = groups.send(*group, text);
        if (std::holds_alternative<client::command_error>(sent)) {
            throw std::runtime_error("group send failed: " +
                                     std::get<client::command_error>(sent).message);
        }
        groups.on_send_result(host.last_id(), true);
    };
    for (int i = 0; i < 50; ++i) {
        one(); // warm-up: caches, the statement cache of the store
    }
    host.wait_durable();
    const auto t0 = cpu_seconds();
    const auto thread_t0 = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
    const auto wall_t0 = cpu_seconds(CLOCK_MONOTONIC);
    for (int i = 0; i < messages; ++i) {
        one();
    }
    const auto wall = cpu_seconds(CLOCK_MONOTONIC) - wall_t0;
    const auto thread_used = cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - thread_t0;
    host.wait_durable();
    const auto used = cpu_seconds() - t0;
    return {used * 1e6 / messages, thread_used * 1e6 / messages, wall * 1e6 / messages,
            host.wire_bytes()};
}

settings parse(int argc, char** argv) {
    settings s;
    parse_flags(argc, argv,
                {{"--members", [&](const std::string& v) { s.members = std::stoi(v); }},
                 {"--seconds", [&](const std::string& v) { s.seconds = std::stod(v); }},
                 {"--repeat", [&](const std::string& v) { s.repeat = std::stoi(v); }},
                 {"--messages", [&](const std::string& v) { s.messages = std::stoi(v); }},
                 {"--only", [&](const std::string& v) { s.only = v; }}});
    if (s.members < 2 || s.members > 255) {
        throw std::runtime_error("--members is 2..255");
    }
    return s;
}

int run(int argc, char** argv) {
    const auto s = parse(argc, argv);
    mosquitto_lib_init();
    workspace ws;
    std::printf("bench group: %d members, %.1f s per fan-out run, %d repeats, %zu-byte payloads, "
                "window %zu\n",
                s.members, s.seconds, s.repeat, payload_size, window);

    std::vector<double> durable, ephemeral, theirs;
    for (int round = 0; round < s.repeat && s.runs("fanout"); ++round) {
        {
            const auto port = free_port();
            auto relay = start_sotto(ws, port, false, "fanout-" + std::to_string(round));
            durable.push_back(sotto_fanout(ws, port, s, round));
        }
        {
            const auto port = free_port();
            auto relay = start_sotto(ws, port, true, "");
            ephemeral.push_back(sotto_fanout(ws, port, s, round));
        }
        {
            const auto port = free_port();
            auto broker = start_mosquitto(ws, port);
            theirs.push_back(mosquitto_fanout(ws, port, s, round));
        }
        std::printf("round %d: deliveries/s sotto durable %.0f, sotto ephemeral %.0f, mosquitto "
                    "%.0f\n",
                    round + 1, last(durable), last(ephemeral), last(theirs));
        std::fflush(stdout);
    }
    mosquitto_lib_cleanup();

    std::vector<int> sizes{2, 10, 50};
    if (std::find(sizes.begin(), sizes.end(), s.members) == sizes.end()) {
        sizes.push_back(s.members);
    }
    std::vector<double> per_size;
    for (const int members : sizes) {
        if (!s.runs("sender")) {
            per_size.push_back(std::nan(""));
            continue;
        }
        std::vector<double> figures;
        std::vector<double> engine_figures;
        std::vector<double> wall_figures;
        std::vector<double> inline_figures; // the engine's thread's wall time, fsync inline
        std::size_t wire = 0;
        for (int round = 0; round < s.repeat; ++round) {
            const auto figure = sender_cpu(ws, members, s.messages, round, true);
            figures.push_back(figure.us_per_message);
            engine_figures.push_back(figure.engine_us_per_message);
            wall_figures.push_back(figure.wall_us_per_message);
            wire = figure.wire_bytes;
            inline_figures.push_back(
                sender_cpu(ws, members, s.messages, round, false).wall_us_per_message);
        }
        per_size.push_back(median(figures));
        std::printf("(b) %d members: sender CPU %.1f us per message, %.1f of it on the engine's "
                    "thread, which is busy %.1f us (%.1f with the fsync inline, ratio %.2f; "
                    "medians of %d x %d), relay frame %zu bytes\n",
                    members, per_size.back(), median(engine_figures), median(wall_figures),
                    median(inline_figures), median(wall_figures) / median(inline_figures), s.repeat,
                    s.messages, wire);
        std::fflush(stdout);
    }

    const auto d = median(durable), e = median(ephemeral), m = median(theirs);
    std::printf("(a) fan-out to %d members, median deliveries/s: sotto durable %.0f, sotto "
                "--ephemeral %.0f, mosquitto %.0f (ratios %.2f, %.2f)\n",
                s.members - 1, d, e, m, d / m, e / m);
    const auto at = [&](int members) {
        const auto found = std::find(sizes.begin(), sizes.end(), members);
        return per_size[static_cast<std::size_t>(found - sizes.begin())];
    };
    std::printf("(b) sender CPU us/msg: 2 members %.1f, 10 members %.1f, 50 members %.1f (50/2 "
                "ratio %.2f)\n",
                at(2), at(10), at(50), at(50) / at(2));
    std::printf("bench group: fanout ratio %.2f, sender us/msg at 50 members %.1f\n", d / m,
                at(50));
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return sotto::bench::bench_main("group", argc, argv, run);
}
