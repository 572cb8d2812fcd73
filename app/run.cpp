#include "app/run.h"

#include <iostream>
#include <string_view>

namespace sotto::app {

namespace {
int not_built(std::string_view what) {
    std::cerr << "sotto: " << what << " is not built yet in this version; nothing was started.\n";
    return exit_not_built;
}
} // namespace

int run_client(const client_options& options) {
    return not_built(options.batch ? "the --batch client" : "the full-screen client");
}

int run_relay(const relay_options& /*options*/) {
    return not_built("the relay server (--relay)");
}

int run_invite(const invite_options& /*options*/) {
    return not_built("'sotto relay invite'");
}

int run_audit(const audit_options& /*options*/) {
    return not_built("'sotto relay audit'");
}

} // namespace sotto::app
