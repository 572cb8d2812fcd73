#pragma once
// The full-screen client: the run loop that joins the terminal (keyboard through an Asio stream
// descriptor, SIGWINCH, SIGINT/SIGTERM/SIGHUP), the client engine and the pure views of this
// folder on one io_context. First run: a profile form and the relay fingerprint confirmation;
// later runs: a passphrase prompt, then the last conversation.

#include "client/engine.h"

#include <optional>
#include <string>

namespace sotto::tui {

struct app_options {
    // The engine's options; username and relay_address may be empty (the form asks for them on
    // a first run, a later run reads them from the profile).
    client::engine_options engine;
    std::string default_relay = "127.0.0.1:7717"; // what the first-run form proposes
    std::optional<std::string> passphrase;        // from SOTTO_PASSPHRASE or a file: no prompt
    bool bell = true;                             // ring on messages in other conversations
};

// Runs until /quit or a signal; the terminal is restored on every way out. Returns the process
// exit code: 0 after /quit or SIGINT/SIGTERM/SIGHUP, 1 when the terminal cannot be used or the
// engine stopped with a fatal error the user cannot fix from the UI.
int run_app(app_options options);

} // namespace sotto::tui
