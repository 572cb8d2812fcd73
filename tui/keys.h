#pragma once
// Key bindings as data: which key runs which named action, the /help text generated from the
// same table, and a reader that turns ncurses' key stream into keys (Alt+x arrives as ESC x,
// bracketed paste as ESC[200~ ... ESC[201~). No ncurses here: the function key codes below are
// ncurses' values, checked against <curses.h> in window.cpp.

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sotto::tui {

// ncurses' KEY_* codes (as wget_wch reports them with KEY_CODE_YES).
namespace key_code {
inline constexpr char32_t down = 0402;
inline constexpr char32_t up = 0403;
inline constexpr char32_t left = 0404;
inline constexpr char32_t right = 0405;
inline constexpr char32_t home = 0406;
inline constexpr char32_t backspace = 0407;
inline constexpr char32_t f1 = 0411;
inline constexpr char32_t delete_character = 0512;
inline constexpr char32_t page_down = 0522;
inline constexpr char32_t page_up = 0523;
inline constexpr char32_t enter = 0527;
inline constexpr char32_t back_tab = 0541;
inline constexpr char32_t end = 0550;
inline constexpr char32_t mouse = 0631;
inline constexpr char32_t resize = 0632;
} // namespace key_code

// One key press: a character (control characters included) or a function key, maybe with Alt.
struct key {
    char32_t code = 0;
    bool function = false; // `code` is a key_code value, not a character
    bool alt = false;

    friend auto operator<=>(const key&, const key&) = default;
};

[[nodiscard]] constexpr key character_key(char32_t c) noexcept {
    return {c, false, false};
}
[[nodiscard]] constexpr key control_key(char letter) noexcept {
    return {static_cast<char32_t>(letter) & 0x1FU, false, false};
}
[[nodiscard]] constexpr key alt_key(char32_t c) noexcept {
    return {c, false, true};
}
[[nodiscard]] constexpr key function_key(char32_t code) noexcept {
    return {code, true, false};
}

// How the help and error messages name a key: "Ctrl+N", "Alt+1", "PgUp", "Enter", "a".
[[nodiscard]] std::string key_name(const key& k);

enum class action {
    submit,
    complete,
    complete_backward,
    cursor_left,
    cursor_right,
    cursor_home,
    cursor_end,
    word_left,
    word_right,
    delete_backward,
    delete_forward,
    delete_word_backward,
    kill_to_start,
    kill_to_end,
    yank,
    history_up,
    history_down,
    next_conversation,
    previous_conversation,
    switch_conversation_1,
    switch_conversation_2,
    switch_conversation_3,
    switch_conversation_4,
    switch_conversation_5,
    switch_conversation_6,
    switch_conversation_7,
    switch_conversation_8,
    switch_conversation_9,
    scroll_page_up,
    scroll_page_down,
    redraw,
    close_overlay,
    show_help,
};

inline constexpr std::size_t action_count = static_cast<std::size_t>(action::show_help) + 1;

// "switch_conversation_1", "history_up", ...: stable names for configuration and logs.
[[nodiscard]] std::string_view action_name(action a) noexcept;
// The action called `name`; nullopt for an unknown name.
[[nodiscard]] std::optional<action> action_from_name(std::string_view name) noexcept;
// 1..9 for switch_conversation_1..9, nullopt for every other action.
[[nodiscard]] std::optional<int> conversation_number(action a) noexcept;

struct binding {
    key trigger;
    action run;
};

// The built-in bindings: irssi/weechat habits and readline editing (DESIGN.md section 6).
[[nodiscard]] std::span<const binding> default_bindings() noexcept;

// The action bound to `pressed` in `table`; nullopt when the key is unbound (a printable
// character unbound is text to insert).
[[nodiscard]] std::optional<action>
find_action(const key& pressed, std::span<const binding> table = default_bindings());

struct help_entry {
    std::vector<action> actions; // the keys shown are those bound to these actions
    std::string_view description;
};

// What the /help overlay explains about keys, in display order.
[[nodiscard]] std::span<const help_entry> key_help() noexcept;
// key_help() as lines: "Alt+1..Alt+9      switch to conversation 1 to 9", keys read from `table`.
[[nodiscard]] std::vector<std::string>
key_help_lines(std::span<const binding> table = default_bindings());

// What the key reader produces.
struct paste {
    std::string text; // UTF-8, at most key_reader::max_paste_bytes
    friend bool operator==(const paste&, const paste&) = default;
};
using input_event = std::variant<key, paste>;

// Turns the stream ncurses delivers (characters and function key codes, one at a time) into keys
// and pastes. ESC followed by a key is Alt+key; a lone ESC is only known when no key follows in
// time, so the caller calls flush() after the escape delay. Unknown escape sequences (ESC [ ...
// final byte) are swallowed, never typed. Bounded: sequences beyond 16 bytes are dropped and a
// paste keeps its first max_paste_bytes bytes.
class key_reader {
  public:
    static constexpr std::size_t max_paste_bytes = 1024 * 1024;

    // Feeds one character or function key; returns the event it completes, if any.
    std::optional<input_event> feed(char32_t code, bool function = false);
    // The escape delay passed with nothing more: a pending ESC is the Escape key.
    std::optional<input_event> flush();
    [[nodiscard]] bool pending() const noexcept { return state_ != state::normal; }
    [[nodiscard]] bool in_paste() const noexcept { return in_paste_; }

  private:
    enum class state { normal, escape, sequence };
    std::optional<input_event> finish_sequence(char32_t final_byte);

    state state_ = state::normal;
    std::string sequence_; // parameter bytes of ESC [ ...
    bool in_paste_ = false;
    std::string paste_;
};

} // namespace sotto::tui
