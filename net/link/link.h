#pragma once
// The client side of the relay protocol (docs/PROTOCOL.md Part 1), for the client engine and the
// tests: one TLS connection with the fingerprint pin checked before anything is sent, the
// Hello/Challenge exchange, Register or Login with an injected signer, then frames in both
// directions. Everything runs on the caller's executor as coroutines; a connection is used from
// one coroutine for receiving at a time (sending may come from any coroutine on that executor).
//
//   auto link = link::connection::create(executor, tls_context, options);
//   auto result = co_await link->connect();           // pins, says Hello, gets the Challenge
//   auto auth = co_await link->login("alice", signer);
//   link->send(frame);
//   while (auto frame = co_await link->receive()) { ... }   // Ping is answered inside
//
// run_with_reconnect() wraps this in a loop with exponential backoff and jitter.

#include "crypto/random.h"
#include "crypto/types.h"
#include "net/address.h"
#include "net/frame.h"
#include "net/tls.h"

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace sotto::net::link {

// Signs the login input with the account's identity key (crypto::identity_key_pair::sign fits).
using signer = std::function<crypto::signature(crypto::bytes_view message)>;

struct link_options {
    endpoint_address relay;
    std::string pinned_fingerprint;  // empty: none pinned yet
    bool trust_on_first_use = false; // accept an unpinned relay and report its fingerprint
    std::size_t max_frame_size = default_max_frame_size;
    std::string software = "sotto";
    std::chrono::milliseconds connect_timeout{10'000};
    std::string bind_address; // local source address; empty: the system's choice
};

enum class connect_status { connected, network_error, tls_error, pin_refused, protocol_error };

struct connect_result {
    connect_status status = connect_status::network_error;
    std::string message;     // why it failed; for pin_refused, the message of net::check_pin
    std::string fingerprint; // what the relay showed; on first use the caller pins this
    bool first_use = false;  // connected without a pin (trust on first use)
};

class connection : public std::enable_shared_from_this<connection> {
  public:
    static std::shared_ptr<connection> create(asio::any_io_executor executor,
                                              asio::ssl::context& tls, link_options options);

    // TCP, TLS 1.3, pin check, Hello and Challenge. Never throws for network trouble.
    asio::awaitable<connect_result> connect();

    // One authentication attempt; the AuthResult, or one with STATUS_UNSPECIFIED and a message
    // when the connection failed.
    asio::awaitable<wire::AuthResult> login(const std::string& username, const signer& sign);
    asio::awaitable<wire::AuthResult> register_account(const std::string& username,
                                                       const crypto::identity_public_key& key,
                                                       const signer& sign,
                                                       const std::string& invite_code = {});

    // Queues a frame for the writer; false when it is too large or the connection is closed.
    bool send(const wire::Frame& frame);
    // Queues raw bytes, framing or not (tests of the relay's handling of bad input).
    void send_raw(std::string bytes);

    // The next frame from the relay; Ping is answered and skipped. nullopt once the connection
    // is closed or the relay sent something undecodable (see closed_reason()).
    asio::awaitable<std::optional<wire::Frame>> receive();
    // Bytes already read that receive() has not returned yet: the next receive() may complete
    // without waiting for the network. A reader acknowledges a burst of Delivers once this is
    // false, as the engine does.
    [[nodiscard]] bool has_buffered_input() const noexcept {
        return read_offset_ < read_buffer_.size();
    }

    void close();
    [[nodiscard]] bool is_open() const noexcept { return open_; }
    [[nodiscard]] const std::string& closed_reason() const noexcept { return closed_reason_; }
    // The relay's Error frame, when one was received.
    [[nodiscard]] const std::optional<wire::Error>& last_error() const noexcept {
        return last_error_;
    }
    // The exporter value of this TLS session (tests compare it across sessions).
    [[nodiscard]] const channel_binding& binding() const noexcept { return binding_; }

    connection(asio::any_io_executor executor, asio::ssl::context& tls, link_options options);

  private:
    asio::awaitable<wire::AuthResult> authenticate(wire::Frame request);
    asio::awaitable<std::error_code>
    connect_socket(const asio::ip::tcp::resolver::results_type& endpoints);
    asio::awaitable<void> write_loop();

    asio::any_io_executor executor_;
    link_options options_;
    asio::ssl::stream<asio::ip::tcp::socket> stream_;
    asio::steady_timer write_wakeup_;
    frame_decoder decoder_;
    std::string read_buffer_;
    std::size_t read_offset_ = 0;
    std::string outbox_;
    std::string writing_;
    std::string nonce_;
    channel_binding binding_{};
    std::string closed_reason_;
    std::optional<wire::Error> last_error_;
    bool open_ = false;
    bool writer_running_ = false;
};

// Exponential backoff with jitter: attempt 0 waits about `initial`, each later attempt twice as
// long up to `maximum`, each multiplied by a random factor in [0.5, 1.0] so that many clients
// cut off together do not return together.
struct backoff_policy {
    std::chrono::milliseconds initial{500};
    std::chrono::milliseconds maximum{60'000};
};
[[nodiscard]] std::chrono::milliseconds
backoff_delay(const backoff_policy& policy, unsigned attempt, crypto::random_source& random);

struct reconnect_handlers {
    // Authenticates a fresh connection (login or register); true when it succeeded.
    std::function<asio::awaitable<bool>(connection&)> authenticate;
    // Every frame received while authenticated.
    std::function<void(connection&, const wire::Frame&)> on_frame;
    // Connected and authenticated; the connection to send on until on_disconnected.
    std::function<void(const std::shared_ptr<connection>&)> on_connected;
    std::function<void(const std::string& why, std::chrono::milliseconds retry_in)> on_disconnected;
    // A changed relay certificate stops the loop: retrying cannot help.
    std::function<void(const connect_result&)> on_pin_refused;
};

// Connects, authenticates and receives until `stop` returns true or the pin is refused,
// reconnecting after each loss with backoff_delay. Runs on `executor`.
asio::awaitable<void> run_with_reconnect(asio::any_io_executor executor, asio::ssl::context& tls,
                                         link_options options, reconnect_handlers handlers,
                                         std::function<bool()> stop, backoff_policy policy = {});

} // namespace sotto::net::link
