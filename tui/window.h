#pragma once
// The thin ncurses shell: a move-only owner of a WINDOW* and a scoped terminal session that
// always gives the terminal back. Everything that can be computed without ncurses lives in the
// pure units beside this one (layout, text_width, wrap, ...); this file only draws.

#include "tui/frame.h"
#include "tui/layout.h"
#include "tui/theme.h"

#include <cstddef>
#include <optional>
#include <string_view>

// ncurses' own declaration, repeated so that this header does not pull in <curses.h> and its
// macros (clear, erase, move, timeout, ...) into every file that includes it.
typedef struct _win_st WINDOW;
typedef struct screen SCREEN;

namespace sotto::tui {

class window {
  public:
    window() noexcept = default;
    // Adopts `handle` (may be null): the window will delwin it.
    explicit window(WINDOW* handle) noexcept : handle_(handle) {}
    // A new window over `area`; an empty window when the area is empty or ncurses refuses.
    // Needs a started terminal_session.
    static window create(const rect& area);

    ~window();
    window(window&& other) noexcept : handle_(other.release()) {}
    window& operator=(window&& other) noexcept;
    window(const window&) = delete;
    window& operator=(const window&) = delete;

    [[nodiscard]] WINDOW* get() const noexcept { return handle_; }
    [[nodiscard]] explicit operator bool() const noexcept { return handle_ != nullptr; }
    // Gives up ownership without deleting.
    [[nodiscard]] WINDOW* release() noexcept;

    // Moves and resizes the window to `area`; false when ncurses refuses (the window is unchanged).
    bool place(const rect& area);
    // Writes `text` at (row, column), made safe (sanitize) and cut to `width` columns, and blanks
    // the rest of those `width` columns. Does nothing on an empty window.
    void put(int row, int column, std::string_view text, std::size_t width);
    // Attributes for what is drawn next: colours only when `support` says the terminal has them
    // (a colour pair is set up the first time a combination is used).
    void set_style(const text_style& style, color_support support);
    // Draws `f` from the window's top-left corner, each span at the column the frame computed
    // (so a terminal whose wcwidth differs from ours cannot shift the rest of the row), then
    // places the cursor (hidden when the frame has none). Does not refresh.
    void paint(const frame& f, color_support support);

  private:
    WINDOW* handle_ = nullptr;
};

// ncurses on the controlling terminal for as long as it lives: cbreak, no echo, keypad keys, a
// short escape delay, colours when the terminal has them, bracketed paste. The destructor ends
// it (endwin) and restores the terminal; a moved-from session does nothing.
class terminal_session {
  public:
    // Starts the session, making LC_CTYPE a UTF-8 locale first (the user's, or C.UTF-8) so that
    // ncursesw draws UTF-8. nullopt when the terminal cannot be set up (no tty, unknown TERM);
    // the terminal is left untouched then.
    static std::optional<terminal_session> start();

    ~terminal_session();
    terminal_session(terminal_session&& other) noexcept;
    terminal_session& operator=(terminal_session&& other) noexcept;
    terminal_session(const terminal_session&) = delete;
    terminal_session& operator=(const terminal_session&) = delete;

    [[nodiscard]] bool has_colors() const noexcept { return colors_; }
    // The terminal's size as ncurses last saw it.
    [[nodiscard]] static layout_request size_request(bool show_contacts, int contacts_width);

  private:
    explicit terminal_session(SCREEN* screen, bool colors) noexcept
        : screen_(screen), colors_(colors) {}
    void end() noexcept;

    SCREEN* screen_ = nullptr;
    bool colors_ = false;
};

} // namespace sotto::tui
