#pragma once
// The whole screen as text: composes the layout's rectangles with the pane formatters into rows
// of styled spans, exactly the terminal's width each, and the cursor position. Pure, so the full
// picture of DESIGN.md section 6 is tested without a terminal; the ncurses layer only prints the
// spans with their styles.

#include "tui/contact_list.h"
#include "tui/input_line.h"
#include "tui/layout.h"
#include "tui/message_pane.h"
#include "tui/status_line.h"
#include "tui/tab_bar.h"
#include "tui/theme.h"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sotto::tui {

struct styled_span {
    std::string text;
    style_role role = style_role::text;
};

struct screen_position {
    int row = 0;
    int column = 0;
    friend bool operator==(const screen_position&, const screen_position&) = default;
};

struct frame {
    std::vector<std::vector<styled_span>> rows; // one per terminal row, each exactly `columns` wide
    std::optional<screen_position> cursor;      // where the terminal cursor goes, if anywhere
};

inline constexpr std::string_view input_prompt = "> ";

struct screen_model {
    std::string title; // "alice@relay.example:7717"
    std::span<const contact_view> contacts;
    std::size_t current_contact = static_cast<std::size_t>(-1);
    std::span<const tab_view> tabs;
    std::size_t current_tab = 0;
    std::span<const message_view> messages; // the loaded window of the conversation, oldest first
    const message_view* message_before = nullptr; // the one just before it, for the day separator
    std::size_t scroll_offset = 0;                // message rows up from the bottom
    std::string own_name;                         // messages from this sender are styled as own
    pane_options message_options;                 // its width is ignored: the layout decides
    status_view status;
    std::optional<group_status_view> group_status; // set in a group tab: shown instead of status
    std::string notice;               // a one-line error or note, shown in the separator
    std::string_view input_text;      // input_line::text()
    input_view input;                 // input_line::view(input_columns(layout))
    std::vector<std::string> overlay; // lines of an overlay such as /help; empty: none
    std::size_t overlay_scroll = 0;   // overlay lines scrolled off the top
};

// Columns the input line's text gets after the prompt (what to pass to input_line::view).
[[nodiscard]] std::size_t input_columns(const screen_layout& layout) noexcept;

// The screen for `model` laid out by `layout` on a terminal of layout's size.
[[nodiscard]] frame compose(const screen_model& model, const screen_layout& layout, int columns,
                            int rows);

// A frame's rows as plain text (for tests and for a terminal-free dump).
[[nodiscard]] std::vector<std::string> plain_rows(const frame& f);

} // namespace sotto::tui
