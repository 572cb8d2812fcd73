// Fuzz target for what the keyboard reaches: the bytes drive the key reader (Alt prefixes,
// escape sequences, bracketed paste), the input line's editing actions and, on submit, the
// command parser and tab completion. Invariants: the line stays well-formed UTF-8 with its
// cursor on a character boundary and visible, errors are one drawable line.
// Registered in tests/fuzz/targets.cmake as:
//   sotto_add_fuzz_target(tui_input SOURCES ${PROJECT_SOURCE_DIR}/tests/tui/input.fuzz.cpp LIBS sotto::tui)
#include "tui/commands.h"
#include "tui/input_line.h"
#include "tui/keys.h"
#include "tui/text_width.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

void require(bool condition) {
    if (!condition) std::abort();
}

void run(sotto::tui::input_line& line, sotto::tui::action a) {
    using sotto::tui::action;
    switch (a) {
    case action::cursor_left: line.move_left(); break;
    case action::cursor_right: line.move_right(); break;
    case action::cursor_home: line.move_home(); break;
    case action::cursor_end: line.move_end(); break;
    case action::word_left: line.move_word_left(); break;
    case action::word_right: line.move_word_right(); break;
    case action::delete_backward: line.delete_backward(); break;
    case action::delete_forward: line.delete_forward(); break;
    case action::delete_word_backward: line.delete_word_backward(); break;
    case action::kill_to_start: line.kill_to_start(); break;
    case action::kill_to_end: line.kill_to_end(); break;
    case action::yank: line.yank(); break;
    case action::history_up: line.history_up(); break;
    case action::history_down: line.history_down(); break;
    case action::complete: {
        static const std::vector<std::string> users = {"bob", "bobby", "carol"};
        const auto found = sotto::tui::find_completions(line.text(), line.cursor(), users);
        const auto done = sotto::tui::apply_completion(line.text(), found, std::nullopt);
        line.set_text(done.text, done.cursor);
        break;
    }
    case action::submit: {
        const auto parsed = sotto::tui::parse_line(line.submit());
        if (const auto* error = std::get_if<sotto::tui::command_error>(&parsed)) {
            require(error->message.find('\n') == std::string::npos);
            require(sotto::tui::sanitize(error->message) == error->message);
        }
        break;
    }
    default: break;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    sotto::tui::input_line line(8, 4096);
    sotto::tui::key_reader reader;
    for (std::size_t i = 0; i < size; ++i) {
        // A byte at or above 0xF0 stands for a function key, the rest are characters.
        const bool function = data[i] >= 0xF0;
        const char32_t code = function ? 0402 + (data[i] - 0xF0U) : data[i];
        auto event = reader.feed(code, function);
        if (i + 1 == size && !event) event = reader.flush();
        if (!event) continue;
        if (const auto* pasted = std::get_if<sotto::tui::paste>(&*event)) {
            line.insert(pasted->text);
        } else {
            const auto k = std::get<sotto::tui::key>(*event);
            if (const auto a = sotto::tui::find_action(k)) {
                run(line, *a);
            } else if (!k.function && !k.alt && !sotto::tui::is_control(k.code)) {
                std::string typed;
                sotto::tui::append_utf8(typed, k.code);
                line.insert(typed);
            }
        }
        const auto& text = line.text();
        require(sotto::tui::sanitize(text) == text);
        require(line.cursor() <= text.size());
        const auto width = static_cast<std::size_t>(data[i] % 16) + 2;
        const auto view = line.view(width);
        require(view.begin <= line.cursor() && view.end <= text.size());
        require(view.cursor_column < width);
    }
    return 0;
}
