#include "tui/layout.h"

#include <algorithm>

namespace sotto::tui {

namespace {

// Takes `rows` rows off the top of `area` and returns them.
rect take_top(rect& area, int rows) {
    rows = std::clamp(rows, 0, area.height);
    const rect top{area.x, area.y, area.width, rows};
    area.y += rows;
    area.height -= rows;
    return top;
}

rect take_bottom(rect& area, int rows) {
    rows = std::clamp(rows, 0, area.height);
    area.height -= rows;
    return {area.x, area.y + area.height, area.width, rows};
}

rect take_left(rect& area, int columns) {
    columns = std::clamp(columns, 0, area.width);
    const rect left{area.x, area.y, columns, area.height};
    area.x += columns;
    area.width -= columns;
    return left;
}

rect take_right(rect& area, int columns) {
    columns = std::clamp(columns, 0, area.width);
    area.width -= columns;
    return {area.x + area.width, area.y, columns, area.height};
}

// A hidden part sits at its area's corner with no size, so it is never out of bounds.
rect empty_at(const rect& area) {
    return {area.x, area.y, 0, 0};
}

} // namespace

screen_layout compute_layout(const layout_request& request) noexcept {
    const int columns = std::max(request.columns, 0);
    const int rows = std::max(request.rows, 0);
    screen_layout layout;
    rect area{0, 0, columns, rows};
    if (columns == 0 || rows == 0)
        return layout;

    const bool framed = columns >= frame_minimum_columns && rows >= frame_minimum_rows;
    const bool has_title = rows >= 5;
    if (has_title)
        layout.title_bar = take_top(area, 1);
    else
        layout.title_bar = empty_at(area);

    if (framed) {
        layout.bottom_border = take_bottom(area, 1);
        layout.left_border = take_left(area, 1);
        layout.right_border = take_right(area, 1);
    } else {
        layout.bottom_border = empty_at(area);
        layout.left_border = empty_at(area);
        layout.right_border = empty_at(area);
    }

    // The conversation keeps at least two thirds of the width.
    const int contacts_width = std::min(request.contacts_width, (area.width - 1) / 3);
    const bool has_contacts = request.show_contacts && columns >= contacts_minimum_columns &&
                              contacts_width >= contacts_minimum_width && area.height > 0;
    if (has_contacts) {
        layout.contacts = take_left(area, contacts_width);
        layout.divider = take_left(area, 1);
    } else {
        layout.contacts = empty_at(area);
        layout.divider = empty_at(area);
    }

    // The rows below the title go, from the most to the least important: input, status,
    // messages, tab bar, separator; every row beyond those five belongs to the messages.
    layout.input_line = take_bottom(area, 1);
    layout.status_line = take_bottom(area, 1);
    const bool has_separator = area.height >= 3;
    layout.separator = has_separator ? take_bottom(area, 1) : empty_at(area);
    const bool has_tab_bar = area.height >= 2;
    layout.tab_bar = has_tab_bar ? take_top(area, 1) : empty_at(area);
    layout.messages = area;
    if (!layout.messages.visible())
        layout.messages = empty_at(area);
    // Parts that got a width but no height, or a height but no width, are hidden alike.
    for (rect* part : {&layout.title_bar, &layout.left_border, &layout.right_border,
                       &layout.bottom_border, &layout.contacts, &layout.divider, &layout.tab_bar,
                       &layout.separator, &layout.status_line, &layout.input_line}) {
        if (!part->visible())
            *part = {part->x, part->y, 0, 0};
    }
    return layout;
}

} // namespace sotto::tui
