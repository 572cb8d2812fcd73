#include "tui/help.h"

#include "tui/commands.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace sotto::tui;

namespace {

bool mentions(const std::vector<std::string>& lines, std::string_view text) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
        return line.find(text) != std::string::npos;
    });
}

} // namespace

TEST_CASE("the help lists every command and the keys of every bound action", "[tui][help]") {
    const auto lines = help_lines();
    for (const auto& command : commands()) {
        INFO(command.name);
        CHECK(mentions(lines, command.usage));
    }
    for (const auto& b : default_bindings()) {
        INFO(action_name(b.run));
        // The switch keys are listed as the range Alt+1..Alt+9.
        if (conversation_number(b.run))
            continue;
        CHECK(mentions(lines, key_name(b.trigger)));
    }
    CHECK(mentions(lines, "Alt+1..Alt+9"));
    CHECK(mentions(lines, "Contacts: * online"));
}

TEST_CASE("help on one command shows its usage only", "[tui][help]") {
    const auto lines = help_lines(default_bindings(), "verify");
    CHECK(mentions(lines, "/verify NAME"));
    CHECK_FALSE(mentions(lines, "/msg"));
    CHECK(help_lines(default_bindings(), "nonsense").size() == help_lines().size());
}
