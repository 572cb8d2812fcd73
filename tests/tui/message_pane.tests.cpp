#include "tui/message_pane.h"

#include "tui/text_width.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace sotto::tui;
using namespace std::chrono_literals;

namespace {

// 2026-11-22 14:02:00 UTC, a Sunday.
constexpr std::chrono::sys_seconds sunday_1402{
    std::chrono::sys_days{std::chrono::year{2026} / 11 / 22} + 14h + 2min};

message_view message(std::chrono::sys_seconds time, std::string sender, std::string text,
                     delivery_state delivery = delivery_state::incoming) {
    return {time, std::move(sender), std::move(text), delivery};
}

std::vector<std::string> texts(const std::vector<pane_row>& rows) {
    std::vector<std::string> out;
    for (const auto& row : rows)
        out.push_back(row.text);
    return out;
}

using strings = std::vector<std::string>;

} // namespace

TEST_CASE("clock and day are local time from UTC plus the offset", "[tui][message_pane]") {
    CHECK(format_clock(sunday_1402, 0s) == "14:02");
    CHECK(format_clock(sunday_1402, 2h) == "16:02");
    CHECK(format_clock(sunday_1402, -15h) == "23:02");
    CHECK(format_clock(sunday_1402 + 59s, 0s) == "14:02");
    CHECK(format_day(sunday_1402, 0s) == "Sun 22 Nov 2026");
    CHECK(format_day(sunday_1402, -15h) == "Sat 21 Nov 2026");
    CHECK(format_day(sunday_1402, 10h) == "Mon 23 Nov 2026");
    CHECK(format_day(std::chrono::sys_seconds{0s}, 0s) == "Thu 1 Jan 1970");
}

TEST_CASE("messages show time, a padded sender and the text with a day separator first",
          "[tui][message_pane]") {
    const std::vector<message_view> messages = {
        message(sunday_1402, "bob", "are you there?"),
        message(sunday_1402 + 1min, "alice", "yes - sending the file now", delivery_state::read),
    };
    const auto rows = layout_messages(messages, {.width = 50});
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].kind == row_kind::day_separator);
    CHECK(rows[0].text == std::string(16, '-') + " Sun 22 Nov 2026 " + std::string(17, '-'));
    CHECK(rows[1].text == pad_to_width("14:02 bob    are you there?", 47));
    CHECK(rows[1].mark.text.empty());
    CHECK(rows[2].text == pad_to_width("14:03 alice  yes - sending the file now", 47));
    CHECK(rows[2].mark.text == "\xE2\x9C\x93\xE2\x9C\x93");
    CHECK(rows[2].mark.emphasized);
    CHECK(rows[2].message == 1);
    CHECK(display_width(rows[0].text) == 50);
    CHECK(display_width(rows[1].text) == 47);
    CHECK(display_width(rows[2].text) == 47);
}

TEST_CASE("long messages wrap under the text and the mark sits on the last row",
          "[tui][message_pane]") {
    const std::vector<message_view> messages = {
        message(sunday_1402, "alice", "the quick brown fox jumps over the lazy dog",
                delivery_state::delivered),
    };
    const auto rows = layout_messages(messages, {.width = 33}, &messages[0]);
    CHECK(texts(rows) == strings{"14:02 alice  the quick brown  ", "             fox jumps over   ",
                                 "             the lazy dog     "});
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].kind == row_kind::message_start);
    CHECK(rows[2].kind == row_kind::message_continuation);
    CHECK(rows[0].mark.text.empty());
    CHECK(rows[2].mark.text == "\xE2\x9C\x93\xE2\x9C\x93");
    CHECK_FALSE(rows[2].mark.emphasized);
}

TEST_CASE("a day separator appears only where the local date changes", "[tui][message_pane]") {
    const std::vector<message_view> messages = {
        message(sunday_1402, "bob", "a"), message(sunday_1402 + 9h, "bob", "b"), // 23:02, same day
        message(sunday_1402 + 10h, "bob", "c"),                                  // 00:02 on Monday
    };
    const auto rows = layout_messages(messages, {.width = 40}, &messages[0]);
    REQUIRE(rows.size() == 4);
    CHECK(rows[0].kind == row_kind::message_start);
    CHECK(rows[2].kind == row_kind::day_separator);
    CHECK(rows[2].text.find("Mon 23 Nov 2026") != std::string::npos);
    // An hour east the second message is already on Monday.
    const auto east = layout_messages(messages, {.width = 40, .utc_offset = 1h}, &messages[0]);
    REQUIRE(east.size() == 4);
    CHECK(east[1].kind == row_kind::day_separator);
}

TEST_CASE("long sender names are cut and hostile text cannot reach the terminal",
          "[tui][message_pane]") {
    const std::vector<message_view> messages = {
        message(sunday_1402, "bartholomew", "hi\x1B[2J there\x07"),
    };
    const auto rows = layout_messages(messages, {.width = 40}, &messages[0]);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].text.rfind("14:02 barth\xE2\x80\xA6 hi", 0) == 0);
    CHECK(rows[0].text.find('\x1B') == std::string::npos);
    CHECK(rows[0].text.find('\x07') == std::string::npos);
    CHECK(sanitize(rows[0].text) == rows[0].text);
}

TEST_CASE("group messages name their senders and system lines show a marker instead",
          "[tui][message_pane][group]") {
    auto added = message(sunday_1402, "alice", "alice added carol and dave to the group");
    added.system = true;
    const std::vector<message_view> messages = {
        message(sunday_1402, "bob", "hi all"), added, message(sunday_1402 + 1min, "carol", "hello"),
        message(sunday_1402 + 1min, "alice", "welcome", delivery_state::sent)};
    const auto rows = layout_messages(messages, {.width = 37}, &messages[0]);
    CHECK(texts(rows) == strings{pad_to_width("14:02 bob    hi all", 34),
                                 pad_to_width("14:02 -!-    alice added carol and", 34),
                                 pad_to_width("             dave to the group", 34),
                                 pad_to_width("14:03 carol  hello", 34),
                                 pad_to_width("14:03 alice  welcome", 34)});
    CHECK(rows[2].mark.text.empty());
    CHECK(rows[4].mark.text == "\xE2\x9C\x93");
}

TEST_CASE("each delivery state has its mark and an ASCII fallback", "[tui][message_pane]") {
    CHECK(mark_for(delivery_state::incoming).text.empty());
    CHECK(mark_for(delivery_state::queued).text == "\xE2\x80\xA6");
    CHECK(mark_for(delivery_state::sent).text == "\xE2\x9C\x93");
    CHECK(mark_for(delivery_state::delivered).text == "\xE2\x9C\x93\xE2\x9C\x93");
    CHECK(mark_for(delivery_state::sent, mark_set::ascii).text == "+");
    CHECK(mark_for(delivery_state::delivered, mark_set::ascii).text == "++");
    CHECK(mark_for(delivery_state::read, mark_set::ascii).emphasized);
    CHECK(mark_for(delivery_state::failed).text == "!");
    for (const auto state :
         {delivery_state::incoming, delivery_state::queued, delivery_state::sent,
          delivery_state::delivered, delivery_state::read, delivery_state::failed}) {
        for (const auto marks : {mark_set::unicode, mark_set::ascii}) {
            CHECK(display_width(mark_for(state, marks).text) <= mark_columns);
            if (marks == mark_set::ascii) {
                for (const char c : mark_for(state, marks).text)
                    CHECK(static_cast<unsigned char>(c) < 0x80);
            }
        }
    }
}

TEST_CASE("CJK and emoji messages stay within the pane at every width", "[tui][message_pane]") {
    const std::vector<message_view> messages = {
        message(
            sunday_1402, "\xE7\x8E\x8B\xE5\xB0\x8F\xE6\x98\x8E", // a CJK sender name
            "\xE4\xBD\xA0\xE5\xA5\xBD\xE4\xB8\x96\xE7\x95\x8C \xF0\x9F\x98\x80\xF0\x9F\x91\x8D ok",
            delivery_state::sent),
    };
    for (std::size_t width = 0; width < 60; ++width) {
        const auto rows = layout_messages(messages, {.width = width});
        if (width == 0) {
            CHECK(rows.empty());
            continue;
        }
        const auto text_width = width > mark_columns + 1 ? width - mark_columns - 1 : width;
        for (const auto& row : rows) {
            REQUIRE(display_width(row.text) ==
                    (row.kind == row_kind::day_separator ? width : text_width));
        }
    }
}

TEST_CASE("scrolling is clamped to the rows there are", "[tui][message_pane]") {
    CHECK(clamp_scroll(0, 100, 20) == 0);
    CHECK(clamp_scroll(50, 100, 20) == 50);
    CHECK(clamp_scroll(500, 100, 20) == 80);
    CHECK(clamp_scroll(5, 10, 20) == 0);
    CHECK(visible_rows(100, 20, 0).begin == 80);
    CHECK(visible_rows(100, 20, 0).end == 100);
    CHECK(visible_rows(100, 20, 30).begin == 50);
    CHECK(visible_rows(100, 20, 30).end == 70);
    CHECK(visible_rows(100, 20, 1000).begin == 0);
    CHECK(visible_rows(100, 20, 1000).end == 20);
    CHECK(visible_rows(5, 20, 3).begin == 0);
    CHECK(visible_rows(5, 20, 3).end == 5);
    CHECK(visible_rows(0, 0, 0).end == 0);
    CHECK(visible_rows(10, 0, 0).begin == 10);
}
