#include "tui/commands.h"

#include "tui/text_width.h"

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

using namespace sotto::tui;

namespace {

template <typename T>
T as(const parsed_line& parsed) {
    INFO("variant index " << parsed.index());
    REQUIRE(std::holds_alternative<T>(parsed));
    return std::get<T>(parsed);
}

std::string error_of(std::string_view line) {
    return as<command_error>(parse_line(line)).message;
}

const std::vector<std::string> users = {"bob", "bobby", "carol", "Dave", "alice"};

std::vector<std::string> candidates(std::string_view line,
                                    std::size_t cursor = std::string_view::npos) {
    return find_completions(line, cursor, users).candidates;
}

using strings = std::vector<std::string>;

} // namespace

TEST_CASE("plain text is sent as typed and a blank line does nothing", "[tui][commands]") {
    CHECK(as<send_text>(parse_line("hello there ")).text == "hello there ");
    CHECK(as<send_text>(parse_line(" /msg bob hi")).text == " /msg bob hi");
    CHECK(as<send_text>(parse_line("\xE4\xB8\xAD\xF0\x9F\x98\x80")).text ==
          "\xE4\xB8\xAD\xF0\x9F\x98\x80");
    as<blank_line>(parse_line(""));
    as<blank_line>(parse_line("    "));
}

TEST_CASE("a double slash sends a literal slash", "[tui][commands]") {
    CHECK(as<send_text>(parse_line("//msg is a command")).text == "/msg is a command");
    CHECK(as<send_text>(parse_line("//")).text == "/");
    CHECK(as<send_text>(parse_line("///")).text == "//");
}

TEST_CASE("msg takes a user and optional text", "[tui][commands]") {
    const auto with_text = as<msg_command>(parse_line("/msg bob  are you there?  "));
    CHECK(with_text.user == "bob");
    CHECK(with_text.text == "are you there?");
    const auto open_only = as<msg_command>(parse_line("/msg carol"));
    CHECK(open_only.user == "carol");
    CHECK(open_only.text.empty());
    CHECK(error_of("/msg") == "usage: /msg NAME [TEXT]");
    CHECK(error_of("/msg b@d hi") == "/msg: 'b@d' is not a user name");
}

TEST_CASE("command names ignore case", "[tui][commands]") {
    CHECK(as<msg_command>(parse_line("/MSG bob hi")).user == "bob");
    as<quit_command>(parse_line("/Quit"));
}

TEST_CASE("commands without arguments refuse arguments", "[tui][commands]") {
    as<users_command>(parse_line("/users"));
    as<quit_command>(parse_line("/quit"));
    as<close_command>(parse_line("/close"));
    as<clear_command>(parse_line("/clear"));
    as<members_command>(parse_line("/members  "));
    CHECK(error_of("/quit now") == "usage: /quit");
    CHECK(error_of("/users all") == "usage: /users");
    CHECK(error_of("/close 2") == "usage: /close");
    CHECK(error_of("/clear x") == "usage: /clear");
    CHECK(error_of("/members x") == "usage: /members");
}

TEST_CASE("history takes an optional positive count within bounds", "[tui][commands]") {
    CHECK_FALSE(as<history_command>(parse_line("/history")).count);
    CHECK(as<history_command>(parse_line("/history 50")).count == 50u);
    CHECK(as<history_command>(parse_line("/history 100000")).count == 100000u);
    const std::string bounds = "/history: N must be a number from 1 to 100000, not ";
    CHECK(error_of("/history 0") == bounds + "'0'");
    CHECK(error_of("/history -5") == bounds + "'-5'");
    CHECK(error_of("/history 100001") == bounds + "'100001'");
    CHECK(error_of("/history 12abc") == bounds + "'12abc'");
    CHECK(error_of("/history 99999999999999999999999") == bounds + "'99999999999999999999999'");
    CHECK(error_of("/history 1 2") == "usage: /history [N]");
}

TEST_CASE("verify accept reset and invite take exactly one user", "[tui][commands]") {
    CHECK(as<verify_command>(parse_line("/verify bob")).user == "bob");
    CHECK(as<accept_command>(parse_line("/accept bob")).user == "bob");
    CHECK(as<reset_command>(parse_line("/reset bob")).user == "bob");
    CHECK(as<invite_command>(parse_line("/invite carol")).user == "carol");
    CHECK(error_of("/verify") == "usage: /verify NAME");
    CHECK(error_of("/accept bob carol") == "usage: /accept NAME");
    CHECK(error_of("/reset") == "usage: /reset NAME");
    CHECK(error_of("/invite") == "usage: /invite NAME");
    CHECK(error_of("/verify -bob") == "/verify: '-bob' is not a user name");
}

TEST_CASE("group create takes a name and members and drops repeated members", "[tui][commands]") {
    const auto group = as<group_create_command>(parse_line("/group create #team bob carol bob"));
    CHECK(group.name == "team");
    CHECK(group.members == strings{"bob", "carol"});
    CHECK(as<group_create_command>(parse_line("/group CREATE team bob")).name == "team");
    CHECK(error_of("/group") == "usage: /group create NAME MEMBER...");
    CHECK(error_of("/group create team") == "usage: /group create NAME MEMBER...");
    CHECK(error_of("/group delete team bob") == "usage: /group create NAME MEMBER...");
    CHECK(error_of("/group create # bob") == "/group: '#' is not a group name");
    CHECK(error_of("/group create team bob c*rol") == "/group: 'c*rol' is not a user name");
}

TEST_CASE("msg with a hash opens a group by name", "[tui][commands][group]") {
    const auto open = as<msg_command>(parse_line("/msg #team"));
    CHECK(open.user == "team");
    CHECK(open.group);
    CHECK(open.text.empty());
    const auto send = as<msg_command>(parse_line("/msg #team  hi all "));
    CHECK(send.group);
    CHECK(send.text == "hi all");
    CHECK_FALSE(as<msg_command>(parse_line("/msg bob hi")).group);
    CHECK(error_of("/msg #") == "/msg: '#' is not a group name");
    CHECK(error_of("/msg #t*am hi") == "/msg: '#t*am' is not a group name");
}

TEST_CASE("msg completes group names with their hash after the user names",
          "[tui][commands][group]") {
    const std::vector<std::string> groups = {"team", "Bobsleigh"};
    const auto complete = [&](std::string_view line) {
        return find_completions(line, line.size(), users, groups).candidates;
    };
    CHECK(complete("/msg #") == strings{"#Bobsleigh", "#team"});
    CHECK(complete("/msg #t") == strings{"#team"});
    CHECK(complete("/msg b") == strings{"bob", "bobby"});
    CHECK(complete("/invite #").empty());
    CHECK(complete("hi #t").empty());
}

TEST_CASE("remove takes one member, rename one group name and leave nothing", "[tui][commands]") {
    CHECK(as<remove_command>(parse_line("/remove carol")).user == "carol");
    CHECK(as<remove_command>(parse_line("/REMOVE  carol ")).user == "carol");
    CHECK(error_of("/remove") == "usage: /remove NAME");
    CHECK(error_of("/remove carol dave") == "usage: /remove NAME");
    CHECK(error_of("/remove c*rol") == "/remove: 'c*rol' is not a user name");
    as<leave_command>(parse_line("/leave"));
    CHECK(error_of("/leave now") == "usage: /leave");
    CHECK(as<rename_command>(parse_line("/rename #crew")).name == "crew");
    CHECK(as<rename_command>(parse_line("/rename crew")).name == "crew");
    CHECK(error_of("/rename") == "usage: /rename NAME");
    CHECK(error_of("/rename the crew") == "usage: /rename NAME");
    CHECK(error_of("/rename #") == "/rename: '#' is not a group name");
}

TEST_CASE("group commands outside a group tab give a one-line error", "[tui][commands]") {
    for (const auto* line :
         {"/invite carol", "/remove carol", "/leave", "/rename crew", "/members"}) {
        INFO(line);
        const auto parsed = parse_line(line);
        for (const auto kind : {conversation_kind::none, conversation_kind::direct}) {
            const auto error = check_conversation(parsed, kind);
            REQUIRE(error);
            CHECK(error->message.find(" works in a group tab") != std::string::npos);
            CHECK(error->message.find('\n') == std::string::npos);
        }
        CHECK_FALSE(check_conversation(parsed, conversation_kind::group));
    }
    CHECK(check_conversation(parse_line("/invite carol"), conversation_kind::direct)->message ==
          "/invite works in a group tab - switch to one or /group create NAME MEMBER...");
}

TEST_CASE("export runs in a direct conversation and other commands anywhere", "[tui][commands]") {
    CHECK(check_conversation(parse_line("/export"), conversation_kind::group));
    CHECK_FALSE(check_conversation(parse_line("/export"), conversation_kind::direct));
    for (const auto* line : {"/msg bob hi", "hello", "/group create team bob", "/verify bob",
                             "/history", "/search x", "/close", "/help"}) {
        INFO(line);
        for (const auto kind :
             {conversation_kind::none, conversation_kind::direct, conversation_kind::group})
            CHECK_FALSE(check_conversation(parse_line(line), kind));
    }
}

TEST_CASE("export takes an optional format and an optional file", "[tui][commands]") {
    const auto plain = as<export_command>(parse_line("/export"));
    CHECK(plain.format == export_format::markdown);
    CHECK(plain.file.empty());
    CHECK(as<export_command>(parse_line("/export json")).format == export_format::json);
    const auto both = as<export_command>(parse_line("/export md ~/chat with bob.md"));
    CHECK(both.format == export_format::markdown);
    CHECK(both.file == "~/chat with bob.md");
    const auto by_extension = as<export_command>(parse_line("/export bob.json"));
    CHECK(by_extension.format == export_format::json);
    CHECK(by_extension.file == "bob.json");
    CHECK(as<export_command>(parse_line("/export JSON out.txt")).format == export_format::json);
    CHECK(error_of("/export pdf out.pdf") == "/export: the format is md or json, not 'pdf'");
}

TEST_CASE("search takes the rest of the line and help an optional known command",
          "[tui][commands]") {
    CHECK(as<search_command>(parse_line("/search  the file  ")).text == "the file");
    CHECK(error_of("/search") == "usage: /search TEXT");
    CHECK(as<help_command>(parse_line("/help")).topic.empty());
    CHECK(as<help_command>(parse_line("/help msg")).topic == "msg");
    CHECK(as<help_command>(parse_line("/help /Export")).topic == "export");
    CHECK(error_of("/help fly") == "/help: no command 'fly'");
}

TEST_CASE("unknown and empty commands give a one-line error", "[tui][commands]") {
    CHECK(error_of("/frobnicate x") == "unknown command /frobnicate - /help lists the commands");
    CHECK(error_of("/") == "empty command - /help lists the commands");
    CHECK(error_of("/ msg bob") == "empty command - /help lists the commands");
    const auto hostile = error_of("/\x1B[2J\x1B]0;owned\x07" + std::string(500, 'x'));
    CHECK(hostile.find('\x1B') == std::string::npos);
    CHECK(hostile.find('\n') == std::string::npos);
    CHECK(display_width(hostile) < 80);
    CHECK(sanitize(hostile) == hostile);
}

TEST_CASE("random lines never throw and errors stay one drawable line", "[tui][commands]") {
    std::mt19937 engine(1234);
    const std::vector<std::string> pieces = {
        "/",  "//", " ",    "msg",  "group", "create", "export",       "history", "bob",
        "#t", "1",  "json", "\xFF", "\x1B",  "\n",     "\xE4\xB8\xAD", "-"};
    std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
    for (int round = 0; round < 5000; ++round) {
        std::string line;
        for (int i = 0; i < round % 9; ++i)
            line += pieces[pick(engine)];
        const auto parsed = parse_line(line);
        if (const auto* error = std::get_if<command_error>(&parsed)) {
            REQUIRE(error->message.find('\n') == std::string::npos);
            REQUIRE(sanitize(error->message) == error->message);
            REQUIRE(!error->message.empty());
        }
        for (std::size_t cursor = 0; cursor <= line.size(); cursor += 3) {
            const auto found = find_completions(line, cursor, users);
            REQUIRE(found.begin <= found.end);
            REQUIRE(found.end <= line.size());
            for (std::size_t i = 0; i < found.candidates.size(); ++i)
                (void)apply_completion(line, found, i);
            (void)apply_completion(line, found, std::nullopt);
        }
    }
}

TEST_CASE("every command is in the help with its usage", "[tui][commands]") {
    const auto lines = command_help_lines();
    REQUIRE(lines.size() == commands().size());
    for (const auto* name :
         {"msg", "users", "history", "help", "quit", "verify", "accept", "reset", "close", "group",
          "invite", "remove", "leave", "rename", "members", "export", "search", "clear"}) {
        INFO(name);
        const auto found = std::find_if(lines.begin(), lines.end(), [&](const std::string& line) {
            return line.rfind("/" + std::string(name), 0) == 0;
        });
        CHECK(found != lines.end());
        // Each listed command parses to something other than "unknown command".
        const auto parsed = parse_line("/" + std::string(name));
        if (const auto* error = std::get_if<command_error>(&parsed)) {
            CHECK(error->message.find("unknown") == std::string::npos);
        }
    }
}

TEST_CASE("user names have a conservative shape", "[tui][commands]") {
    CHECK(looks_like_user_name("bob"));
    CHECK(looks_like_user_name("Bob_99.x-y"));
    CHECK(looks_like_user_name(std::string(32, 'a')));
    CHECK_FALSE(looks_like_user_name(std::string(33, 'a')));
    CHECK_FALSE(looks_like_user_name(""));
    CHECK_FALSE(looks_like_user_name("_bob"));
    CHECK_FALSE(looks_like_user_name("bob smith"));
    CHECK_FALSE(looks_like_user_name("b\xC3\xB6"
                                     "b"));
}

TEST_CASE("tab completes command names after a leading slash", "[tui][commands]") {
    CHECK(candidates("/").size() == commands().size());
    CHECK(candidates("/m") == strings{"/members", "/msg"});
    CHECK(candidates("/ms") == strings{"/msg"});
    CHECK(candidates("/Q") == strings{"/quit"});
    CHECK(candidates("/zz").empty());
    CHECK(candidates("//m").empty());
}

TEST_CASE("tab completes user names where a command takes a user", "[tui][commands]") {
    CHECK(candidates("/msg b") == strings{"bob", "bobby"});
    CHECK(candidates("/msg ") == strings{"Dave", "alice", "bob", "bobby", "carol"});
    CHECK(candidates("/verify d") == strings{"Dave"});
    CHECK(candidates("/msg bob hel").empty());
    CHECK(candidates("/group c") == strings{"create"});
    CHECK(candidates("/group create team c") == strings{"carol"});
    CHECK(candidates("/group create team bob a") == strings{"alice"});
    CHECK(candidates("/invite c") == strings{"carol"});
    CHECK(candidates("/remove bo") == strings{"bob", "bobby"});
    CHECK(candidates("/rename b").empty());
    CHECK(candidates("/le") == strings{"/leave"});
    CHECK(candidates("/help ex") == strings{"export"});
    CHECK(candidates("/export j") == strings{"json"});
    CHECK(candidates("/quit b").empty());
}

TEST_CASE("tab completes user names in plain text at the cursor", "[tui][commands]") {
    CHECK(candidates("hi car") == strings{"carol"});
    CHECK(candidates("hi car and bo", 6) == strings{"carol"});
    CHECK(candidates("hi ").empty());
    CHECK(candidates("").empty());
}

TEST_CASE("applying a completion replaces the word and adds a space when unique",
          "[tui][commands]") {
    const auto unique =
        apply_completion("/msg car", find_completions("/msg car", 8, users), std::nullopt);
    CHECK(unique.text == "/msg carol ");
    CHECK(unique.cursor == 11);

    const auto partial =
        apply_completion("/msg b", find_completions("/msg b", 6, users), std::nullopt);
    CHECK(partial.text == "/msg bob");
    CHECK(partial.cursor == 8);

    const auto second = apply_completion("/msg b", find_completions("/msg b", 6, users), 1);
    CHECK(second.text == "/msg bobby");

    const auto middle =
        apply_completion("hi car and", find_completions("hi car and", 6, users), std::nullopt);
    CHECK(middle.text == "hi carol and");
    CHECK(middle.cursor == 9);

    const auto none =
        apply_completion("/msg zed", find_completions("/msg zed", 8, users), std::nullopt);
    CHECK(none.text == "/msg zed");
    const auto out_of_range = apply_completion("/msg b", find_completions("/msg b", 6, users), 7);
    CHECK(out_of_range.text == "/msg b");
}

TEST_CASE("the common prefix ignores case and never splits a character", "[tui][commands]") {
    CHECK(common_prefix(strings{"bob", "bobby"}) == "bob");
    CHECK(common_prefix(strings{"Dave", "david"}) == "Dav");
    CHECK(common_prefix(strings{"x"}) == "x");
    CHECK(common_prefix(strings{}).empty());
    CHECK(common_prefix(strings{"\xC3\xA9t\xC3\xA9", "\xC3\xA9t\xC3\xA0"}) == "\xC3\xA9t");
}
