#include "tui/tab_bar.h"

#include "tui/text_width.h"

#include <algorithm>

namespace sotto::tui {

namespace {

constexpr std::string_view ellipsis = "\xE2\x80\xA6";
constexpr std::size_t arrow_columns = 2; // "< " or " >", or "*<" / ">*"

} // namespace

std::string tab_label(const tab_view& tab, std::size_t index) {
    std::string label = "[" + std::to_string(index + 1) + " ";
    if (tab.group)
        label += "#";
    label += truncate_to_width(sanitize(tab.name), max_tab_name_columns, ellipsis);
    if (tab.unread)
        label += "*";
    label += "]";
    return label;
}

std::vector<tab_span> format_tab_bar(std::span<const tab_view> tabs, std::size_t current,
                                     std::size_t width) {
    std::vector<tab_span> spans;
    if (width == 0)
        return spans;
    const auto count = tabs.size();
    std::vector<std::string> labels;
    std::vector<std::size_t> widths;
    for (std::size_t i = 0; i < count; ++i) {
        labels.push_back(tab_label(tabs[i], i));
        widths.push_back(display_width(labels.back()));
    }
    const auto needed = [&](std::size_t begin, std::size_t end) {
        std::size_t total = 0;
        for (std::size_t i = begin; i < end; ++i)
            total += widths[i] + (i > begin ? 1 : 0);
        if (begin > 0)
            total += arrow_columns;
        if (end < count)
            total += arrow_columns;
        return total;
    };

    const auto anchor = current < count ? current : 0;
    std::size_t begin = 0;
    std::size_t end = std::min<std::size_t>(count, anchor + 1);
    while (begin < anchor && needed(begin, end) > width)
        ++begin;
    while (end < count && needed(begin, end + 1) <= width)
        ++end;

    // Only a lone current tab wider than the bar overflows: it is cut and the arrows go.
    const bool overflow = needed(begin, end) > width;
    std::size_t used = 0;
    const auto add = [&](std::string text, std::size_t tab, bool is_current, bool unread) {
        used += display_width(text);
        spans.push_back({std::move(text), tab, is_current, unread});
    };
    const auto any_unread = [&](std::size_t from, std::size_t to) {
        return std::any_of(tabs.begin() + static_cast<std::ptrdiff_t>(from),
                           tabs.begin() + static_cast<std::ptrdiff_t>(to),
                           [](const tab_view& tab) { return tab.unread; });
    };
    if (begin > 0 && !overflow) {
        const bool unread = any_unread(0, begin);
        add(unread ? "*<" : "< ", tab_span::no_tab, false, unread);
    }
    for (std::size_t i = begin; i < end; ++i) {
        if (i > begin)
            add(" ", tab_span::no_tab, false, false);
        auto text = overflow ? truncate_to_width(labels[i], width, ellipsis) : labels[i];
        add(std::move(text), i, i == current, tabs[i].unread);
    }
    const bool right_arrow = end < count && !overflow;
    const auto arrow_width = right_arrow ? arrow_columns : 0;
    if (used + arrow_width < width)
        add(std::string(width - used - arrow_width, ' '), tab_span::no_tab, false, false);
    if (right_arrow) {
        const bool unread = any_unread(end, count);
        add(unread ? ">*" : " >", tab_span::no_tab, false, unread);
    }
    return spans;
}

} // namespace sotto::tui
