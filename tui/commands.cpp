#include "tui/commands.h"

#include "tui/text_width.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace sotto::tui {

namespace {

constexpr std::array command_table = {
    command_info{"msg", "/msg NAME [TEXT]",
                 "open a conversation with NAME (or #GROUP) and send TEXT"},
    command_info{"users", "/users", "list who is online"},
    command_info{"history", "/history [N]", "load N older messages (default: a page)"},
    command_info{"help", "/help [COMMAND]", "show keys and commands"},
    command_info{"quit", "/quit", "leave sotto"},
    command_info{"verify", "/verify NAME", "compare safety numbers with NAME"},
    command_info{"accept", "/accept NAME", "accept NAME's new key after checking it"},
    command_info{"reset", "/reset NAME", "restart the secure session with NAME"},
    command_info{"close", "/close", "close the current conversation"},
    command_info{"group", "/group create NAME MEMBER...",
                 "create the group #NAME with these members and open it"},
    command_info{"invite", "/invite NAME", "add NAME to the current group (admin)"},
    command_info{"remove", "/remove NAME", "remove NAME from the current group (admin)"},
    command_info{"leave", "/leave", "leave the current group"},
    command_info{"rename", "/rename NAME", "rename the current group (admin)"},
    command_info{"members", "/members", "list the current group's members and their sessions"},
    command_info{"export", "/export [md|json] [FILE]", "save this conversation's history"},
    command_info{"search", "/search TEXT", "find TEXT in the current conversation"},
    command_info{"clear", "/clear", "clear the message pane"},
};

constexpr std::size_t max_name_length = 32;

struct word {
    std::string_view text;
    std::size_t begin = 0; // offset in the string that was split
};

bool is_separator(char c) noexcept {
    return c == ' ' || c == '\t';
}

std::vector<word> split(std::string_view text) {
    std::vector<word> words;
    std::size_t at = 0;
    while (at < text.size()) {
        while (at < text.size() && is_separator(text[at]))
            ++at;
        const auto begin = at;
        while (at < text.size() && !is_separator(text[at]))
            ++at;
        if (at > begin)
            words.push_back({text.substr(begin, at - begin), begin});
    }
    return words;
}

std::string_view trim(std::string_view text) noexcept {
    while (!text.empty() && is_separator(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && is_separator(text.back()))
        text.remove_suffix(1);
    return text;
}

char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowercase(std::string_view text) {
    std::string out(text);
    for (auto& c : out)
        c = lower(c);
    return out;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) noexcept {
    if (prefix.size() > text.size())
        return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (lower(text[i]) != lower(prefix[i]))
            return false;
    }
    return true;
}

// An argument echoed in an error: drawable and short.
std::string quoted(std::string_view text) {
    return "'" + truncate_to_width(sanitize(text), 24, "\xE2\x80\xA6") + "'";
}

const command_info* find_command(std::string_view name) noexcept {
    for (const auto& command : command_table) {
        if (command.name == name)
            return &command;
    }
    return nullptr;
}

command_error usage(std::string_view name) {
    const auto* command = find_command(name);
    return {"usage: " + std::string(command != nullptr ? command->usage : name)};
}

// `text` after the first `count` words of `words`, trimmed.
std::string_view rest_after(std::string_view text, const std::vector<word>& words,
                            std::size_t count) {
    if (words.size() <= count)
        return {};
    return trim(text.substr(words[count].begin));
}

std::optional<command_error> check_user(std::string_view command, std::string_view name) {
    if (looks_like_user_name(name))
        return std::nullopt;
    return command_error{"/" + std::string(command) + ": " + quoted(name) + " is not a user name"};
}

std::string_view without_hash(std::string_view name) noexcept {
    if (!name.empty() && name.front() == '#')
        name.remove_prefix(1);
    return name;
}

// The commands that take one user name and nothing else.
template <typename Command>
parsed_line single_user(std::string_view name, const std::vector<word>& args) {
    if (args.size() != 1)
        return usage(name);
    if (auto error = check_user(name, args[0].text))
        return *error;
    return Command{std::string(args[0].text)};
}

parsed_line parse_command(std::string_view body) {
    const auto words = split(body);
    if (words.empty() || words[0].begin != 0) {
        return command_error{"empty command - /help lists the commands"};
    }
    const auto name = lowercase(words[0].text);
    const std::vector<word> args(words.begin() + 1, words.end());
    const auto no_arguments = [&](auto command) -> parsed_line {
        if (!args.empty())
            return usage(name);
        return command;
    };

    if (name == "msg") {
        if (args.empty())
            return usage(name);
        if (args[0].text.starts_with("#")) {
            const auto group = without_hash(args[0].text);
            if (!looks_like_user_name(group))
                return command_error{"/msg: " + quoted(args[0].text) + " is not a group name"};
            return msg_command{std::string(group), std::string(rest_after(body, words, 2)), true};
        }
        if (auto error = check_user(name, args[0].text))
            return *error;
        return msg_command{std::string(args[0].text), std::string(rest_after(body, words, 2))};
    }
    if (name == "users")
        return no_arguments(users_command{});
    if (name == "history") {
        if (args.empty())
            return history_command{};
        if (args.size() > 1)
            return usage(name);
        std::size_t count = 0;
        const auto text = args[0].text;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), count);
        if (error != std::errc{} || end != text.data() + text.size() || count == 0 ||
            count > max_history_count) {
            return command_error{"/history: N must be a number from 1 to " +
                                 std::to_string(max_history_count) + ", not " + quoted(text)};
        }
        return history_command{count};
    }
    if (name == "help") {
        if (args.empty())
            return help_command{};
        if (args.size() > 1)
            return usage(name);
        auto topic = lowercase(args[0].text);
        if (!topic.empty() && topic.front() == '/')
            topic.erase(0, 1);
        if (find_command(topic) == nullptr) {
            return command_error{"/help: no command " + quoted(args[0].text)};
        }
        return help_command{topic};
    }
    if (name == "quit")
        return no_arguments(quit_command{});
    if (name == "verify")
        return single_user<verify_command>(name, args);
    if (name == "accept")
        return single_user<accept_command>(name, args);
    if (name == "reset")
        return single_user<reset_command>(name, args);
    if (name == "close")
        return no_arguments(close_command{});
    if (name == "group") {
        if (args.size() < 3 || lowercase(args[0].text) != "create")
            return usage(name);
        const auto group = without_hash(args[1].text);
        if (!looks_like_user_name(group)) {
            return command_error{"/group: " + quoted(args[1].text) + " is not a group name"};
        }
        group_create_command command{std::string(group), {}};
        for (std::size_t i = 2; i < args.size(); ++i) {
            if (auto error = check_user(name, args[i].text))
                return *error;
            const std::string member(args[i].text);
            if (std::find(command.members.begin(), command.members.end(), member) ==
                command.members.end()) {
                command.members.push_back(member);
            }
        }
        return command;
    }
    if (name == "invite")
        return single_user<invite_command>(name, args);
    if (name == "remove")
        return single_user<remove_command>(name, args);
    if (name == "leave")
        return no_arguments(leave_command{});
    if (name == "rename") {
        if (args.size() != 1)
            return usage(name);
        const auto group = without_hash(args[0].text);
        if (!looks_like_user_name(group)) {
            return command_error{"/rename: " + quoted(args[0].text) + " is not a group name"};
        }
        return rename_command{std::string(group)};
    }
    if (name == "export") {
        export_command command;
        std::size_t file_word = 1; // index in `words` where the file name starts
        if (!args.empty()) {
            const auto format = lowercase(args[0].text);
            if (format == "md" || format == "markdown")
                file_word = 2;
            else if (format == "json") {
                command.format = export_format::json;
                file_word = 2;
            } else if (args.size() > 1 && args[0].text.find('.') == std::string_view::npos &&
                       args[0].text.find('/') == std::string_view::npos) {
                return command_error{"/export: the format is md or json, not " +
                                     quoted(args[0].text)};
            }
        }
        command.file = std::string(rest_after(body, words, file_word));
        if (file_word == 1 && command.file.ends_with(".json"))
            command.format = export_format::json;
        return command;
    }
    if (name == "search") {
        const auto text = rest_after(body, words, 1);
        if (text.empty())
            return usage(name);
        return search_command{std::string(text)};
    }
    if (name == "clear")
        return no_arguments(clear_command{});
    if (name == "members")
        return no_arguments(members_command{});
    return command_error{"unknown command /" +
                         truncate_to_width(sanitize(words[0].text), 24, "\xE2\x80\xA6") +
                         " - /help lists the commands"};
}

std::vector<std::string> matching(std::span<const std::string_view> options,
                                  std::string_view prefix, std::string_view decoration = {}) {
    std::vector<std::string> out;
    for (const auto option : options) {
        std::string candidate(decoration);
        candidate += option;
        if (starts_with_ignoring_case(candidate, prefix))
            out.push_back(std::move(candidate));
    }
    return out;
}

} // namespace

std::optional<command_error> check_conversation(const parsed_line& line,
                                                conversation_kind current) {
    const auto group_only = [&](std::string_view name) -> std::optional<command_error> {
        if (current == conversation_kind::group)
            return std::nullopt;
        return command_error{
            "/" + std::string(name) +
            " works in a group tab - switch to one or /group create NAME MEMBER..."};
    };
    if (std::holds_alternative<invite_command>(line))
        return group_only("invite");
    if (std::holds_alternative<remove_command>(line))
        return group_only("remove");
    if (std::holds_alternative<leave_command>(line))
        return group_only("leave");
    if (std::holds_alternative<rename_command>(line))
        return group_only("rename");
    if (std::holds_alternative<members_command>(line))
        return group_only("members");
    if (std::holds_alternative<export_command>(line) && current == conversation_kind::group)
        return command_error{"/export saves direct conversations; a group's history stays here"};
    return std::nullopt;
}

bool looks_like_user_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > max_name_length)
        return false;
    const auto alphanumeric = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    if (!alphanumeric(name.front()))
        return false;
    return std::all_of(name.begin(), name.end(),
                       [&](char c) { return alphanumeric(c) || c == '.' || c == '_' || c == '-'; });
}

parsed_line parse_line(std::string_view line) {
    if (trim(line).empty())
        return blank_line{};
    if (line.front() != '/')
        return send_text{std::string(line)};
    if (line.starts_with("//"))
        return send_text{std::string(line.substr(1))};
    return parse_command(line.substr(1));
}

std::span<const command_info> commands() noexcept {
    return command_table;
}

std::vector<std::string> command_help_lines() {
    std::size_t widest = 0;
    for (const auto& command : command_table)
        widest = std::max(widest, display_width(command.usage));
    std::vector<std::string> lines;
    for (const auto& command : command_table) {
        lines.push_back(pad_to_width(command.usage, widest + 2) + std::string(command.description));
    }
    return lines;
}

completion find_completions(std::string_view line, std::size_t cursor,
                            std::span<const std::string> user_names,
                            std::span<const std::string> group_names) {
    cursor = std::min(cursor, line.size());
    const auto before = line.substr(0, cursor);
    const auto space = before.find_last_of(" \t");
    completion found;
    found.begin = space == std::string_view::npos ? 0 : space + 1;
    found.end = cursor;
    const auto typed = line.substr(found.begin, found.end - found.begin);

    std::vector<std::string_view> users(user_names.begin(), user_names.end());
    std::vector<std::string_view> groups(group_names.begin(), group_names.end());
    std::vector<std::string_view> names;
    for (const auto& command : command_table)
        names.push_back(command.name);

    const bool is_command = line.starts_with("/") && !line.starts_with("//");
    if (!is_command) {
        if (!typed.empty())
            found.candidates = matching(users, typed);
    } else if (found.begin == 0) {
        found.candidates = matching(names, typed, "/");
    } else {
        const auto words = split(line.substr(0, found.begin));
        const auto command = lowercase(words.front().text.substr(1));
        const auto argument = words.size() - 1; // index of the argument being completed
        static constexpr std::array<std::string_view, 1> create = {"create"};
        static constexpr std::array<std::string_view, 2> formats = {"md", "json"};
        if (command == "msg" && argument == 0) {
            // Groups once a '#' is typed, so "/msg " and Tab still cycles through people.
            found.candidates =
                typed.starts_with("#") ? matching(groups, typed, "#") : matching(users, typed);
        } else if ((command == "verify" || command == "accept" || command == "reset" ||
                    command == "invite" || command == "remove") &&
                   argument == 0) {
            found.candidates = matching(users, typed);
        } else if (command == "group" && argument == 0) {
            found.candidates = matching(create, typed);
        } else if (command == "group" && argument >= 2 && lowercase(words[1].text) == "create") {
            found.candidates = matching(users, typed);
        } else if (command == "help" && argument == 0) {
            found.candidates = matching(names, typed);
        } else if (command == "export" && argument == 0) {
            found.candidates = matching(formats, typed);
        }
    }
    std::sort(found.candidates.begin(), found.candidates.end());
    found.candidates.erase(std::unique(found.candidates.begin(), found.candidates.end()),
                           found.candidates.end());
    return found;
}

std::string common_prefix(std::span<const std::string> candidates) {
    if (candidates.empty())
        return {};
    std::size_t length = candidates.front().size();
    for (const auto& candidate : candidates.subspan(1)) {
        std::size_t same = 0;
        while (same < length && same < candidate.size() &&
               lower(candidate[same]) == lower(candidates.front()[same])) {
            ++same;
        }
        length = same;
    }
    // Never end inside a multi-byte character.
    const std::string_view first = candidates.front();
    std::size_t cut = 0;
    while (cut < length) {
        const auto next = cut + decode_utf8(first.substr(cut)).length;
        if (next > length)
            break;
        cut = next;
    }
    return std::string(first.substr(0, cut));
}

completed_line apply_completion(std::string_view line, const completion& found,
                                std::optional<std::size_t> index) {
    completed_line out{std::string(line), std::min(found.end, line.size())};
    if (found.candidates.empty() || found.begin > found.end || found.end > line.size())
        return out;
    if (index && *index >= found.candidates.size())
        return out;
    const bool unique = found.candidates.size() == 1;
    std::string replacement = index    ? found.candidates[*index]
                              : unique ? found.candidates.front()
                                       : common_prefix(found.candidates);
    const auto typed = line.substr(found.begin, found.end - found.begin);
    if (!index && !unique && replacement.size() < typed.size())
        replacement = std::string(typed);
    const bool add_space = unique && (found.end == line.size() || line[found.end] != ' ');
    if (add_space)
        replacement += ' ';
    out.text = std::string(line.substr(0, found.begin)) + replacement +
               std::string(line.substr(found.end));
    out.cursor = found.begin + replacement.size() + (unique && !add_space ? 1 : 0);
    return out;
}

} // namespace sotto::tui
