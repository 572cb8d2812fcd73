#pragma once
// Safety numbers (docs/PROTOCOL.md, "Safety numbers"): 60 digits in 12 groups of 5 that two
// users compare to verify each other's identity keys. Derived as Signal's numeric
// fingerprints: the same on both screens whichever side computes it.

#include "crypto/types.h"

#include <optional>
#include <string>
#include <string_view>

namespace sotto::crypto {

inline constexpr std::uint16_t safety_number_version = 0;
inline constexpr unsigned safety_number_iterations = 5200;

// The 30-digit half contributed by one identity (key and username), without spaces.
[[nodiscard]] std::string safety_number_half(const identity_public_key& key,
                                             std::string_view username);

// "12345 67890 ... 12345": both halves in ascending order, so the argument order does not
// matter. nullopt when both sides are the same identity (key and username).
[[nodiscard]] std::optional<std::string> safety_number(const identity_public_key& a_key,
                                                       std::string_view a_username,
                                                       const identity_public_key& b_key,
                                                       std::string_view b_username);

} // namespace sotto::crypto
