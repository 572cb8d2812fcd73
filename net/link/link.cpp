#include "net/link/link.h"

#include "net/protocol.h"

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>

namespace sotto::net::link {

namespace {
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t read_chunk_size = 16 * 1024;

wire::AuthResult failed_auth(std::string message) {
    wire::AuthResult result;
    result.set_status(wire::AuthResult::STATUS_UNSPECIFIED);
    result.set_message(std::move(message));
    return result;
}
} // namespace

std::shared_ptr<connection> connection::create(asio::any_io_executor executor,
                                               asio::ssl::context& tls, link_options options) {
    return std::make_shared<connection>(std::move(executor), tls, std::move(options));
}

connection::connection(asio::any_io_executor executor, asio::ssl::context& tls,
                       link_options options)
    : executor_(executor), options_(std::move(options)), stream_(executor, tls),
      write_wakeup_(executor), decoder_(options_.max_frame_size) {
    write_wakeup_.expires_at(std::chrono::steady_clock::time_point::max());
}

asio::awaitable<std::error_code>
connection::connect_socket(const asio::ip::tcp::resolver::results_type& endpoints) {
    if (options_.bind_address.empty()) {
        auto [error, endpoint] =
            co_await asio::async_connect(stream_.lowest_layer(), endpoints, use_tuple);
        co_return error;
    }
    std::error_code error;
    const auto target = endpoints.begin()->endpoint();
    auto& socket = stream_.lowest_layer();
    socket.open(target.protocol(), error);
    if (error) {
        co_return error;
    }
    const auto local = asio::ip::make_address(options_.bind_address, error);
    if (error) {
        co_return error;
    }
    socket.bind({local, 0}, error);
    if (error) {
        co_return error;
    }
    auto [connect_error] = co_await socket.async_connect(target, use_tuple);
    co_return connect_error;
}

asio::awaitable<connect_result> connection::connect() {
    connect_result result;
    asio::steady_timer deadline(executor_, options_.connect_timeout);
    auto self = shared_from_this();
    bool timed_out = false;
    asio::co_spawn(
        executor_,
        [&deadline, &timed_out, self]() -> asio::awaitable<void> {
            auto [error] = co_await deadline.async_wait(use_tuple);
            if (!error) {
                timed_out = true;
                std::error_code ignored;
                self->stream_.lowest_layer().close(ignored);
            }
        },
        asio::detached);
    struct cancel_on_exit {
        asio::steady_timer& timer;
        ~cancel_on_exit() { timer.cancel(); }
    } guard{deadline};

    asio::ip::tcp::resolver resolver(executor_);
    auto [resolve_error, endpoints] = co_await resolver.async_resolve(
        options_.relay.host, std::to_string(options_.relay.port), use_tuple);
    if (resolve_error) {
        result.message = "cannot resolve " + options_.relay.host + ": " + resolve_error.message();
        co_return result;
    }
    const auto connect_error = co_await connect_socket(endpoints);
    if (connect_error) {
        result.message = "cannot connect to " + options_.relay.to_string() + ": " +
                         (timed_out ? std::string("timed out") : connect_error.message());
        co_return result;
    }
    std::error_code ignored;
    stream_.lowest_layer().set_option(asio::ip::tcp::no_delay(true), ignored);
    auto [handshake_error] =
        co_await stream_.async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (handshake_error) {
        result.status = connect_status::tls_error;
        result.message = "TLS with " + options_.relay.to_string() + " failed: " +
                         (timed_out ? std::string("timed out") : handshake_error.message());
        co_return result;
    }
    const auto pin = check_pin(stream_.native_handle(), options_.pinned_fingerprint,
                               options_.trust_on_first_use);
    result.fingerprint = pin.seen;
    if (!pin.accepted()) {
        result.status = connect_status::pin_refused;
        result.message = pin.message;
        close();
        co_return result;
    }
    result.first_use = pin.status == pin_status::first_use;
    const auto binding = export_channel_binding(stream_.native_handle());
    if (!binding) {
        result.status = connect_status::tls_error;
        result.message = "the TLS session offers no exporter value";
        close();
        co_return result;
    }
    binding_ = *binding;
    open_ = true;
    writer_running_ = true;
    asio::co_spawn(
        executor_, [self]() { return self->write_loop(); }, asio::detached);

    wire::Frame hello;
    hello.mutable_hello()->set_protocol_version(protocol_version);
    hello.mutable_hello()->set_software(options_.software);
    send(hello);
    auto answer = co_await receive();
    if (!answer || !answer->has_hello()) {
        result.status = connect_status::protocol_error;
        result.message = answer && answer->has_error()
                             ? "relay refused: " + answer->error().message()
                             : "relay did not answer Hello: " + closed_reason_;
        close();
        co_return result;
    }
    auto challenge = co_await receive();
    if (!challenge || !challenge->has_challenge() ||
        challenge->challenge().nonce().size() != challenge_nonce_size) {
        result.status = connect_status::protocol_error;
        result.message = "relay sent no valid Challenge";
        close();
        co_return result;
    }
    nonce_ = challenge->challenge().nonce();
    result.status = connect_status::connected;
    co_return result;
}

asio::awaitable<wire::AuthResult> connection::authenticate(wire::Frame request) {
    if (!send(request)) {
        co_return failed_auth("not connected");
    }
    for (;;) {
        auto frame = co_await receive();
        if (!frame) {
            co_return failed_auth("connection closed: " + closed_reason_);
        }
        if (frame->has_auth_result()) {
            co_return frame->auth_result();
        }
        if (frame->has_error()) {
            co_return failed_auth("relay error: " + frame->error().message());
        }
    }
}

asio::awaitable<wire::AuthResult> connection::login(const std::string& username,
                                                    const signer& sign) {
    const auto input = login_input(
        {reinterpret_cast<const std::uint8_t*>(nonce_.data()), nonce_.size()}, username, binding_);
    if (input.empty()) {
        co_return failed_auth("no challenge yet or username too long");
    }
    const auto signature = sign(input);
    wire::Frame frame;
    frame.mutable_login()->set_username(username);
    frame.mutable_login()->set_signature(signature.data(), signature.size());
    co_return co_await authenticate(std::move(frame));
}

asio::awaitable<wire::AuthResult>
connection::register_account(const std::string& username, const crypto::identity_public_key& key,
                             const signer& sign, const std::string& invite_code) {
    const auto input = login_input(
        {reinterpret_cast<const std::uint8_t*>(nonce_.data()), nonce_.size()}, username, binding_);
    if (input.empty()) {
        co_return failed_auth("no challenge yet or username too long");
    }
    const auto signature = sign(input);
    wire::Frame frame;
    auto& reg = *frame.mutable_register_();
    reg.set_username(username);
    reg.set_identity_key(key.data(), key.size());
    reg.set_signature(signature.data(), signature.size());
    reg.set_invite_code(invite_code);
    co_return co_await authenticate(std::move(frame));
}

bool connection::send(const wire::Frame& frame) {
    if (!open_) {
        return false;
    }
    if (!append_frame(frame, outbox_, options_.max_frame_size)) {
        return false;
    }
    write_wakeup_.cancel();
    return true;
}

void connection::send_raw(std::string bytes) {
    if (!open_) {
        return;
    }
    outbox_ += bytes;
    write_wakeup_.cancel();
}

asio::awaitable<void> connection::write_loop() {
    auto self = shared_from_this();
    while (open_) {
        if (outbox_.empty()) {
            co_await write_wakeup_.async_wait(use_tuple);
            continue;
        }
        writing_.swap(outbox_);
        auto [error, written] =
            co_await asio::async_write(stream_, asio::buffer(writing_), use_tuple);
        writing_.clear();
        if (error) {
            if (closed_reason_.empty()) {
                closed_reason_ = "write failed: " + error.message();
            }
            close();
        }
    }
    writer_running_ = false;
}

asio::awaitable<std::optional<wire::Frame>> connection::receive() {
    auto self = shared_from_this();
    wire::Frame frame;
    for (;;) {
        while (read_offset_ < read_buffer_.size()) {
            const std::span<const std::uint8_t> input(
                reinterpret_cast<const std::uint8_t*>(read_buffer_.data()) + read_offset_,
                read_buffer_.size() - read_offset_);
            const auto step = decoder_.decode(input, frame);
            read_offset_ += step.consumed;
            if (step.status == decode_status::need_more) {
                break;
            }
            if (step.status != decode_status::frame) {
                closed_reason_ = std::string("relay sent a bad frame: ") + to_string(step.status);
                close();
                co_return std::nullopt;
            }
            if (frame.has_ping()) {
                wire::Frame pong;
                pong.mutable_pong()->set_token(frame.ping().token());
                send(pong);
                continue;
            }
            if (frame.has_error()) {
                last_error_ = frame.error();
            }
            co_return frame;
        }
        if (!open_) {
            co_return std::nullopt;
        }
        read_buffer_.resize(read_chunk_size);
        read_offset_ = 0;
        auto [error, length] =
            co_await stream_.async_read_some(asio::buffer(read_buffer_), use_tuple);
        read_buffer_.resize(length);
        if (error) {
            if (closed_reason_.empty()) {
                closed_reason_ =
                    error == asio::error::eof || error == asio::ssl::error::stream_truncated
                        ? std::string("relay closed the connection")
                        : "read failed: " + error.message();
            }
            close();
            co_return std::nullopt;
        }
    }
}

void connection::close() {
    if (!open_ && !stream_.lowest_layer().is_open()) {
        return;
    }
    open_ = false;
    std::error_code ignored;
    stream_.lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.lowest_layer().close(ignored);
    write_wakeup_.cancel();
}

std::chrono::milliseconds backoff_delay(const backoff_policy& policy, unsigned attempt,
                                        crypto::random_source& random) {
    auto delay = policy.initial;
    for (unsigned i = 0; i < attempt && delay < policy.maximum; ++i) {
        delay *= 2;
    }
    delay = std::min(delay, policy.maximum);
    const auto half = delay.count() / 2;
    const auto jitter =
        half > 0 ? random.uniform(
                       static_cast<std::uint32_t>(std::min<std::int64_t>(half, 0x7fffffff)) + 1)
                 : 0U;
    return std::chrono::milliseconds(half + static_cast<std::int64_t>(jitter));
}

asio::awaitable<void> run_with_reconnect(asio::any_io_executor executor, asio::ssl::context& tls,
                                         link_options options, reconnect_handlers handlers,
                                         std::function<bool()> stop, backoff_policy policy) {
    crypto::system_random random;
    unsigned attempt = 0;
    while (!stop()) {
        auto link = connection::create(executor, tls, options);
        const auto result = co_await link->connect();
        std::string why;
        if (result.status == connect_status::pin_refused) {
            if (handlers.on_pin_refused) {
                handlers.on_pin_refused(result);
            }
            co_return;
        }
        if (result.status == connect_status::connected) {
            if (result.first_use) {
                options.pinned_fingerprint = result.fingerprint; // later reconnects hold the pin
                options.trust_on_first_use = false;
            }
            const bool authenticated = co_await handlers.authenticate(*link);
            if (authenticated) {
                attempt = 0;
                if (handlers.on_connected) {
                    handlers.on_connected(link);
                }
                while (auto frame = co_await link->receive()) {
                    if (handlers.on_frame) {
                        handlers.on_frame(*link, *frame);
                    }
                    if (stop()) {
                        link->close();
                        co_return;
                    }
                }
                why = link->closed_reason();
            } else {
                why = "authentication failed";
            }
        } else {
            why = result.message;
        }
        link->close();
        const auto delay = backoff_delay(policy, attempt++, random);
        if (handlers.on_disconnected) {
            handlers.on_disconnected(why, delay);
        }
        asio::steady_timer wait(executor, delay);
        co_await wait.async_wait(use_tuple);
    }
}

} // namespace sotto::net::link
