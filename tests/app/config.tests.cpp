#include "app/config.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace sotto::app;

namespace {
file_config ok(const config_result& result) {
    if (const auto* message = std::get_if<std::string>(&result)) {
        FAIL("unexpected config error: " << *message);
    }
    return std::get<file_config>(result);
}
std::string error_of(const config_result& result) {
    REQUIRE(std::holds_alternative<std::string>(result));
    return std::get<std::string>(result);
}
} // namespace

TEST_CASE("a full config file fills both sections", "[app][config]") {
    const auto& config = ok(parse_config(R"(
[client]
profile = "work"
relay = "relay.example:7717"
user = "alice"
relay_fingerprint = "ab12"
passphrase_file = "/run/secrets/pass"
trust_on_first_use = true
bell = false

[relay]
listen = "0.0.0.0:7717"
data_dir = "/var/lib/sotto"
invite_only = true
ephemeral = false
max_queue = 500
max_queue_bytes = 1048576
max_queue_age = "3d"
max_frame_rate = 1000
threads = 1
cert = "/etc/sotto/cert.pem"
key = "/etc/sotto/key.pem"
log_level = "debug"
)",
                                         "test.toml"));
    CHECK(config.client.profile == "work");
    CHECK(config.client.relay == "relay.example:7717");
    CHECK(config.client.user == "alice");
    CHECK(config.client.passphrase_file == std::filesystem::path("/run/secrets/pass"));
    CHECK(config.client.trust_on_first_use == true);
    CHECK(config.client.bell == false);
    CHECK(config.relay.listen == "0.0.0.0:7717");
    CHECK(config.relay.data_dir == std::filesystem::path("/var/lib/sotto"));
    CHECK(config.relay.invite_only == true);
    CHECK(config.relay.max_queue == 500U);
    CHECK(config.relay.max_queue_bytes == 1048576U);
    CHECK(config.relay.max_queue_age == std::chrono::hours(72));
    CHECK(config.relay.max_frame_rate == 1000U);
    CHECK(config.relay.threads == 1U);
    CHECK(config.relay.log_level == "debug");
}

TEST_CASE("an empty config sets nothing", "[app][config]") {
    const auto& config = ok(parse_config("", "empty.toml"));
    CHECK_FALSE(config.client.profile);
    CHECK_FALSE(config.relay.listen);
}

TEST_CASE("an unknown key is an error naming the file, line and key", "[app][config]") {
    const auto message =
        error_of(parse_config("[relay]\nlisten = \"x:1\"\nlisen = \"y\"\n", "c.toml"));
    CHECK_THAT(message, Catch::Contains("c.toml:3"));
    CHECK_THAT(message, Catch::Contains("lisen"));
    CHECK_THAT(error_of(parse_config("[server]\n", "c.toml")), Catch::Contains("server"));
}

TEST_CASE("a value of the wrong type is an error naming the key", "[app][config]") {
    CHECK_THAT(error_of(parse_config("[relay]\ninvite_only = \"yes\"\n", "c.toml")),
               Catch::Contains("invite_only"));
    CHECK_THAT(error_of(parse_config("[relay]\nmax_queue = -1\n", "c.toml")),
               Catch::Contains("max_queue"));
    CHECK_THAT(error_of(parse_config("[relay]\nmax_queue_age = \"soon\"\n", "c.toml")),
               Catch::Contains("max_queue_age"));
    CHECK_THAT(error_of(parse_config("relay = 5\n", "c.toml")), Catch::Contains("must be a table"));
}

TEST_CASE("invalid TOML is an error with its position", "[app][config]") {
    CHECK_THAT(error_of(parse_config("[client\nuser = 1", "broken.toml")),
               Catch::Contains("broken.toml:1"));
}

TEST_CASE("a missing config file is an empty config", "[app][config]") {
    const auto& config = ok(load_config("/nonexistent/sotto/config.toml"));
    CHECK_FALSE(config.client.user);
}
