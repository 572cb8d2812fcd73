#pragma once
// UTF-8 decoding and display widths, the way a terminal lays text out (wcwidth semantics).
//
// Every function here accepts arbitrary bytes: an ill-formed sequence counts as one U+FFFD
// REPLACEMENT CHARACTER per maximal subpart (the Unicode recommended practice), 1 column wide,
// and nothing reads past the end of the input. Widths come from a table built into the binary
// (tui/width_table.inc), so they do not depend on the process locale.

#include <cstddef>
#include <string>
#include <string_view>

namespace sotto::tui {

inline constexpr char32_t replacement_character = 0xFFFD;

struct decoded_code_point {
    char32_t code_point = replacement_character;
    std::size_t length = 0; // bytes consumed; at least 1 unless the input was empty
};

// Decodes the code point at the start of `text`. An ill-formed sequence gives U+FFFD and the
// length of its maximal subpart (1..3 bytes); an empty input gives U+FFFD with length 0.
[[nodiscard]] decoded_code_point decode_utf8(std::string_view text) noexcept;

// Appends the UTF-8 encoding of `code_point`; surrogates and values above U+10FFFF append U+FFFD.
void append_utf8(std::string& out, char32_t code_point);

// True for C0 controls, DEL and C1 controls: characters a terminal would interpret, not draw.
[[nodiscard]] bool is_control(char32_t code_point) noexcept;

// Columns `code_point` takes: 0 for combining marks, format characters and the Hangul medial
// vowels and final consonants; 2 for East Asian wide and fullwidth characters (CJK, emoji with
// emoji presentation such as U+1F600); 1 for everything else. Control characters count 1 because
// the views never send them to the terminal: sanitize() draws each as U+FFFD.
[[nodiscard]] int code_point_width(char32_t code_point) noexcept;

// A character and the zero-width code points after it (a letter and its combining accents) form
// the unit that the cursor, truncation and wrapping never split. next_boundary gives the end of
// the unit starting at byte `at` (text.size() at the end); previous_boundary the start of the
// unit ending at `at` (0 at the start). `at` past the end is clamped. Both are exact on
// well-formed UTF-8 and on ill-formed input still stay in range and always make progress.
[[nodiscard]] std::size_t next_boundary(std::string_view text, std::size_t at) noexcept;
[[nodiscard]] std::size_t previous_boundary(std::string_view text, std::size_t at) noexcept;

// Sum of the widths of the code points of `text`.
[[nodiscard]] std::size_t display_width(std::string_view text) noexcept;

// `text` made safe to hand to the terminal: well-formed UTF-8 in which every ill-formed
// sequence and every control character (escape sequences included) is U+FFFD. Its display width
// equals display_width(text).
[[nodiscard]] std::string sanitize(std::string_view text);

struct text_prefix {
    std::size_t bytes = 0; // length of the prefix; always ends on a code point boundary
    std::size_t width = 0; // its display width, never more than the limit asked for
};

// The longest prefix of `text` that fits in `width` columns. It never splits a code point or a
// wide character, and it keeps the zero-width code points that follow the last one it takes
// (combining accents stay with their letter).
[[nodiscard]] text_prefix prefix_within_width(std::string_view text, std::size_t width) noexcept;

// `text` cut to at most `width` columns. When it does not fit and `ellipsis` is not empty, the
// cut text ends with `ellipsis` and the whole still fits (the ellipsis itself is cut when the
// width is smaller than it). Returns the input bytes unchanged when it fits.
[[nodiscard]] std::string truncate_to_width(std::string_view text, std::size_t width,
                                            std::string_view ellipsis = {});

enum class alignment { left, right };

// `text` cut (without ellipsis) and padded with spaces to exactly `width` columns; a wide
// character that would straddle the edge is left out and its column padded instead.
[[nodiscard]] std::string pad_to_width(std::string_view text, std::size_t width,
                                       alignment align = alignment::left);

} // namespace sotto::tui
