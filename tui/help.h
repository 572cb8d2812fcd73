#pragma once
// The /help overlay's text: every key binding and every command, generated from the binding
// table and the command table so that it cannot drift from what the program does.

#include "tui/keys.h"

#include <span>
#include <string>
#include <vector>

namespace sotto::tui {

// Lines of the overlay: a title, the keys (read from `bindings`), the commands, the contact
// marks. `topic` (a command name without '/') narrows it to that command's usage; an unknown
// topic gives the whole text.
[[nodiscard]] std::vector<std::string>
help_lines(std::span<const binding> bindings = default_bindings(), std::string_view topic = {});

} // namespace sotto::tui
