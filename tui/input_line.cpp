#include "tui/input_line.h"

#include "tui/text_width.h"

#include <algorithm>

namespace sotto::tui {

namespace {

bool is_continuation_byte(char c) noexcept {
    return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U;
}

char32_t code_point_at(std::string_view text, std::size_t at) noexcept {
    return decode_utf8(text.substr(at)).code_point;
}

// The nearest character boundary at or before `at` in well-formed text.
std::size_t boundary_at_or_before(std::string_view text, std::size_t at) noexcept {
    at = std::min(at, text.size());
    while (at > 0 && at < text.size() &&
           (is_continuation_byte(text[at]) || code_point_width(code_point_at(text, at)) == 0)) {
        --at;
    }
    return at;
}

// Typed or pasted bytes as the line stores them: well-formed, no control characters.
std::string normalize(std::string_view typed) {
    std::string out;
    out.reserve(typed.size());
    while (!typed.empty()) {
        const auto decoded = decode_utf8(typed);
        const char32_t c = decoded.code_point;
        if (c == U'\r' && typed.size() > 1 && typed[1] == '\n') {
            out.push_back(' ');
            typed.remove_prefix(2);
            continue;
        }
        if (c == U'\t' || c == U'\n' || c == U'\r')
            out.push_back(' ');
        else if (!is_control(c))
            append_utf8(out, c); // ill-formed input decodes to U+FFFD
        typed.remove_prefix(decoded.length);
    }
    return out;
}

bool is_word_character(char32_t c) noexcept {
    if (c < 0x80)
        return (c >= U'0' && c <= U'9') || (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z');
    return c != 0xA0 && c != 0x3000 && !(c >= 0x2000 && c <= 0x206F); // spaces, punctuation
}

} // namespace

input_line::input_line(std::size_t history_capacity, std::size_t max_bytes)
    : max_bytes_(max_bytes), history_capacity_(history_capacity) {}

bool input_line::insert(std::string_view typed) {
    auto clean = normalize(typed);
    const std::size_t room = max_bytes_ - std::min(max_bytes_, text_.size());
    bool complete = true;
    if (clean.size() > room) {
        std::size_t fits = 0;
        while (fits < clean.size()) {
            const auto next = next_boundary(clean, fits);
            if (next > room)
                break;
            fits = next;
        }
        clean.resize(fits);
        complete = false;
    }
    if (clean.empty())
        return complete;
    text_.insert(cursor_, clean);
    cursor_ += clean.size();
    // Text that starts with combining marks joins the character before the cursor.
    while (cursor_ < text_.size() && cursor_ > 0 &&
           code_point_width(code_point_at(text_, cursor_)) == 0) {
        cursor_ += decode_utf8(std::string_view(text_).substr(cursor_)).length;
    }
    return complete;
}

void input_line::set_text(std::string_view text, std::optional<std::size_t> cursor) {
    text_.clear();
    cursor_ = 0;
    insert(text);
    cursor_ = cursor ? boundary_at_or_before(text_, *cursor) : text_.size();
}

bool input_line::move_left() {
    if (cursor_ == 0)
        return false;
    cursor_ = previous_boundary(text_, cursor_);
    return true;
}

bool input_line::move_right() {
    if (cursor_ == text_.size())
        return false;
    cursor_ = next_boundary(text_, cursor_);
    return true;
}

bool input_line::move_home() {
    if (cursor_ == 0)
        return false;
    cursor_ = 0;
    return true;
}

bool input_line::move_end() {
    if (cursor_ == text_.size())
        return false;
    cursor_ = text_.size();
    return true;
}

bool input_line::move_word_left() {
    const auto before = cursor_;
    while (cursor_ > 0) {
        const auto previous = previous_boundary(text_, cursor_);
        if (is_word_character(code_point_at(text_, previous)))
            break;
        cursor_ = previous;
    }
    while (cursor_ > 0) {
        const auto previous = previous_boundary(text_, cursor_);
        if (!is_word_character(code_point_at(text_, previous)))
            break;
        cursor_ = previous;
    }
    return cursor_ != before;
}

bool input_line::move_word_right() {
    const auto before = cursor_;
    while (cursor_ < text_.size() && !is_word_character(code_point_at(text_, cursor_))) {
        cursor_ = next_boundary(text_, cursor_);
    }
    while (cursor_ < text_.size() && is_word_character(code_point_at(text_, cursor_))) {
        cursor_ = next_boundary(text_, cursor_);
    }
    return cursor_ != before;
}

void input_line::erase(std::size_t begin, std::size_t end, bool to_kill_buffer) {
    if (to_kill_buffer)
        kill_buffer_ = text_.substr(begin, end - begin);
    text_.erase(begin, end - begin);
    cursor_ = begin;
}

bool input_line::delete_backward() {
    if (cursor_ == 0)
        return false;
    erase(previous_boundary(text_, cursor_), cursor_, false);
    return true;
}

bool input_line::delete_forward() {
    if (cursor_ == text_.size())
        return false;
    erase(cursor_, next_boundary(text_, cursor_), false);
    return true;
}

bool input_line::delete_word_backward() {
    auto start = cursor_;
    while (start > 0 && text_[start - 1] == ' ')
        --start;
    while (start > 0 && text_[start - 1] != ' ')
        start = previous_boundary(text_, start);
    if (start == cursor_)
        return false;
    erase(start, cursor_, true);
    return true;
}

bool input_line::kill_to_start() {
    if (cursor_ == 0)
        return false;
    erase(0, cursor_, true);
    return true;
}

bool input_line::kill_to_end() {
    if (cursor_ == text_.size())
        return false;
    erase(cursor_, text_.size(), true);
    return true;
}

bool input_line::yank() {
    if (kill_buffer_.empty())
        return false;
    const auto killed = kill_buffer_;
    const auto size_before = text_.size();
    insert(killed);
    return text_.size() != size_before;
}

void input_line::leave_history_entry() {
    if (history_index_ == history_.size()) {
        draft_ = text_;
    } else if (text_ != history_[history_index_]) {
        edits_[history_index_] = text_;
    } else {
        edits_[history_index_].reset();
    }
}

bool input_line::history_up() {
    if (history_index_ == 0)
        return false;
    leave_history_entry();
    --history_index_;
    const auto& edit = edits_[history_index_];
    set_text(edit ? *edit : history_[history_index_]);
    return true;
}

bool input_line::history_down() {
    if (history_index_ >= history_.size())
        return false;
    leave_history_entry();
    ++history_index_;
    if (history_index_ == history_.size()) {
        set_text(draft_);
    } else {
        const auto& edit = edits_[history_index_];
        set_text(edit ? *edit : history_[history_index_]);
    }
    return true;
}

std::string input_line::submit() {
    std::string submitted = std::move(text_);
    text_.clear();
    cursor_ = 0;
    scroll_ = 0;
    draft_.clear();
    const bool blank = submitted.find_first_not_of(' ') == std::string::npos;
    if (!blank && history_capacity_ > 0 && (history_.empty() || history_.back() != submitted)) {
        history_.push_back(submitted);
        while (history_.size() > history_capacity_)
            history_.pop_front();
    }
    edits_.assign(history_.size(), std::nullopt);
    history_index_ = history_.size();
    return submitted;
}

input_view input_line::view(std::size_t width) {
    if (width == 0)
        return {cursor_, cursor_, 0};
    const std::string_view text = text_;
    scroll_ = boundary_at_or_before(text, std::min(scroll_, cursor_));

    // The cursor needs its own cell: the character under it, or one blank cell at the end.
    const std::size_t cursor_cell =
        cursor_ < text.size()
            ? display_width(text.substr(cursor_, next_boundary(text, cursor_) - cursor_))
            : 1;
    std::size_t before_cursor = display_width(text.substr(scroll_, cursor_ - scroll_));
    while (scroll_ < cursor_ && before_cursor + cursor_cell > width) {
        const auto next = next_boundary(text, scroll_);
        before_cursor -= display_width(text.substr(scroll_, next - scroll_));
        scroll_ = next;
    }
    // Scroll back when the text from an earlier character on fits entirely: no blank columns
    // at the right while text is hidden at the left.
    std::size_t to_end = display_width(text.substr(scroll_)) + (cursor_ == text.size() ? 1 : 0);
    while (scroll_ > 0) {
        const auto previous = previous_boundary(text, scroll_);
        const auto extra = display_width(text.substr(previous, scroll_ - previous));
        if (to_end + extra > width)
            break;
        to_end += extra;
        before_cursor += extra;
        scroll_ = previous;
    }
    const auto shown = prefix_within_width(text.substr(scroll_), width);
    return {scroll_, scroll_ + shown.bytes, before_cursor};
}

} // namespace sotto::tui
