#pragma once
// The message pane's rows: "14:02 bob    are you there?" with continuation lines indented under
// the text, system lines ("14:02 -!-    alice added carol"), a delivery mark at the right of an
// outgoing message's last row, and a day separator where the local date changes. Pure: time comes
// in as UTC seconds plus the local offset, so the output does not depend on the machine's time
// zone.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sotto::tui {

enum class delivery_state {
    incoming,  // someone else's message: no mark
    queued,    // waiting in the outbox (no session yet)
    sent,      // the relay has it
    delivered, // the recipient's device has it
    read,      // the recipient has seen it
    failed,    // given up (see the conversation for why)
};

struct message_view {
    std::chrono::sys_seconds time{};
    std::string sender; // for a system line, who caused it (not shown: the text names them)
    std::string text;
    delivery_state delivery = delivery_state::incoming;
    // A line of the conversation itself rather than a message, such as a group's membership
    // change ("alice added carol") or a refused one: shown as "14:02 -!-    alice added carol".
    bool system = false;
};

// What the sender column of a system line shows.
inline constexpr std::string_view system_sender = "-!-";

enum class mark_set { unicode, ascii }; // ascii for terminals without the check mark glyph

struct delivery_mark {
    std::string_view text;   // at most mark_columns wide; empty for incoming messages
    bool emphasized = false; // read: drawn bold, so it differs from delivered even without colour
};

inline constexpr std::size_t mark_columns = 2;

[[nodiscard]] delivery_mark mark_for(delivery_state state,
                                     mark_set marks = mark_set::unicode) noexcept;

enum class row_kind { day_separator, message_start, message_continuation };

struct pane_row {
    row_kind kind = row_kind::message_start;
    std::size_t message = 0; // index into the messages given
    std::string text;   // safe to draw, padded to the text width (a day separator: the full width)
    delivery_mark mark; // on the last row of an outgoing message only
};

struct pane_options {
    std::size_t width = 80;             // columns of the whole pane
    std::size_t sender_columns = 6;     // the sender's name is padded or cut to this
    std::chrono::seconds utc_offset{0}; // local time = UTC + offset
    mark_set marks = mark_set::unicode;
};

// "14:02" in local time.
[[nodiscard]] std::string format_clock(std::chrono::sys_seconds time,
                                       std::chrono::seconds utc_offset);
// "Sun 22 Nov 2026" in local time.
[[nodiscard]] std::string format_day(std::chrono::sys_seconds time,
                                     std::chrono::seconds utc_offset);

// The rows for `messages` (oldest first) in a pane of options.width columns. A message row's text
// is width - (mark_columns + 1) columns wide, the last columns being the mark's; a pane narrower
// than that has rows of its width and no marks. Day separators take the full width. `previous` is
// the message shown just above the first one (for the day separator), if any.
[[nodiscard]] std::vector<pane_row> layout_messages(std::span<const message_view> messages,
                                                    const pane_options& options,
                                                    const message_view* previous = nullptr);

// Scrolling in rows from the bottom (0 = the newest rows in view): the offset clamped so that
// the pane never scrolls past the oldest row.
[[nodiscard]] std::size_t clamp_scroll(std::size_t offset, std::size_t total_rows,
                                       std::size_t height) noexcept;

struct row_range {
    std::size_t begin = 0;
    std::size_t end = 0;
};

// Which rows show in a pane of `height` rows scrolled `offset` rows up from the bottom.
[[nodiscard]] row_range visible_rows(std::size_t total_rows, std::size_t height,
                                     std::size_t offset) noexcept;

} // namespace sotto::tui
