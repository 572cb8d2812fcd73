#include "tui/setup_form.h"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace sotto::tui;

namespace {

std::optional<form_answers> type(setup_form& form, std::string_view text) {
    std::optional<form_answers> last;
    for (const char c : text) {
        last = form.handle(character_key(static_cast<char32_t>(c)));
    }
    return last;
}

std::optional<form_answers> enter(setup_form& form) {
    return form.handle(control_key('M'));
}

std::string all_text(const setup_form& form) {
    std::string out;
    for (const auto& line : form.lines()) {
        out += line.text + "\n";
    }
    return out;
}

bool has_error(const setup_form& form) {
    const auto lines = form.lines();
    return std::any_of(lines.begin(), lines.end(), [](const form_line& l) { return l.error; });
}

} // namespace

TEST_CASE("the first-run form collects username, relay and a passphrase typed twice",
          "[tui][setup_form]") {
    setup_form form(form_mode::create_profile, "127.0.0.1:7717", "");
    CHECK(form.field() == form_field::username);
    type(form, "alice");
    CHECK_FALSE(enter(form));
    CHECK(form.field() == form_field::relay);
    CHECK_FALSE(enter(form)); // the proposed relay is kept
    CHECK(form.field() == form_field::passphrase);
    type(form, "correct horse");
    CHECK_FALSE(enter(form));
    CHECK(form.field() == form_field::confirmation);
    type(form, "correct horse");
    const auto answers = enter(form);
    REQUIRE(answers);
    CHECK(answers->username == "alice");
    CHECK(answers->relay == "127.0.0.1:7717");
    CHECK(answers->passphrase == "correct horse");
}

TEST_CASE("passphrases never appear on the form", "[tui][setup_form]") {
    setup_form form(form_mode::create_profile, "127.0.0.1:7717", "alice");
    CHECK(form.field() == form_field::relay); // a given username is not asked again
    enter(form);
    type(form, "sw0rdfish");
    enter(form);
    type(form, "sw0rdf");
    CHECK(all_text(form).find("sw0rd") == std::string::npos);
    CHECK(all_text(form).find('*') == std::string::npos);
}

TEST_CASE("two different passphrases are refused and both are asked again", "[tui][setup_form]") {
    setup_form form(form_mode::create_profile, "relay.example:7717", "alice");
    enter(form);
    type(form, "one");
    enter(form);
    type(form, "two");
    CHECK_FALSE(enter(form));
    CHECK(has_error(form));
    CHECK(form.field() == form_field::passphrase);
    type(form, "same");
    enter(form);
    type(form, "same");
    const auto answers = enter(form);
    REQUIRE(answers);
    CHECK(answers->passphrase == "same"); // not "onesame": the first attempt was wiped
}

TEST_CASE("a bad username, a bad relay and an empty passphrase keep the form open",
          "[tui][setup_form]") {
    setup_form form(form_mode::create_profile, "", "");
    SECTION("username") {
        type(form, "-bad name");
        CHECK_FALSE(enter(form));
        CHECK(form.field() == form_field::username);
        CHECK(has_error(form));
    }
    SECTION("relay") {
        type(form, "alice");
        enter(form);
        type(form, "no port here");
        CHECK_FALSE(enter(form));
        CHECK(form.field() == form_field::relay);
        CHECK(has_error(form));
    }
    SECTION("passphrase") {
        type(form, "alice");
        enter(form);
        type(form, "host:7717");
        enter(form);
        CHECK_FALSE(enter(form));
        CHECK(form.field() == form_field::passphrase);
        CHECK(has_error(form));
    }
}

TEST_CASE("the unlock prompt asks only the passphrase and shows an outside error",
          "[tui][setup_form]") {
    setup_form form(form_mode::unlock, "", "bob");
    CHECK(form.field() == form_field::passphrase);
    CHECK(all_text(form).find("bob") != std::string::npos);
    type(form, "guess");
    const auto first = enter(form);
    REQUIRE(first);
    CHECK(first->passphrase == "guess");
    form.fail("wrong passphrase - try again");
    CHECK(all_text(form).find("wrong passphrase") != std::string::npos);
    type(form, "right");
    const auto second = enter(form);
    REQUIRE(second);
    CHECK(second->passphrase == "right");
}

TEST_CASE("Ctrl+C and Esc cancel the form; a paste goes into the field", "[tui][setup_form]") {
    setup_form form(form_mode::create_profile, "", "");
    form.handle(paste{"alice"});
    CHECK(all_text(form).find("alice") != std::string::npos);
    CHECK_FALSE(form.cancelled());
    SECTION("Ctrl+C") {
        form.handle(control_key('C'));
    }
    SECTION("Esc") {
        form.handle(character_key(0x1B));
    }
    CHECK(form.cancelled());
}
