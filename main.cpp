// sotto: one binary, several modes. This file only dispatches; app/ parses and runs.
#include "app/cli.h"
#include "app/run.h"
#include "store/paths.h"

#include <iostream>
#include <span>
#include <variant>

namespace {
template <typename... Handlers>
struct overloaded : Handlers... {
    using Handlers::operator()...;
};
} // namespace

int main(int argc, char** argv) {
    using namespace sotto::app;
    const auto parsed =
        parse_command_line(std::span<const char* const>(argv, static_cast<std::size_t>(argc)),
                           sotto::store::process_environment(), std::cout, std::cerr);
    return std::visit(overloaded{
                          [](const exit_now& done) { return done.code; },
                          [](const client_options& options) { return run_client(options); },
                          [](const relay_options& options) { return run_relay(options); },
                          [](const invite_options& options) { return run_invite(options); },
                          [](const audit_options& options) { return run_audit(options); },
                      },
                      parsed);
}
