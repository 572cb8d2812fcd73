#include "net/relay/connection_state.h"

#include <catch2/catch.hpp>

using namespace sotto;
using namespace sotto::net::relay;

namespace {

wire::Frame hello(std::uint32_t version = 1) {
    wire::Frame frame;
    frame.mutable_hello()->set_protocol_version(version);
    return frame;
}

wire::Frame login() {
    wire::Frame frame;
    frame.mutable_login()->set_username("alice");
    frame.mutable_login()->set_signature(std::string(64, 's'));
    return frame;
}

wire::Frame send_to(std::vector<std::string> recipients, std::size_t id_size = 16,
                    std::size_t body = 10) {
    wire::Frame frame;
    for (auto& r : recipients) {
        frame.mutable_send()->add_recipients(r);
    }
    frame.mutable_send()->set_id(std::string(id_size, 'i'));
    frame.mutable_send()->set_ciphertext(std::string(body, 'c'));
    return frame;
}

connection_state authenticated(const connection_limits& limits) {
    connection_state state(limits);
    REQUIRE(state.on_frame(hello()).accepted);
    REQUIRE(state.on_frame(login()).accepted);
    REQUIRE(state.auth_succeeded() == phase::authenticated);
    return state;
}

} // namespace

TEST_CASE("a connection must say Hello with a supported version first", "[net][state]") {
    connection_limits limits;
    SECTION("Login before Hello") {
        connection_state state(limits);
        const auto verdict = state.on_frame(login());
        CHECK_FALSE(verdict.accepted);
        CHECK(verdict.code == wire::Error::UNEXPECTED_FRAME);
        CHECK(state.current() == phase::closed);
    }
    SECTION("an unknown version") {
        connection_state state(limits);
        CHECK(state.on_frame(hello(2)).code == wire::Error::UNSUPPORTED_VERSION);
    }
    SECTION("Ping is fine at any time") {
        connection_state state(limits);
        wire::Frame ping;
        ping.mutable_ping();
        CHECK(state.on_frame(ping).accepted);
        CHECK(state.current() == phase::awaiting_hello);
    }
}

TEST_CASE("nothing but Register, Login and keepalive is accepted before authentication",
          "[net][state]") {
    connection_limits limits;
    for (auto frame : {send_to({"bob"}),
                       [] {
                           wire::Frame f;
                           f.mutable_users_request();
                           return f;
                       }(),
                       [] {
                           wire::Frame f;
                           f.mutable_key_lookup()->set_username("bob");
                           return f;
                       }(),
                       hello()}) {
        connection_state state(limits);
        REQUIRE(state.on_frame(hello()).accepted);
        const auto verdict = state.on_frame(frame);
        CHECK_FALSE(verdict.accepted);
        CHECK(verdict.code == wire::Error::UNEXPECTED_FRAME);
    }
}

TEST_CASE("one authentication attempt at a time, and a limited number of them", "[net][state]") {
    connection_limits limits;
    limits.max_auth_attempts = 2;
    connection_state state(limits);
    REQUIRE(state.on_frame(hello()).accepted);
    REQUIRE(state.on_frame(login()).accepted);
    CHECK(state.current() == phase::authenticating);
    SECTION("a second attempt while one is in flight closes") {
        CHECK(state.on_frame(login()).code == wire::Error::UNEXPECTED_FRAME);
    }
    SECTION("failures return to awaiting auth until the limit") {
        CHECK(state.auth_failed() == phase::awaiting_auth);
        REQUIRE(state.on_frame(login()).accepted);
        CHECK(state.auth_failed() == phase::closed);
    }
}

TEST_CASE("a Register with fields of the wrong size is refused", "[net][state]") {
    connection_limits limits;
    connection_state state(limits);
    REQUIRE(state.on_frame(hello()).accepted);
    wire::Frame frame;
    frame.mutable_register_()->set_username("alice");
    frame.mutable_register_()->set_identity_key(std::string(31, 'k'));
    frame.mutable_register_()->set_signature(std::string(64, 's'));
    CHECK(state.on_frame(frame).code == wire::Error::BAD_REQUEST);
}

TEST_CASE("Send fields are checked after authentication", "[net][state]") {
    connection_limits limits;
    limits.max_recipients = 3;
    limits.max_ciphertext_size = 100;
    CHECK(authenticated(limits).on_frame(send_to({"bob", "carol"})).accepted);
    CHECK(authenticated(limits).on_frame(send_to({})).code == wire::Error::BAD_REQUEST);
    CHECK(authenticated(limits).on_frame(send_to({"a1a", "b1b", "c1c", "d1d"})).code ==
          wire::Error::BAD_REQUEST);
    CHECK(authenticated(limits).on_frame(send_to({"bob", "bob"})).code == wire::Error::BAD_REQUEST);
    CHECK(authenticated(limits).on_frame(send_to({"Bob"})).code == wire::Error::BAD_REQUEST);
    CHECK(authenticated(limits).on_frame(send_to({"bob"}, 15)).code == wire::Error::BAD_REQUEST);
    CHECK(authenticated(limits).on_frame(send_to({"bob"}, 16, 0)).code == wire::Error::BAD_REQUEST);
    CHECK(authenticated(limits).on_frame(send_to({"bob"}, 16, 101)).code ==
          wire::Error::BAD_REQUEST);
    CHECK(authenticated(limits).on_frame(login()).code == wire::Error::UNEXPECTED_FRAME);
}

TEST_CASE("frames only the relay sends are refused from a client", "[net][state]") {
    connection_limits limits;
    wire::Frame frame;
    frame.mutable_deliver()->set_sender("bob");
    CHECK(authenticated(limits).on_frame(frame).code == wire::Error::UNEXPECTED_FRAME);
    frame.mutable_auth_result();
    CHECK(authenticated(limits).on_frame(frame).code == wire::Error::UNEXPECTED_FRAME);
}

TEST_CASE("the token bucket allows a burst, then the refill rate", "[net][state]") {
    const auto start = token_bucket::clock::time_point{} + std::chrono::hours(1);
    token_bucket bucket(10.0, 5.0, start);
    int taken = 0;
    while (bucket.take(start)) {
        ++taken;
    }
    CHECK(taken == 5);
    CHECK_FALSE(bucket.take(start + std::chrono::milliseconds(50)));
    CHECK(bucket.take(start + std::chrono::milliseconds(100)));
    CHECK_FALSE(bucket.take(start + std::chrono::milliseconds(100)));
    // A long pause refills only up to the burst.
    taken = 0;
    while (bucket.take(start + std::chrono::hours(1))) {
        ++taken;
    }
    CHECK(taken == 5);
}
