#pragma once
// What a key press does to the UI: the state the views show (input line, current tab, scroll,
// help overlay, one-line notice, tab completion cycle) and the effects the program must carry
// out with the client engine (send this text, run this command, switch conversations, load
// older messages, quit). Pure: events in, state changes and effects out, so the key handling is
// tested without a terminal or an engine.

#include "tui/commands.h"
#include "tui/input_line.h"
#include "tui/keys.h"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace sotto::tui {

struct send_effect {
    std::string text;
}; // a message for the current conversation
struct command_effect {
    parsed_line command;
}; // a command for the engine (never help or an error)
struct switch_effect {
    std::size_t conversation;
};                           // 0-based tab index
struct load_older_effect {}; // scrolled to the oldest loaded row
struct redraw_effect {};
struct quit_effect {};
using effect = std::variant<send_effect, command_effect, switch_effect, load_older_effect,
                            redraw_effect, quit_effect>;

// What the controller needs to know about the rest of the screen.
struct controller_context {
    std::span<const std::string> user_names; // for completion
    std::size_t conversations = 0;           // open tabs
    std::size_t message_rows = 0;            // rows the current conversation's loaded messages take
    std::size_t page_rows = 1;               // height of the message pane
    std::span<const std::string> group_names; // for completion of "/msg #team"
};

class controller {
  public:
    explicit controller(input_line input = input_line{}) : input_(std::move(input)) {}

    // Handles one event; returns the effects in the order to carry them out.
    std::vector<effect> handle(const input_event& event, const controller_context& context);

    [[nodiscard]] const input_line& input() const noexcept { return input_; }
    [[nodiscard]] input_line& input() noexcept { return input_; }
    [[nodiscard]] std::size_t current_conversation() const noexcept { return current_; }
    // The engine opened or closed a conversation (e.g. /msg): keep the tab index in range.
    void set_current_conversation(std::size_t index) noexcept;
    [[nodiscard]] std::size_t scroll_offset() const noexcept { return scroll_; }
    [[nodiscard]] const std::string& notice() const noexcept { return notice_; }
    void set_notice(std::string notice) { notice_ = std::move(notice); }
    // The help overlay's lines, empty when it is closed.
    [[nodiscard]] const std::vector<std::string>& overlay() const noexcept { return overlay_; }
    [[nodiscard]] std::size_t overlay_scroll() const noexcept { return overlay_scroll_; }
    // Opens an overlay with `lines` (a safety number, who is online, search results); Esc and
    // the same keys as the help overlay close and scroll it.
    void show_overlay(std::vector<std::string> lines) {
        overlay_ = std::move(lines);
        overlay_scroll_ = 0;
    }

  private:
    void run(action a, const controller_context& context, std::vector<effect>& effects);
    void submit(std::vector<effect>& effects);
    void complete(bool backward, const controller_context& context);
    void switch_to(std::size_t index, const controller_context& context,
                   std::vector<effect>& effects);

    input_line input_;
    std::size_t current_ = 0;
    std::size_t scroll_ = 0;
    std::string notice_;
    std::vector<std::string> overlay_;
    std::size_t overlay_scroll_ = 0;

    // A Tab cycle: the line before the first Tab, its completions, and the line the last Tab
    // produced (any other change to the line ends the cycle).
    struct completion_cycle {
        std::string base;
        completion found;
        std::optional<std::size_t> index;
        std::string produced;
        std::size_t produced_cursor = 0;
    };
    std::optional<completion_cycle> cycle_;
};

} // namespace sotto::tui
