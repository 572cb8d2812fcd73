// The real binary, as a user runs it.
#include "app/cli.h"
#include "tests/support/process.h"

#include <catch2/catch.hpp>

using sotto::testing::run_process;

TEST_CASE("the binary prints its version", "[app][binary]") {
    const auto result = run_process({SOTTO_BINARY, "--version"});
    CHECK(result.exit_code == 0);
    CHECK(result.out == sotto::app::version_string() + "\n");
}

TEST_CASE("the binary prints help and exits 0", "[app][binary]") {
    const auto result = run_process({SOTTO_BINARY, "--help"});
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("Usage"));
}

TEST_CASE("an unknown flag exits non-zero with a message on stderr", "[app][binary]") {
    const auto result = run_process({SOTTO_BINARY, "--frobnicate"});
    CHECK(result.exit_code != 0);
    CHECK_THAT(result.err, Catch::Contains("frobnicate"));
    CHECK(result.out.empty());
}
