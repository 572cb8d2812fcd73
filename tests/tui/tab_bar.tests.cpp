#include "tui/tab_bar.h"

#include "tui/text_width.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace sotto::tui;

namespace {

std::string joined(const std::vector<tab_span>& spans) {
    std::string out;
    for (const auto& span : spans)
        out += span.text;
    return out;
}

std::vector<tab_view> design_tabs() {
    return {{"bob", false, false}, {"team", true, true}, {"carol", false, false}};
}

std::vector<tab_view> many_tabs(std::size_t count) {
    std::vector<tab_view> tabs;
    for (std::size_t i = 0; i < count; ++i)
        tabs.push_back({"user" + std::to_string(i + 1), false, false});
    return tabs;
}

} // namespace

TEST_CASE("the tab bar of DESIGN.md numbers tabs and marks groups and unread ones",
          "[tui][tab_bar]") {
    const auto tabs = design_tabs();
    const auto spans = format_tab_bar(tabs, 0, 40);
    CHECK(joined(spans) == pad_to_width("[1 bob] [2 #team*] [3 carol]", 40));
    REQUIRE(spans.size() >= 5);
    CHECK(spans[0].current);
    CHECK(spans[0].tab == 0);
    CHECK(spans[2].tab == 1);
    CHECK(spans[2].unread);
    CHECK_FALSE(spans[2].current);
}

TEST_CASE("labels are sanitized and long names cut", "[tui][tab_bar]") {
    CHECK(tab_label({"a\x1B[31mb", false, false}, 0) == "[1 a\xEF\xBF\xBD[31mb]");
    CHECK(tab_label({std::string(40, 'x'), false, true}, 11) ==
          "[12 " + std::string(15, 'x') + "\xE2\x80\xA6*]");
}

TEST_CASE("when tabs do not fit the current one shows with arrows where tabs hide",
          "[tui][tab_bar]") {
    const auto tabs = many_tabs(9); // "[1 user1]" is 9 columns
    const auto first = joined(format_tab_bar(tabs, 0, 40));
    CHECK(first == "[1 user1] [2 user2] [3 user3]" + std::string(9, ' ') + " >");
    const auto middle = joined(format_tab_bar(tabs, 5, 40));
    CHECK(middle.find("[6 user6]") != std::string::npos);
    CHECK(middle.rfind("< ", 0) == 0);
    CHECK(middle.find(" >") != std::string::npos);
    const auto last = joined(format_tab_bar(tabs, 8, 40));
    CHECK(last.find("[9 user9]") != std::string::npos);
    CHECK(last.find(" >") == std::string::npos);
}

TEST_CASE("hidden unread tabs are flagged on their side", "[tui][tab_bar]") {
    auto tabs = many_tabs(9);
    tabs[8].unread = true;
    const auto bar = joined(format_tab_bar(tabs, 0, 40));
    CHECK(bar.substr(bar.size() - 2) == ">*");
    tabs[8].unread = false;
    tabs[0].unread = true;
    const auto from_end = joined(format_tab_bar(tabs, 8, 40));
    CHECK(from_end.rfind("*<", 0) == 0);
}

TEST_CASE("the bar is exactly the width for every width and current tab", "[tui][tab_bar]") {
    auto tabs = many_tabs(12);
    tabs[3].name = "\xE4\xB8\xAD\xE6\x96\x87\xF0\x9F\x98\x80"; // CJK and emoji, 6 columns
    tabs[3].group = true;
    tabs[7].unread = true;
    for (std::size_t width = 0; width < 120; ++width) {
        for (std::size_t current = 0; current <= tabs.size(); ++current) {
            const auto spans = format_tab_bar(tabs, current, width);
            REQUIRE(display_width(joined(spans)) == width);
            if (current < tabs.size() && width >= 12) {
                // The current tab is always shown.
                REQUIRE(std::any_of(spans.begin(), spans.end(), [&](const tab_span& span) {
                    return span.tab == current && span.current;
                }));
            }
        }
    }
}

TEST_CASE("no tabs give a blank bar and a tiny width a cut current tab", "[tui][tab_bar]") {
    CHECK(joined(format_tab_bar({}, 0, 10)) == std::string(10, ' '));
    CHECK(format_tab_bar({}, 0, 0).empty());
    const auto tabs = design_tabs();
    const auto tiny = format_tab_bar(tabs, 2, 5);
    CHECK(display_width(joined(tiny)) == 5);
    CHECK(tiny.front().tab == 2);
}
