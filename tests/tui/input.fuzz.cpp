// Fuzz target for what the keyboard reaches: the bytes drive the key reader (Alt prefixes,
// escape sequences, bracketed paste) and the controller (editing, history, completion, submit
// through the command parser, switching, scrolling, help). Invariants: the input line stays
// well-formed UTF-8 with its cursor on a character boundary and visible, notices are one
// drawable line, effects name existing conversations.
// Registered in tests/fuzz/targets.cmake as:
//   sotto_add_fuzz_target(tui_input SOURCES ${PROJECT_SOURCE_DIR}/tests/tui/input.fuzz.cpp LIBS
//   sotto::tui)
#include "tui/controller.h"
#include "tui/keys.h"
#include "tui/text_width.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {
void require(bool condition) {
    if (!condition)
        std::abort();
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace sotto::tui;
    static const std::vector<std::string> users = {"bob", "bobby", "carol"};
    static const std::vector<std::string> groups = {"team", "teal"};
    const controller_context context{users, 3, 40, 10, groups};
    controller c(input_line(8, 4096));
    key_reader reader;
    for (std::size_t i = 0; i < size; ++i) {
        // A byte at or above 0xF0 stands for a function key (Up, Down, Left, ...), the rest are
        // characters.
        const bool function = data[i] >= 0xF0;
        const char32_t code = function ? 0402 + (data[i] - 0xF0U) : data[i];
        auto event = reader.feed(code, function);
        if (i + 1 == size && !event)
            event = reader.flush();
        if (!event)
            continue;
        for (const auto& e : c.handle(*event, context)) {
            if (const auto* switched = std::get_if<switch_effect>(&e))
                require(switched->conversation < 3);
        }
        const auto& text = c.input().text();
        require(sanitize(text) == text);
        require(c.input().cursor() <= text.size());
        require(c.notice().find('\n') == std::string::npos);
        const auto width = static_cast<std::size_t>(data[i] % 16) + 2;
        const auto view = c.input().view(width);
        require(view.begin <= c.input().cursor() && view.end <= text.size());
        require(view.cursor_column < width);
    }
    return 0;
}
