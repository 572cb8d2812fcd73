#pragma once
// host:port endpoints as users type them: "127.0.0.1:7717", "relay.example:7717", "[::1]:7717".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sotto::net {

inline constexpr std::uint16_t default_port = 7717;

struct endpoint_address {
    std::string host; // without IPv6 brackets
    std::uint16_t port = default_port;

    // Back to the typed form, with brackets around an IPv6 host.
    [[nodiscard]] std::string to_string() const;
    friend bool operator==(const endpoint_address&, const endpoint_address&) = default;
};

// Parses HOST[:PORT]; a missing port is default_port. nullopt for an empty host, a port outside
// 1..65535, unbalanced brackets or an unbracketed IPv6 address with a port.
[[nodiscard]] std::optional<endpoint_address> parse_endpoint(std::string_view text);

} // namespace sotto::net
