#pragma once
// What a relay connection accepts in each of its phases (docs/PROTOCOL.md "Connection states"),
// as pure logic: no sockets, no store, no clock of its own, so that it is unit-tested and fuzzed
// with frame sequences. The session (net/relay/session.cpp) is the I/O shell that performs what
// an accepted frame asks for.
//
//   awaiting_hello --Hello(version 1)--> awaiting_auth --Register/Login ok--> authenticated
//   any phase --frame not allowed, invalid fields, too many failed attempts--> closed

#include "net/sotto.pb.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace sotto::net::relay {

struct connection_limits {
    std::size_t max_frame_size = 64 * 1024;
    std::size_t max_recipients = 256;
    std::size_t max_ack_items = 1024;
    std::size_t max_ciphertext_size = 60 * 1024;
    std::size_t max_invite_code_size = 128;
    std::uint32_t max_auth_attempts = 3;             // per connection, then it is closed
    std::chrono::milliseconds auth_deadline{10'000}; // from accept to authenticated
    std::chrono::milliseconds idle_timeout{120'000}; // no frame at all: closed; ping at half
    double frames_per_second = 20'000;               // token bucket refill per connection
    double frame_burst = 20'000;                     // token bucket size
};

enum class phase { awaiting_hello, awaiting_auth, authenticating, authenticated, closed };

[[nodiscard]] const char* to_string(phase value) noexcept;

struct frame_verdict {
    bool accepted = false;
    wire::Error::Code code = wire::Error::CODE_UNSPECIFIED; // when refused
    std::string reason;                                     // when refused; never content
};

class connection_state {
  public:
    explicit connection_state(const connection_limits& limits) : limits_(&limits) {}

    [[nodiscard]] phase current() const noexcept { return phase_; }

    // Judges a frame the client sent. Accepting Hello moves to awaiting_auth; accepting Register or
    // Login moves to authenticating (one attempt in flight at a time). A refusal moves to closed:
    // the session sends Error(code, reason) where it can and closes.
    [[nodiscard]] frame_verdict on_frame(const wire::Frame& frame);

    // The outcome of the attempt in flight. A failure goes back to awaiting_auth, or to closed
    // after limits.max_auth_attempts failures; returns the new phase.
    phase auth_succeeded() noexcept;
    phase auth_failed() noexcept;

    // The session closes for a reason of its own (timeout, rate, I/O).
    void close() noexcept { phase_ = phase::closed; }

  private:
    frame_verdict refuse(wire::Error::Code code, std::string reason);
    [[nodiscard]] frame_verdict check_send(const wire::Send& send);
    [[nodiscard]] frame_verdict check_ack(const wire::DeliverAck& ack);

    const connection_limits* limits_;
    phase phase_ = phase::awaiting_hello;
    std::uint32_t failed_attempts_ = 0;
};

// A token bucket: `rate` tokens a second up to `burst`. Time is passed in, never read.
class token_bucket {
  public:
    using clock = std::chrono::steady_clock;
    token_bucket(double rate, double burst, clock::time_point now) noexcept
        : rate_(rate), burst_(burst), tokens_(burst), last_(now) {}

    // Takes one token; false when the bucket is empty (the caller is over its rate).
    bool take(clock::time_point now) noexcept;

  private:
    double rate_;
    double burst_;
    double tokens_;
    clock::time_point last_;
};

} // namespace sotto::net::relay
