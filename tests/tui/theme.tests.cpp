#include "tui/theme.h"

#include <catch2/catch.hpp>

using namespace sotto::tui;

namespace {

bool uses_color(const text_style& style) {
    return style.foreground != color::terminal_default ||
           style.background != color::terminal_default;
}

} // namespace

TEST_CASE("a monochrome terminal gets no colours at all", "[tui][theme]") {
    for (std::size_t i = 0; i < style_role_count; ++i) {
        CHECK_FALSE(uses_color(style_for(static_cast<style_role>(i), color_support::monochrome)));
    }
}

TEST_CASE("every status severity looks different even without colours", "[tui][theme]") {
    const status_severity severities[] = {status_severity::neutral, status_severity::pending,
                                          status_severity::unverified, status_severity::secure,
                                          status_severity::danger};
    // Secure and neutral may look alike in monochrome (both plain text, the words differ), but a
    // danger, a pending handshake and an unverified session each stand out.
    for (const auto support : {color_support::monochrome, color_support::colors}) {
        const auto danger = style_for(role_for(status_severity::danger), support);
        CHECK(danger.bold);
        CHECK(danger.reverse == (support == color_support::monochrome));
        for (const auto other : severities) {
            if (other == status_severity::danger)
                continue;
            CHECK(style_for(role_for(other), support) != danger);
        }
        CHECK(style_for(role_for(status_severity::pending), support) !=
              style_for(role_for(status_severity::secure), support));
        CHECK(style_for(role_for(status_severity::unverified), support) !=
              style_for(role_for(status_severity::secure), support));
    }
}

TEST_CASE("the current tab and contact stand out in both modes", "[tui][theme]") {
    for (const auto support : {color_support::monochrome, color_support::colors}) {
        CHECK(style_for(style_role::tab_current, support) != style_for(style_role::tab, support));
        CHECK(style_for(style_role::contact_current, support) !=
              style_for(style_role::contact, support));
        CHECK(style_for(style_role::delivery_mark_read, support) !=
              style_for(style_role::delivery_mark, support));
        CHECK(style_for(style_role::tab_unread, support) != style_for(style_role::tab, support));
    }
}

TEST_CASE("a coloured danger status is white on red", "[tui][theme]") {
    const auto danger = style_for(style_role::status_danger, color_support::colors);
    CHECK(danger.foreground == color::white);
    CHECK(danger.background == color::red);
    CHECK(role_for(status_severity::secure) == style_role::status_secure);
}
