#pragma once
// The tab bar of open conversations: "[1 bob] [2 #team*] [3 carol]". When the tabs do not fit,
// a run of them that includes the current one shows, with "<" and ">" where tabs are hidden
// ("*<", ">*" when a hidden tab has unread messages). Pure.

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace sotto::tui {

struct tab_view {
    std::string name; // user or group name, without '#'
    bool group = false;
    bool unread = false; // new messages since it was last shown
};

struct tab_span {
    static constexpr std::size_t no_tab = static_cast<std::size_t>(-1);
    std::string text;
    std::size_t tab = no_tab; // index of the tab this span draws; no_tab for gaps and arrows
    bool current = false;
    bool unread = false;
};

inline constexpr std::size_t max_tab_name_columns = 16;

// "[2 #team*]": the number is the tab's position (Alt+N reaches 1 to 9), names are sanitized
// and cut to max_tab_name_columns.
[[nodiscard]] std::string tab_label(const tab_view& tab, std::size_t index);

// The bar for `tabs` with tabs[current] highlighted, in exactly `width` columns (the spans'
// widths add up to it, the last span padding). `current` out of range highlights nothing and
// shows from the first tab.
[[nodiscard]] std::vector<tab_span> format_tab_bar(std::span<const tab_view> tabs,
                                                   std::size_t current, std::size_t width);

} // namespace sotto::tui
