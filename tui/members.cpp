#include "tui/members.h"

#include "tui/text_width.h"

#include <algorithm>

namespace sotto::tui {

namespace {

constexpr std::size_t max_name_columns = 16;

std::string session_words(const group_member_view& member, const std::string& name) {
    switch (member.state) {
    case handshake_state::no_session:
        return "no session yet";
    case handshake_state::offering:
        return "offering key";
    case handshake_state::confirming:
        return "confirming";
    case handshake_state::established:
        return member.verified ? "secure - verified" : "secure - not verified";
    case handshake_state::key_changed:
        return "key CHANGED - /verify " + name + " or /accept " + name;
    }
    return "unknown";
}

} // namespace

std::string describe_member(const group_member_view& member) {
    std::string out = member.admin ? "admin, " : "";
    if (member.you)
        return out + "you";
    out += session_words(member, sanitize(member.name));
    out += member.online ? ", online" : ", offline";
    return out;
}

std::vector<std::string> member_lines(const group_status_view& group) {
    const auto title = "#" + sanitize(group.name) + ": ";
    std::vector<std::string> lines;
    if (group.member) {
        lines.push_back(title + std::to_string(group.members.size()) + " members (Esc closes)");
    } else {
        lines.push_back(title +
                        "you are no longer a member; its members when you left (Esc closes)");
    }
    lines.emplace_back();
    std::size_t widest = 0;
    for (const auto& member : group.members)
        widest = std::max(widest, std::min(display_width(sanitize(member.name)), max_name_columns));
    for (const auto& member : group.members) {
        const auto name =
            truncate_to_width(sanitize(member.name), max_name_columns, "\xE2\x80\xA6");
        lines.push_back("  " + pad_to_width(name, widest) + "  " + describe_member(member));
    }
    return lines;
}

} // namespace sotto::tui
