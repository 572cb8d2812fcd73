#include "net/tls_stream.h"

#include "net/tls.h"

#include <asio/experimental/as_tuple.hpp>
#include <asio/ssl/error.hpp>
#include <asio/use_awaitable.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace sotto::net {

namespace {
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
}

tls_stream::tls_stream(socket_type socket, asio::ssl::context& context)
    : socket_(std::move(socket)), ssl_(SSL_new(context.native_handle())) {
    if (ssl_ == nullptr) {
        throw tls_error("cannot create a TLS session");
    }
    socket_.non_blocking(true);
    SSL_set_fd(ssl_, socket_.native_handle());
    SSL_set_mode(ssl_, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                           SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

tls_stream::~tls_stream() {
    if (ssl_ != nullptr) {
        SSL_free(ssl_);
    }
}

void tls_stream::close() noexcept {
    std::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
}

tls_stream::step tls_stream::classify(int result, std::error_code& error) {
    const int reason = SSL_get_error(ssl_, result);
    switch (reason) {
    case SSL_ERROR_NONE:
        return step::done;
    case SSL_ERROR_WANT_READ:
        return step::wait_read;
    case SSL_ERROR_WANT_WRITE:
        return step::wait_write;
    case SSL_ERROR_ZERO_RETURN:
        error = asio::error::eof;
        break;
    case SSL_ERROR_SYSCALL:
        error = errno != 0 ? std::error_code(errno, std::system_category())
                           : std::error_code(asio::error::eof);
        break;
    default:
        error = std::error_code(static_cast<int>(ERR_get_error()), asio::error::get_ssl_category());
        if (!error) {
            error = asio::error::connection_aborted;
        }
        break;
    }
    ERR_clear_error();
    return step::failed;
}

asio::awaitable<std::error_code> tls_stream::accept() {
    for (;;) {
        if (!socket_.is_open()) {
            co_return asio::error::operation_aborted;
        }
        ERR_clear_error();
        errno = 0;
        const int result = SSL_accept(ssl_);
        if (result == 1) {
            co_return std::error_code{};
        }
        std::error_code error;
        const auto next = classify(result, error);
        if (next == step::failed) {
            co_return error;
        }
        auto [wait_error] = co_await socket_.async_wait(
            next == step::wait_read ? asio::socket_base::wait_read : asio::socket_base::wait_write,
            use_tuple);
        if (wait_error) {
            co_return wait_error;
        }
    }
}

asio::awaitable<std::pair<std::error_code, std::size_t>>
tls_stream::read_some(std::span<std::uint8_t> into) {
    for (;;) {
        if (!socket_.is_open()) {
            co_return std::pair{std::error_code(asio::error::operation_aborted), std::size_t{0}};
        }
        ERR_clear_error();
        errno = 0;
        std::size_t got = 0;
        const int result = SSL_read_ex(ssl_, into.data(), into.size(), &got);
        if (result == 1) {
            co_return std::pair{std::error_code{}, got};
        }
        std::error_code error;
        const auto next = classify(result, error);
        if (next == step::failed) {
            co_return std::pair{error, std::size_t{0}};
        }
        auto [wait_error] = co_await socket_.async_wait(
            next == step::wait_read ? asio::socket_base::wait_read : asio::socket_base::wait_write,
            use_tuple);
        if (wait_error) {
            co_return std::pair{wait_error, std::size_t{0}};
        }
    }
}

asio::awaitable<std::error_code> tls_stream::write_all(std::span<const std::uint8_t> data) {
    while (!data.empty()) {
        if (!socket_.is_open()) {
            co_return asio::error::operation_aborted;
        }
        ERR_clear_error();
        errno = 0;
        std::size_t written = 0;
        const int result = SSL_write_ex(ssl_, data.data(), data.size(), &written);
        if (result == 1) {
            data = data.subspan(written);
            continue;
        }
        std::error_code error;
        const auto next = classify(result, error);
        if (next == step::failed) {
            co_return error;
        }
        auto [wait_error] = co_await socket_.async_wait(
            next == step::wait_read ? asio::socket_base::wait_read : asio::socket_base::wait_write,
            use_tuple);
        if (wait_error) {
            co_return wait_error;
        }
    }
    co_return std::error_code{};
}

} // namespace sotto::net
