#include "store/paths.h"

#include <cstdlib>

namespace sotto::store {

environment_lookup process_environment() {
    return [](std::string_view name) -> std::optional<std::string> {
        const std::string key(name);
        const char* value = std::getenv(key.c_str()); // NOLINT(concurrency-mt-unsafe)
        if (value == nullptr) {
            return std::nullopt;
        }
        return std::string(value);
    };
}

namespace {
std::optional<std::filesystem::path> absolute_variable(const environment_lookup& environment,
                                                       std::string_view name) {
    auto value = environment(name);
    if (!value || value->empty()) {
        return std::nullopt;
    }
    std::filesystem::path path(*value);
    if (!path.is_absolute()) {
        return std::nullopt;
    }
    return path;
}
} // namespace

std::optional<xdg_directories> resolve_xdg(const environment_lookup& environment) {
    const auto home = absolute_variable(environment, "HOME");
    auto pick = [&](std::string_view variable,
                    std::string_view fallback) -> std::optional<std::filesystem::path> {
        if (auto path = absolute_variable(environment, variable)) {
            return path;
        }
        if (home) {
            return *home / fallback;
        }
        return std::nullopt;
    };
    auto config = pick("XDG_CONFIG_HOME", ".config");
    auto data = pick("XDG_DATA_HOME", ".local/share");
    auto state = pick("XDG_STATE_HOME", ".local/state");
    if (!config || !data || !state) {
        return std::nullopt;
    }
    return xdg_directories{*config, *data, *state};
}

std::filesystem::path config_file(const xdg_directories& dirs) {
    return dirs.config_home / "sotto" / "config.toml";
}

bool valid_profile_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > 64 || name.front() == '.') {
        return false;
    }
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

std::optional<std::filesystem::path> profile_directory(const xdg_directories& dirs,
                                                       std::string_view profile) {
    if (profile.find('/') != std::string_view::npos) {
        return std::filesystem::path(profile);
    }
    if (!valid_profile_name(profile)) {
        return std::nullopt;
    }
    return dirs.data_home / "sotto" / std::string(profile);
}

std::filesystem::path relay_data_directory(const xdg_directories& dirs) {
    return dirs.data_home / "sotto-relay";
}

} // namespace sotto::store
