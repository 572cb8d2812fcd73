// Fuzz target for the text units: arbitrary bytes through UTF-8 decoding, sanitizing, width
// measurement, truncation, wrapping and the message pane, checking their invariants.
// Registered in tests/fuzz/targets.cmake as:
//   sotto_add_fuzz_target(tui_text SOURCES ${PROJECT_SOURCE_DIR}/tests/tui/text.fuzz.cpp LIBS
//   sotto::tui)
#include "tui/message_pane.h"
#include "tui/text_width.h"
#include "tui/wrap.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {
void require(bool condition) {
    if (!condition)
        std::abort();
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace sotto::tui;
    if (size == 0)
        return 0;
    const std::size_t width = data[0] % 40;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

    const auto clean = sanitize(text);
    require(sanitize(clean) == clean);
    require(display_width(clean) == display_width(text));

    const auto prefix = prefix_within_width(text, width);
    require(prefix.bytes <= text.size() && prefix.width <= width);
    require(display_width(truncate_to_width(text, width, "\xE2\x80\xA6")) <= width);
    require(display_width(pad_to_width(text, width)) == width);

    for (const auto& line : wrap(text, width)) {
        require(line.begin <= line.end && line.end <= text.size());
        const auto piece = text.substr(line.begin, line.end - line.begin);
        require(line.width <= width || next_boundary(piece, 0) == piece.size());
    }
    for (std::size_t at = 0; at < text.size(); at = next_boundary(text, at)) {
        require(next_boundary(text, at) > at);
    }

    const message_view message{{},
                               std::string(text.substr(0, text.size() / 2)),
                               std::string(text.substr(text.size() / 2)),
                               delivery_state::delivered};
    for (const auto& row : layout_messages({&message, 1}, {.width = width})) {
        require(sanitize(row.text) == row.text);
        require(display_width(row.text) <= width);
    }
    return 0;
}
