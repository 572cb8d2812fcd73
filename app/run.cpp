#include "app/run.h"

#include "client/batch.h"
#include "crypto/seal.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string_view>

namespace sotto::app {

namespace {
int not_built(std::string_view what) {
    std::cerr << "sotto: " << what << " is not built yet in this version; nothing was started.\n";
    return exit_not_built;
}

void batch_error(std::string_view code, std::string_view message) {
    // Written by hand: the JSON module lives in client/; these strings need no escaping but quotes.
    std::string escaped;
    for (const char c : message) {
        if (c == '"' || c == '\\') {
            escaped += '\\';
        }
        escaped += c;
    }
    std::cout << R"({"event":"error","code":")" << code << R"(","message":")" << escaped << "\"}\n"
              << std::flush;
}

// Tuning for tests (docs/BATCH.md "Test knobs"); never set these for real profiles.
void apply_test_knobs(client::engine_options& options) {
    if (const char* fast = std::getenv("SOTTO_INSECURE_TEST_KDF"); fast != nullptr && std::string_view(fast) == "1") {
        options.kdf = crypto::kdf_params::cheap();
    }
    if (const char* period = std::getenv("SOTTO_TEST_RESEND_MS"); period != nullptr) {
        const long value = std::strtol(period, nullptr, 10);
        if (value > 0 && value <= 60'000) {
            const std::chrono::milliseconds base(value);
            options.handshake.first_resend = base;
            options.handshake.max_resend = base * 8;
            options.reconnect.initial = base;
            options.reconnect.maximum = base * 8;
            options.outbox_retry = base;
        }
    }
}
} // namespace

int run_client(const client_options& options) {
    if (!options.batch) {
        return not_built("the full-screen client");
    }
    const rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    std::string passphrase;
    if (options.passphrase_file) {
        std::ifstream in(*options.passphrase_file, std::ios::binary);
        if (!in) {
            batch_error("io", "cannot read the passphrase file " + options.passphrase_file->string());
            return 1;
        }
        passphrase.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        while (!passphrase.empty() && (passphrase.back() == '\n' || passphrase.back() == '\r')) {
            passphrase.pop_back();
        }
    } else if (const char* from_env = std::getenv("SOTTO_PASSPHRASE"); from_env != nullptr) {
        passphrase = from_env;
    } else {
        batch_error("no_passphrase", "batch mode needs --passphrase-file FILE or SOTTO_PASSPHRASE");
        return 1;
    }
    if (passphrase.empty()) {
        batch_error("no_passphrase", "the passphrase is empty");
        return 1;
    }
    client::engine_options engine;
    engine.profile_directory = options.profile_directory;
    engine.username = options.user;
    engine.relay_address = options.relay_address;
    engine.relay_fingerprint = options.relay_fingerprint;
    engine.trust_on_first_use = options.trust_on_first_use;
    apply_test_knobs(engine);
    auto secret = crypto::make_passphrase(passphrase);
    std::fill(passphrase.begin(), passphrase.end(), '\0');
    return client::run_batch(std::move(engine), std::move(secret), STDIN_FILENO, STDOUT_FILENO);
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
