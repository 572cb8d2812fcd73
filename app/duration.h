#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sotto::app {

// Parses "90s", "15m", "12h", "7d", "2w" or a bare number of seconds. nullopt for anything
// else, for zero-length input and for values that would overflow.
[[nodiscard]] std::optional<std::chrono::seconds> parse_duration(std::string_view text);

// The shortest exact form: 604800s -> "7d", 90s -> "90s".
[[nodiscard]] std::string format_duration(std::chrono::seconds duration);

} // namespace sotto::app
