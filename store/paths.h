#pragma once
// Where sotto keeps its files, following the XDG Base Directory specification.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sotto::store {

// Reads one environment variable; injected so that tests never touch the real environment.
using environment_lookup = std::function<std::optional<std::string>(std::string_view name)>;

// The process's own environment.
[[nodiscard]] environment_lookup process_environment();

struct xdg_directories {
    std::filesystem::path config_home; // $XDG_CONFIG_HOME or ~/.config
    std::filesystem::path data_home;   // $XDG_DATA_HOME or ~/.local/share
    std::filesystem::path state_home;  // $XDG_STATE_HOME or ~/.local/state
};

// Resolves the base directories. A relative or empty $XDG_*_HOME is ignored, as the
// specification requires. nullopt when neither the variable nor an absolute $HOME is set.
[[nodiscard]] std::optional<xdg_directories> resolve_xdg(const environment_lookup& environment);

// $XDG_CONFIG_HOME/sotto/config.toml
[[nodiscard]] std::filesystem::path config_file(const xdg_directories& dirs);

// A profile name is 1..64 of [A-Za-z0-9._-], not starting with '.'.
[[nodiscard]] bool valid_profile_name(std::string_view name) noexcept;

// Where a client profile lives: a name resolves to $XDG_DATA_HOME/sotto/<name>; an argument
// containing '/' is taken as the directory itself. nullopt for an invalid name.
[[nodiscard]] std::optional<std::filesystem::path> profile_directory(const xdg_directories& dirs,
                                                                     std::string_view profile);

// $XDG_DATA_HOME/sotto-relay: the relay's default data directory outside systemd.
[[nodiscard]] std::filesystem::path relay_data_directory(const xdg_directories& dirs);

} // namespace sotto::store
