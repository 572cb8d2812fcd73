#include "tui/theme.h"

namespace sotto::tui {

namespace {

constexpr text_style plain{};

constexpr text_style monochrome_style(style_role role) noexcept {
    switch (role) {
    case style_role::title_bar:
        return {.bold = true};
    case style_role::tab_current:
        return {.reverse = true};
    case style_role::tab_unread:
        return {.bold = true};
    case style_role::contact_current:
        return {.reverse = true};
    case style_role::contact_key_changed:
        return {.bold = true, .underline = true};
    case style_role::unread_count:
        return {.bold = true};
    case style_role::own_name:
        return {.bold = true};
    case style_role::delivery_mark_read:
        return {.bold = true};
    case style_role::delivery_failed:
        return {.bold = true, .reverse = true};
    case style_role::system_message:
        return {.dim = true};
    case style_role::status_pending:
        return {.bold = true};
    case style_role::status_unverified:
        return {.underline = true};
    case style_role::status_danger:
        return {.bold = true, .reverse = true};
    case style_role::notice:
        return {.bold = true};
    case style_role::overlay:
        return {.reverse = true};
    default:
        return plain;
    }
}

constexpr text_style colored_style(style_role role) noexcept {
    switch (role) {
    case style_role::title_bar:
        return {.foreground = color::cyan, .bold = true};
    case style_role::border:
        return {.foreground = color::blue};
    case style_role::tab_current:
        return {.foreground = color::white, .background = color::blue, .bold = true};
    case style_role::tab_unread:
        return {.foreground = color::yellow, .bold = true};
    case style_role::contact_current:
        return {.reverse = true};
    case style_role::contact_key_changed:
        return {.foreground = color::red, .bold = true};
    case style_role::unread_count:
        return {.foreground = color::yellow, .bold = true};
    case style_role::timestamp:
        return {.dim = true};
    case style_role::own_name:
        return {.foreground = color::green, .bold = true};
    case style_role::peer_name:
        return {.foreground = color::cyan};
    case style_role::day_separator:
        return {.foreground = color::blue};
    case style_role::system_message:
        return {.foreground = color::magenta};
    case style_role::delivery_mark:
        return {.dim = true};
    case style_role::delivery_mark_read:
        return {.foreground = color::green, .bold = true};
    case style_role::delivery_failed:
        return {.foreground = color::red, .bold = true};
    case style_role::status_pending:
        return {.foreground = color::yellow, .bold = true};
    case style_role::status_unverified:
        return {.foreground = color::yellow};
    case style_role::status_secure:
        return {.foreground = color::green, .bold = true};
    case style_role::status_danger:
        return {.foreground = color::white, .background = color::red, .bold = true};
    case style_role::notice:
        return {.foreground = color::magenta, .bold = true};
    case style_role::overlay:
        return {.foreground = color::black, .background = color::white};
    default:
        return plain;
    }
}

} // namespace

text_style style_for(style_role role, color_support support) noexcept {
    return support == color_support::colors ? colored_style(role) : monochrome_style(role);
}

style_role role_for(status_severity severity) noexcept {
    switch (severity) {
    case status_severity::neutral:
        return style_role::status_neutral;
    case status_severity::pending:
        return style_role::status_pending;
    case status_severity::unverified:
        return style_role::status_unverified;
    case status_severity::secure:
        return style_role::status_secure;
    case status_severity::danger:
        return style_role::status_danger;
    }
    return style_role::status_danger;
}

} // namespace sotto::tui
