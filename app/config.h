#pragma once
// config.toml: every key optional; an unknown key or a value of the wrong type is an error that
// names the file, line and key, so a typo never passes silently.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace sotto::app {

struct file_config {
    struct client_section {
        std::optional<std::string> profile;
        std::optional<std::string> relay;
        std::optional<std::string> user;
        std::optional<std::string> relay_fingerprint;
        std::optional<std::filesystem::path> passphrase_file;
        std::optional<bool> trust_on_first_use;
        std::optional<bool> bell;
    } client;
    struct relay_section {
        std::optional<std::string> listen;
        std::optional<std::filesystem::path> data_dir;
        std::optional<bool> invite_only;
        std::optional<bool> ephemeral;
        std::optional<std::uint64_t> max_queue;
        std::optional<std::uint64_t> max_queue_bytes;
        std::optional<std::chrono::seconds> max_queue_age;
        std::optional<std::uint64_t> max_frame_rate;
        std::optional<std::uint64_t> threads;
        std::optional<std::filesystem::path> cert;
        std::optional<std::filesystem::path> key;
        std::optional<std::string> log_level;
    } relay;
};

using config_result = std::variant<file_config, std::string>; // the config, or an error message

// Parses TOML text; `source` names it in error messages.
[[nodiscard]] config_result parse_config(std::string_view text, std::string_view source);

// Reads and parses a file; a file that does not exist is an empty config.
[[nodiscard]] config_result load_config(const std::filesystem::path& path);

} // namespace sotto::app
