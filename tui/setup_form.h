#pragma once
// The screens before the client runs: the first-run form (username, relay, passphrase typed
// twice, never echoed) and the passphrase prompt of later runs. Pure: keys in, the lines to
// draw and, once complete and valid, the answers out.

#include "tui/input_line.h"
#include "tui/keys.h"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace sotto::tui {

enum class form_mode { create_profile, unlock };
enum class form_field { username, relay, passphrase, confirmation };

struct form_answers {
    std::string username;
    std::string relay;
    std::string passphrase; // the caller wipes it after use
};

struct form_line {
    std::string text;
    bool field = false;   // the line of an input field
    bool current = false; // the field being edited (the cursor goes at its end)
    bool error = false;
};

// Outcome of one key: nothing yet, the answers, or the user gave up (Ctrl+C, Esc twice).
struct form_cancelled {};

class setup_form {
  public:
    // `relay` and `username` prefill the fields (create_profile). In unlock mode only the
    // passphrase is asked; `username` names the profile in the prompt.
    setup_form(form_mode mode, std::string relay, std::string username);
    ~setup_form();
    setup_form(const setup_form&) = delete;
    setup_form& operator=(const setup_form&) = delete;

    // Handles one key or paste. Enter moves to the next field or, on the last one, checks the
    // answers: a bad username or relay, an empty passphrase or two different passphrases give
    // an error line and keep the form open (the passphrases are cleared then).
    std::optional<form_answers> handle(const input_event& event);
    [[nodiscard]] bool cancelled() const noexcept { return cancelled_; }
    // Shows an error from outside (e.g. "wrong passphrase") and clears the passphrase fields.
    void fail(std::string message);
    [[nodiscard]] form_field field() const noexcept { return field_; }
    // What to draw, top to bottom. Passphrases never appear, not even as stars.
    [[nodiscard]] std::vector<form_line> lines() const;

  private:
    input_line& current_input();
    void wipe_passphrases();
    std::optional<form_answers> advance();

    form_mode mode_;
    form_field field_;
    input_line username_{0, 32};
    input_line relay_{0, 256};
    input_line passphrase_{0, 1024};
    input_line confirmation_{0, 1024};
    std::string error_;
    bool cancelled_ = false;
    std::string profile_user_;
};

} // namespace sotto::tui
