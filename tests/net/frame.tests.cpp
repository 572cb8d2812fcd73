#include "net/frame.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

using namespace sotto;
using namespace sotto::net;

namespace {

std::vector<std::uint8_t> bytes_of(const std::string& text) {
    return {text.begin(), text.end()};
}

wire::Frame ping(std::uint64_t token) {
    wire::Frame frame;
    frame.mutable_ping()->set_token(token);
    return frame;
}

std::vector<std::uint8_t> header(std::uint32_t length) {
    return {static_cast<std::uint8_t>(length >> 24U), static_cast<std::uint8_t>(length >> 16U),
            static_cast<std::uint8_t>(length >> 8U), static_cast<std::uint8_t>(length)};
}

} // namespace

TEST_CASE("an encoded frame starts with its big-endian body length", "[net][frame]") {
    wire::Frame frame;
    frame.mutable_send()->add_recipients("bob");
    frame.mutable_send()->set_id(std::string(16, 'i'));
    frame.mutable_send()->set_ciphertext(std::string(300, 'c'));
    const auto encoded = bytes_of(encode_frame(frame));
    REQUIRE(encoded.size() > 300);
    const auto length = (std::size_t{encoded[0]} << 24U) | (std::size_t{encoded[1]} << 16U) |
                        (std::size_t{encoded[2]} << 8U) | encoded[3];
    CHECK(length == encoded.size() - frame_header_size);
    CHECK(length == frame.ByteSizeLong());
}

TEST_CASE("frames split at every possible byte boundary decode to the same frames",
          "[net][frame]") {
    std::string stream;
    for (std::uint64_t token = 1; token <= 3; ++token) {
        REQUIRE(append_frame(ping(token), stream));
    }
    const auto input = bytes_of(stream);
    for (std::size_t chunk = 1; chunk <= input.size(); ++chunk) {
        frame_decoder decoder;
        wire::Frame out;
        std::vector<std::uint64_t> tokens;
        for (std::size_t at = 0; at < input.size(); at += chunk) {
            std::span<const std::uint8_t> piece(input.data() + at,
                                                std::min(chunk, input.size() - at));
            while (!piece.empty()) {
                const auto step = decoder.decode(piece, out);
                piece = piece.subspan(step.consumed);
                if (step.status == decode_status::frame) {
                    REQUIRE(out.has_ping());
                    tokens.push_back(out.ping().token());
                } else {
                    REQUIRE(step.status == decode_status::need_more);
                }
            }
        }
        CHECK(tokens == std::vector<std::uint64_t>{1, 2, 3});
        CHECK(decoder.buffered() == 0);
    }
}

TEST_CASE("a declared length over the limit fails before any body byte is buffered",
          "[net][frame]") {
    frame_decoder decoder(1024);
    wire::Frame out;
    auto input = header(1025);
    input.resize(input.size() + 100, 0x41);
    const auto step = decoder.decode(input, out);
    CHECK(step.status == decode_status::oversized);
    CHECK(step.consumed == frame_header_size);
    CHECK(decoder.buffered() <= frame_header_size);
    CHECK(decoder.failed());
    SECTION("and the decoder stays failed") {
        const auto again = decoder.decode(input, out);
        CHECK(again.status == decode_status::oversized);
        CHECK(again.consumed == 0);
    }
}

TEST_CASE("the largest lengths a header can declare are refused", "[net][frame]") {
    for (const std::uint32_t length : {0xffffffffU, 0x80000000U, 64U * 1024U + 1U}) {
        frame_decoder decoder;
        wire::Frame out;
        CHECK(decoder.decode(header(length), out).status == decode_status::oversized);
    }
}

TEST_CASE("a frame exactly at the limit is accepted", "[net][frame]") {
    wire::Frame frame;
    frame.mutable_send()->set_ciphertext(std::string(1000, 'x'));
    const auto size = frame.ByteSizeLong();
    std::string encoded;
    REQUIRE(append_frame(frame, encoded, size));
    CHECK_FALSE(append_frame(frame, encoded, size - 1));
    frame_decoder decoder(size);
    wire::Frame out;
    CHECK(decoder.decode(bytes_of(encoded), out).status == decode_status::frame);
    CHECK(out.send().ciphertext().size() == 1000);
}

TEST_CASE("a body that is not a protobuf message is malformed", "[net][frame]") {
    frame_decoder decoder;
    wire::Frame out;
    auto input = header(3);
    input.insert(input.end(), {0xff, 0xff, 0xff}); // field 0x1fffffff... truncated varint tag
    CHECK(decoder.decode(input, out).status == decode_status::malformed);
}

TEST_CASE("a truncated submessage inside a complete frame is malformed", "[net][frame]") {
    const auto valid = bytes_of(encode_frame(ping(300)));
    // Claim the ping submessage is longer than the body holds.
    auto input = valid;
    REQUIRE(input[frame_header_size] == 0x82); // field 16, length-delimited: a two-byte tag
    input[frame_header_size + 2] = 0x7f;
    frame_decoder decoder;
    wire::Frame out;
    CHECK(decoder.decode(input, out).status == decode_status::malformed);
}

TEST_CASE("a truncated frame is incomplete, never a frame", "[net][frame]") {
    const auto valid = bytes_of(encode_frame(ping(7)));
    frame_decoder decoder;
    wire::Frame out;
    const auto step = decoder.decode(std::span(valid).first(valid.size() - 1), out);
    CHECK(step.status == decode_status::need_more);
    CHECK(decoder.buffered() == valid.size() - 1);
}

TEST_CASE("an empty body and an unknown field number are unknown types", "[net][frame]") {
    SECTION("empty") {
        frame_decoder decoder;
        wire::Frame out;
        CHECK(decoder.decode(header(0), out).status == decode_status::unknown_type);
    }
    SECTION("field 99, a varint") {
        auto input = header(3);
        input.insert(input.end(), {0x98, 0x06, 0x01}); // tag (99 << 3 | 0), value 1
        frame_decoder decoder;
        wire::Frame out;
        CHECK(decoder.decode(input, out).status == decode_status::unknown_type);
    }
}

TEST_CASE("garbage after a valid frame yields the frame, then an error", "[net][frame]") {
    auto input = bytes_of(encode_frame(ping(5)));
    const auto frame_size = input.size();
    input.insert(input.end(), {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01});
    frame_decoder decoder;
    wire::Frame out;
    const auto first = decoder.decode(input, out);
    REQUIRE(first.status == decode_status::frame);
    CHECK(first.consumed == frame_size);
    CHECK(out.ping().token() == 5);
    const auto second = decoder.decode(std::span(input).subspan(first.consumed), out);
    CHECK(second.status == decode_status::oversized); // 0xdeadbeef as a length
}

TEST_CASE("decoding into a reused frame clears the previous one", "[net][frame]") {
    std::string stream;
    wire::Frame users;
    users.mutable_users()->add_online("alice");
    REQUIRE(append_frame(users, stream));
    REQUIRE(append_frame(ping(9), stream));
    const auto input = bytes_of(stream);
    frame_decoder decoder;
    wire::Frame out;
    const auto first = decoder.decode(input, out);
    REQUIRE(first.status == decode_status::frame);
    CHECK(out.has_users());
    const auto second = decoder.decode(std::span(input).subspan(first.consumed), out);
    REQUIRE(second.status == decode_status::frame);
    CHECK(out.has_ping());
    CHECK_FALSE(out.has_users());
}
