#pragma once
// What each mode of the binary runs with, after defaults, config.toml and flags are merged
// (flags win over the file, the file over the defaults).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>

namespace sotto::app {

inline constexpr const char* default_relay_address = "127.0.0.1:7717";

struct client_options {
    bool batch = false;                      // --batch: JSON lines instead of the screen
    std::string profile = "default";         // name or directory
    std::filesystem::path profile_directory; // resolved from profile
    // Empty when neither a flag nor config.toml names one: an existing profile then uses the
    // relay stored in it, and a new profile default_relay_address (see relay_for_profile).
    std::string relay_address;
    std::string user; // empty: ask (TUI) or read from the profile
    std::optional<std::filesystem::path> passphrase_file;
    std::string relay_fingerprint; // pinned SHA-256 of the relay certificate
    bool trust_on_first_use = false;
    bool bell = true;
};

struct relay_options {
    std::string listen = default_relay_address;
    std::filesystem::path data_directory;
    bool invite_only = false;
    bool ephemeral = false;
    std::uint64_t max_queue_messages = 10'000;    // per recipient
    std::uint64_t max_queue_bytes = 64ULL << 20U; // per recipient
    std::chrono::seconds max_queue_age = std::chrono::hours(24 * 30);
    std::uint64_t max_frame_rate = 20'000; // per connection: token bucket rate and burst
    std::uint64_t threads = 0;             // network threads; 0: relay_threads_for(cores)
    std::optional<std::filesystem::path> certificate_file;
    std::optional<std::filesystem::path> key_file;
    std::string log_level = "info";
};

// The relay's network threads when none are set: one per core but the one its writer thread
// (SQLite, fsync) uses, at least one and at most 8. On 2 cores one network thread delivered
// 73,600 msg/s against 62,600-69,600 with two, at the same latency and fan-out (bench/run relay,
// bench/run group): a Send then never crosses threads on its way to the recipient.
[[nodiscard]] constexpr std::uint64_t relay_threads_for(std::uint64_t cores) {
    return cores <= 2 ? 1 : (cores - 1 > 8 ? 8 : cores - 1);
}

struct invite_options {
    std::filesystem::path data_directory;
    std::uint32_t uses = 1;
    std::chrono::seconds expires = std::chrono::hours(24 * 7);
};

struct audit_options {
    std::filesystem::path data_directory;
    std::optional<std::chrono::seconds> since; // only events newer than now - since
};

// Parsing ended the run: --help, --version or an error, with the exit code to return.
struct exit_now {
    int code = 0;
};

// The relay a client should use: the one given, else for a profile that does not exist yet the
// loopback default; empty means "the one stored in the profile".
[[nodiscard]] std::string relay_for_profile(const client_options& options);

using command =
    std::variant<exit_now, client_options, relay_options, invite_options, audit_options>;

} // namespace sotto::app
