#include "tui/window.h"

#include "tui/keys.h"
#include "tui/text_width.h"

#define NCURSES_NOMACROS 1 // real functions, callable as ::name, instead of macros
#include <curses.h>
#include <langinfo.h>

#include <array>
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
    return codeset != nullptr &&
           (std::strcmp(codeset, "UTF-8") == 0 || std::strcmp(codeset, "utf8") == 0);
}

// Colour pairs are numbered from the (foreground, background) combination and set up on first use.
short pair_for(color foreground, color background) {
    constexpr int color_count = 9; // terminal_default and the eight ANSI colours
    static std::array<bool, color_count * color_count + 1> initialized{};
    const int fg = static_cast<int>(foreground);
    const int bg = static_cast<int>(background);
    const int pair = 1 + fg * color_count + bg;
    if (pair >= ::COLOR_PAIRS)
        return 0;
    if (!initialized[static_cast<std::size_t>(pair)]) {
        // terminal_default is -1 for use_default_colors(); the others are COLOR_BLACK (0) and on.
        ::init_pair(static_cast<short>(pair), static_cast<short>(fg - 1),
                    static_cast<short>(bg - 1));
        initialized[static_cast<std::size_t>(pair)] = true;
    }
    return static_cast<short>(pair);
}

} // namespace

window window::create(const rect& area) {
    if (!area.visible())
        return window{};
    return window{::newwin(area.height, area.width, area.y, area.x)};
}

window::~window() {
    if (handle_ != nullptr)
        ::delwin(handle_);
}

window& window::operator=(window&& other) noexcept {
    if (this != &other) {
        if (handle_ != nullptr)
            ::delwin(handle_);
        handle_ = other.release();
    }
    return *this;
}

WINDOW* window::release() noexcept {
    return std::exchange(handle_, nullptr);
}

bool window::place(const rect& area) {
    if (handle_ == nullptr || !area.visible())
        return false;
    // Shrink first so that the move never pushes the window past the screen's edge.
    if (::wresize(handle_, area.height, area.width) == ERR)
        return false;
    return ::mvwin(handle_, area.y, area.x) != ERR;
}

void window::put(int row, int column, std::string_view text, std::size_t width) {
    if (handle_ == nullptr)
        return;
    const auto safe = sanitize(text);
    const auto fitted = pad_to_width(safe, width);
    ::mvwaddnstr(handle_, row, column, fitted.c_str(), static_cast<int>(fitted.size()));
}

void window::set_style(const text_style& style, color_support support) {
    if (handle_ == nullptr)
        return;
    attr_t attributes = A_NORMAL;
    if (style.bold)
        attributes |= A_BOLD;
    if (style.reverse)
        attributes |= A_REVERSE;
    if (style.underline)
        attributes |= A_UNDERLINE;
    if (style.dim)
        attributes |= A_DIM;
    short pair = 0;
    const bool colored =
        style.foreground != color::terminal_default || style.background != color::terminal_default;
    if (support == color_support::colors && colored)
        pair = pair_for(style.foreground, style.background);
    ::wattr_set(handle_, attributes, pair, nullptr);
}

void window::paint(const frame& f, color_support support) {
    if (handle_ == nullptr)
        return;
    for (std::size_t row = 0; row < f.rows.size(); ++row) {
        int column = 0;
        for (const auto& span : f.rows[row]) {
            set_style(style_for(span.role, support), support);
            ::mvwaddnstr(handle_, static_cast<int>(row), column, span.text.c_str(),
                         static_cast<int>(span.text.size()));
            column += static_cast<int>(display_width(span.text));
        }
    }
    set_style(text_style{}, support);
    if (f.cursor) {
        ::wmove(handle_, f.cursor->row, f.cursor->column);
        ::curs_set(1);
    } else {
        ::curs_set(0);
    }
}

std::optional<terminal_session> terminal_session::start() {
    std::setlocale(LC_CTYPE, "");
    if (!locale_is_utf8())
        std::setlocale(LC_CTYPE, "C.UTF-8");
    SCREEN* screen = ::newterm(nullptr, stdout, stdin);
    if (screen == nullptr)
        return std::nullopt;
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

terminal_session::~terminal_session() {
    end();
}

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
    if (screen_ == nullptr)
        return;
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
