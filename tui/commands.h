#pragma once
// What a submitted input line means: text to send, a /command with checked arguments, or a
// one-line error. And Tab completion of command names, arguments and user names. Pure functions.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sotto::tui {

struct blank_line {}; // nothing to do
struct send_text {
    std::string text;
}; // a message for the current conversation
struct msg_command {
    std::string user; // or a group's name, without '#'
    std::string text;
    bool group = false; // "/msg #team": the group's tab
};                      // empty text: only open it
struct users_command {};
struct history_command {
    std::optional<std::size_t> count;
};
struct help_command {
    std::string topic;
}; // a command name without '/', or empty
struct quit_command {};
struct verify_command {
    std::string user;
};
struct accept_command {
    std::string user;
};
struct reset_command {
    std::string user;
};
struct close_command {};
struct group_create_command {
    std::string name;
    std::vector<std::string> members;
};
struct invite_command {
    std::string user;
}; // to the current group
struct remove_command {
    std::string user;
}; // from the current group
struct leave_command {};
struct rename_command {
    std::string name;
}; // the current group's new name, without '#'
enum class export_format { markdown, json };
struct export_command {
    export_format format = export_format::markdown;
    std::string file;
}; // file empty: default
struct search_command {
    std::string text;
};
struct clear_command {};
struct members_command {};
struct command_error {
    std::string message;
}; // one line, safe to draw

using parsed_line = std::variant<blank_line, send_text, msg_command, users_command, history_command,
                                 help_command, quit_command, verify_command, accept_command,
                                 reset_command, close_command, group_create_command, invite_command,
                                 remove_command, leave_command, rename_command, export_command,
                                 search_command, clear_command, members_command, command_error>;

inline constexpr std::size_t max_history_count = 100000;

// Parses a submitted line. A line starting with '/' is a command (names are case-insensitive),
// "//text" sends the literal "/text", a line of spaces is blank, anything else is text to send
// as typed. Unknown commands and bad arguments give a command_error naming the usage; never
// throws on any input.
[[nodiscard]] parsed_line parse_line(std::string_view line);

enum class conversation_kind { none, direct, group };

// Whether `line` may run in the current conversation: /invite, /remove, /leave, /rename and
// /members act on the current group and give a one-line error outside a group tab; /export saves
// direct conversations only. nullopt: it may run.
[[nodiscard]] std::optional<command_error> check_conversation(const parsed_line& line,
                                                              conversation_kind current);

// The shape the TUI accepts for user and group names before asking the relay, which has the last
// word: 1 to 32 characters from A-Z a-z 0-9 . _ -, starting with a letter or digit.
[[nodiscard]] bool looks_like_user_name(std::string_view name) noexcept;

struct command_info {
    std::string_view name;  // without '/'
    std::string_view usage; // "/msg NAME [TEXT]"
    std::string_view description;
};

// Every command, in /help order.
[[nodiscard]] std::span<const command_info> commands() noexcept;
// commands() as aligned help lines: "/msg NAME [TEXT]    open a conversation and send TEXT".
[[nodiscard]] std::vector<std::string> command_help_lines();

struct completion {
    std::size_t begin = 0; // byte range of the word being completed (it ends at the cursor)
    std::size_t end = 0;
    std::vector<std::string> candidates; // sorted, distinct; empty: nothing completes
};

// What the word before `cursor` could become: a command name after a leading '/', an argument
// of the command (user names where it takes a user, "#group" names after "/msg #", md/json for
// /export, ...), or a user name in plain text. Matching ignores ASCII case. `cursor` beyond the
// end counts as the end.
[[nodiscard]] completion find_completions(std::string_view line, std::size_t cursor,
                                          std::span<const std::string> user_names,
                                          std::span<const std::string> group_names = {});

// The longest prefix all candidates share (ASCII case-insensitively, spelled as the first).
[[nodiscard]] std::string common_prefix(std::span<const std::string> candidates);

struct completed_line {
    std::string text;
    std::size_t cursor = 0;
};

// `line` with the completed word replaced by candidates[index] followed by a space when it is
// the only candidate, or by their common prefix when `index` is nullopt (the first Tab); the
// cursor ends after the inserted text. An index out of range or no candidates leave the line.
[[nodiscard]] completed_line apply_completion(std::string_view line, const completion& found,
                                              std::optional<std::size_t> index);

} // namespace sotto::tui
