#include "tui/keys.h"

#include "tui/text_width.h"

#include <algorithm>
#include <array>
#include <utility>

namespace sotto::tui {

namespace {

constexpr std::array<std::string_view, action_count> action_names = {
    "submit",
    "complete",
    "complete_backward",
    "cursor_left",
    "cursor_right",
    "cursor_home",
    "cursor_end",
    "word_left",
    "word_right",
    "delete_backward",
    "delete_forward",
    "delete_word_backward",
    "kill_to_start",
    "kill_to_end",
    "yank",
    "history_up",
    "history_down",
    "next_conversation",
    "previous_conversation",
    "switch_conversation_1",
    "switch_conversation_2",
    "switch_conversation_3",
    "switch_conversation_4",
    "switch_conversation_5",
    "switch_conversation_6",
    "switch_conversation_7",
    "switch_conversation_8",
    "switch_conversation_9",
    "scroll_page_up",
    "scroll_page_down",
    "redraw",
    "close_overlay",
    "show_help",
};

constexpr char32_t escape = 0x1B;
constexpr char32_t delete_ascii = 0x7F;

const std::array bindings = {
    binding{character_key(U'\r'), action::submit},
    binding{character_key(U'\n'), action::submit},
    binding{function_key(key_code::enter), action::submit},
    binding{character_key(U'\t'), action::complete},
    binding{function_key(key_code::back_tab), action::complete_backward},
    binding{function_key(key_code::left), action::cursor_left},
    binding{control_key('B'), action::cursor_left},
    binding{function_key(key_code::right), action::cursor_right},
    binding{control_key('F'), action::cursor_right},
    binding{function_key(key_code::home), action::cursor_home},
    binding{control_key('A'), action::cursor_home},
    binding{function_key(key_code::end), action::cursor_end},
    binding{control_key('E'), action::cursor_end},
    binding{alt_key(U'b'), action::word_left},
    binding{alt_key(U'f'), action::word_right},
    binding{function_key(key_code::backspace), action::delete_backward},
    binding{character_key(delete_ascii), action::delete_backward},
    binding{control_key('H'), action::delete_backward},
    binding{function_key(key_code::delete_character), action::delete_forward},
    binding{control_key('D'), action::delete_forward},
    binding{control_key('W'), action::delete_word_backward},
    binding{alt_key(delete_ascii), action::delete_word_backward},
    binding{control_key('U'), action::kill_to_start},
    binding{control_key('K'), action::kill_to_end},
    binding{control_key('Y'), action::yank},
    binding{function_key(key_code::up), action::history_up},
    binding{function_key(key_code::down), action::history_down},
    binding{control_key('N'), action::next_conversation},
    binding{control_key('P'), action::previous_conversation},
    binding{alt_key(U'1'), action::switch_conversation_1},
    binding{alt_key(U'2'), action::switch_conversation_2},
    binding{alt_key(U'3'), action::switch_conversation_3},
    binding{alt_key(U'4'), action::switch_conversation_4},
    binding{alt_key(U'5'), action::switch_conversation_5},
    binding{alt_key(U'6'), action::switch_conversation_6},
    binding{alt_key(U'7'), action::switch_conversation_7},
    binding{alt_key(U'8'), action::switch_conversation_8},
    binding{alt_key(U'9'), action::switch_conversation_9},
    binding{function_key(key_code::page_up), action::scroll_page_up},
    binding{function_key(key_code::page_down), action::scroll_page_down},
    binding{control_key('L'), action::redraw},
    binding{character_key(escape), action::close_overlay},
    binding{function_key(key_code::f1), action::show_help},
};

const std::vector<help_entry>& help_entries() {
    static const std::vector<help_entry> entries = {
        {{action::switch_conversation_1, action::switch_conversation_9},
         "switch to conversation 1 to 9"},
        {{action::next_conversation}, "next conversation"},
        {{action::previous_conversation}, "previous conversation"},
        {{action::scroll_page_up}, "scroll the messages up a page"},
        {{action::scroll_page_down}, "scroll the messages down a page"},
        {{action::complete}, "complete a command or a name"},
        {{action::complete_backward}, "previous completion"},
        {{action::submit}, "send the message or run the command"},
        {{action::history_up}, "previous line from the input history"},
        {{action::history_down}, "next line from the input history"},
        {{action::cursor_left}, "cursor left"},
        {{action::cursor_right}, "cursor right"},
        {{action::cursor_home}, "start of the line"},
        {{action::cursor_end}, "end of the line"},
        {{action::word_left}, "back a word"},
        {{action::word_right}, "forward a word"},
        {{action::delete_backward}, "delete the character before the cursor"},
        {{action::delete_forward}, "delete the character under the cursor"},
        {{action::delete_word_backward}, "delete the word before the cursor"},
        {{action::kill_to_start}, "delete to the start of the line"},
        {{action::kill_to_end}, "delete to the end of the line"},
        {{action::yank}, "paste what was last deleted"},
        {{action::redraw}, "redraw the screen"},
        {{action::close_overlay}, "close this help or another overlay"},
        {{action::show_help}, "show this help"},
    };
    return entries;
}

std::string keys_for(action a, std::span<const binding> table) {
    std::vector<std::string> names;
    for (const auto& b : table) {
        if (b.run != a)
            continue;
        auto name = key_name(b.trigger);
        if (std::find(names.begin(), names.end(), name) == names.end())
            names.push_back(std::move(name));
    }
    std::string out;
    for (const auto& name : names) {
        if (!out.empty())
            out += ", ";
        out += name;
    }
    return out;
}

} // namespace

std::string key_name(const key& k) {
    std::string name = k.alt ? "Alt+" : "";
    if (k.function) {
        switch (k.code) {
        case key_code::down:
            return name + "Down";
        case key_code::up:
            return name + "Up";
        case key_code::left:
            return name + "Left";
        case key_code::right:
            return name + "Right";
        case key_code::home:
            return name + "Home";
        case key_code::end:
            return name + "End";
        case key_code::backspace:
            return name + "Backspace";
        case key_code::delete_character:
            return name + "Delete";
        case key_code::page_up:
            return name + "PgUp";
        case key_code::page_down:
            return name + "PgDn";
        case key_code::enter:
            return name + "Enter (keypad)";
        case key_code::back_tab:
            return name + "Shift+Tab";
        case key_code::f1:
            return name + "F1";
        default:
            return name + "key " + std::to_string(static_cast<std::uint32_t>(k.code));
        }
    }
    switch (k.code) {
    case U'\r':
        return name + "Enter";
    case U'\n':
        return name + "Ctrl+J";
    case U'\t':
        return name + "Tab";
    case escape:
        return name + "Esc";
    case delete_ascii:
        return name + "Backspace";
    case U' ':
        return name + "Space";
    default:
        break;
    }
    if (k.code < 0x20) {
        name += "Ctrl+";
        name.push_back(static_cast<char>('@' + k.code));
        return name;
    }
    if (is_control(k.code))
        return name + "U+" + std::to_string(static_cast<std::uint32_t>(k.code));
    append_utf8(name, k.code);
    return name;
}

std::string_view action_name(action a) noexcept {
    const auto index = static_cast<std::size_t>(a);
    return index < action_names.size() ? action_names[index] : std::string_view("unknown");
}

std::optional<action> action_from_name(std::string_view name) noexcept {
    for (std::size_t i = 0; i < action_names.size(); ++i) {
        if (action_names[i] == name)
            return static_cast<action>(i);
    }
    return std::nullopt;
}

std::optional<int> conversation_number(action a) noexcept {
    const auto index = static_cast<int>(a);
    const auto first = static_cast<int>(action::switch_conversation_1);
    if (index < first || index > static_cast<int>(action::switch_conversation_9))
        return std::nullopt;
    return index - first + 1;
}

std::span<const binding> default_bindings() noexcept {
    return bindings;
}

std::optional<action> find_action(const key& pressed, std::span<const binding> table) {
    for (const auto& b : table) {
        if (b.trigger == pressed)
            return b.run;
    }
    return std::nullopt;
}

std::span<const help_entry> key_help() noexcept {
    return help_entries();
}

std::vector<std::string> key_help_lines(std::span<const binding> table) {
    std::vector<std::pair<std::string, std::string_view>> rows;
    std::size_t widest = 0;
    for (const auto& entry : key_help()) {
        std::string keys;
        if (entry.actions.size() == 2 && conversation_number(entry.actions.front())) {
            const auto first = keys_for(entry.actions.front(), table);
            const auto last = keys_for(entry.actions.back(), table);
            if (!first.empty() && !last.empty())
                keys = first + ".." + last;
        } else {
            for (const auto a : entry.actions) {
                if (!keys.empty())
                    keys += ", ";
                keys += keys_for(a, table);
            }
        }
        if (keys.empty())
            keys = "(unbound)";
        widest = std::max(widest, display_width(keys));
        rows.emplace_back(std::move(keys), entry.description);
    }
    std::vector<std::string> lines;
    for (const auto& [keys, description] : rows) {
        lines.push_back(pad_to_width(keys, widest + 2) + std::string(description));
    }
    return lines;
}

std::optional<input_event> key_reader::feed(char32_t code, bool function) {
    switch (state_) {
    case state::normal:
        if (!function && code == escape) {
            state_ = state::escape;
            return std::nullopt;
        }
        if (in_paste_) {
            if (!function && paste_.size() + 4 <= max_paste_bytes)
                append_utf8(paste_, code);
            return std::nullopt;
        }
        return key{code, function, false};
    case state::escape:
        if (!function && code == U'[') {
            state_ = state::sequence;
            sequence_.clear();
            return std::nullopt;
        }
        state_ = state::normal;
        if (in_paste_)
            return feed(code, function);
        return key{code, function, true};
    case state::sequence:
        if (!function && code >= 0x40 && code <= 0x7E) {
            state_ = state::normal;
            return finish_sequence(code);
        }
        if (function || code < 0x20 || code > 0x3F) { // not part of a sequence: abandon it
            state_ = state::normal;
            sequence_.clear();
            return feed(code, function);
        }
        if (sequence_.size() < 16)
            sequence_.push_back(static_cast<char>(code)); // longer: no match
        return std::nullopt;
    }
    return std::nullopt;
}

std::optional<input_event> key_reader::finish_sequence(char32_t final_byte) {
    sequence_.push_back(static_cast<char>(final_byte));
    if (sequence_ == "200~") {
        in_paste_ = true;
        paste_.clear();
    } else if (sequence_ == "201~" && in_paste_) {
        in_paste_ = false;
        sequence_.clear();
        return paste{std::exchange(paste_, {})};
    }
    sequence_.clear();
    return std::nullopt;
}

std::optional<input_event> key_reader::flush() {
    const auto was = state_;
    state_ = state::normal;
    if (in_paste_)
        return std::nullopt;
    if (was == state::escape)
        return character_key(escape);
    if (was == state::sequence && sequence_.empty())
        return alt_key(U'[');
    sequence_.clear();
    return std::nullopt;
}

} // namespace sotto::tui
