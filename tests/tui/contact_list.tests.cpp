#include "tui/contact_list.h"

#include "tui/text_width.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace sotto::tui;

namespace {

std::vector<contact_view> design_contacts() {
    std::vector<contact_view> contacts(4);
    contacts[0] = {.name = "bob", .online = true, .unread = 2};
    contacts[1] = {.name = "carol"};
    contacts[2] = {.name = "dave", .verified = true};
    contacts[3] = {.name = "team", .group = true, .unread = 5};
    return contacts;
}

std::vector<std::string> texts(const std::vector<contact_row>& rows) {
    std::vector<std::string> out;
    for (const auto& row : rows)
        out.push_back(row.text);
    return out;
}

using strings = std::vector<std::string>;

} // namespace

TEST_CASE("the contacts pane shows marks names and unread counts", "[tui][contact_list]") {
    const auto rows = format_contacts(design_contacts(), 0, 14, 10);
    CHECK(texts(rows) == strings{"Contacts      ", "* bob        2", "  carol       ",
                                 "  dave \xE2\x9C\x93      ", "# team       5"});
    CHECK(rows[0].contact == contact_row::header);
    CHECK(rows[1].current);
    CHECK(rows[1].contact == 0);
    CHECK_FALSE(rows[2].current);
    CHECK(texts(format_contacts(design_contacts(), 0, 14, 10, mark_set::ascii))[3] ==
          "  dave v      ");
}

TEST_CASE("a changed key and a message request have the strongest marks", "[tui][contact_list]") {
    contact_view contact{.name = "bob", .group = false, .online = true};
    CHECK(contact_mark(contact) == '*');
    contact.message_request = true;
    CHECK(contact_mark(contact) == '?');
    contact.key_changed = true;
    CHECK(contact_mark(contact) == '!');
    CHECK(contact_mark({.name = "team", .group = true}) == '#');
}

TEST_CASE("unread counts cap at 99+", "[tui][contact_list]") {
    CHECK(unread_label(0).empty());
    CHECK(unread_label(7) == "7");
    CHECK(unread_label(99) == "99");
    CHECK(unread_label(100) == "99+");
    CHECK(unread_label(static_cast<std::size_t>(-1)) == "99+");
}

TEST_CASE("the list scrolls to keep the current contact in view", "[tui][contact_list]") {
    std::vector<contact_view> contacts;
    for (int i = 0; i < 30; ++i)
        contacts.push_back({.name = "user" + std::to_string(i)});
    const auto rows = format_contacts(contacts, 20, 14, 6);
    REQUIRE(rows.size() == 6);
    CHECK(rows.back().contact == 20);
    CHECK(rows.back().current);
    CHECK(format_contacts(contacts, 2, 14, 6)[1].contact == 0);
}

TEST_CASE("every row is exactly the pane width for long and wide names", "[tui][contact_list]") {
    std::vector<contact_view> contacts = {
        {.name = std::string(50, 'x'), .unread = 1000, .verified = true},
        {.name = "\xE4\xB8\xAD\xE6\x96\x87\xE5\x90\x8D\xF0\x9F\x98\x80", .online = true},
        {.name = "evil\x1B[2J"},
    };
    for (std::size_t width = 0; width < 30; ++width) {
        for (std::size_t height = 0; height < 6; ++height) {
            const auto rows = format_contacts(contacts, 1, width, height);
            REQUIRE(rows.size() <= height);
            for (const auto& row : rows) {
                REQUIRE(display_width(row.text) == width);
                REQUIRE(sanitize(row.text) == row.text);
            }
        }
    }
}
