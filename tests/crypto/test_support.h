#pragma once
// Small helpers shared by the crypto tests.

#include "crypto/identity.h"
#include "crypto/types.h"

#include <string_view>
#include <vector>

namespace sotto::crypto::testing {

inline std::vector<byte> hex(std::string_view text) {
    auto out = from_hex(text);
    return out ? *out : std::vector<byte>{};
}

inline std::vector<byte> bytes_of(std::string_view text) {
    return {text.begin(), text.end()};
}

inline std::vector<byte> counting(byte first, byte last) {
    std::vector<byte> out;
    for (unsigned value = first; value <= last; ++value) {
        out.push_back(static_cast<byte>(value));
    }
    return out;
}

template <typename Fixed>
Fixed fixed_from_hex(std::string_view text) {
    Fixed out;
    static_cast<void>(Fixed::from(hex(text), out));
    return out;
}

} // namespace sotto::crypto::testing
