#include "app/run.h"

#include "client/batch.h"
#include "crypto/identity.h"
#include "crypto/random.h"
#include "crypto/seal.h"
#include "net/address.h"
#include "net/relay/server.h"
#include "net/tls.h"
#include "store/relay_store.h"
#include "tui/app.h"

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string_view>
#include <thread>

namespace sotto::app {

namespace {

store::unix_seconds unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string format_time(store::unix_seconds seconds) {
    const std::time_t time = seconds;
    std::tm utc{};
    ::gmtime_r(&time, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

void setup_logging(const std::string& level) {
    auto logger = spdlog::stderr_color_mt("sotto-relay");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(level));
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

// Tuning for tests (docs/BATCH.md "Test knobs"), compiled only into test and benchmark builds
// (SOTTO_TEST_HOOKS): a packaged binary never weakens a profile's KDF because of its environment.
void apply_test_knobs([[maybe_unused]] client::engine_options& options) {
#ifdef SOTTO_TEST_HOOKS
    if (const char* fast = std::getenv("SOTTO_INSECURE_TEST_KDF");
        fast != nullptr && std::string_view(fast) == "1") {
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
    if (const char* forgery = std::getenv("SOTTO_TEST_GROUP_FORGERY"); forgery != nullptr) {
        const std::string_view mode(forgery);
        options.forge_group_changes = mode == "unauthorized" ? client::group_forgery::unauthorized
                                      : mode == "bad_signature"
                                          ? client::group_forgery::bad_signature
                                          : client::group_forgery::none;
    }
#endif
}

int run_full_screen(const client_options& options) {
    tui::app_options app;
    app.engine.profile_directory = options.profile_directory;
    app.engine.username = options.user;
    app.engine.relay_address = options.relay_address;
    app.engine.relay_fingerprint = options.relay_fingerprint;
    app.engine.trust_on_first_use = options.trust_on_first_use;
    apply_test_knobs(app.engine);
    app.default_relay =
        options.relay_address.empty() ? default_relay_address : options.relay_address;
    app.bell = options.bell;
    if (options.passphrase_file) {
        std::ifstream in(*options.passphrase_file, std::ios::binary);
        if (!in) {
            std::cerr << "sotto: cannot read the passphrase file "
                      << options.passphrase_file->string() << "\n";
            return 1;
        }
        std::string passphrase{std::istreambuf_iterator<char>(in),
                               std::istreambuf_iterator<char>()};
        while (!passphrase.empty() && (passphrase.back() == '\n' || passphrase.back() == '\r')) {
            passphrase.pop_back();
        }
        app.passphrase = std::move(passphrase);
    } else if (const char* from_env = std::getenv("SOTTO_PASSPHRASE");
               from_env != nullptr && *from_env != '\0') {
        app.passphrase = from_env;
    }
    const int code = tui::run_app(std::move(app));
    return code;
}

} // namespace

int run_client(const client_options& options) {
    const rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    if (!options.batch) {
        return run_full_screen(options);
    }
    std::string passphrase;
    if (options.passphrase_file) {
        std::ifstream in(*options.passphrase_file, std::ios::binary);
        if (!in) {
            batch_error("io",
                        "cannot read the passphrase file " + options.passphrase_file->string());
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
    engine.relay_address = relay_for_profile(options);
    engine.relay_fingerprint = options.relay_fingerprint;
    engine.trust_on_first_use = options.trust_on_first_use;
    apply_test_knobs(engine);
    auto secret = crypto::make_passphrase(passphrase);
    std::fill(passphrase.begin(), passphrase.end(), '\0');
    return client::run_batch(std::move(engine), std::move(secret), STDIN_FILENO, STDOUT_FILENO);
}

int run_relay(const relay_options& options) {
    setup_logging(options.log_level);
    const auto endpoint = net::parse_endpoint(options.listen);
    if (!endpoint) {
        std::cerr << "sotto: --listen '" << options.listen << "' is not HOST:PORT\n";
        return 2;
    }
    try {
        // Certificate: the operator's own, or a self-signed one kept in the data dir (or, for
        // --ephemeral, held only in memory).
        net::certificate_pem pem;
        if (options.certificate_file) {
            pem = net::read_certificate_files({*options.certificate_file, *options.key_file});
        } else if (options.ephemeral) {
            pem = net::generate_self_signed_certificate();
        } else {
            pem = net::read_certificate_files(
                net::ensure_self_signed_certificate(options.data_directory));
        }
        auto tls = net::make_server_context(pem);
        const auto fingerprint = net::certificate_fingerprint(pem.certificate);

        auto store = options.ephemeral ? store::make_memory_relay_store()
                                       : store::open_relay_store(options.data_directory);
        net::relay::local_backend_options backend_options;
        backend_options.limits.max_messages = options.max_queue_messages;
        backend_options.limits.max_bytes = options.max_queue_bytes;
        backend_options.limits.max_age = options.max_queue_age;
        backend_options.audit = !options.ephemeral;
        auto backend = net::relay::make_local_backend(std::move(store), backend_options);

        net::relay::server_options server_options;
        server_options.listen_host = endpoint->host;
        server_options.listen_port = endpoint->port;
        server_options.invite_only = options.invite_only;
        server_options.limits.frames_per_second = static_cast<double>(options.max_frame_rate);
        server_options.limits.frame_burst = static_cast<double>(options.max_frame_rate);
        server_options.threads =
            options.threads != 0
                ? static_cast<std::size_t>(options.threads)
                : static_cast<std::size_t>(relay_threads_for(std::thread::hardware_concurrency()));
        server_options.software = "sotto " SOTTO_VERSION;
        net::relay::server relay(server_options, tls, backend);

        asio::io_context signals_context(1);
        asio::signal_set signals(signals_context, SIGINT, SIGTERM);
        relay.start();
        const net::endpoint_address bound{endpoint->host, relay.port()};
        spdlog::info("relay listening on {} ({}), certificate SHA-256 fingerprint {}",
                     bound.to_string(),
                     options.ephemeral ? "ephemeral: memory only" : options.data_directory.string(),
                     fingerprint);
        std::cout << "sotto relay listening on " << bound.to_string() << "\n"
                  << "certificate fingerprint (SHA-256): " << fingerprint << "\n"
                  << std::flush;
        int signal_number = 0;
        signals.async_wait([&](const std::error_code&, int number) { signal_number = number; });
        signals_context.run();
        spdlog::info("signal {}: stopping (finishing in-flight commits)", signal_number);
        relay.stop();
        backend->drain();
        spdlog::info("relay stopped");
        return 0;
    } catch (const std::exception& error) {
        spdlog::critical("cannot run the relay: {}", error.what());
        return 1;
    }
}

int run_invite(const invite_options& options) {
    try {
        auto store = store::open_relay_store(options.data_directory);
        crypto::system_random random;
        std::array<std::uint8_t, 10> bytes{};
        random.fill(bytes);
        // 20 hex digits in groups of 4: easy to read out, 80 bits of entropy.
        const auto hex = crypto::to_hex(bytes);
        std::string code;
        for (std::size_t i = 0; i < hex.size(); ++i) {
            if (i > 0 && i % 4 == 0) {
                code.push_back('-');
            }
            code.push_back(hex[i]);
        }
        const auto expires = unix_now() + options.expires.count();
        if (!store->add_invite({code, options.uses, expires})) {
            std::cerr << "sotto: could not record the invite (try again)\n";
            return 1;
        }
        store->audit(
            {unix_now(),
             "invite_created",
             {},
             {},
             "uses " + std::to_string(options.uses) + ", expires " + format_time(expires)});
        std::cout << code << "\n";
        return 0;
    } catch (const std::exception& error) {
        std::cerr << "sotto: " << error.what() << "\n";
        return 1;
    }
}

int run_audit(const audit_options& options) {
    try {
        auto store = store::open_relay_store(options.data_directory);
        const auto since = options.since ? unix_now() - options.since->count() : 0;
        for (const auto& event : store->audit_since(since)) {
            std::cout << format_time(event.time) << ' ' << event.kind;
            if (!event.username.empty()) {
                std::cout << " user=" << event.username;
            }
            if (!event.address.empty()) {
                std::cout << " from=" << event.address;
            }
            if (!event.detail.empty()) {
                std::cout << " (" << event.detail << ')';
            }
            std::cout << '\n';
        }
        return 0;
    } catch (const std::exception& error) {
        std::cerr << "sotto: " << error.what() << "\n";
        return 1;
    }
}

} // namespace sotto::app
