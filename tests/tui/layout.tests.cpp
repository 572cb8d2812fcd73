#include "tui/layout.h"

#include <catch2/catch.hpp>

#include <ostream>
#include <vector>

namespace sotto::tui {
std::ostream& operator<<(std::ostream& out, const rect& r) {
    return out << "{x " << r.x << ", y " << r.y << ", " << r.width << "x" << r.height << "}";
}
} // namespace sotto::tui

using namespace sotto::tui;

namespace {

std::vector<rect> parts_of(const screen_layout& layout) {
    return {layout.title_bar, layout.left_border, layout.right_border, layout.bottom_border,
            layout.contacts,  layout.divider,     layout.tab_bar,      layout.messages,
            layout.separator, layout.status_line, layout.input_line};
}

// Every cell of the screen belongs to exactly one visible part and no part leaves the screen.
void require_exact_cover(const screen_layout& layout, int columns, int rows) {
    std::vector<int> covered(static_cast<std::size_t>(columns * rows), 0);
    for (const auto& part : parts_of(layout)) {
        REQUIRE(part.width >= 0);
        REQUIRE(part.height >= 0);
        REQUIRE(part.x >= 0);
        REQUIRE(part.y >= 0);
        if (!part.visible()) {
            REQUIRE(part.width == 0);
            REQUIRE(part.height == 0);
            continue;
        }
        REQUIRE(part.x + part.width <= columns);
        REQUIRE(part.y + part.height <= rows);
        for (int y = part.y; y < part.y + part.height; ++y) {
            for (int x = part.x; x < part.x + part.width; ++x) {
                ++covered[static_cast<std::size_t>(y * columns + x)];
            }
        }
    }
    for (const int count : covered)
        REQUIRE(count == 1);
}

screen_layout layout_for(int columns, int rows, bool contacts = true) {
    return compute_layout({columns, rows, contacts, 14});
}

} // namespace

TEST_CASE("an 80x24 terminal gets the picture of DESIGN.md section 6", "[tui][layout]") {
    const auto layout = layout_for(80, 24);
    CHECK(layout.framed());
    CHECK(layout.title_bar == rect{0, 0, 80, 1});
    CHECK(layout.bottom_border == rect{0, 23, 80, 1});
    CHECK(layout.left_border == rect{0, 1, 1, 22});
    CHECK(layout.right_border == rect{79, 1, 1, 22});
    CHECK(layout.contacts == rect{1, 1, 14, 22});
    CHECK(layout.divider == rect{15, 1, 1, 22});
    CHECK(layout.tab_bar == rect{16, 1, 63, 1});
    CHECK(layout.messages == rect{16, 2, 63, 18});
    CHECK(layout.separator == rect{16, 20, 63, 1});
    CHECK(layout.status_line == rect{16, 21, 63, 1});
    CHECK(layout.input_line == rect{16, 22, 63, 1});
    require_exact_cover(layout, 80, 24);
}

TEST_CASE("hiding the contacts pane gives its columns to the conversation", "[tui][layout]") {
    const auto layout = layout_for(80, 24, false);
    CHECK_FALSE(layout.contacts.visible());
    CHECK_FALSE(layout.divider.visible());
    CHECK(layout.messages == rect{1, 2, 78, 18});
    CHECK(layout.input_line == rect{1, 22, 78, 1});
    require_exact_cover(layout, 80, 24);
}

TEST_CASE("the contacts pane hides below 60 columns", "[tui][layout]") {
    CHECK(layout_for(60, 24).contacts.visible());
    CHECK_FALSE(layout_for(59, 24).contacts.visible());
    CHECK(layout_for(59, 24).messages.width == 57);
}

TEST_CASE("the contacts pane never takes more than a third of the width", "[tui][layout]") {
    const auto wide_request = compute_layout({80, 24, true, 50});
    CHECK(wide_request.contacts.width == 25);
    CHECK(wide_request.messages.width == 78 - 25 - 1);
    const auto narrow_request = compute_layout({80, 24, true, 3});
    CHECK_FALSE(narrow_request.contacts.visible());
    const auto negative_request = compute_layout({80, 24, true, -4});
    CHECK_FALSE(negative_request.contacts.visible());
    require_exact_cover(wide_request, 80, 24);
}

TEST_CASE("resizing from 80x24 to 60x20 to 20x5 keeps the input line and degrades in order",
          "[tui][layout]") {
    const auto big = layout_for(80, 24);
    const auto medium = layout_for(60, 20);
    const auto small = layout_for(20, 5);

    CHECK(medium.framed());
    CHECK(medium.contacts == rect{1, 1, 14, 18});
    CHECK(medium.messages == rect{16, 2, 43, 14});
    CHECK(medium.input_line == rect{16, 18, 43, 1});
    require_exact_cover(medium, 60, 20);

    CHECK_FALSE(small.framed());
    CHECK_FALSE(small.contacts.visible());
    CHECK_FALSE(small.separator.visible());
    CHECK(small.title_bar == rect{0, 0, 20, 1});
    CHECK(small.tab_bar == rect{0, 1, 20, 1});
    CHECK(small.messages == rect{0, 2, 20, 1});
    CHECK(small.status_line == rect{0, 3, 20, 1});
    CHECK(small.input_line == rect{0, 4, 20, 1});
    require_exact_cover(small, 20, 5);

    CHECK(layout_for(80, 24) == big);
}

TEST_CASE("tiny terminals keep the input line first and then the status line", "[tui][layout]") {
    const auto one = layout_for(1, 1);
    CHECK(one.input_line == rect{0, 0, 1, 1});
    CHECK_FALSE(one.status_line.visible());
    CHECK_FALSE(one.messages.visible());
    CHECK_FALSE(one.title_bar.visible());

    const auto two = layout_for(30, 2);
    CHECK(two.status_line == rect{0, 0, 30, 1});
    CHECK(two.input_line == rect{0, 1, 30, 1});
    CHECK_FALSE(two.messages.visible());

    const auto three = layout_for(30, 3);
    CHECK(three.messages == rect{0, 0, 30, 1});
    CHECK_FALSE(three.tab_bar.visible());

    const auto four = layout_for(30, 4);
    CHECK(four.tab_bar == rect{0, 0, 30, 1});
    CHECK_FALSE(four.title_bar.visible());

    const auto six = layout_for(30, 6);
    CHECK(six.separator == rect{0, 3, 30, 1});
    CHECK(six.messages == rect{0, 2, 30, 1});
}

TEST_CASE("a terminal with no cells gets no visible part and negative sizes count as zero",
          "[tui][layout]") {
    for (const auto& [columns, rows] :
         std::vector<std::pair<int, int>>{{0, 0}, {0, 24}, {80, 0}, {-5, -5}, {-1, 24}}) {
        for (const auto& part : parts_of(compute_layout({columns, rows, true, 14}))) {
            CHECK_FALSE(part.visible());
            CHECK(part.width == 0);
            CHECK(part.height == 0);
        }
    }
}

TEST_CASE("every size up to 200x60 is covered exactly once with the input line always there",
          "[tui][layout]") {
    for (int columns = 1; columns <= 200; ++columns) {
        for (int rows = 1; rows <= 60; ++rows) {
            for (const bool contacts : {true, false}) {
                const auto layout = compute_layout({columns, rows, contacts, 14});
                require_exact_cover(layout, columns, rows);
                REQUIRE(layout.input_line.visible());
                REQUIRE(layout.input_line.height == 1);
                // The conversation column lines up: same x and width from tab bar to input.
                for (const auto& part :
                     {layout.tab_bar, layout.messages, layout.separator, layout.status_line}) {
                    if (part.visible()) {
                        REQUIRE(part.x == layout.input_line.x);
                        REQUIRE(part.width == layout.input_line.width);
                    }
                }
                if (rows >= 3)
                    REQUIRE(layout.messages.visible());
                if (layout.contacts.visible())
                    REQUIRE(layout.input_line.width >= 2 * layout.contacts.width);
            }
        }
    }
}
