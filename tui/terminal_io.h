#pragma once
// The few ncurses calls the run loop needs besides painting (tui/window.h), kept here so that
// <curses.h> and its macros stay out of the files that also include Asio.

#include <cstddef>
#include <optional>

typedef struct _win_st WINDOW;

namespace sotto::tui {

// ncurses' stdscr of the running session.
[[nodiscard]] WINDOW* standard_screen() noexcept;

struct raw_key {
    char32_t code = 0;
    bool function = false;
};

// Makes reads from the keyboard return at once when no key is waiting.
void set_nonblocking_keyboard();
// Mouse wheel up and down arrive as PgUp and PgDn (other mouse events are not reported).
void enable_mouse_wheel();
// The next key ncurses has, or nullopt when none is waiting (never blocks after
// set_nonblocking_keyboard). A mouse event that is not the wheel is the function code 0.
[[nodiscard]] std::optional<raw_key> read_key();
// Tells ncurses the terminal's new size (read from the tty) after SIGWINCH.
void refresh_terminal_size();
// Drops what ncurses believes is on the screen, so that the next refresh repaints every cell.
void invalidate_screen();
// Sends the frame painted into stdscr to the terminal.
void update_screen();
void ring_bell();
// std::terminate and fatal signals (SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGILL) give the terminal
// back (endwin) before the process dies.
void install_crash_handlers();

} // namespace sotto::tui
