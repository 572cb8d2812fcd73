#include "app/cli.h"

#include "tests/support/environment.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace sotto::app;
using sotto::testing::fake_environment;

namespace {

struct parsed {
    command result;
    std::string out;
    std::string err;
};

parsed parse(std::vector<const char*> arguments,
             std::map<std::string, std::string> environment = {{"HOME", "/home/alice"}}) {
    arguments.insert(arguments.begin(), "sotto");
    std::ostringstream out;
    std::ostringstream err;
    auto result = parse_command_line(arguments, fake_environment(std::move(environment)), out, err);
    return {std::move(result), out.str(), err.str()};
}

template <typename T>
T as(const parsed& p) {
    INFO("stderr: " << p.err);
    REQUIRE(std::holds_alternative<T>(p.result));
    return std::get<T>(p.result);
}

int exit_code(const parsed& p) {
    return as<exit_now>(p).code;
}

struct temp_config {
    std::filesystem::path directory;
    explicit temp_config(const std::string& text) {
        directory =
            std::filesystem::temp_directory_path() /
            ("sotto-cli-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
        std::filesystem::create_directories(directory / "sotto");
        std::ofstream(directory / "sotto" / "config.toml") << text;
    }
    ~temp_config() { std::filesystem::remove_all(directory); }
    static int& counter() {
        static int value = 0;
        return value;
    }
    std::string file() const { return (directory / "sotto" / "config.toml").string(); }
};

} // namespace

TEST_CASE("the version flag prints the version and exits 0", "[app][cli]") {
    const auto p = parse({"--version"});
    CHECK(exit_code(p) == 0);
    CHECK(p.out == version_string() + "\n");
    CHECK_THAT(version_string(), Catch::StartsWith("sotto 0."));
}

TEST_CASE("the help flag lists every mode and option and exits 0", "[app][cli]") {
    const auto p = parse({"--help"});
    CHECK(exit_code(p) == 0);
    for (const char* word :
         {"--relay", "--batch", "--profile", "--user", "--listen", "--data-dir", "--invite-only",
          "--ephemeral", "--max-queue", "--cert", "--key", "--passphrase-file",
          "--relay-fingerprint", "--trust-on-first-use", "--config", "relay"}) {
        INFO(word);
        CHECK_THAT(p.out, Catch::Contains(word));
    }
}

TEST_CASE("no arguments start the full-screen client on the default profile and loopback relay",
          "[app][cli]") {
    const auto p = parse({});
    const auto& options = as<client_options>(p);
    CHECK_FALSE(options.batch);
    CHECK(options.profile == "default");
    CHECK(options.profile_directory == "/home/alice/.local/share/sotto/default");
    CHECK(options.relay_address.empty());
    CHECK(relay_for_profile(options) == "127.0.0.1:7717");
    CHECK(options.bell);
}

TEST_CASE("a bare relay flag runs the relay server with its defaults", "[app][cli]") {
    const auto& options = as<relay_options>(parse({"--relay"}));
    CHECK(options.listen == "127.0.0.1:7717");
    CHECK(options.data_directory == "/home/alice/.local/share/sotto-relay");
    CHECK_FALSE(options.invite_only);
    CHECK_FALSE(options.ephemeral);
    CHECK(options.max_queue_messages == 10'000);
    CHECK(options.threads == 0); // relay_threads_for(cores) at start
}

TEST_CASE("the relay's default network threads leave one core to its writer thread", "[app][cli]") {
    CHECK(sotto::app::relay_threads_for(0) == 1); // unknown
    CHECK(sotto::app::relay_threads_for(1) == 1);
    CHECK(sotto::app::relay_threads_for(2) == 1);
    CHECK(sotto::app::relay_threads_for(4) == 3);
    CHECK(sotto::app::relay_threads_for(9) == 8);
    CHECK(sotto::app::relay_threads_for(64) == 8);
}

TEST_CASE("relay flags are taken when they follow --relay", "[app][cli]") {
    const auto& options = as<relay_options>(
        parse({"--relay", "--listen", "0.0.0.0:9000", "--data-dir", "/srv/r", "--invite-only",
               "--ephemeral", "--max-queue", "50", "--max-queue-age", "2d", "--max-frame-rate",
               "500000", "--threads", "3", "--log-level", "debug"}));
    CHECK(options.listen == "0.0.0.0:9000");
    CHECK(options.data_directory == "/srv/r");
    CHECK(options.invite_only);
    CHECK(options.ephemeral);
    CHECK(options.max_queue_messages == 50);
    CHECK(options.max_queue_age == std::chrono::hours(48));
    CHECK(options.max_frame_rate == 500'000);
    CHECK(options.threads == 3);
    CHECK(options.log_level == "debug");
}

TEST_CASE("a relay flag with an address names the relay a client uses", "[app][cli]") {
    SECTION("batch") {
        const auto& options = as<client_options>(
            parse({"--batch", "--profile", "/tmp/p", "--relay", "[::1]:7000", "--user", "bob"}));
        CHECK(options.batch);
        CHECK(options.profile_directory == "/tmp/p");
        CHECK(options.relay_address == "[::1]:7000");
        CHECK(options.user == "bob");
    }
    SECTION("full screen") {
        const auto& options = as<client_options>(parse({"--relay", "relay.example:7717"}));
        CHECK_FALSE(options.batch);
        CHECK(options.relay_address == "relay.example:7717");
    }
}

TEST_CASE("flags of the other side are refused with a usage error", "[app][cli]") {
    auto p = parse({"--listen", "0.0.0.0:1"});
    CHECK(exit_code(p) == 2);
    CHECK_THAT(p.err, Catch::Contains("--listen only applies to the relay server"));
    p = parse({"--relay", "--user", "bob"});
    CHECK(exit_code(p) == 2);
    CHECK_THAT(p.err, Catch::Contains("--user only applies to the client"));
    CHECK(exit_code(parse({"--relay", "--batch"})) == 2);
}

TEST_CASE("malformed values are refused with a non-zero exit", "[app][cli]") {
    CHECK(exit_code(parse({"--relay", "host:99999"})) != 0);
    CHECK(exit_code(parse({"--relay", "--listen", "nope:"})) != 0);
    CHECK(exit_code(parse({"--relay", "--max-queue-age", "soon"})) != 0);
    CHECK(exit_code(parse({"--relay", "--max-queue", "0"})) != 0);
    CHECK(exit_code(parse({"--relay", "--log-level", "loud"})) != 0);
    CHECK(exit_code(parse({"--relay", "--cert", "c.pem"})) != 0);
    CHECK(exit_code(parse({"--profile", "bad name"})) != 0);
    CHECK(exit_code(parse({"--no-such-flag"})) != 0);
    CHECK(exit_code(parse({"relay"})) != 0);
}

TEST_CASE("operator subcommands take their own options", "[app][cli]") {
    const auto& invite =
        as<invite_options>(parse({"relay", "invite", "--uses", "3", "--expires", "12h"}));
    CHECK(invite.uses == 3);
    CHECK(invite.expires == std::chrono::hours(12));
    CHECK(invite.data_directory == "/home/alice/.local/share/sotto-relay");

    const auto& audit =
        as<audit_options>(parse({"relay", "audit", "--data-dir", "/srv/r", "--since", "1d"}));
    CHECK(audit.data_directory == "/srv/r");
    CHECK(audit.since == std::chrono::hours(24));

    CHECK(exit_code(parse({"relay", "invite", "--uses", "0"})) != 0);
}

TEST_CASE("the XDG config file supplies defaults and flags override it", "[app][cli]") {
    temp_config config("[client]\nuser = \"carol\"\nrelay = \"r.example:1\"\nbell = false\n"
                       "[relay]\nlisten = \"0.0.0.0:5000\"\ninvite_only = true\n");
    const std::map<std::string, std::string> env{{"HOME", "/home/alice"},
                                                 {"XDG_CONFIG_HOME", config.directory.string()}};
    const auto& client = as<client_options>(parse({}, env));
    CHECK(client.user == "carol");
    CHECK(client.relay_address == "r.example:1");
    CHECK_FALSE(client.bell);
    CHECK(as<client_options>(parse({"--user", "dave"}, env)).user == "dave");

    const auto& relay = as<relay_options>(parse({"--relay"}, env));
    CHECK(relay.listen == "0.0.0.0:5000");
    CHECK(relay.invite_only);
    CHECK(as<relay_options>(parse({"--relay", "--listen", "127.0.0.1:6000"}, env)).listen ==
          "127.0.0.1:6000");
}

TEST_CASE("the config flag names another file and a bad file is a clear error", "[app][cli]") {
    temp_config config("[relay]\nlisten = \"127.0.0.1:5555\"\n");
    CHECK(as<relay_options>(parse({"--config", config.file().c_str(), "--relay"})).listen ==
          "127.0.0.1:5555");

    auto p = parse({"--config", "/nonexistent.toml"});
    CHECK(exit_code(p) == 2);
    CHECK_THAT(p.err, Catch::Contains("does not exist"));

    temp_config broken("[relay]\nlisen = 1\n");
    p = parse({"--config", broken.file().c_str(), "--relay"});
    CHECK(exit_code(p) == 2);
    CHECK_THAT(p.err, Catch::Contains("lisen"));

    temp_config bad_address("[client]\nrelay = \"host:99999\"\n");
    p = parse({"--config", bad_address.file().c_str()});
    CHECK(exit_code(p) == 2);
}

TEST_CASE("without a home directory the client cannot find its profile and says so", "[app][cli]") {
    const auto p = parse({}, {});
    CHECK(exit_code(p) == 2);
    CHECK_THAT(p.err, Catch::Contains("HOME"));
}

TEST_CASE("the relay runs without a home directory when its data directory is given",
          "[app][cli]") {
    temp_config config("[relay]\ndata_dir = \"/var/lib/sotto\"\nlisten = \"0.0.0.0:7717\"\n");
    const auto relay = as<relay_options>(parse({"--relay", "--config", config.file().c_str()}, {}));
    CHECK(relay.data_directory == "/var/lib/sotto");
    CHECK(relay.listen == "0.0.0.0:7717");
    CHECK(as<relay_options>(parse({"--relay", "--data-dir", "/srv/x"}, {})).data_directory ==
          "/srv/x");
    CHECK(as<relay_options>(parse({"--relay", "--ephemeral"}, {})).ephemeral);
    CHECK(exit_code(parse({"--relay"}, {})) == 2);
    CHECK(
        as<invite_options>(parse({"relay", "invite", "--data-dir", "/srv/x"}, {})).data_directory ==
        "/srv/x");
    CHECK(exit_code(parse({"relay", "audit"}, {})) == 2);
    CHECK(as<client_options>(parse({"--profile", "/tmp/p"}, {})).profile_directory == "/tmp/p");
}

TEST_CASE("an existing profile keeps its stored relay unless one is given", "[app][cli]") {
    temp_config profile("");
    std::ofstream(profile.directory / "sotto.db") << "";
    auto options = as<client_options>(parse({"--profile", profile.directory.string().c_str()}));
    CHECK(options.relay_address.empty());
    CHECK(relay_for_profile(options).empty());
    options = as<client_options>(
        parse({"--profile", profile.directory.string().c_str(), "--relay", "other.example:1"}));
    CHECK(relay_for_profile(options) == "other.example:1");
}
