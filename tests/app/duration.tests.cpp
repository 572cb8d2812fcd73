#include "app/duration.h"

#include <catch2/catch.hpp>

using namespace std::chrono;
using sotto::app::format_duration;
using sotto::app::parse_duration;

TEST_CASE("durations parse with every unit and as bare seconds", "[app][duration]") {
    CHECK(parse_duration("90s") == seconds(90));
    CHECK(parse_duration("15m") == minutes(15));
    CHECK(parse_duration("12h") == hours(12));
    CHECK(parse_duration("7d") == hours(24 * 7));
    CHECK(parse_duration("2w") == hours(24 * 14));
    CHECK(parse_duration("3600") == seconds(3600));
    CHECK(parse_duration("0s") == seconds(0));
}

TEST_CASE("malformed or overflowing durations are refused", "[app][duration]") {
    for (const char* bad :
         {"", "d", "-5s", "1.5h", "10x", "5 m", "99999999999999999999s", "9999999999999999w"}) {
        INFO(bad);
        CHECK_FALSE(parse_duration(bad));
    }
}

TEST_CASE("durations format in their largest exact unit and parse back", "[app][duration]") {
    CHECK(format_duration(hours(24 * 7)) == "1w");
    CHECK(format_duration(hours(48)) == "2d");
    CHECK(format_duration(seconds(90)) == "90s");
    CHECK(format_duration(seconds(0)) == "0s");
    for (seconds value : {seconds(1), seconds(61), seconds(minutes(61)), seconds(hours(25)),
                          seconds(hours(24 * 30))}) {
        CHECK(parse_duration(format_duration(value)) == value);
    }
}
