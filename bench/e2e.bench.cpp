// End to end through a local relay, real processes (`sotto --relay`, two `sotto --batch`):
//   (a) latency from writing alice's `send` line to reading bob's `message` event, over paced
//       messages (one in flight at a time), p50 and p99;
//   (b) late joiner: bob was offline while alice offered; from bob's `connection connected`
//       to both sides printing `handshake established`, median over several runs;
//   (c) unlock: the engine's start (open, Argon2id on its worker, check value, load) against the
//       bare crypto_pwhash at the same parameters (libsodium's MODERATE), medians and ratio.
// Usage: bench_e2e [messages=10000] [late-joiner runs=5]
#include "client/engine.h"
#include "crypto/seal.h"
#include "tests/support/child.h"

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sodium.h> // the peer of (c): the bare primitive
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using json = nlohmann::json;
using sotto::testing::child_process;
using clock_type = std::chrono::steady_clock;

namespace {

struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "sotto-bench-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path = pattern;
    }
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
};

struct relay {
    std::unique_ptr<child_process> child;
    std::string fingerprint;
    std::string address;
    relay(const std::filesystem::path& data, std::uint16_t port)
        : address("127.0.0.1:" + std::to_string(port)) {
        child = std::make_unique<child_process>(
            std::vector<std::string>{SOTTO_BINARY, "--relay", "--listen", address, "--data-dir",
                                     data.string(), "--log-level", "warn"},
            std::map<std::string, std::string>{}, "/dev/null");
        const std::string marker = "certificate fingerprint (SHA-256): ";
        for (int i = 0; i < 200; ++i) {
            const auto line = child->read_line(100ms);
            if (line && line->rfind(marker, 0) == 0) {
                fingerprint = line->substr(marker.size());
                return;
            }
        }
        throw std::runtime_error("the relay did not start");
    }
    ~relay() {
        child->signal(SIGTERM);
        child->wait(10s);
    }
};

struct client {
    std::unique_ptr<child_process> child;
    client(const std::string& user, const std::filesystem::path& profile, const relay& r) {
        child = std::make_unique<child_process>(
            std::vector<std::string>{SOTTO_BINARY, "--batch", "--profile", profile.string(),
                                     "--relay", r.address, "--user", user, "--relay-fingerprint",
                                     r.fingerprint},
            std::map<std::string, std::string>{{"SOTTO_PASSPHRASE", "bench"},
                                               {"SOTTO_INSECURE_TEST_KDF", "1"}},
            "/dev/null");
    }
    // Reads until an event matches; the time it was read.
    clock_type::time_point wait(const std::function<bool(const json&)>& match,
                                std::chrono::milliseconds timeout = 30s) {
        const auto deadline = clock_type::now() + timeout;
        while (clock_type::now() < deadline) {
            const auto line =
                child->read_line(std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - clock_type::now()));
            if (!line) {
                break;
            }
            const auto event = json::parse(*line, nullptr, false);
            if (!event.is_discarded() && match(event)) {
                return clock_type::now();
            }
        }
        throw std::runtime_error("timed out waiting for an event");
    }
    void drain() {
        while (child->read_line(0ms)) {
        }
    }
    void send(const std::string& to, const std::string& text) {
        child->write_line(json{{"cmd", "send"}, {"to", to}, {"text", text}}.dump());
    }
    void quit() {
        child->write_line(R"({"cmd":"quit"})");
        while (child->read_line(5s)) {
        }
        child->wait(10s);
    }
};

auto event_is(std::string name) {
    return [name = std::move(name)](const json& e) { return e.value("event", "") == name; };
}
auto established_with(std::string peer) {
    return [peer = std::move(peer)](const json& e) {
        return e.value("event", "") == "handshake" && e.value("with", "") == peer &&
               e.value("state", "") == "established";
    };
}

double ms(clock_type::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

double percentile(std::vector<double> values, double p) {
    std::sort(values.begin(), values.end());
    const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
    return values[std::min(index, values.size() - 1)];
}

double median(std::vector<double> values) {
    return percentile(std::move(values), 0.5);
}

std::pair<double, double> latency(std::size_t count) {
    temp_dir dir;
    relay r(dir.path / "relay", sotto::testing::free_port());
    client alice("alice", dir.path / "alice", r);
    client bob("bob", dir.path / "bob", r);
    alice.wait(event_is("ready"));
    bob.wait(event_is("ready"));
    alice.send("bob", "warm up");
    bob.wait(event_is("request"));
    bob.child->write_line(R"({"cmd":"accept","with":"alice"})");
    bob.wait([](const json& e) { return e.value("event", "") == "message"; });
    bob.send("alice", "hello");
    alice.wait([](const json& e) { return e.value("event", "") == "message"; });
    std::vector<double> samples;
    samples.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        const std::string text = "m" + std::to_string(i);
        const auto start = clock_type::now();
        alice.send("bob", text);
        const auto got = bob.wait([&](const json& e) {
            return e.value("event", "") == "message" && e.value("text", "") == text;
        });
        samples.push_back(ms(got - start));
        alice.drain();
    }
    alice.quit();
    bob.quit();
    return {percentile(samples, 0.5), percentile(samples, 0.99)};
}

double late_joiner(int runs) {
    std::vector<double> samples;
    for (int run = 0; run < runs; ++run) {
        temp_dir dir;
        relay r(dir.path / "relay", sotto::testing::free_port());
        {
            client bob("bob", dir.path / "bob", r);
            bob.wait([](const json& e) {
                return e.value("event", "") == "connection" && e.value("state", "") == "connected";
            });
            bob.quit();
        }
        client alice("alice", dir.path / "alice", r);
        alice.wait(event_is("ready"));
        alice.send("bob", "are you there");
        alice.wait([](const json& e) {
            return e.value("event", "") == "handshake" && e.value("state", "") == "offering";
        });
        std::this_thread::sleep_for(300ms);
        alice.drain();
        client bob("bob", dir.path / "bob", r);
        const auto online = bob.wait([](const json& e) {
            return e.value("event", "") == "connection" && e.value("state", "") == "connected";
        });
        const auto bob_done = bob.wait(established_with("alice"));
        const auto alice_done = alice.wait(established_with("bob"));
        samples.push_back(ms(std::max(bob_done, alice_done) - online));
        alice.quit();
        bob.quit();
    }
    return median(samples);
}

std::pair<double, double> unlock(int runs) {
    const auto params = sotto::crypto::kdf_params::moderate();
    temp_dir dir;
    auto options = sotto::client::engine_options{};
    options.profile_directory = dir.path / "p";
    options.username = "alice";
    options.relay_address = "127.0.0.1:9";
    options.trust_on_first_use = true;
    options.kdf = params;
    auto start_engine = [&]() {
        asio::io_context io;
        sotto::client::engine engine(io, options, [](const sotto::client::event&) {});
        const auto begin = clock_type::now();
        engine.start(sotto::crypto::make_passphrase("correct horse battery staple"));
        // Without work the io_context would return at once and this loop would spin, taking a
        // core from the worker: the guard makes run_one_for sleep until the key is posted.
        auto work = asio::make_work_guard(io);
        while (!engine.started()) {
            io.run_one_for(100ms);
        }
        const auto took = clock_type::now() - begin;
        engine.stop();
        return ms(took);
    };
    start_engine(); // creates the profile
    std::vector<double> ours;
    std::vector<double> bare;
    unsigned char salt[crypto_pwhash_SALTBYTES] = {1};
    unsigned char key[32];
    const char passphrase[] = "correct horse battery staple";
    for (int i = 0; i < runs; ++i) {
        ours.push_back(start_engine());
        const auto begin = clock_type::now();
        if (crypto_pwhash(key, sizeof key, passphrase, sizeof passphrase - 1, salt, params.opslimit,
                          static_cast<std::size_t>(params.memlimit),
                          crypto_pwhash_ALG_ARGON2ID13) != 0) {
            throw std::runtime_error("crypto_pwhash ran out of memory");
        }
        bare.push_back(ms(clock_type::now() - begin));
    }
    return {median(ours), median(bare)};
}

} // namespace

int main(int argc, char** argv) {
    try {
        if (sodium_init() < 0) {
            throw std::runtime_error("sodium_init failed");
        }
        const std::size_t messages = argc > 1 ? std::stoul(argv[1]) : 10'000;
        const int runs = argc > 2 ? std::stoi(argv[2]) : 5;
        const auto [p50, p99] = latency(messages);
        std::setvbuf(stdout, nullptr, _IOLBF, 0);
        std::printf("(a) send -> message over %zu paced messages: p50 %.2f ms, p99 %.2f ms\n",
                    messages, p50, p99);
        const auto joiner = late_joiner(runs);
        std::printf(
            "(b) late joiner, peer online -> both established: median %.1f ms over %d runs\n",
            joiner, runs);
        const auto [ours, bare] = unlock(5);
        std::printf(
            "(c) unlock (MODERATE): engine %.1f ms, bare crypto_pwhash %.1f ms, ratio %.3f\n", ours,
            bare, ours / bare);
        std::printf("bench e2e: p50 %.2f ms, p99 %.2f ms, late-joiner established %.1f ms, unlock "
                    "ratio %.3f\n",
                    p50, p99, joiner, ours / bare);
        return 0;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench e2e failed: %s\n", error.what());
        return 1;
    }
}
