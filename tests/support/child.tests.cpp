#include "tests/support/child.h"

#include <catch2/catch.hpp>

#include <string>

using namespace std::chrono_literals;
using sotto::testing::child_process;

namespace {

child_process shell(const std::string& script) {
    return child_process({"/bin/sh", "-c", script}, {});
}

} // namespace

TEST_CASE("a child that writes more than a pipe holds runs to its end while nobody reads",
          "[support]") {
    // 1 MB is sixteen times what a pipe buffers: without a reader the child would block.
    auto child = shell("head -c 1000000 /dev/zero | tr '\\000' x; echo; echo last");
    REQUIRE(child.wait(10s) == 0);
    const auto big = child.read_line(5s);
    REQUIRE(big);
    CHECK(big->size() == 1000000);
    CHECK(child.read_line(5s) == "last");
    CHECK_FALSE(child.read_line(100ms));
    CHECK(child.output_ended());
}

TEST_CASE("a child's lines are read in order, and a read times out when none comes", "[support]") {
    auto child = shell("echo one; echo two; sleep 0.3; echo three");
    CHECK(child.read_line(5s) == "one");
    CHECK(child.read_line(5s) == "two");
    CHECK_FALSE(child.read_line(50ms));
    CHECK_FALSE(child.output_ended());
    CHECK(child.read_line(5s) == "three");
    CHECK(child.wait(5s) == 0);
}
