#include "tui/input_line.h"

#include "tui/text_width.h"

#include <catch2/catch.hpp>

#include <random>
#include <string>

using namespace sotto::tui;

namespace {

// "hello |world": the text with the cursor at the bar.
input_line line_with(std::string_view marked, std::size_t history = 10) {
    input_line line(history);
    const auto bar = marked.find('|');
    std::string text(marked);
    text.erase(bar, 1);
    line.set_text(text, bar);
    return line;
}

std::string shown(const input_line& line) {
    const std::string_view text = line.text();
    std::string out(text.substr(0, line.cursor()));
    out += '|';
    out += text.substr(line.cursor());
    return out;
}

std::string visible(const input_line& line, const input_view& view) {
    return line.text().substr(view.begin, view.end - view.begin);
}

const std::string chinese = "\xE4\xB8\xAD";  // 中
const std::string grin = "\xF0\x9F\x98\x80"; // 😀
const std::string e_acute = "e\xCC\x81";     // e + combining acute

} // namespace

TEST_CASE("typing inserts at the cursor and moves it past the inserted text", "[tui][input_line]") {
    input_line line;
    CHECK(line.empty());
    line.insert("hello");
    CHECK(shown(line) == "hello|");
    line.move_home();
    line.insert(">> ");
    CHECK(shown(line) == ">> |hello");
    line.insert("");
    CHECK(shown(line) == ">> |hello");
}

TEST_CASE("pasted text is cleaned of control characters and ill-formed bytes",
          "[tui][input_line]") {
    input_line line;
    line.insert("a\tb\r\nc\nd\re\x1B[31m\x7F"
                "f\xFFg");
    CHECK(line.text() == "a b c d e[31mf\xEF\xBF\xBDg");
    CHECK(sanitize(line.text()) == line.text());
}

TEST_CASE("left and right step over whole characters and never into a multi-byte one",
          "[tui][input_line]") {
    input_line line;
    line.insert("a" + chinese + e_acute + grin);
    CHECK(line.cursor() == line.text().size());
    CHECK(line.move_left());
    CHECK(shown(line) == "a" + chinese + e_acute + "|" + grin);
    CHECK(line.move_left());
    CHECK(shown(line) == "a" + chinese + "|" + e_acute + grin);
    CHECK(line.move_left());
    CHECK(shown(line) == "a|" + chinese + e_acute + grin);
    CHECK(line.move_left());
    CHECK_FALSE(line.move_left());
    CHECK(line.cursor() == 0);
    CHECK(line.move_right());
    CHECK(line.move_right());
    CHECK(shown(line) == "a" + chinese + "|" + e_acute + grin);
    CHECK(line.move_end());
    CHECK_FALSE(line.move_right());
    CHECK_FALSE(line.move_end());
    CHECK(line.move_home());
    CHECK_FALSE(line.move_home());
}

TEST_CASE("a cursor asked for inside a character lands before it", "[tui][input_line]") {
    input_line line;
    line.set_text("a" + chinese + "b", 2);
    CHECK(line.cursor() == 1);
    line.set_text(e_acute + "x", 2);
    CHECK(line.cursor() == 0);
    line.set_text("abc", 99);
    CHECK(line.cursor() == 3);
    line.set_text("abc");
    CHECK(line.cursor() == 3);
}

TEST_CASE("a combining mark typed at the cursor joins the character before it",
          "[tui][input_line]") {
    auto line = line_with("e|x");
    line.insert("\xCC\x81");
    CHECK(shown(line) == e_acute + "|x");
    line.move_left();
    CHECK(line.cursor() == 0);
    auto start = line_with("|\xCC\x81x");
    start.insert("a");
    CHECK(shown(start) == "a\xCC\x81|x");
}

TEST_CASE("backspace and delete remove one whole character", "[tui][input_line]") {
    auto line = line_with("a" + chinese + "|" + e_acute + "b");
    CHECK(line.delete_forward());
    CHECK(shown(line) == "a" + chinese + "|b");
    CHECK(line.delete_backward());
    CHECK(shown(line) == "a|b");
    CHECK(line.delete_backward());
    CHECK_FALSE(line.delete_backward());
    CHECK(line.delete_forward());
    CHECK_FALSE(line.delete_forward());
    CHECK(line.empty());
}

TEST_CASE("control W deletes the word before the cursor and the spaces after it",
          "[tui][input_line]") {
    auto line = line_with("/msg bob hello there  |!");
    CHECK(line.delete_word_backward());
    CHECK(shown(line) == "/msg bob hello |!");
    CHECK(line.delete_word_backward());
    CHECK(shown(line) == "/msg bob |!");
    CHECK(line.delete_word_backward());
    CHECK(line.delete_word_backward());
    CHECK(shown(line) == "|!");
    CHECK_FALSE(line.delete_word_backward());
    auto wide = line_with("say " + chinese + grin + "|");
    CHECK(wide.delete_word_backward());
    CHECK(shown(wide) == "say |");
}

TEST_CASE("control U and control K kill to either end and control Y yanks it back",
          "[tui][input_line]") {
    auto line = line_with("hello |world");
    CHECK(line.kill_to_end());
    CHECK(shown(line) == "hello |");
    CHECK_FALSE(line.kill_to_end());
    CHECK(line.yank());
    CHECK(shown(line) == "hello world|");
    line.set_text("hello world", 6);
    CHECK(line.kill_to_start());
    CHECK(shown(line) == "|world");
    CHECK_FALSE(line.kill_to_start());
    line.move_end();
    CHECK(line.yank());
    CHECK(shown(line) == "worldhello |");
    input_line fresh;
    CHECK_FALSE(fresh.yank());
}

TEST_CASE("alt B and alt F move by words of letters and digits", "[tui][input_line]") {
    auto line = line_with("see you at 10:30, ok?|");
    CHECK(line.move_word_left());
    CHECK(shown(line) == "see you at 10:30, |ok?");
    CHECK(line.move_word_left());
    CHECK(shown(line) == "see you at 10:|30, ok?");
    CHECK(line.move_word_left());
    CHECK(shown(line) == "see you at |10:30, ok?");
    line.move_home();
    CHECK_FALSE(line.move_word_left());
    CHECK(line.move_word_right());
    CHECK(shown(line) == "see| you at 10:30, ok?");
    CHECK(line.move_word_right());
    CHECK(shown(line) == "see you| at 10:30, ok?");
    line.move_end();
    CHECK_FALSE(line.move_word_right());
    auto wide = line_with(chinese + chinese + " caf" + e_acute + "|");
    CHECK(wide.move_word_left());
    CHECK(shown(wide) == chinese + chinese + " |caf" + e_acute);
    CHECK(wide.move_word_left());
    CHECK(wide.cursor() == 0);
}

TEST_CASE("the line is bounded and a paste that does not fit is cut at a character",
          "[tui][input_line]") {
    input_line line(10, 8);
    CHECK(line.insert("abcdef"));
    CHECK_FALSE(line.insert(chinese + chinese));
    CHECK(line.text() == "abcdef");
    CHECK_FALSE(line.insert("xyz"));
    CHECK(line.text() == "abcdefxy");
    CHECK_FALSE(line.insert("z"));
    CHECK(line.text().size() == 8);
}

TEST_CASE("up and down recall history and bring back the line being typed", "[tui][input_line]") {
    input_line line;
    line.insert("first");
    CHECK(line.submit() == "first");
    line.insert("second");
    line.submit();
    CHECK(line.history_size() == 2);
    line.insert("draft in progress");
    CHECK(line.history_up());
    CHECK(shown(line) == "second|");
    CHECK(line.history_up());
    CHECK(line.text() == "first");
    CHECK_FALSE(line.history_up());
    CHECK(line.history_down());
    CHECK(line.text() == "second");
    CHECK(line.history_down());
    CHECK(shown(line) == "draft in progress|");
    CHECK_FALSE(line.history_down());
}

TEST_CASE("an edited history entry keeps its edit until the line is submitted",
          "[tui][input_line]") {
    input_line line;
    line.insert("hello");
    line.submit();
    line.insert("world");
    line.submit();
    line.history_up();
    line.insert("!");
    line.history_up();
    CHECK(line.text() == "hello");
    line.history_down();
    CHECK(line.text() == "world!");
    CHECK(line.submit() == "world!");
    CHECK(line.history_size() == 3);
    line.history_up();
    line.history_up();
    CHECK(line.text() == "world");
}

TEST_CASE("blank lines and repeats stay out of the history and its size is bounded",
          "[tui][input_line]") {
    input_line line(3);
    for (const char* text : {"   ", "", "a", "a", "b", "c", "d"}) {
        line.insert(text);
        line.submit();
    }
    CHECK(line.history_size() == 3);
    line.history_up();
    CHECK(line.text() == "d");
    line.history_up();
    line.history_up();
    CHECK(line.text() == "b");
    CHECK_FALSE(line.history_up());

    input_line none(0);
    none.insert("x");
    none.submit();
    CHECK(none.history_size() == 0);
    CHECK_FALSE(none.history_up());
}

TEST_CASE("submit returns the text and leaves an empty line", "[tui][input_line]") {
    auto line = line_with("hel|lo");
    CHECK(line.submit() == "hello");
    CHECK(line.empty());
    CHECK(line.cursor() == 0);
    CHECK(line.submit() == "");
}

TEST_CASE("the view shows everything when it fits with the cursor cell at the end",
          "[tui][input_line]") {
    auto line = line_with("hello|");
    auto view = line.view(6);
    CHECK(visible(line, view) == "hello");
    CHECK(view.cursor_column == 5);
    view = line.view(5); // the cursor cell needs a sixth column
    CHECK(visible(line, view) == "ello");
    CHECK(view.cursor_column == 4);
    CHECK(line.view(0).end == line.view(0).begin);
}

TEST_CASE("the view scrolls to keep the cursor visible and scrolls as little as possible",
          "[tui][input_line]") {
    input_line line;
    line.insert("abcdefghijklmnopqrstuvwxyz");
    auto view = line.view(10);
    CHECK(visible(line, view) == "rstuvwxyz");
    CHECK(view.cursor_column == 9);
    for (int i = 0; i < 5; ++i)
        line.move_left(); // cursor before v: the end cell is freed
    view = line.view(10);
    CHECK(visible(line, view) == "qrstuvwxyz");
    CHECK(view.cursor_column == 5);
    line.move_left();
    view = line.view(10);
    CHECK(view.cursor_column == 4); // moving inside the view does not scroll it
    line.move_home();
    view = line.view(10);
    CHECK(visible(line, view) == "abcdefghij");
    CHECK(view.cursor_column == 0);
    line.move_right();
    line.move_right();
    view = line.view(10);
    CHECK(view.begin == 0);
    CHECK(view.cursor_column == 2);
}

TEST_CASE("the view never shows blank columns at the right while text hides at the left",
          "[tui][input_line]") {
    input_line line;
    line.insert("abcdefghijklmnopqrstuvwxyz");
    (void)line.view(10);
    for (int i = 0; i < 20; ++i)
        line.delete_backward();
    const auto view = line.view(10);
    CHECK(visible(line, view) == "abcdef");
    CHECK(view.cursor_column == 6);
}

TEST_CASE("the view keeps wide characters whole and the cursor on a visible cell",
          "[tui][input_line]") {
    input_line line;
    std::string text;
    for (int i = 0; i < 10; ++i)
        text += chinese;
    line.insert(text); // 20 columns
    auto view = line.view(7);
    CHECK(visible(line, view) == chinese + chinese + chinese);
    CHECK(view.cursor_column == 6);
    line.move_home();
    view = line.view(7);
    CHECK(visible(line, view) == chinese + chinese + chinese);
    CHECK(view.cursor_column == 0);
    view = line.view(1); // a wide character under the cursor cannot show in one column
    CHECK(view.begin == line.cursor());
    CHECK(view.cursor_column == 0);
}

TEST_CASE("random editing keeps the text well-formed and the cursor on a boundary and visible",
          "[tui][input_line]") {
    std::mt19937 engine(4242);
    const std::vector<std::string> typed = {"a",    " ",  chinese, grin, "\xCC\x81",
                                            "\xFF", "\t", "word ", "\n"};
    input_line line(5, 200);
    std::uniform_int_distribution<int> operation(0, 17);
    std::uniform_int_distribution<std::size_t> piece(0, typed.size() - 1);
    std::uniform_int_distribution<std::size_t> width(0, 12);
    for (int step = 0; step < 20000; ++step) {
        switch (operation(engine)) {
        case 0:
        case 1:
        case 2:
        case 3:
            line.insert(typed[piece(engine)]);
            break;
        case 4:
            line.move_left();
            break;
        case 5:
            line.move_right();
            break;
        case 6:
            line.move_word_left();
            break;
        case 7:
            line.move_word_right();
            break;
        case 8:
            line.delete_backward();
            break;
        case 9:
            line.delete_forward();
            break;
        case 10:
            line.delete_word_backward();
            break;
        case 11:
            line.kill_to_start();
            break;
        case 12:
            line.kill_to_end();
            break;
        case 13:
            line.yank();
            break;
        case 14:
            line.history_up();
            break;
        case 15:
            line.history_down();
            break;
        case 16:
            if (step % 7 == 0)
                line.submit();
            break;
        default:
            line.move_home();
            break;
        }
        const auto& text = line.text();
        REQUIRE(sanitize(text) == text);
        REQUIRE(text.size() <= 200);
        REQUIRE(line.cursor() <= text.size());
        if (line.cursor() > 0)
            REQUIRE(next_boundary(text, previous_boundary(text, line.cursor())) == line.cursor());
        const auto columns = width(engine);
        const auto view = line.view(columns);
        REQUIRE(view.begin <= line.cursor());
        REQUIRE(view.end <= text.size());
        REQUIRE(display_width(std::string_view(text).substr(view.begin, view.end - view.begin)) <=
                columns);
        if (columns >= 2) {
            REQUIRE(view.cursor_column < columns);
            REQUIRE(view.end >= line.cursor());
            REQUIRE(display_width(std::string_view(text).substr(
                        view.begin, line.cursor() - view.begin)) == view.cursor_column);
        }
    }
}
