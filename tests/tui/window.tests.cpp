#include "tui/window.h"

#include <catch2/catch.hpp>

#include <type_traits>
#include <utility>

using namespace sotto::tui;

// These tests never start ncurses: they check ownership on empty windows only.

TEST_CASE("a window is move-only and a default window owns nothing", "[tui][window]") {
    STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<window>);
    STATIC_REQUIRE_FALSE(std::is_copy_assignable_v<window>);
    STATIC_REQUIRE(std::is_nothrow_move_constructible_v<window>);
    STATIC_REQUIRE(std::is_nothrow_move_assignable_v<window>);
    STATIC_REQUIRE(std::is_nothrow_destructible_v<window>);
    const window empty;
    CHECK_FALSE(empty);
    CHECK(empty.get() == nullptr);
}

TEST_CASE("moving an empty window leaves both empty and drawing on it does nothing",
          "[tui][window]") {
    window first;
    window second(std::move(first));
    CHECK_FALSE(second);
    first = std::move(second);
    CHECK_FALSE(first);
    CHECK(first.release() == nullptr);
    first.put(0, 0, "hello", 5);
    CHECK_FALSE(first.place(rect{0, 0, 10, 1}));
    CHECK_FALSE(window::create(rect{0, 0, 0, 0}));
}

TEST_CASE("a terminal session is move-only and restores the terminal when destroyed",
          "[tui][window]") {
    STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<terminal_session>);
    STATIC_REQUIRE(std::is_nothrow_move_constructible_v<terminal_session>);
    STATIC_REQUIRE(std::is_nothrow_destructible_v<terminal_session>);
}
