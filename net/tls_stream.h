#pragma once
// A TLS connection driven straight over a non-blocking socket: OpenSSL reads and writes the file
// descriptor itself, and the coroutines only wait for readiness. Unlike asio::ssl::stream, which
// keeps four ~17 KiB buffers (its own two plus a BIO pair) for the life of every connection, this
// holds no buffer of its own, and with SSL_MODE_RELEASE_BUFFERS OpenSSL frees its record buffers
// whenever the connection is idle: an idle connection costs a few KiB (measured in
// bench/relay.bench.cpp). One reader and one writer coroutine may use it at once, on one thread.

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>

#include <cstddef>
#include <span>
#include <system_error>
#include <utility>

namespace sotto::net {

class tls_stream {
  public:
    // Bound to its io_context's own executor rather than any_io_executor: each pending wait then
    // carries an 8-byte executor instead of a 48-byte type-erased one (this matters with thousands
    // of idle connections, each holding one wait).
    using socket_type = asio::basic_stream_socket<asio::ip::tcp, asio::io_context::executor_type>;

    // Takes the socket; `context` must outlive the stream. Throws tls_error when OpenSSL cannot
    // create the session.
    tls_stream(socket_type socket, asio::ssl::context& context);
    ~tls_stream();
    tls_stream(const tls_stream&) = delete;
    tls_stream& operator=(const tls_stream&) = delete;

    // The server side of the handshake. An error code for network failures and bad handshakes.
    asio::awaitable<std::error_code> accept();
    // Waits until the peer sent something, then decrypts what is there into `into`. Returns the
    // byte count, or an error (asio::error::eof when the peer closed).
    asio::awaitable<std::pair<std::error_code, std::size_t>>
    read_some(std::span<std::uint8_t> into);
    // Writes all of `data`.
    asio::awaitable<std::error_code> write_all(std::span<const std::uint8_t> data);

    // Closes the socket at once: pending reads and writes end with an error.
    void close() noexcept;

    [[nodiscard]] SSL* native_handle() noexcept { return ssl_; }
    [[nodiscard]] socket_type& socket() noexcept { return socket_; }

  private:
    enum class step { done, wait_read, wait_write, failed };
    step classify(int result, std::error_code& error);

    socket_type socket_;
    SSL* ssl_ = nullptr;
};

} // namespace sotto::net
