#include "app/duration.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <utility>

namespace sotto::app {

namespace {
constexpr std::array<std::pair<char, std::int64_t>, 5> units{
    {{'w', 604'800}, {'d', 86'400}, {'h', 3'600}, {'m', 60}, {'s', 1}}};
} // namespace

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    std::int64_t multiplier = 1;
    std::string_view digits = text;
    for (const auto& [suffix, seconds] : units) {
        if (text.back() == suffix) {
            multiplier = seconds;
            digits = text.substr(0, text.size() - 1);
            break;
        }
    }
    std::int64_t value = 0;
    const auto* end = digits.data() + digits.size();
    const auto [pointer, error] = std::from_chars(digits.data(), end, value);
    if (digits.empty() || error != std::errc() || pointer != end || value < 0 ||
        value > std::numeric_limits<std::int64_t>::max() / multiplier) {
        return std::nullopt;
    }
    return std::chrono::seconds(value * multiplier);
}

std::string format_duration(std::chrono::seconds duration) {
    const std::int64_t total = duration.count();
    for (const auto& [suffix, seconds] : units) {
        if (total != 0 && total % seconds == 0) {
            return std::to_string(total / seconds) + suffix;
        }
    }
    return std::to_string(total) + "s";
}

} // namespace sotto::app
