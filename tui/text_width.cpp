#include "tui/text_width.h"

#include <algorithm>
#include <iterator>

namespace sotto::tui {

namespace {

struct code_point_range {
    char32_t first;
    char32_t last;
};

#include "tui/width_table.inc"

template <std::size_t N>
constexpr bool in_table(const code_point_range (&table)[N], char32_t code_point) noexcept {
    const auto* end = std::end(table);
    const auto* found = std::lower_bound(
        std::begin(table), end, code_point,
        [](const code_point_range& range, char32_t value) { return range.last < value; });
    return found != end && found->first <= code_point;
}

constexpr bool is_continuation(unsigned char byte, unsigned char low = 0x80,
                               unsigned char high = 0xBF) noexcept {
    return byte >= low && byte <= high;
}

} // namespace

decoded_code_point decode_utf8(std::string_view text) noexcept {
    if (text.empty())
        return {replacement_character, 0};
    const auto at = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = at(0);
    if (lead < 0x80)
        return {lead, 1};

    std::size_t length = 0;
    char32_t value = 0;
    // Table 3-7 of the Unicode standard: the range of the second byte depends on the first,
    // which rules out overlong forms, surrogates and values above U+10FFFF.
    unsigned char second_low = 0x80;
    unsigned char second_high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        value = lead & 0x1FU;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        value = lead & 0x0FU;
        if (lead == 0xE0)
            second_low = 0xA0;
        if (lead == 0xED)
            second_high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        value = lead & 0x07U;
        if (lead == 0xF0)
            second_low = 0x90;
        if (lead == 0xF4)
            second_high = 0x8F;
    } else {
        return {replacement_character, 1};
    }

    for (std::size_t i = 1; i < length; ++i) {
        const bool ok = i < text.size() && (i == 1 ? is_continuation(at(i), second_low, second_high)
                                                   : is_continuation(at(i)));
        if (!ok)
            return {replacement_character, i};
        value = (value << 6U) | (at(i) & 0x3FU);
    }
    return {value, length};
}

void append_utf8(std::string& out, char32_t code_point) {
    if ((code_point >= 0xD800 && code_point <= 0xDFFF) || code_point > 0x10FFFF) {
        code_point = replacement_character;
    }
    const auto put = [&](char32_t byte) { out.push_back(static_cast<char>(byte)); };
    if (code_point < 0x80) {
        put(code_point);
    } else if (code_point < 0x800) {
        put(0xC0U | (code_point >> 6U));
        put(0x80U | (code_point & 0x3FU));
    } else if (code_point < 0x10000) {
        put(0xE0U | (code_point >> 12U));
        put(0x80U | ((code_point >> 6U) & 0x3FU));
        put(0x80U | (code_point & 0x3FU));
    } else {
        put(0xF0U | (code_point >> 18U));
        put(0x80U | ((code_point >> 12U) & 0x3FU));
        put(0x80U | ((code_point >> 6U) & 0x3FU));
        put(0x80U | (code_point & 0x3FU));
    }
}

bool is_control(char32_t code_point) noexcept {
    return code_point < 0x20 || (code_point >= 0x7F && code_point < 0xA0);
}

int code_point_width(char32_t code_point) noexcept {
    if (code_point < 0x7F)
        return 1; // printable ASCII and C0 controls (drawn as U+FFFD)
    if (is_control(code_point))
        return 1;
    if (in_table(zero_width_ranges, code_point))
        return 0;
    if (in_table(wide_ranges, code_point))
        return 2;
    return 1;
}

std::size_t next_boundary(std::string_view text, std::size_t at) noexcept {
    if (at >= text.size())
        return text.size();
    at += decode_utf8(text.substr(at)).length;
    while (at < text.size()) {
        const auto next = decode_utf8(text.substr(at));
        if (code_point_width(next.code_point) != 0)
            break;
        at += next.length;
    }
    return at;
}

namespace {

// Start of the code point that ends at `at` (> 0).
std::size_t previous_code_point(std::string_view text, std::size_t at) noexcept {
    for (std::size_t back = 1; back <= 4 && back <= at; ++back) {
        const auto byte = static_cast<unsigned char>(text[at - back]);
        if ((byte & 0xC0U) == 0x80U)
            continue; // a continuation byte: keep looking for the lead
        if (decode_utf8(text.substr(at - back)).length == back)
            return at - back;
        break;
    }
    return at - 1; // an ill-formed byte stands alone
}

} // namespace

std::size_t previous_boundary(std::string_view text, std::size_t at) noexcept {
    at = std::min(at, text.size());
    while (at > 0) {
        at = previous_code_point(text, at);
        if (code_point_width(decode_utf8(text.substr(at)).code_point) != 0)
            break;
    }
    return at;
}

std::size_t display_width(std::string_view text) noexcept {
    std::size_t width = 0;
    while (!text.empty()) {
        const auto decoded = decode_utf8(text);
        width += static_cast<std::size_t>(code_point_width(decoded.code_point));
        text.remove_prefix(decoded.length);
    }
    return width;
}

std::string sanitize(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    while (!text.empty()) {
        const auto decoded = decode_utf8(text);
        if (decoded.code_point == replacement_character || is_control(decoded.code_point)) {
            append_utf8(out, replacement_character);
        } else {
            out.append(text.substr(0, decoded.length));
        }
        text.remove_prefix(decoded.length);
    }
    return out;
}

text_prefix prefix_within_width(std::string_view text, std::size_t width) noexcept {
    text_prefix prefix;
    while (prefix.bytes < text.size()) {
        const auto decoded = decode_utf8(text.substr(prefix.bytes));
        const auto columns = static_cast<std::size_t>(code_point_width(decoded.code_point));
        if (prefix.width + columns > width)
            break;
        prefix.width += columns;
        prefix.bytes += decoded.length;
    }
    return prefix;
}

std::string truncate_to_width(std::string_view text, std::size_t width, std::string_view ellipsis) {
    const auto whole = prefix_within_width(text, width);
    if (whole.bytes == text.size())
        return std::string(text);
    const auto ellipsis_width = display_width(ellipsis);
    if (ellipsis.empty() || ellipsis_width >= width) {
        if (ellipsis.empty())
            return std::string(text.substr(0, whole.bytes));
        return std::string(ellipsis.substr(0, prefix_within_width(ellipsis, width).bytes));
    }
    const auto kept = prefix_within_width(text, width - ellipsis_width);
    std::string out(text.substr(0, kept.bytes));
    out.append(ellipsis);
    return out;
}

std::string pad_to_width(std::string_view text, std::size_t width, alignment align) {
    const auto kept = prefix_within_width(text, width);
    const std::string padding(width - kept.width, ' ');
    std::string out;
    out.reserve(kept.bytes + padding.size());
    if (align == alignment::right)
        out += padding;
    out.append(text.substr(0, kept.bytes));
    if (align == alignment::left)
        out += padding;
    return out;
}

} // namespace sotto::tui
