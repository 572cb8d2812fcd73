#include "tui/text_width.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <clocale>
#include <cstdint>
#include <cwchar>
#include <random>
#include <string>
#include <vector>

using namespace sotto::tui;

namespace {

std::vector<char32_t> decode_all(std::string_view text) {
    std::vector<char32_t> out;
    while (!text.empty()) {
        const auto decoded = decode_utf8(text);
        REQUIRE(decoded.length >= 1);
        REQUIRE(decoded.length <= text.size());
        out.push_back(decoded.code_point);
        text.remove_prefix(decoded.length);
    }
    return out;
}

std::string utf8(char32_t code_point) {
    std::string out;
    append_utf8(out, code_point);
    return out;
}

std::string random_bytes(std::mt19937& engine, std::size_t size) {
    std::uniform_int_distribution<int> byte(0, 255);
    std::string out(size, '\0');
    for (auto& c : out)
        c = static_cast<char>(byte(engine));
    return out;
}

constexpr char32_t fffd = replacement_character;

} // namespace

TEST_CASE("ASCII decodes one byte at a time and each character is one column",
          "[tui][text_width]") {
    const std::string text = "hello, world";
    const auto code_points = decode_all(text);
    REQUIRE(code_points.size() == text.size());
    for (std::size_t i = 0; i < text.size(); ++i)
        CHECK(code_points[i] == static_cast<char32_t>(text[i]));
    CHECK(display_width(text) == 12);
    CHECK(display_width("") == 0);
}

TEST_CASE("well-formed sequences of every length decode to their code points",
          "[tui][text_width]") {
    CHECK(decode_all("\xC2\x80") == std::vector<char32_t>{0x80});
    CHECK(decode_all("\xC3\xA9") == std::vector<char32_t>{0xE9});
    CHECK(decode_all("\xDF\xBF") == std::vector<char32_t>{0x7FF});
    CHECK(decode_all("\xE0\xA0\x80") == std::vector<char32_t>{0x800});
    CHECK(decode_all("\xE2\x82\xAC") == std::vector<char32_t>{0x20AC});
    CHECK(decode_all("\xEF\xBF\xBF") == std::vector<char32_t>{0xFFFF});
    CHECK(decode_all("\xF0\x90\x80\x80") == std::vector<char32_t>{0x10000});
    CHECK(decode_all("\xF0\x9F\x98\x80") == std::vector<char32_t>{0x1F600});
    CHECK(decode_all("\xF4\x8F\xBF\xBF") == std::vector<char32_t>{0x10FFFF});
}

TEST_CASE("each maximal subpart of an ill-formed sequence becomes one replacement character",
          "[tui][text_width]") {
    SECTION("the example of the Unicode standard, section 3.9") {
        CHECK(decode_all("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64") ==
              std::vector<char32_t>{U'a', fffd, fffd, fffd, U'b', fffd, U'c', fffd, fffd, U'd'});
    }
    SECTION("overlong forms are rejected byte by byte") {
        CHECK(decode_all("\xC0\x80") == std::vector<char32_t>{fffd, fffd});
        CHECK(decode_all("\xC1\xBF") == std::vector<char32_t>{fffd, fffd});
        CHECK(decode_all("\xE0\x80\x80") == std::vector<char32_t>{fffd, fffd, fffd});
        CHECK(decode_all("\xF0\x80\x80\x80") == std::vector<char32_t>{fffd, fffd, fffd, fffd});
    }
    SECTION("surrogates and values above U+10FFFF are rejected") {
        CHECK(decode_all("\xED\xA0\x80") == std::vector<char32_t>{fffd, fffd, fffd});
        CHECK(decode_all("\xED\xBF\xBF") == std::vector<char32_t>{fffd, fffd, fffd});
        CHECK(decode_all("\xF4\x90\x80\x80") == std::vector<char32_t>{fffd, fffd, fffd, fffd});
        CHECK(decode_all("\xF5\x80") == std::vector<char32_t>{fffd, fffd});
        CHECK(decode_all("\xFF\xFE") == std::vector<char32_t>{fffd, fffd});
    }
    SECTION("a lead byte followed by ASCII loses only the lead byte") {
        CHECK(decode_all("\xE2"
                         "ab") == std::vector<char32_t>{fffd, U'a', U'b'});
        CHECK(decode_all("\xF0\x9F"
                         "a") == std::vector<char32_t>{fffd, U'a'});
    }
}

TEST_CASE("a sequence cut by the end of the input is never completed from beyond the end",
          "[tui][text_width]") {
    const std::string buffer = "\xE2\x82\xAC";
    const std::string_view cut(buffer.data(), 2);
    const auto decoded = decode_utf8(cut);
    CHECK(decoded.code_point == fffd);
    CHECK(decoded.length == 2);
    const std::string four = "\xF0\x9F\x98\x80";
    CHECK(decode_utf8(std::string_view(four.data(), 3)).length == 3);
    CHECK(decode_utf8(std::string_view(four.data(), 1)).length == 1);
    CHECK(decode_utf8({}).length == 0);
}

TEST_CASE("every scalar value round-trips through append_utf8 and decode_utf8",
          "[tui][text_width]") {
    std::string encoded;
    for (char32_t code_point = 0; code_point <= 0x10FFFF; ++code_point) {
        if (code_point >= 0xD800 && code_point <= 0xDFFF)
            continue;
        encoded.clear();
        append_utf8(encoded, code_point);
        const auto decoded = decode_utf8(encoded);
        if (decoded.code_point != code_point || decoded.length != encoded.size()) {
            FAIL("code point " << static_cast<std::uint32_t>(code_point) << " did not round-trip");
        }
    }
    CHECK(utf8(0xD800) == utf8(fffd));
    CHECK(utf8(0x110000) == utf8(fffd));
    CHECK(utf8(0xFFFFFFFF) == utf8(fffd));
}

TEST_CASE("CJK and emoji are two columns wide and combining marks none", "[tui][text_width]") {
    CHECK(code_point_width(U'a') == 1);
    CHECK(code_point_width(0xE9) == 1);    // é precomposed
    CHECK(code_point_width(0x301) == 0);   // combining acute accent
    CHECK(code_point_width(0x20DD) == 0);  // combining enclosing circle
    CHECK(code_point_width(0x200B) == 0);  // zero width space
    CHECK(code_point_width(0x200D) == 0);  // zero width joiner
    CHECK(code_point_width(0xFE0F) == 0);  // emoji variation selector
    CHECK(code_point_width(0x1160) == 0);  // Hangul medial vowel
    CHECK(code_point_width(0xAD) == 1);    // soft hyphen, as wcwidth has it
    CHECK(code_point_width(0x4E2D) == 2);  // 中
    CHECK(code_point_width(0x3042) == 2);  // あ
    CHECK(code_point_width(0xD55C) == 2);  // 한
    CHECK(code_point_width(0xFF21) == 2);  // fullwidth A
    CHECK(code_point_width(0xFF71) == 1);  // halfwidth katakana
    CHECK(code_point_width(0x1F600) == 2); // grinning face
    CHECK(code_point_width(0x1F44D) == 2); // thumbs up
    CHECK(code_point_width(0x1F680) == 2); // rocket
    CHECK(code_point_width(0x231A) == 2);  // watch, emoji presentation
    CHECK(code_point_width(0x2764) == 1);  // heavy black heart, text presentation by default
    CHECK(code_point_width(0x20000) == 2); // CJK extension B
    CHECK(code_point_width(0x2FFFD) == 2);
    CHECK(code_point_width(0x10FFFF) == 1);
    CHECK(display_width("e\xCC\x81") == 1);
    CHECK(display_width("\xE4\xB8\xAD\xE6\x96\x87 ok \xF0\x9F\x98\x80") == 10);
}

TEST_CASE("control characters are one column because the views draw them as U+FFFD",
          "[tui][text_width]") {
    for (char32_t control : {char32_t{0}, char32_t{7}, char32_t{9}, char32_t{10}, char32_t{27},
                             char32_t{0x7F}, char32_t{0x85}, char32_t{0x9B}}) {
        CHECK(is_control(control));
        CHECK(code_point_width(control) == 1);
        CHECK(sanitize(utf8(control)) == utf8(fffd));
    }
    CHECK_FALSE(is_control(U' '));
    CHECK_FALSE(is_control(0xA0));
    CHECK(sanitize("\x1B[31mred\x1B[0m") == utf8(fffd) + "[31mred" + utf8(fffd) + "[0m");
    CHECK(sanitize(std::string("a\0b", 3)) == "a" + utf8(fffd) + "b");
}

TEST_CASE("sanitize keeps well-formed text and replaces each ill-formed subpart",
          "[tui][text_width]") {
    const std::string text = "caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80 e\xCC\x81";
    CHECK(sanitize(text) == text);
    CHECK(sanitize("a\xF1\x80\x80"
                   "b") == "a" + utf8(fffd) + "b");
    CHECK(sanitize("\xC0\x80") == utf8(fffd) + utf8(fffd));
    CHECK(sanitize("") == "");
}

TEST_CASE("random bytes never crash and sanitize to well-formed text of the same width",
          "[tui][text_width]") {
    std::mt19937 engine(20261122);
    for (int round = 0; round < 2000; ++round) {
        const auto bytes = random_bytes(engine, static_cast<std::size_t>(round % 64));
        const auto clean = sanitize(bytes);
        CHECK(display_width(clean) == display_width(bytes));
        CHECK(sanitize(clean) == clean);
        for (const auto code_point : decode_all(clean))
            CHECK_FALSE(is_control(code_point));
        for (std::size_t width = 0; width < 8; ++width) {
            const auto prefix = prefix_within_width(bytes, width);
            REQUIRE(prefix.bytes <= bytes.size());
            REQUIRE(prefix.width <= width);
            REQUIRE(display_width(std::string_view(bytes).substr(0, prefix.bytes)) == prefix.width);
        }
    }
}

TEST_CASE("widths do not depend on the process locale", "[tui][text_width]") {
    const std::string saved = std::setlocale(LC_ALL, nullptr);
    std::setlocale(LC_ALL, "C");
    CHECK(display_width("\xF0\x9F\x98\x80\xE4\xB8\xAD") == 4);
    CHECK(display_width("e\xCC\x81") == 1);
    std::setlocale(LC_ALL, saved.c_str());
}

TEST_CASE("the built-in table agrees with the C library's wcwidth on common scripts",
          "[tui][text_width]") {
    const std::string saved = std::setlocale(LC_CTYPE, nullptr);
    if (std::setlocale(LC_CTYPE, "C.UTF-8") == nullptr) {
        WARN("no C.UTF-8 locale: comparison skipped");
        return;
    }
    const std::vector<std::pair<char32_t, char32_t>> ranges = {
        {0x20, 0x7E},     {0xC0, 0x17F},    {0x300, 0x36F},    {0x391, 0x3C9},
        {0x410, 0x44F},   {0x3041, 0x3096}, {0x30A1, 0x30FA},  {0x4E00, 0x9FA5},
        {0xAC00, 0xD7A3}, {0xFF01, 0xFF60}, {0x1F600, 0x1F64F}};
    for (const auto& [first, last] : ranges) {
        for (char32_t code_point = first; code_point <= last; ++code_point) {
            const int theirs = ::wcwidth(static_cast<wchar_t>(code_point));
            if (theirs >= 0 && theirs != code_point_width(code_point)) { // -1: unassigned
                FAIL("U+" << std::hex << static_cast<std::uint32_t>(code_point) << ": wcwidth "
                          << theirs << ", ours " << code_point_width(code_point));
            }
        }
    }
    std::setlocale(LC_CTYPE, saved.c_str());
}

TEST_CASE("truncation never splits a code point or a wide character", "[tui][text_width]") {
    const std::string chinese = "\xE4\xB8\xAD\xE6\x96\x87\xE5\xAD\x97"; // 中文字, 6 columns
    CHECK(truncate_to_width(chinese, 6) == chinese);
    CHECK(truncate_to_width(chinese, 5) == "\xE4\xB8\xAD\xE6\x96\x87");
    CHECK(truncate_to_width(chinese, 3) == "\xE4\xB8\xAD");
    CHECK(truncate_to_width(chinese, 1) == "");
    CHECK(truncate_to_width(chinese, 0) == "");
    CHECK(truncate_to_width("", 5) == "");
    CHECK(truncate_to_width("abc", 0) == "");
    CHECK(truncate_to_width("\xF0\x9F\x98\x80x", 1) == "");
    CHECK(truncate_to_width("\xF0\x9F\x98\x80x", 2) == "\xF0\x9F\x98\x80");
}

TEST_CASE("truncation keeps combining marks with their letter", "[tui][text_width]") {
    CHECK(truncate_to_width("e\xCC\x81xyz", 1) == "e\xCC\x81");
    CHECK(prefix_within_width("e\xCC\x81xyz", 1).bytes == 3);
    CHECK(prefix_within_width("e\xCC\x81xyz", 1).width == 1);
}

TEST_CASE("an ellipsis marks a cut and the result still fits", "[tui][text_width]") {
    const std::string ellipsis = "\xE2\x80\xA6"; // …
    const std::string chinese = "\xE4\xB8\xAD\xE6\x96\x87\xE5\xAD\x97";
    CHECK(truncate_to_width("hello world", 8, ellipsis) == "hello w" + ellipsis);
    CHECK(truncate_to_width("hello", 5, ellipsis) == "hello");
    CHECK(truncate_to_width(chinese, 4, ellipsis) == "\xE4\xB8\xAD" + ellipsis);
    CHECK(truncate_to_width(chinese, 5, ellipsis) == "\xE4\xB8\xAD\xE6\x96\x87" + ellipsis);
    CHECK(truncate_to_width("hello", 1, ellipsis) == ellipsis);
    CHECK(truncate_to_width("hello", 0, ellipsis) == "");
    CHECK(truncate_to_width("hello", 2, "...") == "..");
    for (std::size_t width = 0; width < 12; ++width) {
        CHECK(display_width(truncate_to_width(chinese + "abc", width, ellipsis)) <= width);
    }
}

TEST_CASE("padding fills to exactly the width and replaces a straddling wide character",
          "[tui][text_width]") {
    CHECK(pad_to_width("abc", 5) == "abc  ");
    CHECK(pad_to_width("abc", 5, alignment::right) == "  abc");
    CHECK(pad_to_width("abcdef", 3) == "abc");
    CHECK(pad_to_width("", 3) == "   ");
    CHECK(pad_to_width("abc", 0) == "");
    CHECK(pad_to_width("\xE4\xB8\xAD\xE6\x96\x87", 3) == "\xE4\xB8\xAD ");
    CHECK(pad_to_width("\xE4\xB8\xAD\xE6\x96\x87", 3, alignment::right) == " \xE4\xB8\xAD");
    for (std::size_t width = 0; width < 10; ++width) {
        CHECK(display_width(pad_to_width("\xF0\x9F\x98\x80"
                                         "a\xF0\x9F\x98\x80",
                                         width)) == width);
    }
}

TEST_CASE("boundaries step over a letter with its accents and a wide character as one unit",
          "[tui][text_width]") {
    const std::string text = "e\xCC\x81\xE4\xB8\xAD\xF0\x9F\x98\x80"
                             "a"; // é(3) 中(3) 😀(4) a(1)
    CHECK(next_boundary(text, 0) == 3);
    CHECK(next_boundary(text, 3) == 6);
    CHECK(next_boundary(text, 6) == 10);
    CHECK(next_boundary(text, 10) == 11);
    CHECK(next_boundary(text, 11) == 11);
    CHECK(next_boundary(text, 500) == 11);
    CHECK(previous_boundary(text, 11) == 10);
    CHECK(previous_boundary(text, 10) == 6);
    CHECK(previous_boundary(text, 6) == 3);
    CHECK(previous_boundary(text, 3) == 0);
    CHECK(previous_boundary(text, 0) == 0);
    CHECK(previous_boundary(text, 500) == 10);
    CHECK(next_boundary("", 0) == 0);
    CHECK(previous_boundary("", 0) == 0);
}

TEST_CASE("boundaries always make progress and agree both ways on well-formed text",
          "[tui][text_width]") {
    std::mt19937 engine(7);
    for (int round = 0; round < 500; ++round) {
        const auto bytes = random_bytes(engine, 1 + static_cast<std::size_t>(round % 40));
        for (std::size_t at = 0; at < bytes.size(); ++at) {
            const auto next = next_boundary(bytes, at);
            REQUIRE(next > at);
            REQUIRE(next <= bytes.size());
        }
        for (std::size_t at = 1; at <= bytes.size(); ++at)
            REQUIRE(previous_boundary(bytes, at) < at);

        const auto clean = sanitize(bytes);
        std::vector<std::size_t> forward{0};
        while (forward.back() < clean.size())
            forward.push_back(next_boundary(clean, forward.back()));
        std::vector<std::size_t> backward{clean.size()};
        while (backward.back() > 0)
            backward.push_back(previous_boundary(clean, backward.back()));
        std::reverse(backward.begin(), backward.end());
        REQUIRE(forward == backward);
    }
}
