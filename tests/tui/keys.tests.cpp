#include "tui/keys.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

using namespace sotto::tui;

namespace {

std::vector<input_event> feed_all(key_reader& reader, std::u32string_view codes) {
    std::vector<input_event> out;
    for (const char32_t code : codes) {
        if (auto event = reader.feed(code))
            out.push_back(*event);
    }
    return out;
}

key key_of(const input_event& event) {
    REQUIRE(std::holds_alternative<key>(event));
    return std::get<key>(event);
}

} // namespace

TEST_CASE("the keys of DESIGN.md section 6 run their actions", "[tui][keys]") {
    CHECK(find_action(alt_key(U'1')) == action::switch_conversation_1);
    CHECK(find_action(alt_key(U'9')) == action::switch_conversation_9);
    CHECK(find_action(control_key('N')) == action::next_conversation);
    CHECK(find_action(control_key('P')) == action::previous_conversation);
    CHECK(find_action(character_key(U'\t')) == action::complete);
    CHECK(find_action(function_key(key_code::page_up)) == action::scroll_page_up);
    CHECK(find_action(function_key(key_code::page_down)) == action::scroll_page_down);
    CHECK(find_action(control_key('L')) == action::redraw);
    CHECK(find_action(function_key(key_code::up)) == action::history_up);
    CHECK(find_action(function_key(key_code::down)) == action::history_down);
    CHECK(find_action(character_key(0x1B)) == action::close_overlay);
    CHECK(find_action(character_key(U'\n')) == action::submit);
    CHECK(find_action(character_key(U'\r')) == action::submit);
}

TEST_CASE("readline editing keys are bound", "[tui][keys]") {
    CHECK(find_action(control_key('A')) == action::cursor_home);
    CHECK(find_action(control_key('E')) == action::cursor_end);
    CHECK(find_action(control_key('W')) == action::delete_word_backward);
    CHECK(find_action(control_key('U')) == action::kill_to_start);
    CHECK(find_action(control_key('K')) == action::kill_to_end);
    CHECK(find_action(alt_key(U'b')) == action::word_left);
    CHECK(find_action(alt_key(U'f')) == action::word_right);
    CHECK(find_action(function_key(key_code::left)) == action::cursor_left);
    CHECK(find_action(function_key(key_code::right)) == action::cursor_right);
    CHECK(find_action(function_key(key_code::home)) == action::cursor_home);
    CHECK(find_action(function_key(key_code::end)) == action::cursor_end);
    CHECK(find_action(function_key(key_code::delete_character)) == action::delete_forward);
    CHECK(find_action(function_key(key_code::backspace)) == action::delete_backward);
    CHECK(find_action(character_key(0x7F)) == action::delete_backward);
}

TEST_CASE("printable characters are unbound so that they are typed", "[tui][keys]") {
    for (char32_t c = 0x20; c < 0x7F; ++c)
        CHECK_FALSE(find_action(character_key(c)));
    CHECK_FALSE(find_action(character_key(0x4E2D)));
    CHECK_FALSE(find_action(character_key(0x1F600)));
    // A function key code that equals a character is not that character.
    CHECK(find_action(function_key(key_code::up)) != find_action(character_key(key_code::up)));
}

TEST_CASE("no key is bound twice", "[tui][keys]") {
    std::set<key> seen;
    for (const auto& b : default_bindings()) {
        INFO(key_name(b.trigger));
        CHECK(seen.insert(b.trigger).second);
    }
}

TEST_CASE("every action has a unique name that reads back", "[tui][keys]") {
    std::set<std::string_view> names;
    for (std::size_t i = 0; i < action_count; ++i) {
        const auto a = static_cast<action>(i);
        const auto name = action_name(a);
        CHECK(names.insert(name).second);
        CHECK(action_from_name(name) == a);
    }
    CHECK(action_name(action::switch_conversation_3) == "switch_conversation_3");
    CHECK_FALSE(action_from_name("launch_missiles"));
    CHECK_FALSE(action_from_name(""));
}

TEST_CASE("conversation numbers come only from the switch actions", "[tui][keys]") {
    CHECK(conversation_number(action::switch_conversation_1) == 1);
    CHECK(conversation_number(action::switch_conversation_9) == 9);
    CHECK_FALSE(conversation_number(action::next_conversation));
    CHECK_FALSE(conversation_number(action::submit));
    CHECK_FALSE(conversation_number(action::show_help));
}

TEST_CASE("every action named in the help is bound and every action is in the help",
          "[tui][keys]") {
    std::set<action> in_help;
    for (const auto& entry : key_help()) {
        REQUIRE_FALSE(entry.actions.empty());
        for (const auto a : entry.actions) {
            INFO(action_name(a));
            CHECK(find_if(default_bindings().begin(), default_bindings().end(),
                          [&](const binding& b) { return b.run == a; }) !=
                  default_bindings().end());
            in_help.insert(a);
        }
    }
    for (const auto& b : default_bindings()) {
        INFO(action_name(b.run));
        // The switch actions are documented as one range: the first and the last stand for all.
        if (conversation_number(b.run))
            continue;
        CHECK(in_help.count(b.run) == 1);
    }
    for (std::size_t i = 0; i < action_count; ++i) {
        const auto a = static_cast<action>(i);
        if (conversation_number(a))
            continue;
        INFO(action_name(a));
        CHECK(in_help.count(a) == 1);
    }
}

TEST_CASE("the help lines show the bound keys from the table", "[tui][keys]") {
    const auto lines = key_help_lines();
    REQUIRE(lines.size() == key_help().size());
    const auto has = [&](std::string_view text) {
        return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
            return line.find(text) != std::string::npos;
        });
    };
    CHECK(has("Alt+1..Alt+9"));
    CHECK(has("Ctrl+N"));
    CHECK(has("PgUp"));
    CHECK(has("Ctrl+W"));
    CHECK(has("Alt+b "));
    CHECK(has("Alt+Backspace"));
    CHECK(has("Esc"));

    // Rebinding moves the key in the help: it is generated, not written by hand.
    const std::vector<binding> custom = {{control_key('X'), action::redraw}};
    const auto custom_lines = key_help_lines(custom);
    const auto redraw =
        std::find_if(custom_lines.begin(), custom_lines.end(), [](const std::string& line) {
            return line.find("redraw") != std::string::npos;
        });
    REQUIRE(redraw != custom_lines.end());
    CHECK(redraw->find("Ctrl+X") == 0);
    CHECK(redraw->find("Ctrl+L") == std::string::npos);
    CHECK(std::count_if(custom_lines.begin(), custom_lines.end(), [](const std::string& line) {
              return line.find("(unbound)") == 0;
          }) == static_cast<long>(key_help().size() - 1));
}

TEST_CASE("keys have readable names", "[tui][keys]") {
    CHECK(key_name(control_key('N')) == "Ctrl+N");
    CHECK(key_name(alt_key(U'1')) == "Alt+1");
    CHECK(key_name(alt_key(U'b')) == "Alt+b");
    CHECK(key_name(function_key(key_code::page_down)) == "PgDn");
    CHECK(key_name(character_key(U'\t')) == "Tab");
    CHECK(key_name(character_key(0x1B)) == "Esc");
    CHECK(key_name(character_key(0x4E2D)) == "\xE4\xB8\xAD");
    CHECK(key_name(character_key(0x9B)) == "U+155");
    CHECK(key_name(function_key(12345)) == "key 12345");
}

TEST_CASE("escape followed by a key is that key with alt", "[tui][keys]") {
    key_reader reader;
    const auto events = feed_all(reader, U"\x1B"
                                         U"1a\x1B"
                                         U"b");
    REQUIRE(events.size() == 3);
    CHECK(key_of(events[0]) == alt_key(U'1'));
    CHECK(key_of(events[1]) == character_key(U'a'));
    CHECK(key_of(events[2]) == alt_key(U'b'));
    CHECK_FALSE(reader.pending());
    const auto alt_up = [&] {
        reader.feed(0x1B);
        return reader.feed(key_code::up, true);
    }();
    REQUIRE(alt_up);
    CHECK(key_of(*alt_up) == key{key_code::up, true, true});
}

TEST_CASE("a lone escape is the escape key once the delay passes", "[tui][keys]") {
    key_reader reader;
    CHECK_FALSE(reader.feed(0x1B));
    CHECK(reader.pending());
    const auto flushed = reader.flush();
    REQUIRE(flushed);
    CHECK(key_of(*flushed) == character_key(0x1B));
    CHECK_FALSE(reader.pending());
    CHECK_FALSE(reader.flush());
}

TEST_CASE("a bracketed paste arrives as one text with its line breaks", "[tui][keys]") {
    key_reader reader;
    const auto events = feed_all(reader, U"x\x1B[200~line one\nline \x4E2D\r\x1B[201~y");
    REQUIRE(events.size() == 3);
    CHECK(key_of(events[0]) == character_key(U'x'));
    REQUIRE(std::holds_alternative<paste>(events[1]));
    CHECK(std::get<paste>(events[1]).text == "line one\nline \xE4\xB8\xAD\r");
    CHECK(key_of(events[2]) == character_key(U'y'));
    CHECK_FALSE(reader.in_paste());
}

TEST_CASE("keys pressed during a paste are text and escape sequences inside are dropped",
          "[tui][keys]") {
    key_reader reader;
    feed_all(reader, U"\x1B[200~a\tb");
    CHECK(reader.in_paste());
    CHECK_FALSE(reader.feed(key_code::up, true));
    CHECK_FALSE(reader.flush());
    const auto events = feed_all(reader, U"\x1B[31mc\x1B"
                                         U"d\x1B[201~");
    REQUIRE(events.size() == 1);
    CHECK(std::get<paste>(events[0]).text == "a\tbcd");
}

TEST_CASE("a paste is bounded", "[tui][keys]") {
    key_reader reader;
    feed_all(reader, U"\x1B[200~");
    for (std::size_t i = 0; i < key_reader::max_paste_bytes + 100; ++i)
        reader.feed(U'x');
    const auto events = feed_all(reader, U"\x1B[201~");
    REQUIRE(events.size() == 1);
    CHECK(std::get<paste>(events[0]).text.size() <= key_reader::max_paste_bytes);
    CHECK(std::get<paste>(events[0]).text.size() > key_reader::max_paste_bytes - 8);
}

TEST_CASE("unknown escape sequences are swallowed and never typed", "[tui][keys]") {
    key_reader reader;
    CHECK(feed_all(reader, U"\x1B[1;5D").empty());
    CHECK(feed_all(reader, U"\x1B[201~").empty()); // a paste end without a start
    std::u32string overlong = U"\x1B[";
    overlong += std::u32string(100, U'1');
    overlong += U"~z";
    const auto events = feed_all(reader, overlong);
    REQUIRE(events.size() == 1);
    CHECK(key_of(events[0]) == character_key(U'z'));
}

TEST_CASE("a sequence broken by another key gives that key", "[tui][keys]") {
    key_reader reader;
    const auto events = feed_all(reader, U"\x1B[12\x1B"
                                         U"b");
    REQUIRE(events.size() == 1);
    CHECK(key_of(events[0]) == alt_key(U'b'));
    reader.feed(0x1B);
    reader.feed(U'[');
    const auto flushed = reader.flush();
    REQUIRE(flushed);
    CHECK(key_of(*flushed) == alt_key(U'['));
}
