#include "tui/controller.h"

#include "tui/help.h"
#include "tui/message_pane.h"
#include "tui/text_width.h"

#include <algorithm>

namespace sotto::tui {

std::vector<effect> controller::handle(const input_event& event,
                                       const controller_context& context) {
    std::vector<effect> effects;
    if (const auto* pasted = std::get_if<paste>(&event)) {
        cycle_.reset();
        if (!input_.insert(pasted->text))
            notice_ = "the paste did not fit in the input line and was cut";
        return effects;
    }
    const auto& pressed = std::get<key>(event);
    if (pressed.function && pressed.code == key_code::resize) {
        effects.emplace_back(std::in_place_type<redraw_effect>);
        return effects;
    }
    if (const auto bound = find_action(pressed)) {
        if (*bound != action::complete && *bound != action::complete_backward)
            cycle_.reset();
        run(*bound, context, effects);
        return effects;
    }
    if (!pressed.function && !pressed.alt && !is_control(pressed.code)) {
        cycle_.reset();
        std::string typed;
        append_utf8(typed, pressed.code);
        if (!input_.insert(typed))
            notice_ = "the input line is full";
    }
    return effects;
}

void controller::set_current_conversation(std::size_t index) noexcept {
    current_ = index;
    scroll_ = 0;
}

void controller::run(action a, const controller_context& context, std::vector<effect>& effects) {
    if (const auto number = conversation_number(a)) {
        const auto index = static_cast<std::size_t>(*number - 1);
        if (index < context.conversations)
            switch_to(index, context, effects);
        else
            notice_ = "no conversation " + std::to_string(*number);
        return;
    }
    const auto page = std::max<std::size_t>(context.page_rows, 2) - 1; // keep one row of context
    switch (a) {
    case action::submit:
        submit(effects);
        break;
    case action::complete:
        complete(false, context);
        break;
    case action::complete_backward:
        complete(true, context);
        break;
    case action::cursor_left:
        input_.move_left();
        break;
    case action::cursor_right:
        input_.move_right();
        break;
    case action::cursor_home:
        input_.move_home();
        break;
    case action::cursor_end:
        input_.move_end();
        break;
    case action::word_left:
        input_.move_word_left();
        break;
    case action::word_right:
        input_.move_word_right();
        break;
    case action::delete_backward:
        input_.delete_backward();
        break;
    case action::delete_forward:
        input_.delete_forward();
        break;
    case action::delete_word_backward:
        input_.delete_word_backward();
        break;
    case action::kill_to_start:
        input_.kill_to_start();
        break;
    case action::kill_to_end:
        input_.kill_to_end();
        break;
    case action::yank:
        input_.yank();
        break;
    case action::history_up:
        input_.history_up();
        break;
    case action::history_down:
        input_.history_down();
        break;
    case action::next_conversation:
        if (context.conversations > 0)
            switch_to((current_ + 1) % context.conversations, context, effects);
        break;
    case action::previous_conversation:
        if (context.conversations > 0) {
            switch_to((current_ + context.conversations - 1) % context.conversations, context,
                      effects);
        }
        break;
    case action::scroll_page_up:
        if (!overlay_.empty()) {
            overlay_scroll_ = overlay_scroll_ >= page ? overlay_scroll_ - page : 0;
            break;
        }
        scroll_ = clamp_scroll(scroll_ + page, context.message_rows, context.page_rows);
        // At the oldest loaded row: the program pages older messages in from the store.
        if (context.message_rows <= context.page_rows ||
            scroll_ + context.page_rows >= context.message_rows) {
            effects.emplace_back(std::in_place_type<load_older_effect>);
        }
        break;
    case action::scroll_page_down:
        if (!overlay_.empty()) {
            const auto last =
                overlay_.size() > context.page_rows ? overlay_.size() - context.page_rows : 0;
            overlay_scroll_ = std::min(overlay_scroll_ + page, last);
            break;
        }
        scroll_ = scroll_ >= page ? scroll_ - page : 0;
        break;
    case action::redraw:
        effects.emplace_back(std::in_place_type<redraw_effect>);
        break;
    case action::close_overlay:
        overlay_.clear();
        overlay_scroll_ = 0;
        notice_.clear();
        break;
    case action::show_help:
        overlay_ = help_lines();
        overlay_scroll_ = 0;
        break;
    default:
        break;
    }
}

void controller::switch_to(std::size_t index, const controller_context& context,
                           std::vector<effect>& effects) {
    if (index >= context.conversations)
        return;
    current_ = index;
    scroll_ = 0;
    effects.emplace_back(std::in_place_type<switch_effect>, index);
}

void controller::submit(std::vector<effect>& effects) {
    auto line = input_.submit();
    auto parsed = parse_line(line);
    if (const auto* error = std::get_if<command_error>(&parsed)) {
        notice_ = error->message;
        input_.set_text(line); // never lose what was typed: fix it and press Enter again
        return;
    }
    notice_.clear();
    if (std::holds_alternative<blank_line>(parsed))
        return;
    if (auto* text = std::get_if<send_text>(&parsed)) {
        scroll_ = 0; // a sent message is worth seeing
        effects.emplace_back(std::in_place_type<send_effect>, std::move(text->text));
        return;
    }
    if (const auto* help = std::get_if<help_command>(&parsed)) {
        overlay_ = help_lines(default_bindings(), help->topic);
        overlay_scroll_ = 0;
        return;
    }
    if (std::holds_alternative<quit_command>(parsed)) {
        effects.emplace_back(std::in_place_type<quit_effect>);
        return;
    }
    effects.emplace_back(std::in_place_type<command_effect>, std::move(parsed));
}

void controller::complete(bool backward, const controller_context& context) {
    const bool continuing = cycle_ && cycle_->found.candidates.size() > 1 &&
                            input_.text() == cycle_->produced &&
                            input_.cursor() == cycle_->produced_cursor;
    if (!continuing) {
        auto found = find_completions(input_.text(), input_.cursor(), context.user_names,
                                      context.group_names);
        if (found.candidates.empty()) {
            notice_ = "no completion";
            cycle_.reset();
            return;
        }
        cycle_ = completion_cycle{input_.text(), std::move(found), std::nullopt, {}, 0};
        // The first Tab completes as far as the candidates agree; with nothing gained it starts
        // cycling through them at once.
        const auto first = apply_completion(cycle_->base, cycle_->found, std::nullopt);
        if (first.text == cycle_->base && cycle_->found.candidates.size() > 1) {
            cycle_->index = backward ? cycle_->found.candidates.size() - 1 : 0;
        }
    } else {
        const auto count = cycle_->found.candidates.size();
        if (!cycle_->index)
            cycle_->index = backward ? count - 1 : 0;
        else
            cycle_->index =
                backward ? (*cycle_->index + count - 1) % count : (*cycle_->index + 1) % count;
    }
    const auto done = apply_completion(cycle_->base, cycle_->found, cycle_->index);
    input_.set_text(done.text, done.cursor);
    cycle_->produced = input_.text();
    cycle_->produced_cursor = input_.cursor();
    if (cycle_->found.candidates.size() > 1) {
        std::string list;
        for (const auto& candidate : cycle_->found.candidates)
            list += (list.empty() ? "" : " ") + candidate;
        notice_ = list;
    } else {
        notice_.clear();
    }
}

} // namespace sotto::tui
