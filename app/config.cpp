#include "app/config.h"

#include "app/duration.h"

#include <toml++/toml.h>

#include <fstream>
#include <sstream>

namespace sotto::app {

namespace {

struct config_error {
    std::string message;
};

std::string where(std::string_view source, const toml::node& node) {
    const auto& at = node.source().begin;
    return std::string(source) + ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
}

template <typename T>
void read(const toml::table& table, std::string_view key, std::optional<T>& out,
          std::string_view source, std::string_view section) {
    const toml::node* node = table.get(key);
    if (node == nullptr) {
        return;
    }
    if constexpr (std::is_same_v<T, std::filesystem::path>) {
        if (auto value = node->value<std::string>()) {
            out = std::filesystem::path(*value);
            return;
        }
    } else if constexpr (std::is_same_v<T, std::chrono::seconds>) {
        if (auto text = node->value<std::string>()) {
            if (auto duration = parse_duration(*text)) {
                out = *duration;
                return;
            }
        } else if (auto number = node->value<std::int64_t>(); number && *number >= 0) {
            out = std::chrono::seconds(*number);
            return;
        }
    } else if constexpr (std::is_same_v<T, std::uint64_t>) {
        if (auto number = node->value<std::int64_t>(); number && *number >= 0) {
            out = static_cast<std::uint64_t>(*number);
            return;
        }
    } else {
        if (node->is<T>()) {
            out = *node->value<T>();
            return;
        }
    }
    throw config_error{where(source, *node) + ": [" + std::string(section) + "] " +
                       std::string(key) + " has the wrong type"};
}

void reject_unknown_keys(const toml::table& table, std::initializer_list<std::string_view> known,
                         std::string_view source, std::string_view section) {
    for (const auto& [key, node] : table) {
        bool found = false;
        for (const auto name : known) {
            found = found || key.str() == name;
        }
        if (!found) {
            throw config_error{where(source, node) + ": unknown key '" + std::string(key.str()) +
                               "'" + (section.empty() ? "" : " in [" + std::string(section) + "]")};
        }
    }
}

const toml::table* section_table(const toml::table& root, std::string_view name,
                                 std::string_view source) {
    const toml::node* node = root.get(name);
    if (node == nullptr) {
        return nullptr;
    }
    if (!node->is_table()) {
        throw config_error{where(source, *node) + ": '" + std::string(name) + "' must be a table"};
    }
    return node->as_table();
}

} // namespace

config_result parse_config(std::string_view text, std::string_view source) {
    toml::table root;
    try {
        root = toml::parse(text, source);
    } catch (const toml::parse_error& error) {
        const auto& at = error.source().begin;
        return std::string(source) + ":" + std::to_string(at.line) + ":" +
               std::to_string(at.column) + ": " + std::string(error.description());
    }
    file_config config;
    try {
        reject_unknown_keys(root, {"client", "relay"}, source, "");
        if (const auto* client = section_table(root, "client", source)) {
            reject_unknown_keys(*client,
                                {"profile", "relay", "user", "relay_fingerprint", "passphrase_file",
                                 "trust_on_first_use", "bell"},
                                source, "client");
            auto& c = config.client;
            read(*client, "profile", c.profile, source, "client");
            read(*client, "relay", c.relay, source, "client");
            read(*client, "user", c.user, source, "client");
            read(*client, "relay_fingerprint", c.relay_fingerprint, source, "client");
            read(*client, "passphrase_file", c.passphrase_file, source, "client");
            read(*client, "trust_on_first_use", c.trust_on_first_use, source, "client");
            read(*client, "bell", c.bell, source, "client");
        }
        if (const auto* relay = section_table(root, "relay", source)) {
            reject_unknown_keys(*relay,
                                {"listen", "data_dir", "invite_only", "ephemeral", "max_queue",
                                 "max_queue_bytes", "max_queue_age", "max_frame_rate", "threads",
                                 "cert", "key", "log_level"},
                                source, "relay");
            auto& r = config.relay;
            read(*relay, "listen", r.listen, source, "relay");
            read(*relay, "data_dir", r.data_dir, source, "relay");
            read(*relay, "invite_only", r.invite_only, source, "relay");
            read(*relay, "ephemeral", r.ephemeral, source, "relay");
            read(*relay, "max_queue", r.max_queue, source, "relay");
            read(*relay, "max_queue_bytes", r.max_queue_bytes, source, "relay");
            read(*relay, "max_queue_age", r.max_queue_age, source, "relay");
            read(*relay, "max_frame_rate", r.max_frame_rate, source, "relay");
            read(*relay, "threads", r.threads, source, "relay");
            read(*relay, "cert", r.cert, source, "relay");
            read(*relay, "key", r.key, source, "relay");
            read(*relay, "log_level", r.log_level, source, "relay");
        }
    } catch (const config_error& error) {
        return error.message;
    }
    return config;
}

config_result load_config(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        std::error_code ignored;
        if (!std::filesystem::exists(path, ignored)) {
            return file_config{};
        }
        return path.string() + ": cannot be read";
    }
    std::ostringstream text;
    text << file.rdbuf();
    return parse_config(text.str(), path.string());
}

} // namespace sotto::app
