#include "tui/wrap.h"

#include "tui/text_width.h"

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

using namespace sotto::tui;

namespace {

std::vector<std::string> lines_of(std::string_view text, std::size_t width) {
    std::vector<std::string> out;
    for (const auto& line : wrap(text, width)) {
        REQUIRE(line.begin <= line.end);
        REQUIRE(line.end <= text.size());
        REQUIRE(display_width(text.substr(line.begin, line.end - line.begin)) == line.width);
        out.emplace_back(text.substr(line.begin, line.end - line.begin));
    }
    return out;
}

using lines = std::vector<std::string>;

const std::string chinese = "\xE4\xB8\xAD";  // 中
const std::string grin = "\xF0\x9F\x98\x80"; // 😀

// Everything but the spaces, in order: what wrapping must never lose or reorder.
std::string without_spaces(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c != ' ' && c != '\n')
            out.push_back(c);
    }
    return out;
}

} // namespace

TEST_CASE("text that fits stays on one line", "[tui][wrap]") {
    CHECK(lines_of("hello world", 11) == lines{"hello world"});
    CHECK(lines_of("hello world", 80) == lines{"hello world"});
}

TEST_CASE("an empty text is one empty line and a zero width gives no lines", "[tui][wrap]") {
    CHECK(lines_of("", 10) == lines{""});
    CHECK(wrap("", 0).empty());
    CHECK(wrap("hello", 0).empty());
}

TEST_CASE("lines break at spaces and the spaces at a break are dropped", "[tui][wrap]") {
    CHECK(lines_of("the quick brown fox", 10) == lines{"the quick", "brown fox"});
    CHECK(lines_of("the quick brown fox", 9) == lines{"the quick", "brown fox"});
    CHECK(lines_of("the quick brown fox", 8) == lines{"the", "quick", "brown", "fox"});
    CHECK(lines_of("a    b", 3) == lines{"a", "b"});
    CHECK(lines_of("a b c d e", 3) == lines{"a b", "c d", "e"});
}

TEST_CASE("trailing spaces are dropped and leading spaces kept as indentation", "[tui][wrap]") {
    CHECK(lines_of("hello   ", 10) == lines{"hello"});
    CHECK(lines_of("  code();", 20) == lines{"  code();"});
    CHECK(lines_of("    ", 10) == lines{""});
    CHECK(lines_of("  ab cd", 5) == lines{"  ab", "cd"});
}

TEST_CASE("newlines end lines and empty paragraphs are kept", "[tui][wrap]") {
    CHECK(lines_of("one\ntwo", 10) == lines{"one", "two"});
    CHECK(lines_of("one\n\ntwo", 10) == lines{"one", "", "two"});
    CHECK(lines_of("\n", 10) == lines{"", ""});
    CHECK(lines_of("one two three\nfour", 7) == lines{"one two", "three", "four"});
}

TEST_CASE("a word longer than the width is broken hard", "[tui][wrap]") {
    CHECK(lines_of("abcdefghij", 4) == lines{"abcd", "efgh", "ij"});
    CHECK(lines_of("hi abcdefghij yo", 4) == lines{"hi", "abcd", "efgh", "ij", "yo"});
    CHECK(lines_of("ab cdefghij", 4) == lines{"ab", "cdef", "ghij"});
    const std::string url = "https://example.org/" + std::string(300, 'x');
    const auto wrapped = wrap(url, 50);
    CHECK(wrapped.size() == 7);
    for (const auto& line : wrapped)
        CHECK(line.width <= 50);
}

TEST_CASE("a width of one puts one character on each line", "[tui][wrap]") {
    CHECK(lines_of("abc", 1) == lines{"a", "b", "c"});
    CHECK(lines_of("a b", 1) == lines{"a", "b"});
    CHECK(lines_of("e\xCC\x81x", 1) == lines{"e\xCC\x81", "x"});
}

TEST_CASE("wide characters are kept whole", "[tui][wrap]") {
    const std::string text = chinese + chinese + chinese; // 6 columns
    CHECK(lines_of(text, 6) == lines{text});
    CHECK(lines_of(text, 5) == lines{chinese + chinese, chinese});
    CHECK(lines_of(text, 3) == lines{chinese, chinese, chinese});
    CHECK(lines_of("a" + grin + "b", 2) == lines{"a", grin, "b"});
}

TEST_CASE("a character wider than the width gets a line of its own and nothing is lost",
          "[tui][wrap]") {
    CHECK(lines_of(grin, 1) == lines{grin});
    CHECK(lines_of("a" + grin + "b", 1) == lines{"a", grin, "b"});
    const auto ranges = wrap(grin + grin, 1);
    REQUIRE(ranges.size() == 2);
    CHECK(ranges[0].width == 2);
}

TEST_CASE("a line of CJK and emoji wraps by columns", "[tui][wrap]") {
    // "你好 世界 😀👍 ok": 4 + 1 + 4 + 1 + 4 + 1 + 2 columns
    const std::string text =
        "\xE4\xBD\xA0\xE5\xA5\xBD \xE4\xB8\x96\xE7\x95\x8C " + grin + "\xF0\x9F\x91\x8D ok";
    CHECK(lines_of(text, 9) ==
          lines{"\xE4\xBD\xA0\xE5\xA5\xBD \xE4\xB8\x96\xE7\x95\x8C", grin + "\xF0\x9F\x91\x8D ok"});
    CHECK(lines_of(text, 4) == lines{"\xE4\xBD\xA0\xE5\xA5\xBD", "\xE4\xB8\x96\xE7\x95\x8C",
                                     grin + "\xF0\x9F\x91\x8D", "ok"});
    CHECK(lines_of(text, 3) == lines{"\xE4\xBD\xA0", "\xE5\xA5\xBD", "\xE4\xB8\x96", "\xE7\x95\x8C",
                                     grin, "\xF0\x9F\x91\x8D", "ok"});
}

TEST_CASE("invalid UTF-8 wraps without crashing and loses no byte", "[tui][wrap]") {
    const std::string text = "ab\xFF\xFE cd\xE2\x82";
    CHECK(lines_of(text, 4) == lines{"ab\xFF\xFE", "cd\xE2\x82"});
    CHECK(lines_of(text, 1) == lines{"a", "b", "\xFF", "\xFE", "c", "d", "\xE2\x82"});
}

TEST_CASE("random text wraps within the width and keeps every character in order", "[tui][wrap]") {
    std::mt19937 engine(99);
    const std::vector<std::string> pieces = {"a",     "bc", " ",         " ",    "  ",        "\n",
                                             chinese, grin, "e\xCC\x81", "\xFF", "longerword"};
    std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
    for (int round = 0; round < 500; ++round) {
        std::string text;
        for (int i = 0; i < round % 30; ++i)
            text += pieces[pick(engine)];
        for (std::size_t width = 1; width <= 12; ++width) {
            std::string joined;
            for (const auto& line : wrap(text, width)) {
                const auto piece = std::string_view(text).substr(line.begin, line.end - line.begin);
                // Only a single too-wide character may exceed the width.
                if (line.width > width)
                    REQUIRE(next_boundary(piece, 0) == piece.size());
                joined += piece;
            }
            REQUIRE(without_spaces(joined) == without_spaces(text));
        }
    }
}

TEST_CASE("a hanging indent lines continuation lines up under the message text", "[tui][wrap]") {
    const auto rows =
        wrap_with_hanging_indent("14:02 bob    ", "are you there? the file is big", 30);
    CHECK(rows == lines{"14:02 bob    are you there?", "             the file is big"});
    for (const auto& row : rows)
        CHECK(display_width(row) <= 30);
    CHECK(wrap_with_hanging_indent("14:02 bob    ", "", 30) == lines{"14:02 bob    "});
    CHECK(wrap_with_hanging_indent("14:02 bob    ", "hi", 0).empty());
}

TEST_CASE("a hanging indent with wide text keeps every row within the width", "[tui][wrap]") {
    const std::string text = chinese + chinese + chinese + chinese + " " + grin + grin;
    const auto rows = wrap_with_hanging_indent("09:00 alice  ", text, 20, 5);
    CHECK(rows == lines{"09:00 alice  " + chinese + chinese + chinese,
                        "             " + chinese + " " + grin + grin});
}

TEST_CASE("a hanging indent gives way when too little room is left for the text", "[tui][wrap]") {
    const auto rows = wrap_with_hanging_indent("14:02 bob    ", "are you there?", 16);
    CHECK(rows == lines{"14:02 bob    are", "you there?"});
    const auto narrow = wrap_with_hanging_indent("14:02 bob    ", "hi", 5);
    CHECK(narrow == lines{"14:02", "bob", "hi"});
    CHECK(wrap_with_hanging_indent("ab ", "cd", 1) == lines{"a", "b", "c", "d"});
}
