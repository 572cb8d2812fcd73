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

std::string join(const std::vector<std::string>& segments, std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) {
        if (i > 0)
            out += separator;
        out += segments[i];
    }
    return out;
}

} // namespace

std::string format_wait(unsigned seconds) {
    if (seconds < 60)
        return std::to_string(seconds) + "s";
    const auto remainder = seconds % 60;
    return std::to_string(seconds / 60) + "m" + (remainder < 10 ? "0" : "") +
           std::to_string(remainder) + "s";
}

status_text format_status(const status_view& view) {
    const auto built = build(view);
    return {join(built.segments, built.segments.size()), built.severity};
}

status_text format_status(const status_view& view, std::size_t width) {
    const auto built = build(view);
    for (auto count = built.segments.size(); count > 1; --count) {
        auto text = join(built.segments, count);
        if (display_width(text) <= width)
            return {std::move(text), built.severity};
    }
    return {truncate_to_width(built.segments.front(), width, ellipsis), built.severity};
}

} // namespace sotto::tui
