#pragma once
// The relay server (docs/PROTOCOL.md Part 1): accepts TLS connections and runs one session per
// connection, each a reader and a writer coroutine (STYLE.md), on one of `threads` io_contexts
// (one thread each; a session lives on one context, so it needs no locks). Routing, presence and
// the queue are the backend's (net/relay/backend.h).

#include "net/relay/backend.h"
#include "net/relay/connection_state.h"

#include <asio/ssl/context.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace sotto::net::relay {

struct server_options {
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 7717; // 0: any free port (read it back with port())
    std::size_t threads = 2;
    connection_limits limits;
    std::size_t max_connections = 20'000;
    std::size_t max_connections_per_ip = 256;
    double failed_logins_per_minute_per_ip = 20; // refill rate of the failed-login bucket
    double failed_login_burst_per_ip = 20;
    std::size_t max_outbox_bytes = 512 * 1024; // queued output before deliveries wait for the store
    bool invite_only = false;
    std::string software = "sotto";
    std::chrono::milliseconds shutdown_grace{3'000}; // for flushing replies on stop()
};

class server {
  public:
    // Binds the listening socket at once (throws std::system_error when it cannot). Sets SIGPIPE to
    // ignored for the process (see net/tls_stream.h).
    server(const server_options& options, asio::ssl::context& tls,
           std::shared_ptr<backend> backend);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    // The bound port (useful with listen_port 0).
    [[nodiscard]] std::uint16_t port() const noexcept;

    // Starts the threads and returns.
    void start();
    // Graceful stop: stop accepting, stop reading, let every Send already received commit and be
    // answered, then close every connection and join the threads. Idempotent; any thread but the
    // server's own.
    void stop();

    // Open connections (for tests and the memory benchmark).
    [[nodiscard]] std::size_t connection_count() const noexcept;

    class impl;

  private:
    std::unique_ptr<impl> impl_;
};

} // namespace sotto::net::relay
