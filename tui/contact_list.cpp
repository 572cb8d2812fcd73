#include "tui/contact_list.h"

#include "tui/text_width.h"

#include <algorithm>

namespace sotto::tui {

namespace {

constexpr std::string_view ellipsis = "\xE2\x80\xA6";
constexpr std::size_t unread_columns = 3;

std::string contact_text(const contact_view& contact, std::size_t width, mark_set marks) {
    std::string name = sanitize(contact.name);
    if (contact.verified)
        name += marks == mark_set::ascii ? " v" : " \xE2\x9C\x93";
    std::string row(1, contact_mark(contact));
    row += ' ';
    if (width < 2 + 1 + unread_columns + 1) { // no room for the count: mark and name only
        return pad_to_width(row + truncate_to_width(name, width > 2 ? width - 2 : 0, ellipsis),
                            width);
    }
    const auto name_columns = width - 2 - 1 - unread_columns;
    row += pad_to_width(truncate_to_width(name, name_columns, ellipsis), name_columns);
    row += ' ';
    row += pad_to_width(unread_label(contact.unread), unread_columns, alignment::right);
    return row;
}

} // namespace

char contact_mark(const contact_view& contact) noexcept {
    if (contact.key_changed)
        return '!';
    if (contact.message_request)
        return '?';
    if (contact.group)
        return '#';
    return contact.online ? '*' : ' ';
}

std::string unread_label(std::size_t unread) {
    if (unread == 0)
        return {};
    if (unread > 99)
        return "99+";
    return std::to_string(unread);
}

std::vector<contact_row> format_contacts(std::span<const contact_view> contacts,
                                         std::size_t current, std::size_t width, std::size_t height,
                                         mark_set marks) {
    std::vector<contact_row> rows;
    if (width == 0 || height == 0)
        return rows;
    rows.push_back({pad_to_width("Contacts", width), contact_row::header, false});
    const auto room = height - 1;
    std::size_t first = 0;
    if (contacts.size() > room && current < contacts.size() && current >= room)
        first = current - room + 1;
    const auto last = std::min(contacts.size(), first + room);
    for (std::size_t i = first; i < last; ++i) {
        rows.push_back({contact_text(contacts[i], width, marks), i, i == current});
    }
    return rows;
}

} // namespace sotto::tui
