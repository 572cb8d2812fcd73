#pragma once
// Word wrapping by display width, for the message pane.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sotto::tui {

struct line_range {
    std::size_t begin = 0; // byte offsets into the wrapped text
    std::size_t end = 0;
    std::size_t width = 0; // display width of [begin, end)

    friend bool operator==(const line_range&, const line_range&) = default;
};

// Splits `text` into lines of at most `width` columns.
// - '\n' ends a line; an empty text or an empty paragraph gives one empty line.
// - Lines break at spaces; the spaces at a break belong to no line. Leading spaces of a
//   paragraph are kept (indented text stays indented).
// - A word longer than the width is broken between code points; a wide character and the
//   zero-width marks after it are never split.
// - The one line allowed to be wider than `width` holds a single character that is wider than
//   the whole width (an emoji at width 1); no text is ever dropped.
// - A width of 0 gives no lines: nothing can be shown.
[[nodiscard]] std::vector<line_range> wrap(std::string_view text, std::size_t width);

// The message pane's form: "14:02 bob    " followed by the message, continuation lines indented
// under the message text. When fewer than `minimum_text_width` columns would be left for the
// text beside the prefix, the prefix and the text flow together without an indent instead.
// Each returned line is at most `width` columns (but see wrap() for a lone too-wide character).
[[nodiscard]] std::vector<std::string>
wrap_with_hanging_indent(std::string_view prefix, std::string_view text, std::size_t width,
                         std::size_t minimum_text_width = 10);

} // namespace sotto::tui
