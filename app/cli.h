#pragma once
// The command line of the one binary (DESIGN.md section 7):
//   sotto [--profile P] [--relay HOST:PORT] [--user NAME] ...   the full-screen client
//   sotto --batch ...                                            the headless JSON-lines client
//   sotto --relay [--listen ADDR:PORT] [--data-dir DIR] ...      the relay server
//   sotto relay invite|audit [...]                               operator commands
// `--relay` with no value selects relay mode; with a value it names the relay a client uses.

#include "app/options.h"
#include "store/paths.h"

#include <ostream>
#include <span>
#include <string>

namespace sotto::app {

// The version string printed by --version: "sotto 0.1.0".
[[nodiscard]] std::string version_string();

// Parses argv (argv[0] included) against defaults and config.toml (--config, else the XDG
// one). Help, version and error text go to `out` and `err`; then exit_now is returned.
[[nodiscard]] command parse_command_line(std::span<const char* const> arguments,
                                         const store::environment_lookup& environment,
                                         std::ostream& out, std::ostream& err);

} // namespace sotto::app
