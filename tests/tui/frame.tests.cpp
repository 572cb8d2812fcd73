#include "tui/frame.h"

#include "tui/text_width.h"

#include <catch2/catch.hpp>

#include <ostream>
#include <string>
#include <vector>

namespace sotto::tui {
std::ostream& operator<<(std::ostream& out, const screen_position& p) {
    return out << "{row " << p.row << ", column " << p.column << "}";
}
} // namespace sotto::tui

using namespace sotto::tui;
using namespace std::chrono_literals;

namespace {

constexpr std::chrono::sys_seconds sunday_1402{
    std::chrono::sys_days{std::chrono::year{2026} / 11 / 22} + 14h + 2min};

struct design_screen {
    std::vector<contact_view> contacts;
    std::vector<tab_view> tabs;
    std::vector<message_view> messages;
    input_line input;
    screen_model model;

    design_screen() {
        contacts = {{.name = "bob", .online = true, .unread = 2},
                    {.name = "carol"},
                    {.name = "dave", .verified = true},
                    {.name = "team", .group = true, .unread = 5}};
        tabs = {{"bob", false, false}, {"team", true, true}, {"carol", false, false}};
        messages = {
            {sunday_1402, "bob", "are you there?", delivery_state::incoming},
            {sunday_1402 + 1min, "alice", "yes - sending the file now", delivery_state::read}};
        input.insert("hello \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80");
        model.title = "alice@relay.example:7717";
        model.contacts = contacts;
        model.current_contact = 0;
        model.tabs = tabs;
        model.current_tab = 0;
        model.messages = messages;
        model.message_before = &messages[0]; // no day separator, like the picture
        model.own_name = "alice";
        model.status.peer = "bob";
        model.status.state = handshake_state::established;
        model.status.peer_online = true;
        model.status.verified = true;
        model.status.ratchet_message_number = 42;
    }

    frame draw(int columns, int rows) {
        const auto layout = compute_layout({columns, rows, true, 14});
        model.input_text = input.text();
        model.input = input.view(input_columns(layout));
        return compose(model, layout, columns, rows);
    }
};

void require_exact_size(const frame& f, int columns, int rows) {
    REQUIRE(f.rows.size() == static_cast<std::size_t>(rows));
    for (const auto& line : plain_rows(f))
        REQUIRE(display_width(line) == static_cast<std::size_t>(columns));
}

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("an 80x24 screen shows the picture of DESIGN.md section 6", "[tui][frame]") {
    design_screen screen;
    const auto f = screen.draw(80, 24);
    require_exact_size(f, 80, 24);
    const auto rows = plain_rows(f);
    CHECK(rows[0].rfind("+-sotto--alice@relay.example:7717---", 0) == 0);
    CHECK(rows[0].back() == '+');
    CHECK(rows[1] == "|Contacts      |" + pad_to_width("[1 bob] [2 #team*] [3 carol]", 63) + "|");
    CHECK(rows[2].rfind("|* bob        2|", 0) == 0);
    CHECK(rows[4].rfind("|  dave \xE2\x9C\x93      |", 0) == 0);
    CHECK(rows[5].rfind("|# team       5|", 0) == 0);
    CHECK(contains(rows[18], "14:02 bob    are you there?"));
    CHECK(contains(rows[19], "14:03 alice  yes - sending the file now"));
    CHECK(contains(rows[19], "\xE2\x9C\x93\xE2\x9C\x93|"));
    CHECK(rows[20] == "|              |" + std::string(63, '-') + "|");
    CHECK(contains(rows[21], "|secure - verified | bob online | ratchet #42"));
    CHECK(contains(rows[22], "|> hello \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80"));
    CHECK(rows[23] == "+" + std::string(78, '-') + "+");
    REQUIRE(f.cursor);
    CHECK(*f.cursor == screen_position{22, 16 + 2 + 13}); // after "hello 中文 😀", 13 columns
}

TEST_CASE("spans carry the roles the theme styles", "[tui][frame]") {
    design_screen screen;
    const auto f = screen.draw(80, 24);
    const auto has_role = [&](std::size_t row, style_role role, std::string_view text) {
        for (const auto& span : f.rows[row]) {
            if (span.role == role && contains(span.text, text))
                return true;
        }
        return false;
    };
    CHECK(has_role(1, style_role::tab_current, "[1 bob]"));
    CHECK(has_role(1, style_role::tab_unread, "[2 #team*]"));
    CHECK(has_role(2, style_role::contact_current, "* bob"));
    CHECK(has_role(18, style_role::timestamp, "14:02"));
    CHECK(has_role(18, style_role::peer_name, "bob"));
    CHECK(has_role(19, style_role::own_name, "alice"));
    CHECK(has_role(19, style_role::delivery_mark_read, "\xE2\x9C\x93\xE2\x9C\x93"));
    CHECK(has_role(21, style_role::status_secure, "secure - verified"));
    screen.model.status.state = handshake_state::key_changed;
    const auto changed = screen.draw(80, 24);
    bool danger = false;
    for (const auto& span : changed.rows[21])
        danger =
            danger || (span.role == style_role::status_danger && contains(span.text, "CHANGED"));
    CHECK(danger);
}

TEST_CASE("a group tab shows the group's status line and system lines in their style",
          "[tui][frame][group]") {
    design_screen screen;
    screen.tabs[1].unread = false;
    screen.model.current_tab = 1;
    screen.model.current_contact = 3;
    group_status_view team;
    team.name = "team";
    team.members = {{.name = "alice", .you = true, .admin = true},
                    {.name = "bob", .state = handshake_state::established, .online = true},
                    {.name = "carol", .state = handshake_state::offering}};
    screen.model.group_status = team;
    message_view added{sunday_1402, "alice", "alice created team with bob and carol"};
    added.system = true;
    screen.messages = {added, {sunday_1402 + 1min, "bob", "hi all"}};
    screen.model.messages = screen.messages;
    screen.model.message_before = &screen.messages[0];
    const auto f = screen.draw(80, 24);
    const auto rows = plain_rows(f);
    CHECK(rows[1] == "|Contacts      |" + pad_to_width("[1 bob] [2 #team] [3 carol]", 63) + "|");
    CHECK(contains(rows[18], "14:02 -!-    alice created team with bob and carol"));
    CHECK(contains(rows[19], "14:03 bob    hi all"));
    CHECK(contains(rows[21], "|#team: 3 members, secure with 1, waiting for carol's key  "));
    CHECK_FALSE(contains(rows[21], "online")); // the trailing segment does not fit in 63 columns
    bool system = false;
    for (const auto& span : f.rows[18])
        system = system ||
                 (span.role == style_role::system_message && contains(span.text, "alice created"));
    CHECK(system);
    bool pending = false;
    for (const auto& span : f.rows[21])
        pending =
            pending || (span.role == style_role::status_pending && contains(span.text, "#team"));
    CHECK(pending);
    bool current = false;
    for (const auto& span : f.rows[5])
        current =
            current || (span.role == style_role::contact_current && contains(span.text, "# team"));
    CHECK(current);
}

TEST_CASE("resizing to 60x20 and 20x5 keeps the input and the cursor visible", "[tui][frame]") {
    design_screen screen;
    for (const auto& [columns, rows] :
         std::vector<std::pair<int, int>>{{80, 24}, {60, 20}, {20, 5}, {80, 24}}) {
        INFO(columns << "x" << rows);
        const auto f = screen.draw(columns, rows);
        require_exact_size(f, columns, rows);
        REQUIRE(f.cursor);
        const auto input_row = plain_rows(f)[static_cast<std::size_t>(f.cursor->row)];
        CHECK(contains(input_row, "\xF0\x9F\x98\x80")); // the end of the input, where the cursor is
        CHECK(f.cursor->row == rows - (rows >= 10 ? 2 : 1));
    }
    const auto small = plain_rows(screen.draw(20, 5));
    CHECK(small[0] == pad_to_width("sotto - alice@relay.example:7717", 20));
    CHECK(small[1].rfind("[1 bob] [2 #team*]", 0) == 0);
    CHECK(small[3].rfind("secure - verified", 0) == 0);
}

TEST_CASE("every terminal size composes rows of exactly its width", "[tui][frame]") {
    design_screen screen;
    screen.model.notice = "unknown command /frob - /help lists the commands";
    for (int columns = 1; columns <= 90; columns += 1) {
        for (int rows = 1; rows <= 30; rows += 1) {
            const auto f = screen.draw(columns, rows);
            require_exact_size(f, columns, rows);
            if (f.cursor) {
                REQUIRE(f.cursor->row < rows);
                REQUIRE(f.cursor->column < columns);
            }
        }
    }
}

TEST_CASE("a notice shows in the separator and an overlay replaces the messages", "[tui][frame]") {
    design_screen screen;
    screen.model.notice = "usage: /verify NAME";
    auto rows = plain_rows(screen.draw(80, 24));
    CHECK(contains(rows[20], "-- usage: /verify NAME ---"));
    screen.model.notice.clear();
    screen.model.overlay = {"help - Esc closes", "Alt+1..Alt+9  switch to conversation 1 to 9"};
    rows = plain_rows(screen.draw(80, 24));
    CHECK(contains(rows[2], "help - Esc closes"));
    CHECK(contains(rows[3], "Alt+1..Alt+9"));
    CHECK_FALSE(contains(rows[19], "sending the file"));
}

TEST_CASE("scrolling up shows older rows and never past the oldest", "[tui][frame]") {
    design_screen screen;
    std::vector<message_view> many;
    for (int i = 0; i < 100; ++i)
        many.push_back({sunday_1402 + std::chrono::seconds(i), "bob",
                        "message " + std::to_string(i), delivery_state::incoming});
    screen.model.messages = many;
    screen.model.message_before = &many[0];
    auto rows = plain_rows(screen.draw(80, 24));
    CHECK(contains(rows[19], "message 99"));
    screen.model.scroll_offset = 18;
    rows = plain_rows(screen.draw(80, 24));
    CHECK(contains(rows[19], "message 81"));
    screen.model.scroll_offset = 100000;
    rows = plain_rows(screen.draw(80, 24));
    CHECK(contains(rows[2], "message 0"));
}
