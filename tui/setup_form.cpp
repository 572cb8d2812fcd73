#include "tui/setup_form.h"

#include "net/address.h"
#include "tui/commands.h"
#include "tui/text_width.h"

#include <algorithm>

namespace sotto::tui {

namespace {

void wipe(input_line& line) {
    // input_line keeps no history here (capacity 0); overwrite the text before dropping it.
    std::string blank(line.text().size(), ' ');
    line.set_text(blank);
    line.set_text("");
}

} // namespace

setup_form::setup_form(form_mode mode, std::string relay, std::string username)
    : mode_(mode),
      field_(mode == form_mode::unlock ? form_field::passphrase : form_field::username),
      profile_user_(username) {
    relay_.set_text(relay);
    username_.set_text(username);
    if (mode_ == form_mode::create_profile && !username.empty()) {
        field_ = form_field::relay;
    }
}

setup_form::~setup_form() {
    wipe_passphrases();
}

input_line& setup_form::current_input() {
    switch (field_) {
    case form_field::username:
        return username_;
    case form_field::relay:
        return relay_;
    case form_field::passphrase:
        return passphrase_;
    case form_field::confirmation:
        return confirmation_;
    }
    return passphrase_;
}

void setup_form::wipe_passphrases() {
    wipe(passphrase_);
    wipe(confirmation_);
}

void setup_form::fail(std::string message) {
    error_ = sanitize(message);
    wipe_passphrases();
    field_ = form_field::passphrase;
}

std::optional<form_answers> setup_form::advance() {
    error_.clear();
    if (mode_ == form_mode::unlock) {
        if (passphrase_.empty()) {
            error_ = "the passphrase is empty";
            return std::nullopt;
        }
        return form_answers{profile_user_, relay_.text(), passphrase_.text()};
    }
    switch (field_) {
    case form_field::username:
        if (!looks_like_user_name(username_.text())) {
            error_ = "a username is 1 to 32 of A-Z a-z 0-9 . _ - starting with a letter or digit";
            return std::nullopt;
        }
        field_ = form_field::relay;
        return std::nullopt;
    case form_field::relay:
        if (relay_.text().find_first_of(" \t") != std::string::npos ||
            !net::parse_endpoint(relay_.text())) {
            error_ = "the relay is HOST:PORT, for example 127.0.0.1:7717";
            return std::nullopt;
        }
        field_ = form_field::passphrase;
        return std::nullopt;
    case form_field::passphrase:
        if (passphrase_.empty()) {
            error_ = "the passphrase is empty";
            return std::nullopt;
        }
        field_ = form_field::confirmation;
        return std::nullopt;
    case form_field::confirmation:
        if (passphrase_.text() != confirmation_.text()) {
            fail("the two passphrases differ; type it again");
            return std::nullopt;
        }
        return form_answers{username_.text(), relay_.text(), passphrase_.text()};
    }
    return std::nullopt;
}

std::optional<form_answers> setup_form::handle(const input_event& event) {
    if (const auto* pasted = std::get_if<paste>(&event)) {
        current_input().insert(pasted->text);
        return std::nullopt;
    }
    const auto& pressed = std::get<key>(event);
    if (!pressed.function && !pressed.alt && pressed.code == 3) { // Ctrl+C
        cancelled_ = true;
        return std::nullopt;
    }
    const auto bound = find_action(pressed);
    if (bound) {
        switch (*bound) {
        case action::submit:
            return advance();
        case action::complete:
        case action::history_down:
            if (mode_ == form_mode::create_profile && field_ != form_field::confirmation &&
                field_ != form_field::passphrase) {
                field_ = static_cast<form_field>(static_cast<int>(field_) + 1);
            }
            return std::nullopt;
        case action::complete_backward:
        case action::history_up:
            if (mode_ == form_mode::create_profile && field_ != form_field::username &&
                field_ != form_field::confirmation) {
                field_ = static_cast<form_field>(static_cast<int>(field_) - 1);
            }
            return std::nullopt;
        case action::close_overlay:
            cancelled_ = true;
            return std::nullopt;
        case action::cursor_left:
            current_input().move_left();
            return std::nullopt;
        case action::cursor_right:
            current_input().move_right();
            return std::nullopt;
        case action::cursor_home:
            current_input().move_home();
            return std::nullopt;
        case action::cursor_end:
            current_input().move_end();
            return std::nullopt;
        case action::delete_backward:
            current_input().delete_backward();
            return std::nullopt;
        case action::delete_forward:
            current_input().delete_forward();
            return std::nullopt;
        case action::kill_to_start:
            current_input().kill_to_start();
            return std::nullopt;
        case action::kill_to_end:
            current_input().kill_to_end();
            return std::nullopt;
        case action::delete_word_backward:
            current_input().delete_word_backward();
            return std::nullopt;
        default:
            return std::nullopt;
        }
    }
    if (!pressed.function && !pressed.alt && pressed.code >= 0x20 && pressed.code != 0x7F) {
        std::string utf8;
        const auto c = static_cast<std::uint32_t>(pressed.code);
        if (c < 0x80) {
            utf8 += static_cast<char>(c);
        } else if (c < 0x800) {
            utf8 += static_cast<char>(0xC0U | (c >> 6U));
            utf8 += static_cast<char>(0x80U | (c & 0x3FU));
        } else if (c < 0x10000) {
            utf8 += static_cast<char>(0xE0U | (c >> 12U));
            utf8 += static_cast<char>(0x80U | ((c >> 6U) & 0x3FU));
            utf8 += static_cast<char>(0x80U | (c & 0x3FU));
        } else {
            utf8 += static_cast<char>(0xF0U | (c >> 18U));
            utf8 += static_cast<char>(0x80U | ((c >> 12U) & 0x3FU));
            utf8 += static_cast<char>(0x80U | ((c >> 6U) & 0x3FU));
            utf8 += static_cast<char>(0x80U | (c & 0x3FU));
        }
        current_input().insert(utf8);
    }
    return std::nullopt;
}

std::vector<form_line> setup_form::lines() const {
    std::vector<form_line> out;
    const auto hidden = [](const input_line& line) {
        return line.empty() ? std::string{} : std::string("(typed, hidden)");
    };
    if (mode_ == form_mode::unlock) {
        out.push_back(
            {"Unlock the profile of " + sanitize(profile_user_) + ".", false, false, false});
        out.push_back({"", false, false, false});
        out.push_back({"Passphrase: " + hidden(passphrase_), true, true, false});
    } else {
        out.push_back(
            {"Welcome to sotto. Create your profile (Tab/Enter: next field, Ctrl+C: quit).", false,
             false, false});
        out.push_back({"", false, false, false});
        out.push_back(
            {"Username:   " + username_.text(), true, field_ == form_field::username, false});
        out.push_back({"Relay:      " + relay_.text(), true, field_ == form_field::relay, false});
        out.push_back(
            {"Passphrase: " + hidden(passphrase_), true, field_ == form_field::passphrase, false});
        out.push_back({"Again:      " + hidden(confirmation_), true,
                       field_ == form_field::confirmation, false});
        out.push_back({"", false, false, false});
        out.push_back({"The passphrase encrypts your profile on this machine and is never shown.",
                       false, false, false});
    }
    if (!error_.empty()) {
        out.push_back({"", false, false, false});
        out.push_back({error_, false, false, true});
    }
    return out;
}

} // namespace sotto::tui
