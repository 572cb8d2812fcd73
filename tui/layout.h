#pragma once
// Where each part of the screen goes (DESIGN.md section 6), as pure arithmetic on the terminal
// size, so that resizing is a recomputation and the views only draw into their rectangles.
//
//   +-title bar----------------------------------------------------+   row 0
//   | contacts   | tab bar                                         |
//   |            | messages                                        |
//   |            |-separator---------------------------------------|
//   |            | status line                                     |
//   |            | input line                                      |
//   +-bottom border------------------------------------------------+
//
// The frame (left, right and bottom borders) and the divider are rectangles too: together with
// the panes they cover every cell of the screen exactly once.

namespace sotto::tui {

struct rect {
    int x = 0;
    int y = 0;
    int width = 0;
    int height = 0;

    [[nodiscard]] bool visible() const noexcept { return width > 0 && height > 0; }
    friend bool operator==(const rect&, const rect&) = default;
};

struct layout_request {
    int columns = 0;
    int rows = 0;
    bool show_contacts = true;
    int contacts_width = 14; // preferred width of the contacts pane, without the divider
};

struct screen_layout {
    rect title_bar;   // the top border line with the title in it
    rect left_border; // frame columns and bottom row: present on big enough screens only
    rect right_border;
    rect bottom_border;
    rect contacts; // full height beside the conversation
    rect divider;  // the vertical line between contacts and the conversation
    rect tab_bar;
    rect messages;
    rect separator; // the horizontal line above the status line
    rect status_line;
    rect input_line;

    [[nodiscard]] bool framed() const noexcept { return bottom_border.visible(); }
    friend bool operator==(const screen_layout&, const screen_layout&) = default;
};

// Thresholds of the degradation, in the order parts disappear as the terminal shrinks.
inline constexpr int contacts_minimum_columns = 60; // below this the contacts pane hides
inline constexpr int contacts_minimum_width = 8;
inline constexpr int frame_minimum_columns = 40; // below these the frame goes
inline constexpr int frame_minimum_rows = 10;

// The rectangles for a terminal of request.columns x request.rows. Never a negative size; a
// part that does not fit has width and height 0. The input line is the last part to go (it is
// there whenever the terminal has a cell), then the status line, the messages, the tab bar, the
// title bar and the separator. The contacts pane gets its preferred width but at most a third
// of the width inside the frame, and goes below contacts_minimum_columns or when that leaves it
// narrower than contacts_minimum_width. Negative sizes count as 0.
[[nodiscard]] screen_layout compute_layout(const layout_request& request) noexcept;

} // namespace sotto::tui
