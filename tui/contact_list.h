#pragma once
// The contacts pane's rows: "* bob ✓     2". A mark for presence and state, the name with a
// verified check, the unread count at the right. Pure.
//
// Marks: '*' online, ' ' offline, '#' group, '?' a message request from someone new,
// '!' the contact's key changed (this one wins over every other).

#include "tui/message_pane.h" // mark_set

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace sotto::tui {

struct contact_view {
    std::string name;
    bool group = false;
    bool online = false;
    std::size_t unread = 0;
    bool verified = false;
    bool key_changed = false;
    bool message_request = false;
};

struct contact_row {
    static constexpr std::size_t header = static_cast<std::size_t>(-1);
    std::string text;             // exactly the pane's width
    std::size_t contact = header; // index into the contacts, or header for the title row
    bool current = false;
};

[[nodiscard]] char contact_mark(const contact_view& contact) noexcept;
// "7", "99+": the unread count as shown (empty for none).
[[nodiscard]] std::string unread_label(std::size_t unread);

// A "Contacts" title row and then one row per contact, in `height` rows of `width` columns. When
// the contacts do not fit, the rows scroll so that contacts[current] shows.
[[nodiscard]] std::vector<contact_row> format_contacts(std::span<const contact_view> contacts,
                                                       std::size_t current, std::size_t width,
                                                       std::size_t height,
                                                       mark_set marks = mark_set::unicode);

} // namespace sotto::tui
