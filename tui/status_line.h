#pragma once
// The handshake status line of the current conversation, in words (DESIGN.md section 4):
// "offering key to bob (bob offline, resent 3x, next in 16s)", "confirming with bob",
// "secure - verified | bob online | ratchet #42", "bob's key CHANGED - /verify bob or /accept bob".
// For a group, what its pairwise sessions add up to: "#team: 4 members, secure with 2, waiting
// for keys from carol and dave | 1 of 3 online". Pure formatters from small view models that the
// client engine's state fills.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sotto::tui {

enum class handshake_state { no_session, offering, confirming, established, key_changed };

struct status_view {
    std::string peer; // empty: no conversation is open
    handshake_state state = handshake_state::no_session;
    bool peer_online = false;
    unsigned resend_count = 0;                      // offers re-sent so far
    std::optional<unsigned> seconds_to_next_resend; // while offering
    bool verified = false;                          // safety number compared
    std::optional<std::uint64_t> ratchet_message_number;
};

// How the view colours the line (and, on a monochrome terminal, which attribute it uses).
enum class status_severity {
    neutral,    // no conversation, no session yet
    pending,    // offering, confirming
    unverified, // secure but the safety number was not compared
    secure,     // secure and verified
    danger,     // the peer's identity key changed: sending is blocked
};

struct status_text {
    std::string text;
    status_severity severity = status_severity::neutral;
};

// One member of a group as the status line and /members see it.
struct group_member_view {
    std::string name;
    bool you = false;
    bool admin = false;
    // The pairwise session with this member, which carries its sender key (not for you).
    handshake_state state = handshake_state::no_session;
    bool online = false;
    bool verified = false;
};

struct group_status_view {
    std::string name;                       // without '#'
    std::vector<group_member_view> members; // everyone, you included
    bool member = true;                     // false after you left or were removed
};

// The whole line. The peer's name is sanitized (control characters cannot reach the terminal).
[[nodiscard]] status_text format_status(const status_view& view);

// The line fitted to `width` columns: the " | " segments at the end go first, then the first
// segment is cut with an ellipsis. The severity never changes with the width.
[[nodiscard]] status_text format_status(const status_view& view, std::size_t width);

// A group's line, as format_status: names sanitized, trailing " | " segments dropped first when
// `width` is given. Danger when a member's key changed, pending while a member's session is not
// established, secure when every session is and every member is verified, else unverified.
[[nodiscard]] status_text format_group_status(const group_status_view& view);
[[nodiscard]] status_text format_group_status(const group_status_view& view, std::size_t width);

// "carol", "carol and dave", "bob, carol and dave", "bob, carol and 2 others".
[[nodiscard]] std::string join_names(const std::vector<std::string>& names);

// "16s", "1m05s": a wait as the status line shows it.
[[nodiscard]] std::string format_wait(unsigned seconds);

} // namespace sotto::tui
