#include "tui/status_line.h"

#include "tui/text_width.h"

#include <catch2/catch.hpp>

#include <string>

using namespace sotto::tui;

namespace {

status_view bob(handshake_state state) {
    status_view view;
    view.peer = "bob";
    view.state = state;
    return view;
}

} // namespace

TEST_CASE("an offer in flight shows presence, resends and the next attempt", "[tui][status_line]") {
    auto view = bob(handshake_state::offering);
    view.resend_count = 3;
    view.seconds_to_next_resend = 16;
    const auto status = format_status(view);
    CHECK(status.text == "offering key to bob (bob offline, resent 3x, next in 16s)");
    CHECK(status.severity == status_severity::pending);

    view.peer_online = true;
    view.resend_count = 0;
    view.seconds_to_next_resend.reset();
    CHECK(format_status(view).text == "offering key to bob (bob online)");
    view.seconds_to_next_resend = 75;
    CHECK(format_status(view).text == "offering key to bob (bob online, next in 1m15s)");
}

TEST_CASE("confirming names the peer", "[tui][status_line]") {
    auto view = bob(handshake_state::confirming);
    view.peer_online = true;
    const auto status = format_status(view);
    CHECK(status.text == "confirming with bob | bob online");
    CHECK(status.severity == status_severity::pending);
    CHECK(format_status(view, 19).text == "confirming with bob");
}

TEST_CASE("an established session says whether it is verified", "[tui][status_line]") {
    auto view = bob(handshake_state::established);
    view.peer_online = true;
    view.verified = true;
    view.ratchet_message_number = 42;
    auto status = format_status(view);
    CHECK(status.text == "secure - verified | bob online | ratchet #42");
    CHECK(status.severity == status_severity::secure);

    view.verified = false;
    view.peer_online = false;
    view.ratchet_message_number.reset();
    status = format_status(view);
    CHECK(status.text == "secure - not verified (/verify bob) | bob offline");
    CHECK(status.severity == status_severity::unverified);
}

TEST_CASE("a changed key is impossible to miss and says what to do", "[tui][status_line]") {
    auto view = bob(handshake_state::key_changed);
    view.verified = true; // a stale verification does not soften the warning
    view.peer_online = true;
    const auto status = format_status(view);
    CHECK(status.text == "bob's key CHANGED - /verify bob or /accept bob");
    CHECK(status.severity == status_severity::danger);
}

TEST_CASE("no session and no conversation have their own words", "[tui][status_line]") {
    const auto view = bob(handshake_state::no_session);
    CHECK(format_status(view).text ==
          "no secure session with bob yet - a message starts one | bob offline");
    CHECK(format_status(view).severity == status_severity::neutral);
    status_view nobody;
    CHECK(format_status(nobody).text == "no conversation - /msg NAME starts one");
}

TEST_CASE("narrow widths drop the trailing segments first and then cut with an ellipsis",
          "[tui][status_line]") {
    auto view = bob(handshake_state::established);
    view.peer_online = true;
    view.verified = true;
    view.ratchet_message_number = 42;
    CHECK(format_status(view, 80).text == "secure - verified | bob online | ratchet #42");
    CHECK(format_status(view, 44).text == "secure - verified | bob online | ratchet #42");
    CHECK(format_status(view, 43).text == "secure - verified | bob online");
    CHECK(format_status(view, 30).text == "secure - verified | bob online");
    CHECK(format_status(view, 29).text == "secure - verified");
    CHECK(format_status(view, 10).text == "secure - \xE2\x80\xA6");
    CHECK(format_status(view, 1).text == "\xE2\x80\xA6");
    CHECK(format_status(view, 0).text.empty());
    CHECK(format_status(view, 0).severity == status_severity::secure);

    auto changed = bob(handshake_state::key_changed);
    CHECK(format_status(changed, 20).text == "bob's key CHANGED -\xE2\x80\xA6");
}

TEST_CASE("every state fits every width", "[tui][status_line]") {
    for (const auto state :
         {handshake_state::no_session, handshake_state::offering, handshake_state::confirming,
          handshake_state::established, handshake_state::key_changed}) {
        auto view = bob(state);
        view.peer = "\xE4\xB8\xAD\xE6\x96\x87\xE5\x90\x8D"; // a CJK user name, 6 columns
        view.resend_count = 12;
        view.seconds_to_next_resend = 59;
        view.ratchet_message_number = 123456789;
        for (std::size_t width = 0; width < 100; ++width) {
            REQUIRE(display_width(format_status(view, width).text) <= width);
        }
    }
}

TEST_CASE("a hostile peer name cannot reach the terminal as control characters",
          "[tui][status_line]") {
    auto view = bob(handshake_state::key_changed);
    view.peer = "bob\x1B[2J\n";
    const auto text = format_status(view).text;
    CHECK(text.find('\x1B') == std::string::npos);
    CHECK(text.find('\n') == std::string::npos);
    CHECK(sanitize(text) == text);
}

TEST_CASE("waits read as seconds or minutes and seconds", "[tui][status_line]") {
    CHECK(format_wait(0) == "0s");
    CHECK(format_wait(16) == "16s");
    CHECK(format_wait(59) == "59s");
    CHECK(format_wait(60) == "1m00s");
    CHECK(format_wait(61) == "1m01s");
    CHECK(format_wait(3600) == "60m00s");
}

namespace {

group_member_view member(std::string name, handshake_state state, bool online = true,
                         bool verified = false) {
    group_member_view view;
    view.name = std::move(name);
    view.state = state;
    view.online = online;
    view.verified = verified;
    return view;
}

// #team of DESIGN.md: alice (you, admin), bob and dave secure, carol still being offered a key.
group_status_view team() {
    group_status_view view;
    view.name = "team";
    group_member_view alice;
    alice.name = "alice";
    alice.you = true;
    alice.admin = true;
    view.members = {alice, member("bob", handshake_state::established),
                    member("carol", handshake_state::offering, false),
                    member("dave", handshake_state::established)};
    return view;
}

} // namespace

TEST_CASE("a group's line counts members and secure sessions and names who it waits for",
          "[tui][status_line][group]") {
    auto view = team();
    auto status = format_group_status(view);
    CHECK(status.text ==
          "#team: 4 members, secure with 2, waiting for carol's key | 2 of 3 online");
    CHECK(status.severity == status_severity::pending);

    view.members[1].state = handshake_state::confirming;
    CHECK(format_group_status(view).text ==
          "#team: 4 members, secure with 1, waiting for keys from bob and carol | 2 of 3 online");
    view.members[3].state = handshake_state::no_session;
    CHECK(format_group_status(view).text == "#team: 4 members, secure with none yet, waiting for "
                                            "keys from bob, carol and dave | 2 of 3 online");
}

TEST_CASE("a group secure with every member says whether all are verified",
          "[tui][status_line][group]") {
    auto view = team();
    view.members[2].state = handshake_state::established;
    auto status = format_group_status(view);
    CHECK(status.text == "#team: 4 members, secure with all 3 | 3 not verified | 2 of 3 online");
    CHECK(status.severity == status_severity::unverified);

    view.members[1].verified = true;
    view.members[3].verified = true;
    CHECK(format_group_status(view).text ==
          "#team: 4 members, secure with all 3 | carol not verified | 2 of 3 online");
    view.members[2].verified = true;
    status = format_group_status(view);
    CHECK(status.text == "#team: 4 members, secure with all 3 | all verified | 2 of 3 online");
    CHECK(status.severity == status_severity::secure);

    view.members.resize(2);
    CHECK(format_group_status(view).text ==
          "#team: 2 members, secure with bob | all verified | 1 of 1 online");
}

TEST_CASE("a changed key in a group is danger and names the member", "[tui][status_line][group]") {
    auto view = team();
    view.members[3].state = handshake_state::key_changed;
    auto status = format_group_status(view);
    CHECK(status.text == "#team: dave's key CHANGED - /verify dave or /accept dave | 4 members");
    CHECK(status.severity == status_severity::danger);
    view.members[1].state = handshake_state::key_changed;
    CHECK(format_group_status(view).text ==
          "#team: keys CHANGED for bob and dave - /members, then /verify each | 4 members");
}

TEST_CASE("a group without others or without me says so", "[tui][status_line][group]") {
    auto view = team();
    view.members.resize(1);
    CHECK(format_group_status(view).text == "#team: only you - /invite NAME adds someone");
    view.member = false;
    const auto status = format_group_status(view);
    CHECK(status.text == "#team: you are no longer a member");
    CHECK(status.severity == status_severity::neutral);
}

TEST_CASE("a group's line fits every width and keeps hostile names drawable",
          "[tui][status_line][group]") {
    auto view = team();
    view.name = "t\x1B[2J\xE4\xB8\xAD";
    view.members[2].name = "c\narol";
    for (std::size_t width = 0; width < 120; ++width) {
        const auto status = format_group_status(view, width);
        REQUIRE(display_width(status.text) <= width);
        REQUIRE(sanitize(status.text) == status.text);
        REQUIRE(status.severity == status_severity::pending);
    }
    CHECK(format_group_status(team(), 57).text ==
          "#team: 4 members, secure with 2, waiting for carol's key");
}

TEST_CASE("names join with commas and 'and', and many become 'others'",
          "[tui][status_line][group]") {
    using names = std::vector<std::string>;
    CHECK(join_names({}).empty());
    CHECK(join_names(names{"carol"}) == "carol");
    CHECK(join_names(names{"carol", "dave"}) == "carol and dave");
    CHECK(join_names(names{"bob", "carol", "dave"}) == "bob, carol and dave");
    CHECK(join_names(names{"bob", "carol", "dave", "erin"}) == "bob, carol and 2 others");
}
