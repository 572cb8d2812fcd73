#include "tui/help.h"

#include "tui/commands.h"

namespace sotto::tui {

std::vector<std::string> help_lines(std::span<const binding> bindings, std::string_view topic) {
    for (const auto& command : commands()) {
        if (!topic.empty() && command.name == topic) {
            return {"help - Esc closes", "", std::string(command.usage),
                    "  " + std::string(command.description)};
        }
    }
    std::vector<std::string> lines = {"help - Esc closes, PgUp/PgDn scroll", "", "Keys"};
    for (auto& line : key_help_lines(bindings))
        lines.push_back("  " + line);
    lines.emplace_back();
    lines.emplace_back("Commands (// at the start sends a line that begins with /)");
    for (auto& line : command_help_lines())
        lines.push_back("  " + line);
    lines.emplace_back();
    lines.emplace_back(
        "Contacts: * online, # group, ? new message request, ! key changed, \xE2\x9C\x93 verified");
    return lines;
}

} // namespace sotto::tui
