#pragma once
// End-to-end fixtures: a real `sotto --relay` process and real `sotto --batch` clients talking
// JSON lines through pipes. Clients run with SOTTO_INSECURE_TEST_KDF=1 (cheap Argon2id) and
// SOTTO_TEST_RESEND_MS (short handshake resend and reconnect periods), see docs/BATCH.md.

#include "tests/support/child.h"
#include "tests/support/tcp_recorder.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace sotto::testing {

using json = nlohmann::json;
using namespace std::chrono_literals;

struct e2e_directory {
    std::filesystem::path path;
    e2e_directory() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "sotto-e2e-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~e2e_directory() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
    e2e_directory(const e2e_directory&) = delete;
    e2e_directory& operator=(const e2e_directory&) = delete;
};

// `sotto --relay` on 127.0.0.1:<port> with a data directory (so it can be restarted).
// A wall clock that tests move: processes started with environment() see the real time plus
// the offset written to a file (libfaketime's FAKETIME_TIMESTAMP_FILE, re-read every second),
// so "an hour later" is a write, not an hour. The monotonic clock is left alone, so timers,
// timeouts and backoff behave as they would.
class simulated_clock {
  public:
    explicit simulated_clock(std::filesystem::path file) : file_(std::move(file)) { set("+0"); }
    // A libfaketime offset such as "+1h" or "-30m".
    void set(const std::string& offset) {
        const auto temporary = file_.string() + ".new";
        std::ofstream(temporary) << offset << "\n";
        std::filesystem::rename(temporary, file_);
        // Every process reads the file again within FAKETIME_CACHE_DURATION.
        std::this_thread::sleep_for(1500ms);
    }
    [[nodiscard]] std::map<std::string, std::string> environment() const {
        return {
            {"LD_PRELOAD", library},
            {"FAKETIME_TIMESTAMP_FILE", file_.string()},
            {"FAKETIME_CACHE_DURATION", "1"},
            {"FAKETIME_DONT_FAKE_MONOTONIC", "1"},
            {"FAKETIME_DONT_RESET", "1"},
#ifdef __SANITIZE_ADDRESS__
            // An ASan sotto refuses to start when a preloaded library comes before its runtime.
            {"ASAN_OPTIONS", "verify_asan_link_order=0"},
#endif
        };
    }
    static constexpr const char* library = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

  private:
    std::filesystem::path file_;
};

struct relay_process {
    std::filesystem::path data;
    std::uint16_t port;
    std::string fingerprint;
    std::unique_ptr<child_process> child;
    std::map<std::string, std::string> environment;

    std::vector<std::string> extra_arguments; // e.g. {"--max-queue", "5"}

    relay_process(std::filesystem::path data_directory, std::uint16_t listen_port,
                  std::vector<std::string> arguments = {},
                  std::map<std::string, std::string> extra_environment = {})
        : data(std::move(data_directory)), port(listen_port),
          environment(std::move(extra_environment)), extra_arguments(std::move(arguments)) {
        start();
    }
    void start() {
        std::vector<std::string> command{SOTTO_BINARY, "--relay",     "--listen",    address(),
                                         "--data-dir", data.string(), "--log-level", "warn"};
        command.insert(command.end(), extra_arguments.begin(), extra_arguments.end());
        child =
            std::make_unique<child_process>(command, environment, data.parent_path() / "relay.err");
        const std::string marker = "certificate fingerprint (SHA-256): ";
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        while (std::chrono::steady_clock::now() < deadline) {
            const auto line = child->read_line(1s);
            if (line && line->rfind(marker, 0) == 0) {
                fingerprint = line->substr(marker.size());
                return;
            }
            if (!line && child->output_ended()) {
                break;
            }
        }
        FAIL("the relay did not start");
    }
    void stop() {
        child->signal(SIGTERM);
        if (!child->wait(10s)) {
            child->signal(SIGKILL);
            child->wait(5s);
        }
        child.reset();
    }
    void kill_hard() {
        child->signal(SIGKILL);
        child->wait(5s);
        child.reset();
    }
    [[nodiscard]] std::string address() const { return "127.0.0.1:" + std::to_string(port); }
};

inline constexpr const char* resend_ms = "200";

// One `sotto --batch` process and every event it printed.
class batch_client {
  public:
    std::string user;
    std::filesystem::path profile;
    std::vector<json> events;
    std::map<std::string, std::string> environment; // added to every launch

    // How the relay certificate is pinned: by its fingerprint (the default), trust on first use,
    // or not at all.
    enum class pin_mode { fingerprint, trust_on_first_use, none };

    batch_client(std::string name, std::filesystem::path profile_directory,
                 const relay_process& relay,
                 std::string passphrase = "pass-" + std::string("phrase"), bool wait_ready = true,
                 pin_mode pin = pin_mode::fingerprint,
                 std::map<std::string, std::string> extra_environment = {},
                 const std::string& relay_address = {})
        : user(std::move(name)), profile(std::move(profile_directory)),
          environment(std::move(extra_environment)), pin_(pin) {
        launch(relay_address.empty() ? relay.address() : relay_address, relay.fingerprint,
               passphrase);
        if (wait_ready) {
            wait_for([](const json& e) { return e["event"] == "ready"; }, 20s);
        }
    }

    void launch(const std::string& relay_address, const std::string& fingerprint,
                const std::string& passphrase) {
        events.clear();
        cursor_ = 0;
        std::vector<std::string> arguments{SOTTO_BINARY,     "--batch", "--profile",
                                           profile.string(), "--relay", relay_address,
                                           "--user",         user};
        if (pin_ == pin_mode::fingerprint) {
            arguments.insert(arguments.end(), {"--relay-fingerprint", fingerprint});
        } else if (pin_ == pin_mode::trust_on_first_use) {
            arguments.emplace_back("--trust-on-first-use");
        }
        auto variables = environment;
        variables.insert({{"SOTTO_PASSPHRASE", passphrase},
                          {"SOTTO_INSECURE_TEST_KDF", "1"},
                          {"SOTTO_TEST_RESEND_MS", resend_ms}});
        child_ = std::make_unique<child_process>(arguments, variables, profile.string() + ".err");
    }

    // Reads events until one matches (searching from the start of the log); fails the test on
    // timeout.
    json wait_for(const std::function<bool(const json&)>& match,
                  std::chrono::milliseconds timeout = 20s, const char* what = "an event") {
        std::size_t index = 0;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            for (; index < events.size(); ++index) {
                if (match(events[index])) {
                    return events[index];
                }
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 || !pump(left)) {
                INFO(user << " waited for " << what << "; last events: " << tail());
                FAIL("timed out");
            }
        }
    }

    // Reads whatever arrives for `duration`.
    void drain(std::chrono::milliseconds duration) {
        const auto deadline = std::chrono::steady_clock::now() + duration;
        while (std::chrono::steady_clock::now() < deadline) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (!pump(left)) {
                return;
            }
        }
    }

    // Sends a command with a fresh tag and returns its result (or error) event.
    json command(json request, std::chrono::milliseconds timeout = 20s) {
        const int tag = ++tags_;
        request["tag"] = tag;
        REQUIRE(child_->write_line(request.dump()));
        return wait_for(
            [tag](const json& e) {
                return (e["event"] == "result" || e["event"] == "error") &&
                       e.value("tag", 0) == tag;
            },
            timeout, "a command answer");
    }

    std::string send(const std::string& to, const std::string& text) {
        const auto answer = command({{"cmd", "send"}, {"to", to}, {"text", text}});
        INFO(answer.dump());
        REQUIRE(answer["event"] == "result");
        return answer["id"].get<std::string>();
    }

    void write_raw(const std::string& line) { REQUIRE(child_->write_line(line)); }

    // Pairwise messages from `from` (group messages carry a "group" field and are not counted).
    std::vector<json> messages_from(const std::string& from) const {
        std::vector<json> out;
        for (const auto& e : events) {
            if (e["event"] == "message" && e["from"] == from && !e.contains("group")) {
                out.push_back(e);
            }
        }
        return out;
    }

    // Waits until `count` messages from `from` arrived.
    void wait_messages(const std::string& from, std::size_t count,
                       std::chrono::milliseconds timeout = 30s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (messages_from(from).size() < count) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 || !pump(left)) {
                INFO(user << " has " << messages_from(from).size() << " of " << count << " from "
                          << from << "; last events: " << tail());
                FAIL("timed out");
            }
        }
    }

    [[nodiscard]] std::vector<json> matching(const std::function<bool(const json&)>& match) const {
        std::vector<json> out;
        for (const auto& e : events) {
            if (match(e)) {
                out.push_back(e);
            }
        }
        return out;
    }

    // Waits until `count` events match.
    void wait_count(const std::function<bool(const json&)>& match, std::size_t count,
                    std::chrono::milliseconds timeout = 30s, const char* what = "events") {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (matching(match).size() < count) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 || !pump(left)) {
                INFO(user << " has " << matching(match).size() << " of " << count << " " << what
                          << "; last events: " << tail());
                FAIL("timed out");
            }
        }
    }

    int quit() {
        child_->write_line(R"({"cmd":"quit"})");
        drain(100ms);
        const auto status = child_->wait(10s);
        REQUIRE(status);
        while (pump(10ms)) {
        }
        return *status;
    }
    // Kills the process; the events it wrote before dying are still read from the pipe.
    void kill_hard() {
        child_->signal(SIGKILL);
        child_->wait(5s);
        while (pump(50ms)) {
        }
    }
    std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
        while (!child_->output_ended() && pump(timeout)) {
        }
        return child_->wait(timeout);
    }

    [[nodiscard]] std::string tail() const {
        std::string out;
        const std::size_t start = events.size() > 8 ? events.size() - 8 : 0;
        for (std::size_t i = start; i < events.size(); ++i) {
            out += events[i].dump() + "\n";
        }
        return out;
    }

  private:
    // Reads one line into the log; false on end of output or timeout.
    bool pump(std::chrono::milliseconds timeout) {
        const auto line = child_->read_line(timeout);
        if (!line) {
            return false;
        }
        auto parsed = json::parse(*line, nullptr, false);
        REQUIRE_FALSE(parsed.is_discarded());
        events.push_back(std::move(parsed));
        return true;
    }

    std::unique_ptr<child_process> child_;
    pin_mode pin_ = pin_mode::fingerprint;
    std::size_t cursor_ = 0;
    int tags_ = 0;
};

inline auto is_event(std::string name) {
    return [name = std::move(name)](const json& e) { return e["event"] == name; };
}

inline auto handshake_with(std::string peer, std::string state) {
    return [peer = std::move(peer), state = std::move(state)](const json& e) {
        return e["event"] == "handshake" && e["with"] == peer && e["state"] == state;
    };
}

inline auto receipt_for(std::string id, std::string status) {
    return [id = std::move(id), status = std::move(status)](const json& e) {
        return e["event"] == "receipt" && e["id"] == id && e["status"] == status;
    };
}

} // namespace sotto::testing
