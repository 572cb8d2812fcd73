#pragma once
// `sotto --batch`: the JSON-lines front end of the engine (docs/BATCH.md is the contract).
// Commands come one JSON object per line on `input_fd`, events go one per line to `output_fd`,
// flushed per line. Bad JSON or an unknown command is an error event, never a crash.

#include "client/engine.h"
#include "crypto/secret.h"

#include <optional>
#include <string>

namespace sotto::client {

// Runs the engine and the JSON-lines loop until `quit`, end of input or a fatal error.
// Returns the exit status: 0 after quit or end of input, 1 after a fatal error.
int run_batch(engine_options options, crypto::secret_buffer passphrase, int input_fd,
              int output_fd);

} // namespace sotto::client
