#include "net/protocol.h"

namespace sotto::net {

std::vector<std::uint8_t> login_input(std::span<const std::uint8_t> nonce,
                                      std::string_view username, const channel_binding& binding) {
    static constexpr std::string_view label{"sotto-login-v1\0", 15};
    if (nonce.size() != challenge_nonce_size || username.size() > 255) {
        return {};
    }
    std::vector<std::uint8_t> out;
    out.reserve(label.size() + nonce.size() + 1 + username.size() + binding.size());
    out.insert(out.end(), label.begin(), label.end());
    out.insert(out.end(), nonce.begin(), nonce.end());
    out.push_back(static_cast<std::uint8_t>(username.size()));
    out.insert(out.end(), username.begin(), username.end());
    out.insert(out.end(), binding.begin(), binding.end());
    return out;
}

} // namespace sotto::net
