#include "app/cli.h"

#include "app/config.h"
#include "app/duration.h"
#include "net/address.h"

#include <CLI/CLI.hpp>

namespace sotto::app {

std::string relay_for_profile(const client_options& options) {
    if (!options.relay_address.empty()) {
        return options.relay_address;
    }
    std::error_code ignored;
    if (std::filesystem::exists(options.profile_directory / "sotto.db", ignored)) {
        return {};
    }
    return default_relay_address;
}

std::string version_string() {
#ifdef SOTTO_TEST_HOOKS
    // Says so, so that a test build is never mistaken for a release.
    return std::string("sotto ") + SOTTO_VERSION + " (test build: honours SOTTO_TEST_* knobs)";
#else
    return std::string("sotto ") + SOTTO_VERSION;
#endif
}

namespace {

// A CLI11 validator for durations such as 7d.
const CLI::Validator duration_validator(
    [](std::string& text) {
        return parse_duration(text) ? std::string{}
                                    : "'" + text + "' is not a duration (90s, 15m, 12h, 7d, 2w)";
    },
    "DURATION");

const CLI::Validator endpoint_validator(
    [](std::string& text) {
        return net::parse_endpoint(text) ? std::string{} : "'" + text + "' is not HOST:PORT";
    },
    "HOST:PORT");

struct flags {
    std::string config_path;
    bool batch = false;
    std::string relay; // empty with count 1: relay mode
    std::string profile, user, relay_fingerprint, passphrase_file;
    bool trust_on_first_use = false, no_bell = false;
    std::string listen, data_dir, max_queue_age, cert, key, log_level;
    bool invite_only = false, ephemeral = false;
    std::uint64_t max_queue = 0, max_queue_bytes = 0, max_frame_rate = 0, threads = 0;
    std::string invite_data_dir, invite_expires, audit_data_dir, audit_since;
    std::uint32_t invite_uses = 1;
};

template <typename T>
void apply(T& target, const std::optional<T>& value) {
    if (value) {
        target = *value;
    }
}

} // namespace

command parse_command_line(std::span<const char* const> arguments,
                           const store::environment_lookup& environment, std::ostream& out,
                           std::ostream& err) {
    flags f;
    CLI::App cli{"sotto - end-to-end encrypted messenger for the terminal.\n"
                 "Without a mode it opens the full-screen client.",
                 "sotto"};
    cli.set_version_flag("--version", version_string(), "Print the version and exit");
    cli.get_formatter()->column_width(34);
    cli.add_option("--config", f.config_path,
                   "Configuration file (default $XDG_CONFIG_HOME/sotto/config.toml)")
        ->option_text("FILE");

    auto* relay =
        cli.add_option("--relay", f.relay,
                       "Alone: run the relay server. With HOST:PORT: the relay a client uses")
            ->expected(0, 1)
            ->option_text("[HOST:PORT]")
            ->check(endpoint_validator);
    cli.add_flag("--batch", f.batch,
                 "Headless client: JSON-lines commands on stdin, events on stdout");

    const std::string client_group = "Client (full-screen and --batch)";
    std::vector<CLI::Option*> client_only{
        cli.add_option("--profile", f.profile, "Profile name, or a directory (default: default)")
            ->group(client_group),
        cli.add_option("--user", f.user, "Username on the relay")->group(client_group),
        cli.add_option("--passphrase-file", f.passphrase_file,
                       "Read the profile passphrase from FILE (else $SOTTO_PASSPHRASE or a prompt)")
            ->group(client_group)
            ->option_text("FILE"),
        cli.add_option("--relay-fingerprint", f.relay_fingerprint,
                       "Pin the relay certificate's SHA-256 fingerprint")
            ->group(client_group)
            ->option_text("HEX"),
        cli.add_flag("--trust-on-first-use", f.trust_on_first_use,
                     "Pin whatever certificate the relay shows first (batch)")
            ->group(client_group),
        cli.add_flag("--no-bell", f.no_bell, "No terminal bell on new messages")
            ->group(client_group),
    };

    const std::string relay_group = "Relay server (with --relay)";
    CLI::Option* cert_option = nullptr;
    CLI::Option* key_option = nullptr;
    std::vector<CLI::Option*> relay_only{
        cli.add_option("--listen", f.listen, "Address to listen on (default 127.0.0.1:7717)")
            ->group(relay_group)
            ->check(endpoint_validator)
            ->option_text("ADDR:PORT"),
        cli.add_option("--data-dir", f.data_dir,
                       "Relay data directory (default $XDG_DATA_HOME/sotto-relay)")
            ->group(relay_group)
            ->option_text("DIR"),
        cli.add_flag("--invite-only", f.invite_only, "Registration needs an invite code")
            ->group(relay_group),
        cli.add_flag("--ephemeral", f.ephemeral, "No database and no logs: a memory-only queue")
            ->group(relay_group),
        cli.add_option("--max-queue", f.max_queue,
                       "Most envelopes queued per recipient (default 10000)")
            ->group(relay_group)
            ->check(CLI::PositiveNumber)
            ->option_text("N"),
        cli.add_option("--max-queue-bytes", f.max_queue_bytes,
                       "Most bytes queued per recipient (default 64 MiB)")
            ->group(relay_group)
            ->check(CLI::PositiveNumber)
            ->option_text("N"),
        cli.add_option("--max-frame-rate", f.max_frame_rate,
                       "Frames a second one connection may send, in bursts of as many; over it the "
                       "connection is closed (default 20000)")
            ->group(relay_group)
            ->check(CLI::PositiveNumber)
            ->option_text("N"),
        cli.add_option(
               "--threads", f.threads,
               "Network threads, one io_context each (default: one per core less one for the "
               "writer thread, at least 1, at most 8)")
            ->group(relay_group)
            ->check(CLI::Range(1, 64))
            ->option_text("N"),
        cli.add_option("--max-queue-age", f.max_queue_age,
                       "Oldest envelope kept before it expires (default 30d)")
            ->group(relay_group)
            ->check(duration_validator),
        cert_option =
            cli.add_option("--cert", f.cert, "PEM certificate chain instead of the self-signed one")
                ->group(relay_group)
                ->option_text("FILE"),
        key_option = cli.add_option("--key", f.key, "PEM private key for --cert")
                         ->group(relay_group)
                         ->option_text("FILE"),
        cli.add_option("--log-level", f.log_level,
                       "trace, debug, info, warn, error or off (default info)")
            ->group(relay_group)
            ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"})),
    };
    cert_option->needs(key_option);
    key_option->needs(cert_option);

    auto* operator_commands =
        cli.add_subcommand("relay", "Operator commands on a relay's data directory");
    operator_commands->require_subcommand(1);
    auto* invite = operator_commands->add_subcommand(
        "invite", "Create an invite code for --invite-only registration");
    invite->add_option("--data-dir", f.invite_data_dir, "Relay data directory")->option_text("DIR");
    invite
        ->add_option("--uses", f.invite_uses, "How many registrations the code allows (default 1)")
        ->check(CLI::Range(1U, 1'000'000U));
    invite->add_option("--expires", f.invite_expires, "How long the code stays valid (default 7d)")
        ->check(duration_validator);
    auto* audit =
        operator_commands->add_subcommand("audit", "Print the relay's security audit log");
    audit->add_option("--data-dir", f.audit_data_dir, "Relay data directory")->option_text("DIR");
    audit->add_option("--since", f.audit_since, "Only events newer than this (e.g. 24h)")
        ->check(duration_validator);

    try {
        cli.parse(static_cast<int>(arguments.size()), arguments.data());
    } catch (const CLI::ParseError& error) {
        return exit_now{cli.exit(error, out, err)};
    }

    const bool relay_mode = relay->count() > 0 && f.relay.empty();
    auto usage_error = [&](const std::string& message) {
        err << "sotto: " << message << "\nRun with --help for more information.\n";
        return exit_now{2};
    };
    if (relay_mode && f.batch) {
        return usage_error("--relay without an address runs the relay server; --batch is a client");
    }
    if (!relay_mode) {
        for (const auto* option : relay_only) {
            if (option->count() > 0) {
                return usage_error(option->get_name() +
                                   " only applies to the relay server (sotto --relay)");
            }
        }
    } else {
        for (const auto* option : client_only) {
            if (option->count() > 0) {
                return usage_error(option->get_name() +
                                   " only applies to the client, not to sotto --relay");
            }
        }
    }

    // The XDG directories are needed only for defaults that the flags or the config file did not
    // give; a relay under systemd with --config and a data_dir runs without any HOME.
    const auto xdg = store::resolve_xdg(environment);
    const std::string no_home =
        "cannot find a home directory: set HOME or the XDG_*_HOME variables";
    std::filesystem::path config_path;
    if (!f.config_path.empty()) {
        config_path = f.config_path;
        if (!std::filesystem::exists(config_path)) {
            return usage_error("config file " + config_path.string() + " does not exist");
        }
    } else if (xdg) {
        config_path = store::config_file(*xdg);
    }
    config_result loaded = file_config{};
    if (!config_path.empty()) {
        loaded = load_config(config_path);
    }
    if (auto* message = std::get_if<std::string>(&loaded)) {
        return usage_error("bad configuration: " + *message);
    }
    const auto& config = std::get<file_config>(loaded);

    if (*operator_commands) {
        auto data_dir = [&](const std::string& flag) -> std::optional<std::filesystem::path> {
            if (!flag.empty()) {
                return std::filesystem::path(flag);
            }
            if (config.relay.data_dir) {
                return config.relay.data_dir;
            }
            if (xdg) {
                return store::relay_data_directory(*xdg);
            }
            return std::nullopt;
        };
        if (*invite) {
            invite_options options;
            auto directory = data_dir(f.invite_data_dir);
            if (!directory) {
                return usage_error(no_home + ", or give --data-dir");
            }
            options.data_directory = *directory;
            options.uses = f.invite_uses;
            if (!f.invite_expires.empty()) {
                options.expires = *parse_duration(f.invite_expires);
            }
            return options;
        }
        audit_options options;
        auto directory = data_dir(f.audit_data_dir);
        if (!directory) {
            return usage_error(no_home + ", or give --data-dir");
        }
        options.data_directory = *directory;
        if (!f.audit_since.empty()) {
            options.since = parse_duration(f.audit_since);
        }
        return options;
    }

    if (relay_mode) {
        relay_options options;
        const auto& r = config.relay;
        apply(options.listen, r.listen);
        if (r.data_dir) {
            options.data_directory = *r.data_dir;
        } else if (xdg) {
            options.data_directory = store::relay_data_directory(*xdg);
        }
        apply(options.invite_only, r.invite_only);
        apply(options.ephemeral, r.ephemeral);
        apply(options.max_queue_messages, r.max_queue);
        apply(options.max_queue_bytes, r.max_queue_bytes);
        apply(options.max_queue_age, r.max_queue_age);
        apply(options.max_frame_rate, r.max_frame_rate);
        apply(options.threads, r.threads);
        options.certificate_file = r.cert;
        options.key_file = r.key;
        apply(options.log_level, r.log_level);
        if (r.listen && !net::parse_endpoint(*r.listen)) {
            return usage_error("bad configuration: [relay] listen '" + *r.listen +
                               "' is not HOST:PORT");
        }
        if (!f.listen.empty())
            options.listen = f.listen;
        if (!f.data_dir.empty())
            options.data_directory = f.data_dir;
        options.invite_only = options.invite_only || f.invite_only;
        options.ephemeral = options.ephemeral || f.ephemeral;
        if (f.max_queue != 0)
            options.max_queue_messages = f.max_queue;
        if (f.max_queue_bytes != 0)
            options.max_queue_bytes = f.max_queue_bytes;
        if (f.max_frame_rate != 0)
            options.max_frame_rate = f.max_frame_rate;
        if (f.threads != 0)
            options.threads = f.threads;
        if (!f.max_queue_age.empty())
            options.max_queue_age = *parse_duration(f.max_queue_age);
        if (!f.cert.empty())
            options.certificate_file = f.cert;
        if (!f.key.empty())
            options.key_file = f.key;
        if (!f.log_level.empty())
            options.log_level = f.log_level;
        if (options.data_directory.empty() && !options.ephemeral) {
            return usage_error(no_home + ", or give --data-dir");
        }
        if (options.certificate_file.has_value() != options.key_file.has_value()) {
            return usage_error("a certificate needs its key: give both cert and key, or neither");
        }
        return options;
    }

    client_options options;
    const auto& c = config.client;
    options.batch = f.batch;
    apply(options.profile, c.profile);
    apply(options.relay_address, c.relay);
    apply(options.user, c.user);
    apply(options.relay_fingerprint, c.relay_fingerprint);
    options.passphrase_file = c.passphrase_file;
    apply(options.trust_on_first_use, c.trust_on_first_use);
    apply(options.bell, c.bell);
    if (c.relay && !net::parse_endpoint(*c.relay)) {
        return usage_error("bad configuration: [client] relay '" + *c.relay + "' is not HOST:PORT");
    }
    if (!f.profile.empty())
        options.profile = f.profile;
    if (!f.relay.empty())
        options.relay_address = f.relay;
    if (!f.user.empty())
        options.user = f.user;
    if (!f.relay_fingerprint.empty())
        options.relay_fingerprint = f.relay_fingerprint;
    if (!f.passphrase_file.empty())
        options.passphrase_file = f.passphrase_file;
    options.trust_on_first_use = options.trust_on_first_use || f.trust_on_first_use;
    if (f.no_bell)
        options.bell = false;
    if (!xdg && options.profile.find('/') == std::string::npos) {
        return usage_error(no_home + ", or give --profile DIR");
    }
    auto directory =
        store::profile_directory(xdg.value_or(store::xdg_directories{}), options.profile);
    if (!directory) {
        return usage_error(
            "profile '" + options.profile +
            "' is not a valid name (letters, digits, '.', '_', '-'; or a path with '/')");
    }
    options.profile_directory = *directory;
    return options;
}

} // namespace sotto::app
