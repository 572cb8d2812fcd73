#pragma once
// The /members overlay of a group: one line per member with the admin mark and the state of the
// pairwise session that carries the member's sender key. Pure.
//
//   #team: 3 members (Esc closes)
//
//     alice  admin, you
//     bob    secure - not verified, online
//     carol  offering key, offline

#include "tui/status_line.h"

#include <string>
#include <vector>

namespace sotto::tui {

// "secure - verified, online", "admin, offering key, offline", "admin, you".
[[nodiscard]] std::string describe_member(const group_member_view& member);

// The overlay's lines: a title, a blank line, then the members in the order given, names
// sanitized and padded to the widest (at most 16 columns).
[[nodiscard]] std::vector<std::string> member_lines(const group_status_view& group);

} // namespace sotto::tui
