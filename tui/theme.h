#pragma once
// How each part of the screen looks, with colours and without. On a monochrome terminal
// (TERM=vt100, TERM=linux without colours) the roles that matter stay distinguishable through
// bold, reverse and underline alone: a changed key is never just a colour. Pure: window.cpp maps
// a text_style to ncurses attributes.

#include "tui/status_line.h"

#include <cstdint>

namespace sotto::tui {

enum class color : std::uint8_t {
    terminal_default,
    black,
    red,
    green,
    yellow,
    blue,
    magenta,
    cyan,
    white
};

struct text_style {
    color foreground = color::terminal_default;
    color background = color::terminal_default;
    bool bold = false;
    bool reverse = false;
    bool underline = false;
    bool dim = false;

    friend bool operator==(const text_style&, const text_style&) = default;
};

enum class style_role {
    text,
    title_bar,
    border,
    tab,
    tab_current,
    tab_unread,
    contact,
    contact_current,
    contact_key_changed,
    unread_count,
    timestamp,
    own_name,
    peer_name,
    day_separator,
    system_message, // a group's membership change or a refused one
    delivery_mark,
    delivery_mark_read,
    delivery_failed,
    status_neutral,
    status_pending,
    status_unverified,
    status_secure,
    status_danger,
    notice,
    input,
    overlay,
};

inline constexpr std::size_t style_role_count = static_cast<std::size_t>(style_role::overlay) + 1;

enum class color_support { monochrome, colors };

[[nodiscard]] text_style style_for(style_role role, color_support support) noexcept;
[[nodiscard]] style_role role_for(status_severity severity) noexcept;

} // namespace sotto::tui
