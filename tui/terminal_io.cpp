#include "tui/terminal_io.h"

#include <sys/ioctl.h>

#include <curses.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <exception>

namespace sotto::tui {

WINDOW* standard_screen() noexcept {
    return stdscr;
}

void set_nonblocking_keyboard() {
    ::nodelay(stdscr, TRUE);
}

void enable_mouse_wheel() {
    ::mousemask(BUTTON4_PRESSED | BUTTON5_PRESSED, nullptr);
    ::mouseinterval(0);
}

std::optional<raw_key> read_key() {
    wint_t code = 0;
    const int kind = ::wget_wch(stdscr, &code);
    if (kind == ERR) {
        return std::nullopt;
    }
    if (kind == KEY_CODE_YES && code == KEY_MOUSE) {
        MEVENT mouse{};
        if (::getmouse(&mouse) == OK) {
            if ((mouse.bstate & BUTTON4_PRESSED) != 0) {
                return raw_key{KEY_PPAGE, true};
            }
            if ((mouse.bstate & BUTTON5_PRESSED) != 0) {
                return raw_key{KEY_NPAGE, true};
            }
        }
        return raw_key{0, true};
    }
    return raw_key{static_cast<char32_t>(code), kind == KEY_CODE_YES};
}

void refresh_terminal_size() {
    winsize size{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_row > 0 && size.ws_col > 0) {
        ::resize_term(size.ws_row, size.ws_col);
    }
}

void invalidate_screen() {
    ::clearok(curscr, TRUE);
}

void update_screen() {
    ::wnoutrefresh(stdscr);
    ::doupdate();
}

void ring_bell() {
    ::beep();
}

namespace {

void restore_and_reraise(int signal_number) {
    ::endwin();
    // SA_RESETHAND put the default action back: dying of the same signal keeps the exit status.
    ::raise(signal_number);
}

} // namespace

void install_crash_handlers() {
    std::set_terminate([] {
        ::endwin();
        std::abort();
    });
    struct sigaction action {};
    action.sa_handler = restore_and_reraise;
    action.sa_flags = static_cast<int>(SA_RESETHAND);
    sigemptyset(&action.sa_mask);
    for (const int signal_number : {SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGILL}) {
        ::sigaction(signal_number, &action, nullptr);
    }
}

} // namespace sotto::tui
