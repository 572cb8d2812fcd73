#pragma once
// Runs one mode of the binary with its merged options; returns the process exit code.

#include "app/options.h"

namespace sotto::app {

int run_client(const client_options& options);
int run_relay(const relay_options& options);
int run_invite(const invite_options& options);
int run_audit(const audit_options& options);

} // namespace sotto::app
