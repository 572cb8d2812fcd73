#pragma once
// The input line's editor: UTF-8 text, a cursor, readline-style editing, horizontal scrolling
// and input history. A model only: the view draws view(width) and the key bindings call the
// methods.

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sotto::tui {

// The part of the input line that shows in `width` columns.
struct input_view {
    std::size_t begin = 0; // byte range of the text that is drawn
    std::size_t end = 0;
    std::size_t cursor_column = 0; // column of the cursor, relative to the first drawn column
};

class input_line {
  public:
    static constexpr std::size_t default_history_capacity = 500;
    static constexpr std::size_t default_max_bytes = 64 * 1024;

    explicit input_line(std::size_t history_capacity = default_history_capacity,
                        std::size_t max_bytes = default_max_bytes);

    // Always well-formed UTF-8 without control characters.
    [[nodiscard]] const std::string& text() const noexcept { return text_; }
    // Byte offset of the cursor; always on a character boundary (never inside a code point and
    // never between a letter and its combining marks).
    [[nodiscard]] std::size_t cursor() const noexcept { return cursor_; }
    [[nodiscard]] bool empty() const noexcept { return text_.empty(); }

    // Inserts typed or pasted text at the cursor. Ill-formed UTF-8 becomes U+FFFD, a tab or a
    // line break (\n, \r\n or \r) becomes one space, other control characters are dropped.
    // Returns false when the line would exceed its byte limit: what fits (whole characters)
    // is inserted, the rest is not.
    bool insert(std::string_view typed);
    // Replaces the whole text (completion, history); the cursor goes to `cursor` clamped and
    // moved back to a character boundary, or to the end when not given.
    void set_text(std::string_view text, std::optional<std::size_t> cursor = std::nullopt);

    // Cursor motion; each returns false when the cursor did not move.
    bool move_left();
    bool move_right();
    bool move_home();
    bool move_end();
    bool move_word_left();  // Alt+B: to the start of this or the previous word (letters/digits)
    bool move_word_right(); // Alt+F: to the end of this or the next word

    // Editing; each returns false when nothing changed. Kills go to the kill buffer for yank().
    bool delete_backward();      // Backspace
    bool delete_forward();       // Delete
    bool delete_word_backward(); // Ctrl+W: the whitespace-delimited word before the cursor
    bool kill_to_start();        // Ctrl+U
    bool kill_to_end();          // Ctrl+K
    bool yank();                 // Ctrl+Y: inserts the last killed text

    // History. history_up from the line being typed keeps it as a draft that history_down past
    // the newest entry brings back; an edited history entry keeps its edit until submit().
    bool history_up();
    bool history_down();
    [[nodiscard]] std::size_t history_size() const noexcept { return history_.size(); }

    // Returns the text and clears the line. A non-blank text that differs from the newest entry
    // joins the history, dropping the oldest entry beyond the capacity.
    std::string submit();

    // What to draw in `width` columns: the cursor is always inside (a wide character under the
    // cursor is shown whole when the width allows), and the view scrolls as little as possible
    // from the previous call, like readline. A width of 0 shows nothing.
    input_view view(std::size_t width);

  private:
    void erase(std::size_t begin, std::size_t end, bool to_kill_buffer);
    void leave_history_entry();

    std::string text_;
    std::size_t cursor_ = 0;
    std::size_t scroll_ = 0; // first drawn byte
    std::size_t max_bytes_;
    std::string kill_buffer_;

    std::size_t history_capacity_;
    std::deque<std::string> history_;
    // Edits made to recalled entries (same index as history_) and to the draft, until submit.
    std::vector<std::optional<std::string>> edits_;
    std::string draft_;
    std::size_t history_index_ = 0; // == history_.size(): the draft
};

} // namespace sotto::tui
