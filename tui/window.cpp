#include "tui/window.h"

#include "tui/keys.h"
#include "tui/text_width.h"

#define NCURSES_NOMACROS 1 // real functions, callable as ::name, instead of macros
#include <curses.h>
#include <langinfo.h>

#include <clocale>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

namespace sotto::tui {

// keys.h spells ncurses' key codes without including it; they must agree.
static_assert(key_code::down == KEY_DOWN);
static_assert(key_code::up == KEY_UP);
static_assert(key_code::left == KEY_LEFT);
static_assert(key_code::right == KEY_RIGHT);
static_assert(key_code::home == KEY_HOME);
static_assert(key_code::backspace == KEY_BACKSPACE);
static_assert(key_code::f1 == KEY_F(1));
static_assert(key_code::delete_character == KEY_DC);
static_assert(key_code::page_down == KEY_NPAGE);
static_assert(key_code::page_up == KEY_PPAGE);
static_assert(key_code::enter == KEY_ENTER);
static_assert(key_code::back_tab == KEY_BTAB);
static_assert(key_code::end == KEY_END);
static_assert(key_code::mouse == KEY_MOUSE);
static_assert(key_code::resize == KEY_RESIZE);

namespace {

// Terminals that do not know bracketed paste ignore these private modes.
constexpr const char* bracketed_paste_on = "\x1B[?2004h";
constexpr const char* bracketed_paste_off = "\x1B[?2004l";
constexpr int escape_delay_ms = 25;

bool locale_is_utf8() {
    const char* codeset = ::nl_langinfo(CODESET);
    return codeset != nullptr && (std::strcmp(codeset, "UTF-8") == 0 || std::strcmp(codeset, "utf8") == 0);
}

} // namespace

window window::create(const rect& area) {
    if (!area.visible()) return window{};
    return window{::newwin(area.height, area.width, area.y, area.x)};
}

window::~window() {
    if (handle_ != nullptr) ::delwin(handle_);
}

window& window::operator=(window&& other) noexcept {
    if (this != &other) {
        if (handle_ != nullptr) ::delwin(handle_);
        handle_ = other.release();
    }
    return *this;
}

WINDOW* window::release() noexcept { return std::exchange(handle_, nullptr); }

bool window::place(const rect& area) {
    if (handle_ == nullptr || !area.visible()) return false;
    // Shrink first so that the move never pushes the window past the screen's edge.
    if (::wresize(handle_, area.height, area.width) == ERR) return false;
    return ::mvwin(handle_, area.y, area.x) != ERR;
}

void window::put(int row, int column, std::string_view text, std::size_t width) {
    if (handle_ == nullptr) return;
    const auto safe = sanitize(text);
    const auto fitted = pad_to_width(safe, width);
    ::mvwaddnstr(handle_, row, column, fitted.c_str(), static_cast<int>(fitted.size()));
}

std::optional<terminal_session> terminal_session::start() {
    std::setlocale(LC_CTYPE, "");
    if (!locale_is_utf8()) std::setlocale(LC_CTYPE, "C.UTF-8");
    SCREEN* screen = ::newterm(nullptr, stdout, stdin);
    if (screen == nullptr) return std::nullopt;
    ::set_term(screen);
    ::cbreak();
    ::noecho();
    ::nonl();
    ::keypad(stdscr, TRUE);
    ::set_escdelay(escape_delay_ms);
    const bool colors = ::has_colors();
    if (colors) {
        ::start_color();
        ::use_default_colors();
    }
    std::fputs(bracketed_paste_on, stdout);
    std::fflush(stdout);
    return terminal_session{screen, colors};
}

terminal_session::~terminal_session() { end(); }

terminal_session::terminal_session(terminal_session&& other) noexcept
    : screen_(std::exchange(other.screen_, nullptr)), colors_(other.colors_) {}

terminal_session& terminal_session::operator=(terminal_session&& other) noexcept {
    if (this != &other) {
        end();
        screen_ = std::exchange(other.screen_, nullptr);
        colors_ = other.colors_;
    }
    return *this;
}

void terminal_session::end() noexcept {
    if (screen_ == nullptr) return;
    std::fputs(bracketed_paste_off, stdout);
    std::fflush(stdout);
    ::endwin();
    ::delscreen(screen_);
    screen_ = nullptr;
}

layout_request terminal_session::size_request(bool show_contacts, int contacts_width) {
    return {COLS, LINES, show_contacts, contacts_width};
}

} // namespace sotto::tui
