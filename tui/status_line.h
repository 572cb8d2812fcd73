#pragma once
// The handshake status line of the current conversation, in words (DESIGN.md section 4):
// "offering key to bob (bob offline, resent 3x, next in 16s)", "confirming with bob",
// "secure - verified | bob online | ratchet #42", "bob's key CHANGED - /verify bob or /accept bob".
// A pure formatter from a small view model that the client engine's state will fill.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

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

// The whole line. The peer's name is sanitized (control characters cannot reach the terminal).
[[nodiscard]] status_text format_status(const status_view& view);

// The line fitted to `width` columns: the " | " segments at the end go first, then the first
// segment is cut with an ellipsis. The severity never changes with the width.
[[nodiscard]] status_text format_status(const status_view& view, std::size_t width);

// "16s", "1m05s": a wait as the status line shows it.
[[nodiscard]] std::string format_wait(unsigned seconds);

} // namespace sotto::tui
