#pragma once
// Framing (docs/PROTOCOL.md "Framing"): a 4-byte big-endian length, then that many bytes of one
// serialized wire::Frame. Pure: no I/O, no clock. The decoder is fed whatever chunks the socket
// returns and checks a declared length against its limit before it allocates anything.

#include "net/sotto.pb.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace sotto::net {

inline constexpr std::size_t frame_header_size = 4;
inline constexpr std::size_t default_max_frame_size = 64 * 1024; // body bytes, header excluded

enum class decode_status : std::uint8_t {
    need_more,    // every input byte was consumed; a frame is incomplete
    frame,        // `out` holds a frame; input after `consumed` is not yet looked at
    oversized,    // the declared length exceeds the limit
    malformed,    // the body is not a valid Frame
    unknown_type, // a valid protobuf message, but no body this version knows (or an empty one)
};

[[nodiscard]] const char* to_string(decode_status status) noexcept;

struct decode_step {
    std::size_t consumed = 0;
    decode_status status = decode_status::need_more;
};

class frame_decoder {
  public:
    // The first decoder also silences protobuf's own logging: it would write a line to stderr
    // for every string field with invalid UTF-8, so a hostile peer could flood the logs. Such a
    // frame is still refused (malformed).
    explicit frame_decoder(std::size_t max_frame_size = default_max_frame_size);

    // Consumes bytes of `input` up to the end of the next frame. On `frame`, `out` holds it
    // (cleared first; its memory is reused). After an error the decoder stays failed: every
    // later call returns the same error and consumes nothing, since a stream that lost its frame
    // boundary cannot be trusted again.
    decode_step decode(std::span<const std::uint8_t> input, wire::Frame& out);

    // Bytes of an incomplete frame held between calls (never more than header + limit).
    [[nodiscard]] std::size_t buffered() const noexcept { return header_filled_ + body_.size(); }
    [[nodiscard]] bool failed() const noexcept { return failed_ != decode_status::need_more; }
    [[nodiscard]] std::size_t max_frame_size() const noexcept { return max_frame_size_; }

  private:
    decode_status finish(std::span<const std::uint8_t> body, wire::Frame& out);

    // Narrow fields: a relay keeps one decoder per connection. A length never exceeds
    // max_body_length, so 32 bits hold it.
    static constexpr std::uint32_t max_body_length = 0x7fffffffU;
    std::uint32_t max_frame_size_;
    std::uint32_t body_length_ = 0;
    std::uint8_t header_[frame_header_size]{};
    std::uint8_t header_filled_ = 0;
    decode_status failed_ = decode_status::need_more;
    std::vector<std::uint8_t> body_; // only while a frame spans several inputs
};

// Appends the header and serialized `frame` to `out`. False (and `out` unchanged) when the
// serialized frame is longer than `max_frame_size`.
[[nodiscard]] bool append_frame(const wire::Frame& frame, std::string& out,
                                std::size_t max_frame_size = default_max_frame_size);

// One encoded frame as a string; empty when it is too large.
[[nodiscard]] std::string encode_frame(const wire::Frame& frame,
                                       std::size_t max_frame_size = default_max_frame_size);

} // namespace sotto::net
