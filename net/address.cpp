#include "net/address.h"

#include <charconv>

namespace sotto::net {

std::string endpoint_address::to_string() const {
    const bool ipv6 = host.find(':') != std::string::npos;
    std::string text = ipv6 ? "[" + host + "]" : host;
    return text + ":" + std::to_string(port);
}

namespace {
std::optional<std::uint16_t> parse_port(std::string_view text) {
    unsigned value = 0;
    const auto* end = text.data() + text.size();
    const auto [pointer, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc() || pointer != end || value == 0 || value > 65535) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}
} // namespace

std::optional<endpoint_address> parse_endpoint(std::string_view text) {
    endpoint_address result;
    std::string_view rest;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close == 1) {
            return std::nullopt;
        }
        result.host = std::string(text.substr(1, close - 1));
        rest = text.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') {
            return std::nullopt;
        }
    } else {
        const auto first = text.find(':');
        if (first != std::string_view::npos &&
            text.find(':', first + 1) != std::string_view::npos) {
            // A bare IPv6 address: allowed only without a port.
            result.host = std::string(text);
            return result;
        }
        result.host = std::string(text.substr(0, first));
        rest = first == std::string_view::npos ? std::string_view{} : text.substr(first);
    }
    if (result.host.empty()) {
        return std::nullopt;
    }
    if (!rest.empty()) {
        auto port = parse_port(rest.substr(1));
        if (!port) {
            return std::nullopt;
        }
        result.port = *port;
    }
    return result;
}

} // namespace sotto::net
