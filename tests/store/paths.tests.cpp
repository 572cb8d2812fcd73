#include "store/paths.h"

#include "tests/support/environment.h"

#include <catch2/catch.hpp>

using sotto::testing::fake_environment;
namespace store = sotto::store;

TEST_CASE("XDG directories default to the home directory when the variables are unset",
          "[store][paths]") {
    const auto dirs = store::resolve_xdg(fake_environment({{"HOME", "/home/alice"}}));
    REQUIRE(dirs);
    CHECK(dirs->config_home == "/home/alice/.config");
    CHECK(dirs->data_home == "/home/alice/.local/share");
    CHECK(dirs->state_home == "/home/alice/.local/state");
}

TEST_CASE("absolute XDG variables win over the home directory", "[store][paths]") {
    const auto dirs = store::resolve_xdg(fake_environment({{"HOME", "/home/alice"},
                                                           {"XDG_CONFIG_HOME", "/cfg"},
                                                           {"XDG_DATA_HOME", "/data"},
                                                           {"XDG_STATE_HOME", "/st"}}));
    REQUIRE(dirs);
    CHECK(dirs->config_home == "/cfg");
    CHECK(dirs->data_home == "/data");
    CHECK(dirs->state_home == "/st");
    CHECK(store::config_file(*dirs) == "/cfg/sotto/config.toml");
    CHECK(store::relay_data_directory(*dirs) == "/data/sotto-relay");
}

TEST_CASE("relative or empty XDG variables are ignored as the specification requires",
          "[store][paths]") {
    const auto dirs = store::resolve_xdg(fake_environment(
        {{"HOME", "/home/bob"}, {"XDG_CONFIG_HOME", "relative/cfg"}, {"XDG_DATA_HOME", ""}}));
    REQUIRE(dirs);
    CHECK(dirs->config_home == "/home/bob/.config");
    CHECK(dirs->data_home == "/home/bob/.local/share");
}

TEST_CASE("without HOME or absolute XDG variables there is no answer", "[store][paths]") {
    CHECK_FALSE(store::resolve_xdg(fake_environment({})));
    CHECK_FALSE(store::resolve_xdg(fake_environment({{"HOME", "not/absolute"}})));
    CHECK(store::resolve_xdg(fake_environment(
        {{"XDG_CONFIG_HOME", "/c"}, {"XDG_DATA_HOME", "/d"}, {"XDG_STATE_HOME", "/s"}})));
}

TEST_CASE("a profile name resolves under the data home and a path is taken as it is",
          "[store][paths]") {
    const store::xdg_directories dirs{"/c", "/d", "/s"};
    CHECK(store::profile_directory(dirs, "default") == std::filesystem::path("/d/sotto/default"));
    CHECK(store::profile_directory(dirs, "work-2.alt_x") ==
          std::filesystem::path("/d/sotto/work-2.alt_x"));
    CHECK(store::profile_directory(dirs, "/tmp/p") == std::filesystem::path("/tmp/p"));
    CHECK(store::profile_directory(dirs, "./here") == std::filesystem::path("./here"));
}

TEST_CASE("profile names that could escape the data directory are refused", "[store][paths]") {
    const store::xdg_directories dirs{"/c", "/d", "/s"};
    for (const char* bad : {"", ".", "..", ".hidden", "a b", "x\\y", "ü"}) {
        INFO(bad);
        CHECK_FALSE(store::profile_directory(dirs, bad));
    }
    CHECK_FALSE(store::valid_profile_name(std::string(65, 'a')));
    CHECK(store::valid_profile_name(std::string(64, 'a')));
}
