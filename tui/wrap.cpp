#include "tui/wrap.h"

#include "tui/text_width.h"

#include <algorithm>

namespace sotto::tui {

namespace {

struct cluster {
    std::size_t end = 0;
    std::size_t width = 0;
};

cluster next_cluster(std::string_view text, std::size_t at) noexcept {
    const auto end = next_boundary(text, at);
    return {end, display_width(text.substr(at, end - at))};
}

// Lays out the paragraph [begin, end) of `text` greedily, word by word. A word is a run of
// non-space characters; the paragraph's leading spaces belong to its first word.
void wrap_paragraph(std::string_view text, std::size_t begin, std::size_t end, std::size_t width,
                    std::vector<line_range>& lines) {
    const auto paragraph = text.substr(0, end);
    line_range line{begin, begin, 0};
    bool line_has_content = false;
    std::size_t at = begin;
    bool first_word = true;

    while (at < end) {
        const std::size_t spaces_begin = at;
        while (at < end && paragraph[at] == ' ')
            ++at;
        const std::size_t spaces = at - spaces_begin;
        const std::size_t word_begin = first_word ? spaces_begin : at;
        std::size_t word_width = first_word ? spaces : 0;
        first_word = false;
        if (at == end)
            break; // trailing spaces end no word and are dropped

        std::size_t word_end = at;
        while (word_end < end && paragraph[word_end] != ' ') {
            const auto c = next_cluster(paragraph, word_end);
            word_width += c.width;
            word_end = c.end;
        }

        if (line_has_content && line.width + spaces + word_width <= width) {
            line.end = word_end;
            line.width += spaces + word_width;
            at = word_end;
            continue;
        }
        if (line_has_content)
            lines.push_back(line);
        line = {word_begin, word_begin, 0};
        line_has_content = true;
        if (word_width <= width) {
            line.end = word_end;
            line.width = word_width;
            at = word_end;
            continue;
        }
        // A word longer than the line: break it between characters, never inside one.
        for (std::size_t i = word_begin; i < word_end;) {
            const auto c = next_cluster(paragraph, i);
            if (line.width + c.width > width && line.end > line.begin) {
                lines.push_back(line);
                line = {i, i, 0};
            }
            line.end = c.end;
            line.width += c.width;
            i = c.end;
        }
        at = word_end;
    }
    lines.push_back(line);
}

} // namespace

std::vector<line_range> wrap(std::string_view text, std::size_t width) {
    std::vector<line_range> lines;
    if (width == 0)
        return lines;
    std::size_t begin = 0;
    while (true) {
        const auto newline = text.find('\n', begin);
        const auto end = newline == std::string_view::npos ? text.size() : newline;
        wrap_paragraph(text, begin, end, width, lines);
        if (newline == std::string_view::npos)
            break;
        begin = newline + 1;
    }
    return lines;
}

std::vector<std::string> wrap_with_hanging_indent(std::string_view prefix, std::string_view text,
                                                  std::size_t width,
                                                  std::size_t minimum_text_width) {
    std::vector<std::string> out;
    if (width == 0)
        return out;
    const auto indent = display_width(prefix);
    if (indent >= width || width - indent < std::max<std::size_t>(minimum_text_width, 1)) {
        std::string joined(prefix);
        joined.append(text);
        for (const auto& line : wrap(joined, width)) {
            out.emplace_back(joined.substr(line.begin, line.end - line.begin));
        }
        return out;
    }
    const std::string padding(indent, ' ');
    for (const auto& line : wrap(text, width - indent)) {
        std::string row(out.empty() ? std::string(prefix) : padding);
        row.append(text.substr(line.begin, line.end - line.begin));
        out.push_back(std::move(row));
    }
    return out;
}

} // namespace sotto::tui
