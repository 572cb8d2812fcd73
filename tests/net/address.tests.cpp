#include "net/address.h"

#include <catch2/catch.hpp>

using sotto::net::endpoint_address;
using sotto::net::parse_endpoint;

TEST_CASE("host and port parse, and a missing port is 7717", "[net][address]") {
    CHECK(parse_endpoint("127.0.0.1:7717") == endpoint_address{"127.0.0.1", 7717});
    CHECK(parse_endpoint("relay.example:443") == endpoint_address{"relay.example", 443});
    CHECK(parse_endpoint("relay.example") == endpoint_address{"relay.example", 7717});
}

TEST_CASE("IPv6 addresses need brackets to carry a port", "[net][address]") {
    CHECK(parse_endpoint("[::1]:9000") == endpoint_address{"::1", 9000});
    CHECK(parse_endpoint("[::1]") == endpoint_address{"::1", 7717});
    CHECK(parse_endpoint("::1") == endpoint_address{"::1", 7717});
    CHECK(endpoint_address{"::1", 9000}.to_string() == "[::1]:9000");
    CHECK(endpoint_address{"10.0.0.1", 1}.to_string() == "10.0.0.1:1");
}

TEST_CASE("malformed endpoints are refused", "[net][address]") {
    for (const char* bad : {"", ":7717", "host:", "host:0", "host:65536", "host:12x", "[::1",
                            "[]:1", "[::1]x", "host:-1"}) {
        INFO(bad);
        CHECK_FALSE(parse_endpoint(bad));
    }
    CHECK(parse_endpoint("host:65535"));
}
