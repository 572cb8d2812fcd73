#include "tui/controller.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace sotto::tui;

namespace {

const std::vector<std::string> users = {"bob", "bobby", "carol"};
const std::vector<std::string> groups = {"team"};

controller_context context(std::size_t conversations = 3, std::size_t rows = 100,
                           std::size_t page = 20) {
    return {users, conversations, rows, page, groups};
}

std::vector<effect> type(controller& c, std::u32string_view text) {
    std::vector<effect> all;
    for (const char32_t ch : text) {
        for (auto& e : c.handle(character_key(ch), context()))
            all.push_back(std::move(e));
    }
    return all;
}

std::vector<effect> press(controller& c, key k, const controller_context& ctx = context()) {
    return c.handle(k, ctx);
}

const key enter = character_key(U'\r');
const key tab = character_key(U'\t');

} // namespace

TEST_CASE("typed text is sent on enter and the line is cleared", "[tui][controller]") {
    controller c;
    CHECK(type(c, U"hello \x4E2D").empty());
    CHECK(c.input().text() == "hello \xE4\xB8\xAD");
    const auto effects = press(c, enter);
    REQUIRE(effects.size() == 1);
    CHECK(std::get<send_effect>(effects[0]).text == "hello \xE4\xB8\xAD");
    CHECK(c.input().empty());
    CHECK(press(c, enter).empty()); // a blank line does nothing
}

TEST_CASE("a bad command keeps the line and shows a one-line notice", "[tui][controller]") {
    controller c;
    type(c, U"/verify");
    CHECK(press(c, enter).empty());
    CHECK(c.notice() == "usage: /verify NAME");
    CHECK(c.input().text() == "/verify");
    type(c, U" bob");
    const auto effects = press(c, enter);
    REQUIRE(effects.size() == 1);
    const auto& command = std::get<command_effect>(effects[0]).command;
    CHECK(std::get<verify_command>(command).user == "bob");
    CHECK(c.notice().empty());
}

TEST_CASE("help opens the overlay and escape closes it", "[tui][controller]") {
    controller c;
    type(c, U"/help");
    CHECK(press(c, enter).empty());
    CHECK_FALSE(c.overlay().empty());
    press(c, function_key(key_code::page_down), context(3, 100, 5));
    CHECK(c.overlay_scroll() == 4);
    press(c, character_key(0x1B));
    CHECK(c.overlay().empty());
    press(c, function_key(key_code::f1));
    CHECK_FALSE(c.overlay().empty());
}

TEST_CASE("quit and engine commands become effects", "[tui][controller]") {
    controller c;
    type(c, U"/msg carol hi there");
    auto effects = press(c, enter);
    REQUIRE(effects.size() == 1);
    CHECK(std::get<msg_command>(std::get<command_effect>(effects[0]).command).text == "hi there");
    type(c, U"/quit");
    effects = press(c, enter);
    REQUIRE(effects.size() == 1);
    CHECK(std::holds_alternative<quit_effect>(effects[0]));
}

TEST_CASE("alt and control keys switch conversations within range", "[tui][controller]") {
    controller c;
    auto effects = press(c, alt_key(U'2'));
    REQUIRE(effects.size() == 1);
    CHECK(std::get<switch_effect>(effects[0]).conversation == 1);
    CHECK(c.current_conversation() == 1);
    CHECK(press(c, alt_key(U'9')).empty());
    CHECK(c.notice() == "no conversation 9");
    press(c, control_key('N'));
    CHECK(c.current_conversation() == 2);
    press(c, control_key('N'));
    CHECK(c.current_conversation() == 0);
    press(c, control_key('P'));
    CHECK(c.current_conversation() == 2);
    controller lonely;
    CHECK(press(lonely, control_key('N'), context(0)).empty());
}

TEST_CASE("the input survives switching conversations and scrolling", "[tui][controller]") {
    controller c;
    type(c, U"half a thought");
    press(c, alt_key(U'3'));
    press(c, function_key(key_code::page_up));
    press(c, character_key(0x1B));
    CHECK(c.input().text() == "half a thought");
}

TEST_CASE("page up scrolls by a page and asks for older messages at the top", "[tui][controller]") {
    controller c;
    auto effects = press(c, function_key(key_code::page_up), context(3, 50, 20));
    CHECK(c.scroll_offset() == 19);
    CHECK(effects.empty());
    effects = press(c, function_key(key_code::page_up), context(3, 50, 20));
    CHECK(c.scroll_offset() == 30);
    REQUIRE(effects.size() == 1);
    CHECK(std::holds_alternative<load_older_effect>(effects[0]));
    press(c, function_key(key_code::page_down), context(3, 50, 20));
    CHECK(c.scroll_offset() == 11);
    press(c, function_key(key_code::page_down), context(3, 50, 20));
    CHECK(c.scroll_offset() == 0);
}

TEST_CASE("tab completes then cycles through the candidates", "[tui][controller]") {
    controller c;
    type(c, U"/msg b");
    press(c, tab);
    CHECK(c.input().text() == "/msg bob");
    CHECK(c.notice() == "bob bobby");
    press(c, tab);
    CHECK(c.input().text() == "/msg bob");
    press(c, tab);
    CHECK(c.input().text() == "/msg bobby");
    press(c, tab);
    CHECK(c.input().text() == "/msg bob");
    press(c, function_key(key_code::back_tab));
    CHECK(c.input().text() == "/msg bobby");
    type(c, U"!");
    press(c, tab);
    CHECK(c.notice() == "no completion");
}

TEST_CASE("a unique completion adds a space and the cycle ends with typing", "[tui][controller]") {
    controller c;
    type(c, U"/ms");
    press(c, tab);
    CHECK(c.input().text() == "/msg ");
    press(c, tab);
    CHECK(c.input().text() == "/msg bob");
    type(c, U"b");
    press(c, tab);
    CHECK(c.input().text() == "/msg bobby ");
}

TEST_CASE("tab completes a group's name after /msg #", "[tui][controller][group]") {
    controller c;
    type(c, U"/msg #t");
    press(c, tab);
    CHECK(c.input().text() == "/msg #team ");
    type(c, U"hi");
    const auto effects = press(c, enter);
    REQUIRE(effects.size() == 1);
    const auto& command = std::get<command_effect>(effects[0]).command;
    const auto& msg = std::get<msg_command>(command);
    CHECK(msg.group);
    CHECK(msg.user == "team");
    CHECK(msg.text == "hi");
}

TEST_CASE("a paste is inserted whole with its line breaks as spaces", "[tui][controller]") {
    controller c;
    type(c, U"> ");
    CHECK(c.handle(paste{"line one\nline two"}, context()).empty());
    CHECK(c.input().text() == "> line one line two");
}

TEST_CASE("resize and control L ask for a redraw", "[tui][controller]") {
    controller c;
    auto effects = press(c, function_key(key_code::resize));
    REQUIRE(effects.size() == 1);
    CHECK(std::holds_alternative<redraw_effect>(effects[0]));
    effects = press(c, control_key('L'));
    REQUIRE(effects.size() == 1);
    CHECK(std::holds_alternative<redraw_effect>(effects[0]));
}

TEST_CASE("unbound alt keys and control characters type nothing", "[tui][controller]") {
    controller c;
    press(c, alt_key(U'z'));
    press(c, control_key('G'));
    press(c, function_key(key_code::mouse));
    CHECK(c.input().empty());
}
