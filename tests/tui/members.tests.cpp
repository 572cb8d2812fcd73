#include "tui/members.h"

#include "tui/text_width.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace sotto::tui;

namespace {

group_status_view team() {
    group_status_view view;
    view.name = "team";
    view.members.resize(3);
    view.members[0] = {.name = "alice", .you = true, .admin = true};
    view.members[1] = {.name = "bob", .state = handshake_state::established, .online = true};
    view.members[2] = {.name = "carol", .state = handshake_state::offering};
    return view;
}

using strings = std::vector<std::string>;

} // namespace

TEST_CASE("the members overlay lists each member with the admin mark and its session",
          "[tui][members]") {
    CHECK(member_lines(team()) ==
          strings{"#team: 3 members (Esc closes)", "", "  alice  admin, you",
                  "  bob    secure - not verified, online", "  carol  offering key, offline"});
}

TEST_CASE("each session state has its words", "[tui][members]") {
    group_member_view dave{.name = "dave", .state = handshake_state::no_session};
    CHECK(describe_member(dave) == "no session yet, offline");
    dave.state = handshake_state::confirming;
    dave.online = true;
    CHECK(describe_member(dave) == "confirming, online");
    dave.state = handshake_state::established;
    dave.verified = true;
    CHECK(describe_member(dave) == "secure - verified, online");
    dave.admin = true;
    CHECK(describe_member(dave) == "admin, secure - verified, online");
    dave.state = handshake_state::key_changed;
    CHECK(describe_member(dave) == "admin, key CHANGED - /verify dave or /accept dave, online");
}

TEST_CASE("a group I am no longer in says so above its last members", "[tui][members]") {
    auto view = team();
    view.member = false;
    CHECK(member_lines(view).front() ==
          "#team: you are no longer a member; its members when you left (Esc closes)");
}

TEST_CASE("long and hostile member names are cut and made drawable", "[tui][members]") {
    auto view = team();
    view.members[1].name = std::string(40, 'b') + "\x1B[2J";
    view.members[2].name = "c\narol";
    const auto lines = member_lines(view);
    REQUIRE(lines.size() == 5);
    for (const auto& line : lines) {
        CHECK(sanitize(line) == line);
        CHECK(display_width(line) < 80);
    }
    // Names pad to the widest shown, at most 16 columns.
    CHECK(lines[2] == "  alice             admin, you");
}
