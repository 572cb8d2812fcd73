#include "tui/status_line.h"

#include "tui/text_width.h"

#include <vector>

namespace sotto::tui {

namespace {

constexpr std::string_view separator = " | ";
constexpr std::string_view ellipsis = "\xE2\x80\xA6";

std::string presence(const std::string& peer, bool online) {
    return peer + (online ? " online" : " offline");
}

struct segmented {
    std::vector<std::string> segments; // joined with " | ", the first is the most important
    status_severity severity = status_severity::neutral;
};

segmented build(const status_view& view) {
    const auto peer = sanitize(view.peer);
    if (peer.empty())
        return {{"no conversation - /msg NAME starts one"}, status_severity::neutral};
    switch (view.state) {
    case handshake_state::no_session:
        return {{"no secure session with " + peer + " yet - a message starts one",
                 presence(peer, view.peer_online)},
                status_severity::neutral};
    case handshake_state::offering: {
        std::string details = presence(peer, view.peer_online);
        if (view.resend_count > 0)
            details += ", resent " + std::to_string(view.resend_count) + "x";
        if (view.seconds_to_next_resend)
            details += ", next in " + format_wait(*view.seconds_to_next_resend);
        return {{"offering key to " + peer + " (" + details + ")"}, status_severity::pending};
    }
    case handshake_state::confirming:
        return {{"confirming with " + peer, presence(peer, view.peer_online)},
                status_severity::pending};
    case handshake_state::established: {
        segmented out;
        if (view.verified) {
            out = {{"secure - verified"}, status_severity::secure};
        } else {
            out = {{"secure - not verified (/verify " + peer + ")"}, status_severity::unverified};
        }
        out.segments.push_back(presence(peer, view.peer_online));
        if (view.ratchet_message_number) {
            out.segments.push_back("ratchet #" + std::to_string(*view.ratchet_message_number));
        }
        return out;
    }
    case handshake_state::key_changed:
        return {{peer + "'s key CHANGED - /verify " + peer + " or /accept " + peer},
                status_severity::danger};
    }
    return {{"unknown state"}, status_severity::danger};
}

segmented build_group(const group_status_view& view) {
    const auto title = "#" + sanitize(view.name) + ": ";
    if (!view.member)
        return {{title + "you are no longer a member"}, status_severity::neutral};
    std::vector<std::string> changed;
    std::vector<std::string> waiting;
    std::vector<std::string> unverified;
    std::size_t others = 0;
    std::size_t online = 0;
    std::string only_other;
    for (const auto& member : view.members) {
        if (member.you)
            continue;
        const auto name = sanitize(member.name);
        ++others;
        only_other = name;
        online += member.online ? 1 : 0;
        if (member.state == handshake_state::key_changed)
            changed.push_back(name);
        else if (member.state != handshake_state::established)
            waiting.push_back(name);
        else if (!member.verified)
            unverified.push_back(name);
    }
    const auto count = std::to_string(view.members.size()) + " members";
    if (others == 0)
        return {{title + "only you - /invite NAME adds someone"}, status_severity::neutral};
    const auto online_segment =
        std::to_string(online) + " of " + std::to_string(others) + " online";
    if (changed.size() == 1) {
        const auto& name = changed.front();
        return {{title + name + "'s key CHANGED - /verify " + name + " or /accept " + name, count},
                status_severity::danger};
    }
    if (!changed.empty()) {
        return {
            {title + "keys CHANGED for " + join_names(changed) + " - /members, then /verify each",
             count},
            status_severity::danger};
    }
    const auto secure = others - waiting.size();
    if (!waiting.empty()) {
        auto text =
            title + count + ", secure with " +
            (secure == 0 ? std::string("none yet") : std::to_string(secure)) + ", waiting for " +
            (waiting.size() == 1 ? waiting.front() + "'s key" : "keys from " + join_names(waiting));
        return {{std::move(text), online_segment}, status_severity::pending};
    }
    auto text = title + count + ", secure with " +
                (others == 1 ? only_other : "all " + std::to_string(others));
    if (unverified.empty())
        return {{std::move(text), "all verified", online_segment}, status_severity::secure};
    return {{std::move(text),
             unverified.size() == 1 ? unverified.front() + " not verified"
                                    : std::to_string(unverified.size()) + " not verified",
             online_segment},
            status_severity::unverified};
}

std::string join(const std::vector<std::string>& segments, std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) {
        if (i > 0)
            out += separator;
        out += segments[i];
    }
    return out;
}

status_text whole(const segmented& built) {
    return {join(built.segments, built.segments.size()), built.severity};
}

status_text fitted(const segmented& built, std::size_t width) {
    for (auto count = built.segments.size(); count > 1; --count) {
        auto text = join(built.segments, count);
        if (display_width(text) <= width)
            return {std::move(text), built.severity};
    }
    return {truncate_to_width(built.segments.front(), width, ellipsis), built.severity};
}

} // namespace

std::string format_wait(unsigned seconds) {
    if (seconds < 60)
        return std::to_string(seconds) + "s";
    const auto remainder = seconds % 60;
    return std::to_string(seconds / 60) + "m" + (remainder < 10 ? "0" : "") +
           std::to_string(remainder) + "s";
}

std::string join_names(const std::vector<std::string>& names) {
    constexpr std::size_t most_named = 3;
    std::string out;
    const auto named = names.size() > most_named ? most_named - 1 : names.size();
    for (std::size_t i = 0; i < named; ++i) {
        if (i > 0)
            out += i + 1 == names.size() ? " and " : ", ";
        out += names[i];
    }
    if (named < names.size())
        out += " and " + std::to_string(names.size() - named) + " others";
    return out;
}

status_text format_status(const status_view& view) {
    return whole(build(view));
}

status_text format_status(const status_view& view, std::size_t width) {
    return fitted(build(view), width);
}

status_text format_group_status(const group_status_view& view) {
    return whole(build_group(view));
}

status_text format_group_status(const group_status_view& view, std::size_t width) {
    return fitted(build_group(view), width);
}

} // namespace sotto::tui
