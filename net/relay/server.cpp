#include "net/relay/server.h"

#include "crypto/identity.h"
#include "crypto/random.h"
#include "net/frame.h"
#include "net/protocol.h"
#include "net/tls.h"
#include "net/tls_stream.h"

#include <asio/bind_allocator.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/ssl.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <csignal>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sotto::net::relay {

namespace {

using asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t read_chunk_size = 16 * 1024;
constexpr std::size_t pending_page = 256;
constexpr std::size_t max_watched = 4096;
constexpr std::size_t max_users_listed = 1000;
constexpr auto closing_grace = std::chrono::seconds(2); // for a closing connection to flush

store::unix_seconds unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

wire::SendResult::Status to_wire(store::enqueue_result result) {
    switch (result) {
    case store::enqueue_result::queued:
        return wire::SendResult::QUEUED;
    case store::enqueue_result::duplicate:
        return wire::SendResult::DUPLICATE;
    case store::enqueue_result::queue_full_count:
    case store::enqueue_result::queue_full_bytes:
        return wire::SendResult::QUEUE_FULL;
    case store::enqueue_result::unknown_recipient:
        return wire::SendResult::UNKNOWN_RECIPIENT;
    }
    return wire::SendResult::STATUS_UNSPECIFIED;
}

class session;

} // namespace

class server::impl {
  public:
    impl(const server_options& options, asio::ssl::context& tls, std::shared_ptr<backend> backend);

    void start();
    void stop();
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    [[nodiscard]] std::size_t connection_count() const noexcept { return connections_.load(); }

    // Connection bookkeeping, called by sessions from any context.
    void session_ended(const std::string& address);
    // False when this address has used up its failed-login allowance.
    bool failed_login_allowed(const std::string& address);
    void record_failed_login(const std::string& address);
    // Audits a limit hit, at most once per address and kind every 10 s (a flood must not turn
    // into a flood of audit writes).
    void audit_limit(const std::string& address, const std::string& username,
                     const std::string& detail);

    const server_options options_;
    asio::ssl::context& tls_;
    std::shared_ptr<backend> backend_;
    crypto::system_random random_;
    std::atomic<bool> stopping_{false};
    [[nodiscard]] asio::io_context::executor_type executor_of(std::size_t lane) const {
        return contexts_[lane]->get_executor();
    }

    // lanes_[i]: the sessions running on contexts_[i], touched only on that context's thread.
    std::vector<std::vector<std::weak_ptr<session>>> lanes_;

  private:
    asio::awaitable<void> accept_loop();
    // Runs `work` on lane's thread and waits for it (never call from a lane's thread).
    void run_on(std::size_t lane, const std::function<void()>& work);
    // One per context: every sweep_interval() it runs session::sweep on that context's sessions
    // (deadlines, pings, idle buffers), so no connection needs a timer or coroutine of its own.
    asio::awaitable<void> sweep_loop(std::size_t lane);
    [[nodiscard]] clock_type::duration sweep_interval() const;

    std::atomic<std::size_t> connections_{0};
    std::mutex registry_mutex_;
    std::unordered_map<std::string, std::size_t> per_address_;
    std::unordered_map<std::string, token_bucket> failed_logins_;
    std::unordered_map<std::string, clock_type::time_point> last_limit_audit_;

    std::vector<std::unique_ptr<asio::io_context>> contexts_;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work_;
    std::unique_ptr<tcp::acceptor> acceptor_;
    std::uint16_t port_ = 0;
    std::vector<std::thread> threads_;
    std::size_t next_context_ = 0;
    bool started_ = false;
    bool stopped_ = false;

    friend class session;
};

namespace {

class session final : public subscriber, public std::enable_shared_from_this<session> {
  public:
    // `address` is the key of the relay's per-address count, which outlives the session.
    session(server::impl& owner, std::size_t lane, tls_stream::socket_type socket,
            const std::string& address)
        : owner_(owner), lane_(lane), stream_(std::move(socket), owner.tls_), address_(address),
          state_(owner.options_.limits), decoder_(owner.options_.limits.max_frame_size),
          accepted_at_(clock_type::now()), last_activity_(accepted_at_),
          bucket_(owner.options_.limits.frames_per_second, owner.options_.limits.frame_burst,
                  accepted_at_) {}

    ~session() override { owner_.session_ended(address_); }

    // The context this session runs on (one thread: no locks).
    [[nodiscard]] asio::io_context::executor_type executor() const {
        return owner_.executor_of(lane_);
    }

    void start() {
        start_reader();
        asio::post(executor(), [self = shared_from_this()] {
            self->owner_.lanes_[self->lane_].push_back(self);
        });
    }

    // Called by the sweep of this session's context, on it. Enforces the auth deadline, the idle
    // timeout (with a Ping at half of it) and the time a closing connection gets to flush, to
    // within one sweep interval; and frees the output buffers of a connection that was quiet for
    // a whole interval, so an idle connection holds none.
    void sweep(clock_type::time_point now) {
        if (finished_) {
            if (lingering_ && now >= closing_since_ + closing_grace) {
                stream_.close(); // the peer never closed its side: its reader ends now
            }
            return;
        }
        const auto& limits = owner_.options_.limits;
        if (closing_) {
            if (now >= closing_since_ + closing_grace) {
                close_now();
            }
            return;
        }
        if (state_.current() != phase::authenticated) {
            if (now >= accepted_at_ + limits.auth_deadline) {
                if (handshake_done_) {
                    fail(wire::Error::AUTH_TIMEOUT, "not authenticated in time", true);
                } else {
                    owner_.audit_limit(address_, {}, "TLS handshake not finished in time");
                    close_now();
                }
            }
            return;
        }
        if (ping_outstanding_ && now >= last_activity_ + limits.idle_timeout) {
            return fail(wire::Error::IDLE_TIMEOUT, "idle for too long", false);
        }
        if (!ping_outstanding_ && now >= last_activity_ + limits.idle_timeout / 2) {
            ping_outstanding_ = true; // the connection must answer before last_activity_ + idle
            out_frame().mutable_ping()->set_token(++ping_token_);
            return queue_out_frame();
        }
        if (busy_since_sweep_) {
            busy_since_sweep_ = false;
        } else if (outbox_.empty() && !write_in_flight_) {
            // Quiet for a whole interval, and the writer (if any) waits for output rather than
            // writing: nothing uses the buffers, and the coroutines can go until there is work.
            std::string().swap(outbox_);
            if (writer_running_) {
                retire_writer_ = true;
                write_wakeup_->cancel();
            }
            if (reader_running_) {
                retire_reader_ = true; // its wait ends with operation_aborted; it parks
                std::error_code ignored;
                stream_.socket().cancel(ignored);
            }
        }
    }

    // Graceful shutdown, step 1: stop taking frames, keep writing. The reader goes on reading
    // and discards what comes, so that the close is not a reset that could destroy the replies
    // and the Error frame before the client read them.
    void stop_reading() {
        asio::post(executor(), [self = shared_from_this()] { self->draining_ = true; });
    }
    // Step 2: tell the client and close once the output is written.
    void finish_shutdown() {
        asio::post(executor(), [self = shared_from_this()] {
            self->fail(wire::Error::SHUTTING_DOWN, "the relay is shutting down", false);
        });
    }

    // subscriber: called on backend threads.
    void on_uncommitted(std::shared_ptr<const store::envelope> envelope) override {
        asio::post(executor(), [self = shared_from_this(), envelope = std::move(envelope)] {
            self->deliver_uncommitted(envelope);
        });
    }
    void on_committed(std::vector<commit_outcome> outcomes) override {
        asio::post(executor(), [self = shared_from_this(), outcomes = std::move(outcomes)] {
            for (const auto& outcome : outcomes) {
                if (outcome.pushed_early) {
                    self->settle(*outcome.envelope, outcome.sequence);
                } else {
                    self->deliver_pushed(*outcome.envelope, outcome.sequence);
                }
            }
        });
    }
    void on_presence(const std::string& username, bool online) override {
        asio::post(executor(), [self = shared_from_this(), username, online] {
            if (self->closing_) {
                return;
            }
            auto& presence = *self->out_frame().mutable_presence();
            presence.set_username(username);
            presence.set_online(online);
            self->queue_out_frame();
        });
    }

  private:
    // Runs `work` on this session's context with the session alive; for backend callbacks.
    template <typename T, typename Work>
    backend::callback<T> on_context(Work work) {
        return [self = shared_from_this(), work = std::move(work)](T value) mutable {
            // Moved, so the session is never released on a backend thread.
            auto executor = self->executor();
            asio::post(executor, [self = std::move(self), work = std::move(work),
                                  value = std::move(value)]() mutable {
                if (!self->closing_) {
                    work(*self, std::move(value));
                }
            });
        };
    }

    // The TLS handshake and the channel binding login signatures cover.
    asio::awaitable<bool> handshake() {
        const auto handshake_error = co_await stream_.accept();
        if (handshake_error || closing_) {
            co_return false;
        }
        const auto binding = export_channel_binding(stream_.native_handle());
        if (!binding) {
            co_return false;
        }
        login_ = std::make_unique<login_material>();
        login_->binding = *binding;
        handshake_done_ = true;
        co_return true;
    }

    void start_reader() {
        reader_running_ = true;
        asio::co_spawn(
            executor(), [self = shared_from_this()]() { return self->read_loop(); },
            asio::detached);
    }

    // The reader coroutine: the TLS handshake, then frames until the connection closes. When the
    // sweep finds the connection quiet it parks (park_reader) and is started again once the
    // socket is readable, so an idle connection holds one socket wait instead of its frames.
    asio::awaitable<void> read_loop() {
        try {
            if (!handshake_done_ && !co_await handshake()) {
                reader_running_ = false;
                co_return close_now();
            }
            // One read buffer per thread: every byte read is decoded before the next co_await, and
            // the decoder copies only an incomplete frame (bounded by the frame limit).
            thread_local std::array<std::uint8_t, read_chunk_size> buffer;
            while (!closing_ || lingering_) {
                auto [error, length] = co_await stream_.read_some(buffer);
                if (error == asio::error::operation_aborted && retire_reader_ && !closing_ &&
                    !finished_) {
                    retire_reader_ = false;
                    reader_running_ = false;
                    park_reader();
                    co_return;
                }
                if (error || (closing_ && !lingering_)) {
                    break;
                }
                if (draining_ || closing_) {
                    continue; // shutting down (see stop_reading): read, but take nothing
                }
                retire_reader_ = false;
                last_activity_ = clock_type::now();
                ping_outstanding_ = false;
                busy_since_sweep_ = true;
                std::span<const std::uint8_t> input(buffer.data(), length);
                while (!input.empty() && !closing_) {
                    const auto step = decoder_.decode(input, frames().in);
                    input = input.subspan(step.consumed);
                    if (step.status == decode_status::need_more) {
                        break;
                    }
                    if (step.status != decode_status::frame) {
                        const auto code = step.status == decode_status::oversized
                                              ? wire::Error::FRAME_TOO_LARGE
                                              : wire::Error::MALFORMED_FRAME;
                        fail(code, to_string(step.status), true);
                        break;
                    }
                    if (!bucket_.take(last_activity_)) {
                        fail(wire::Error::RATE_LIMITED, "over the frame rate limit", true);
                        break;
                    }
                    const auto verdict = state_.on_frame(frames().in);
                    if (!verdict.accepted) {
                        fail(verdict.code, verdict.reason, true);
                        break;
                    }
                    handle(frames().in);
                }
            }
        } catch (const std::exception& error) {
            spdlog::error("connection from {}: {}", address_, error.what());
        }
        reader_running_ = false;
        if (lingering_) {
            lingering_ = false;
            stream_.close(); // the peer closed its side after our last bytes
        }
        if (!draining_ && !closing_) {
            closing_ = true; // the peer went away: flush what is queued and close
            closing_since_ = clock_type::now();
            wake_writer();
        }
        leave();
    }

    // Whatever ends the wait (input, end of stream, an error), the restarted reader sees it.
    // The wait is allocated at its exact size with std::allocator: asio's default recycling
    // allocator would hand it whatever larger block the thread freed last, and it is held for as
    // long as the connection stays idle.
    void park_reader() {
        stream_.socket().async_wait(
            tcp::socket::wait_read,
            asio::bind_allocator(std::allocator<void>(),
                                 [self = shared_from_this()](std::error_code) {
                                     if (!self->finished_ && !self->reader_running_) {
                                         self->start_reader();
                                     }
                                 }));
    }

    // The writer coroutine runs while the connection is busy: it waits on write_wakeup_ between
    // bursts, and the sweep retires it once the connection was quiet for a whole interval, so an
    // idle connection keeps no coroutine frames for it. It closes the connection when closing.
    void wake_writer() {
        if (finished_ || !handshake_done_) {
            return;
        }
        if (writer_running_) {
            write_wakeup_->cancel();
            return;
        }
        writer_running_ = true;
        // The writer's wait between bursts; it exists while the writer does.
        write_wakeup_ =
            std::make_unique<asio::steady_timer>(executor(), clock_type::time_point::max());
        asio::co_spawn(
            executor(), [self = shared_from_this()]() { return self->write_loop(); },
            asio::detached);
    }

    asio::awaitable<void> write_loop() {
        bool failed = false;
        // What is being written; in the coroutine's frame, so it goes when the writer retires.
        std::string writing;
        try {
            for (;;) {
                if (outbox_.empty()) {
                    if (closing_ || retire_writer_ || finished_) {
                        break;
                    }
                    co_await write_wakeup_->async_wait(use_tuple);
                    continue;
                }
                writing.swap(outbox_);
                write_in_flight_ = true;
                const auto error = co_await stream_.write_all(
                    {reinterpret_cast<const std::uint8_t*>(writing.data()), writing.size()});
                write_in_flight_ = false;
                busy_since_sweep_ = true;
                if (writing.capacity() > 64 * 1024) {
                    std::string().swap(writing);
                } else {
                    writing.clear();
                }
                if (error) {
                    failed = true;
                    break;
                }
                if (needs_resync_ && !syncing_ && !closing_ &&
                    outbox_.size() < owner_.options_.max_outbox_bytes / 4) {
                    needs_resync_ = false;
                    sync();
                }
            }
        } catch (const std::exception& error) {
            spdlog::error("writing to {}: {}", address_, error.what());
            failed = true;
        }
        writer_running_ = false;
        write_in_flight_ = false;
        retire_writer_ = false;
        write_wakeup_.reset(); // nothing waits on it now; the next writer makes its own
        if (failed || closing_) {
            close_now();
        }
    }

    void handle(const wire::Frame& frame) {
        switch (frame.body_case()) {
        case wire::Frame::kHello:
            return on_hello();
        case wire::Frame::kLogin:
            return on_login(frame.login());
        case wire::Frame::kRegister:
            return on_register(frame.register_());
        case wire::Frame::kSend:
            return on_send(frame.send());
        case wire::Frame::kDeliverAck:
            return on_ack(frame.deliver_ack());
        case wire::Frame::kUsersRequest:
            return on_users();
        case wire::Frame::kKeyLookup:
            return on_key_lookup(frame.key_lookup());
        case wire::Frame::kPing:
            out_frame().mutable_pong()->set_token(frame.ping().token());
            return queue_out_frame();
        default:
            return; // Pong: its arrival already counted as activity
        }
    }

    void on_hello() {
        auto& hello = *out_frame().mutable_hello();
        hello.set_protocol_version(protocol_version);
        hello.set_software(owner_.options_.software);
        queue_out_frame();
        owner_.random_.fill(login_->nonce); // made by handshake(); Hello is the first frame
        out_frame().mutable_challenge()->set_nonce(login_->nonce.data(), login_->nonce.size());
        queue_out_frame();
    }

    [[nodiscard]] bool signature_valid(const crypto::identity_public_key& key,
                                       const std::string& username,
                                       const std::string& signature_bytes) const {
        crypto::signature signature;
        const auto* data = reinterpret_cast<const std::uint8_t*>(signature_bytes.data());
        if (!crypto::signature::from({data, signature_bytes.size()}, signature)) {
            return false;
        }
        if (!login_) {
            return false;
        }
        const auto input = login_input(login_->nonce, username, login_->binding);
        return !input.empty() && crypto::verify(key, input, signature);
    }

    void on_login(const wire::Login& login) {
        if (!owner_.failed_login_allowed(address_)) {
            return refuse_auth(wire::AuthResult::RATE_LIMITED, login.username(),
                               "too many failed logins", true);
        }
        owner_.backend_->find_account(
            login.username(),
            on_context<std::optional<store::account>>(
                [username = login.username(), signature = login.signature()](
                    session& self, std::optional<store::account> found) {
                    if (!found) {
                        return self.refuse_auth(wire::AuthResult::UNKNOWN_USER, username,
                                                "no such user", true);
                    }
                    if (!self.signature_valid(found->identity_key, username, signature)) {
                        return self.refuse_auth(wire::AuthResult::BAD_SIGNATURE, username,
                                                "bad signature", true);
                    }
                    self.authenticated(username, "login");
                }));
    }

    void on_register(const wire::Register& reg) {
        const auto& username = reg.username();
        if (!store::valid_username(username)) {
            return refuse_auth(wire::AuthResult::INVALID_USERNAME, username,
                               "usernames are 3..32 of a-z 0-9 _ . - starting with a letter",
                               false);
        }
        crypto::identity_public_key key;
        (void)crypto::identity_public_key::from(
            {reinterpret_cast<const std::uint8_t*>(reg.identity_key().data()),
             reg.identity_key().size()},
            key);
        if (!signature_valid(key, username, reg.signature())) {
            return refuse_auth(wire::AuthResult::BAD_SIGNATURE, username,
                               "signature does not prove the key", true);
        }
        std::optional<std::string> invite;
        if (!reg.invite_code().empty()) {
            invite = reg.invite_code();
        }
        owner_.backend_->register_account(
            username, key, std::move(invite), owner_.options_.invite_only,
            on_context<store::registration_result>(
                [username](session& self, store::registration_result result) {
                    switch (result) {
                    case store::registration_result::registered:
                        return self.authenticated(username, "register");
                    case store::registration_result::already_registered:
                        return self.authenticated(username, "login");
                    case store::registration_result::name_taken:
                        return self.refuse_auth(wire::AuthResult::NAME_TAKEN, username,
                                                "name taken", false);
                    case store::registration_result::invite_required:
                        return self.refuse_auth(wire::AuthResult::INVITE_REQUIRED, username,
                                                "invite required", false);
                    case store::registration_result::invite_invalid:
                        return self.refuse_auth(wire::AuthResult::INVITE_INVALID, username,
                                                "invite invalid", true);
                    }
                }));
    }

    void refuse_auth(wire::AuthResult::Status status, const std::string& username,
                     const std::string& why, bool counts_as_failed_login) {
        if (counts_as_failed_login) {
            owner_.record_failed_login(address_);
        }
        owner_.backend_->audit({unix_now(), "login_failed",
                                store::valid_username(username) ? username : "", address_, why});
        auto& result = *out_frame().mutable_auth_result();
        result.set_status(status);
        result.set_message(why);
        queue_out_frame();
        if (status == wire::AuthResult::RATE_LIMITED || state_.auth_failed() == phase::closed) {
            fail(wire::Error::RATE_LIMITED, "too many failed authentication attempts", false);
        }
    }

    void authenticated(const std::string& username, const char* kind) {
        state_.auth_succeeded();
        login_.reset(); // a connection authenticates once
        username_ = username;
        owner_.backend_->audit({unix_now(), kind, username, address_, {}});
        auto& result = *out_frame().mutable_auth_result();
        result.set_status(wire::AuthResult::OK);
        result.set_username(username);
        queue_out_frame();
        owner_.backend_->attach(username_, shared_from_this());
        attached_ = true;
        owner_.backend_->take_expiry_notices(
            username_,
            on_context<std::vector<store::expiry_notice>>([](session& self, auto notices) {
                for (const auto& notice : notices) {
                    auto& out = *self.out_frame().mutable_expiry_notice();
                    out.set_recipient(notice.recipient);
                    out.set_id(notice.id.data(), notice.id.size());
                    self.queue_out_frame();
                }
            }));
        sync();
    }

    void on_send(const wire::Send& send) {
        store::message_id id{};
        std::copy_n(send.id().begin(), id.size(), id.begin());
        std::vector<std::string> recipients(send.recipients().begin(), send.recipients().end());
        for (const auto& recipient : recipients) {
            watch(recipient);
        }
        owner_.backend_->send(
            username_, recipients, id, send.ciphertext(),
            on_context<std::vector<store::enqueue_result>>(
                [id, recipients](session& self, std::vector<store::enqueue_result> results) {
                    if (results.size() != recipients.size()) {
                        return self.fail(wire::Error::INTERNAL,
                                         "the relay could not store the message", false);
                    }
                    auto& out = *self.out_frame().mutable_send_result();
                    out.set_id(id.data(), id.size());
                    for (std::size_t i = 0; i < results.size(); ++i) {
                        auto* item = out.add_results();
                        item->set_username(recipients[i]);
                        item->set_status(to_wire(results[i]));
                    }
                    self.queue_out_frame();
                }));
    }

    void on_ack(const wire::DeliverAck& ack) {
        std::vector<backend::acknowledgement> acked;
        acked.reserve(static_cast<std::size_t>(ack.items_size()));
        for (const auto& item : ack.items()) {
            auto& entry = acked.emplace_back();
            entry.first = item.sender();
            std::copy_n(item.id().begin(), entry.second.size(), entry.second.begin());
        }
        if (!acked.empty()) {
            owner_.backend_->acknowledge(username_, std::move(acked));
        }
    }

    void on_users() {
        auto& users = *out_frame().mutable_users();
        for (auto& name : owner_.backend_->online_users(max_users_listed)) {
            users.add_online(std::move(name));
        }
        queue_out_frame();
    }

    void on_key_lookup(const wire::KeyLookup& lookup) {
        const auto& username = lookup.username();
        if (!store::valid_username(username)) {
            out_frame().mutable_key_info()->set_username(username);
            return queue_out_frame();
        }
        owner_.backend_->find_account(
            username,
            on_context<std::optional<store::account>>([username](session& self, auto found) {
                auto& info = *self.out_frame().mutable_key_info();
                info.set_username(username);
                if (found) {
                    info.set_identity_key(found->identity_key.data(), found->identity_key.size());
                }
                self.queue_out_frame();
                if (found) {
                    self.watch(username);
                }
            }));
    }

    void watch(const std::string& target) {
        if (!watched_) {
            watched_ = std::make_unique<std::unordered_set<std::string>>();
        }
        if (target == username_ || watched_->size() >= max_watched ||
            !watched_->insert(target).second) {
            return;
        }
        owner_.backend_->watch(shared_from_this(), target);
    }

    // Delivery (docs/PROTOCOL.md "Delivery"): after login, and whenever pushes were dropped,
    // fetch from the store in pages after the last delivered sequence, so order per recipient is
    // the store's order. Pushes that arrive while a fetch is in flight are held (see
    // deliver_uncommitted); a commit outcome that comes while one is in flight needs no new fetch:
    // the writer posts outcomes and pages in its own order, so that commit came before the read of
    // the fetch in flight, whose page has the envelope (or is full, and the next one has it).
    void sync() {
        if (syncing_) {
            resync_requested_ = true;
            return;
        }
        syncing_ = true;
        resync_requested_ = false;
        owner_.backend_->pending(
            username_, last_sequence_, pending_page,
            on_context<std::vector<store::envelope>>(
                [](session& self, std::vector<store::envelope> page) {
                    self.syncing_ = false;
                    for (const auto& envelope : page) {
                        self.queue_deliver(envelope, envelope.sequence);
                    }
                    if (self.outbox_.size() >= self.owner_.options_.max_outbox_bytes) {
                        self.needs_resync_ = true; // the writer resumes when the client caught up
                    } else if (page.size() == pending_page || self.resync_requested_) {
                        self.sync();
                    }
                    if (!self.syncing_ && !self.needs_resync_) {
                        self.release_held();
                    }
                }));
    }

    // An envelope pushed before its commit goes out at once when the connection is live and no
    // earlier uncommitted push is held back (which it would overtake); otherwise it is held until
    // the fetch that held it ends (release_held) or its outcome comes, whichever is first. So the
    // unsettled pushes are, oldest first, delivered_early_ delivered ones, then the held ones (a
    // push is held while any is), and their outcomes come in that order.
    void deliver_uncommitted(std::shared_ptr<const store::envelope> envelope) {
        if (deliverable_early()) {
            ++delivered_early_;
            write_deliver(*envelope, 0);
        } else {
            held_.push_back(std::move(envelope));
        }
    }

    [[nodiscard]] bool deliverable_early() const {
        return !closing_ && state_.current() == phase::authenticated && !syncing_ &&
               !needs_resync_ && held_head_ == held_.size() &&
               outbox_.size() < owner_.options_.max_outbox_bytes;
    }

    // The last page of a fetch went out: the pushes it held are, oldest first, the envelopes whose
    // commits came after that page was read (an earlier commit's outcome came before the page
    // and took its envelope off the list), so they follow it in order and go out now instead of
    // waiting for their commits. Called only with no fetch in flight and none needed.
    void release_held() {
        while (held_head_ < held_.size() && !closing_ &&
               outbox_.size() < owner_.options_.max_outbox_bytes) {
            ++delivered_early_;
            write_deliver(*held_[held_head_], 0);
            held_[held_head_++].reset();
        }
        drop_released();
    }

    // Forgets the settled and released pushes at the front of held_, now and then: a sender that
    // keeps a push held at every moment must not grow the list for as long as it streams.
    void drop_released() {
        if (held_head_ == held_.size()) {
            held_.clear();
            held_head_ = 0;
        } else if (held_head_ >= 64 && held_head_ * 2 >= held_.size()) {
            held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(held_head_));
            held_head_ = 0;
        }
    }

    // The commit's outcome for the oldest unsettled early push (sequence 0: not stored).
    void settle(const store::envelope& envelope, std::uint64_t sequence) {
        if (delivered_early_ > 0) {
            --delivered_early_;
            last_sequence_ = std::max(last_sequence_, sequence);
            return;
        }
        if (held_head_ == held_.size()) {
            return; // not reached: every outcome follows its push
        }
        held_[held_head_++].reset(); // settled: the store or a page has it now
        drop_released();
        if (sequence != 0) {
            deliver_pushed(envelope, sequence);
        }
    }

    // A committed envelope (with its sequence) that was not delivered early.
    void deliver_pushed(const store::envelope& envelope, std::uint64_t sequence) {
        if (closing_ || state_.current() != phase::authenticated) {
            return;
        }
        if (syncing_) {
            return; // in the page of the fetch in flight (see sync)
        }
        if (needs_resync_ || sequence <= last_sequence_) {
            return;
        }
        if (outbox_.size() >= owner_.options_.max_outbox_bytes) {
            needs_resync_ = true; // it stays in the store; fetched when the client caught up
            return;
        }
        queue_deliver(envelope, sequence);
    }

    void queue_deliver(const store::envelope& envelope, std::uint64_t sequence) {
        if (sequence <= last_sequence_) {
            return;
        }
        last_sequence_ = sequence;
        write_deliver(envelope, sequence);
    }

    void write_deliver(const store::envelope& envelope, std::uint64_t sequence) {
        auto& deliver = *out_frame().mutable_deliver();
        deliver.set_sender(envelope.sender);
        deliver.set_id(envelope.id.data(), envelope.id.size());
        deliver.set_ciphertext(envelope.ciphertext.data(), envelope.ciphertext.size());
        deliver.set_sequence(sequence);
        deliver.set_queued_at(envelope.queued_at);
        queue_out_frame();
        watch(envelope.sender);
    }

    // One incoming and one outgoing frame per thread, not per connection: each is filled and used
    // up with no co_await in between (decode, then handle; out_frame, then queue_out_frame), and a
    // connection runs on one thread.
    struct thread_frames {
        wire::Frame in;
        wire::Frame out;
    };
    static thread_frames& frames() {
        thread_local thread_frames mine;
        return mine;
    }
    // The outgoing frame, empty: set one body, then queue_out_frame.
    static wire::Frame& out_frame() {
        auto& frame = frames().out;
        frame.clear_body();
        return frame;
    }

    // Encodes out_frame() onto the outbox.
    void queue_out_frame() {
        auto& frame = frames().out;
        if (!closing_ || error_pending_) {
            if (!append_frame(frame, outbox_, owner_.options_.limits.max_frame_size)) {
                spdlog::error("an outgoing frame to {} exceeded the frame limit", address_);
            }
            wake_writer();
        }
        frame.clear_body();
    }

    // Closes this connection for `code`, sending an Error frame first where the TLS session allows.
    void fail(wire::Error::Code code, const std::string& reason, bool audit) {
        if (closing_) {
            return;
        }
        if (audit) {
            owner_.audit_limit(address_, username_, reason);
        }
        spdlog::debug("closing connection from {}: {}", address_, reason);
        state_.close();
        auto& error = *out_frame().mutable_error();
        error.set_code(code);
        error.set_message(reason);
        error_pending_ = true;
        queue_out_frame();
        error_pending_ = false;
        begin_close();
    }

    void begin_close() {
        closing_ = true;
        closing_since_ = clock_type::now();
        if (!handshake_done_) {
            close_now();
        } else {
            wake_writer();
        }
    }

    void close_now() {
        if (!closing_) {
            closing_ = true;
            closing_since_ = clock_type::now();
        }
        if (finished_) {
            return;
        }
        finished_ = true;
        if (draining_ && handshake_done_) {
            // Shutting down: a FIN after the last bytes, then read until the client closes too
            // (or the sweep's closing_grace), so that nothing it still has to read is reset.
            lingering_ = true;
            std::error_code ignored;
            stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
            if (!reader_running_) {
                start_reader();
            }
        } else {
            stream_.close();
        }
        if (write_wakeup_) {
            write_wakeup_->cancel();
        }
        leave();
    }

    void leave() {
        if (attached_) {
            attached_ = false;
            owner_.backend_->detach(
                username_, this,
                watched_ ? std::vector<std::string>(watched_->begin(), watched_->end())
                         : std::vector<std::string>{});
        }
    }

    server::impl& owner_;
    std::size_t lane_;
    tls_stream stream_;
    const std::string& address_; // see the constructor
    connection_state state_;
    frame_decoder decoder_;
    std::string outbox_;
    clock_type::time_point accepted_at_;
    clock_type::time_point last_activity_;
    clock_type::time_point closing_since_;
    token_bucket bucket_;
    std::unique_ptr<asio::steady_timer> write_wakeup_; // while the writer runs
    // The challenge and the TLS channel binding a login signs: from the handshake until login.
    struct login_material {
        std::array<std::uint8_t, challenge_nonce_size> nonce{};
        channel_binding binding{};
    };
    std::unique_ptr<login_material> login_;
    std::string username_;
    std::unique_ptr<std::unordered_set<std::string>> watched_; // see watch()
    std::uint64_t last_sequence_ = 0;
    std::uint32_t delivered_early_ = 0; // see deliver_uncommitted
    // The held pushes (see deliver_uncommitted): held_[held_head_...], oldest first. Each is also
    // in its Send's job until the commit, so holding it here costs no copy. A vector and a head
    // rather than a std::deque, which allocates on construction: most connections never hold one.
    std::vector<std::shared_ptr<const store::envelope>> held_;
    std::size_t held_head_ = 0;
    std::uint64_t ping_token_ = 0;
    bool handshake_done_ = false;
    bool attached_ = false;
    bool syncing_ = false;
    bool resync_requested_ = false;
    bool needs_resync_ = false;
    bool ping_outstanding_ = false;
    bool closing_ = false;
    bool error_pending_ = false;
    bool draining_ = false;
    bool lingering_ = false; // finished, reading until the peer closes (see close_now)
    bool finished_ = false;
    bool writer_running_ = false;
    bool write_in_flight_ = false;
    bool retire_writer_ = false;
    bool reader_running_ = false;
    bool retire_reader_ = false;
    bool busy_since_sweep_ = false;
};

} // namespace

server::impl::impl(const server_options& options, asio::ssl::context& tls,
                   std::shared_ptr<backend> backend)
    : options_(options), tls_(tls), backend_(std::move(backend)) {
    // OpenSSL writes to the sockets itself (net/tls_stream.h), with write(2): a peer that went
    // away must be an EPIPE error, not a signal that kills the relay.
    std::signal(SIGPIPE, SIG_IGN);
    const auto threads = std::max<std::size_t>(1, options_.threads);
    for (std::size_t i = 0; i < threads; ++i) {
        contexts_.push_back(std::make_unique<asio::io_context>(1));
        lanes_.emplace_back();
        work_.push_back(asio::make_work_guard(*contexts_.back()));
    }
    const auto address = asio::ip::make_address(options_.listen_host);
    acceptor_ = std::make_unique<tcp::acceptor>(*contexts_.front());
    const tcp::endpoint endpoint(address, options_.listen_port);
    acceptor_->open(endpoint.protocol());
    acceptor_->set_option(tcp::acceptor::reuse_address(true));
    acceptor_->bind(endpoint);
    acceptor_->listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_->local_endpoint().port();
}

void server::impl::start() {
    if (started_) {
        return;
    }
    started_ = true;
    asio::co_spawn(
        *contexts_.front(), [this]() { return accept_loop(); }, asio::detached);
    for (std::size_t lane = 0; lane < contexts_.size(); ++lane) {
        asio::co_spawn(
            *contexts_[lane], [this, lane]() { return sweep_loop(lane); }, asio::detached);
    }
    for (auto& context : contexts_) {
        threads_.emplace_back([&context] {
            for (;;) {
                try {
                    context->run();
                    return;
                } catch (const std::exception& error) {
                    spdlog::error("relay event loop: {}", error.what());
                }
            }
        });
    }
}

asio::awaitable<void> server::impl::accept_loop() {
    while (!stopping_) {
        const auto lane = next_context_++ % contexts_.size();
        auto& target = *contexts_[lane];
        auto [error, socket] = co_await acceptor_->async_accept(target, use_tuple);
        if (stopping_) {
            break; // accepted just before the close: stop() walks no lane after it (closed here)
        }
        if (error) {
            if (error == asio::error::operation_aborted || stopping_) {
                break;
            }
            if (error == asio::error::no_descriptors || error == asio::error::no_buffer_space) {
                spdlog::warn("accept: {}; pausing", error.message());
                asio::steady_timer pause(*contexts_.front(), std::chrono::milliseconds(100));
                co_await pause.async_wait(use_tuple);
            }
            continue;
        }
        std::error_code endpoint_error;
        const auto remote = socket.remote_endpoint(endpoint_error);
        if (endpoint_error) {
            continue;
        }
        std::string address = remote.address().to_string();
        socket.set_option(tcp::no_delay(true), endpoint_error);
        std::shared_ptr<session> connection;
        {
            std::lock_guard lock(registry_mutex_);
            auto& [key, from_address] = *per_address_.try_emplace(address, 0).first;
            if (connections_.load() >= options_.max_connections ||
                from_address >= options_.max_connections_per_ip) {
                if (from_address == 0) {
                    per_address_.erase(address);
                }
                connection = nullptr;
            } else {
                ++from_address;
                ++connections_;
                connection = std::make_shared<session>(*this, lane, std::move(socket), key);
            }
        }
        if (!connection) {
            audit_limit(address, {}, "connection cap reached");
            continue; // the socket closes as it goes out of scope
        }
        connection->start();
    }
}

clock_type::duration server::impl::sweep_interval() const {
    const auto& limits = options_.limits;
    const clock_type::duration shortest = std::min({clock_type::duration(limits.auth_deadline),
                                                    clock_type::duration(limits.idle_timeout / 2),
                                                    clock_type::duration(closing_grace)});
    return std::clamp(shortest / 4, clock_type::duration(std::chrono::milliseconds(5)),
                      clock_type::duration(std::chrono::milliseconds(500)));
}

asio::awaitable<void> server::impl::sweep_loop(std::size_t lane) {
    asio::steady_timer timer(*contexts_[lane]);
    const auto interval = sweep_interval();
    auto& sessions = lanes_[lane];
    for (;;) {
        timer.expires_after(interval);
        co_await timer.async_wait(use_tuple);
        const auto now = clock_type::now();
        std::erase_if(sessions, [now](const std::weak_ptr<session>& weak) {
            const auto alive = weak.lock();
            if (alive) {
                alive->sweep(now);
            }
            return !alive;
        });
    }
}

void server::impl::session_ended(const std::string& address) {
    std::lock_guard lock(registry_mutex_);
    const auto found = per_address_.find(address);
    if (found != per_address_.end() && --found->second == 0) {
        per_address_.erase(found);
    }
    --connections_;
}

bool server::impl::failed_login_allowed(const std::string& address) {
    std::lock_guard lock(registry_mutex_);
    const auto found = failed_logins_.find(address);
    if (found == failed_logins_.end()) {
        return true;
    }
    // Peek: a token is taken only when a login actually fails.
    auto copy = found->second;
    return copy.take(clock_type::now());
}

void server::impl::record_failed_login(const std::string& address) {
    std::lock_guard lock(registry_mutex_);
    if (failed_logins_.size() > 100'000) {
        failed_logins_.clear(); // bounded memory; an attacker spread this wide is not slowed anyway
    }
    const auto now = clock_type::now();
    auto [found, inserted] =
        failed_logins_.try_emplace(address, options_.failed_logins_per_minute_per_ip / 60.0,
                                   options_.failed_login_burst_per_ip, now);
    (void)inserted;
    found->second.take(now);
}

void server::impl::audit_limit(const std::string& address, const std::string& username,
                               const std::string& detail) {
    const auto now = clock_type::now();
    {
        std::lock_guard lock(registry_mutex_);
        if (last_limit_audit_.size() > 100'000) {
            last_limit_audit_.clear();
        }
        auto& last = last_limit_audit_[address + '\n' + detail];
        if (last != clock_type::time_point{} && now - last < std::chrono::seconds(10)) {
            return;
        }
        last = now;
    }
    spdlog::info("limit: {} from {}", detail, address);
    backend_->audit({unix_now(), "limit", username, address, detail});
}

void server::impl::run_on(std::size_t lane, const std::function<void()>& work) {
    std::promise<void> reached;
    auto done = reached.get_future();
    asio::post(*contexts_[lane], [&] {
        work();
        reached.set_value();
    });
    done.wait();
}

void server::impl::stop() {
    if (!started_ || stopped_) {
        return;
    }
    stopped_ = true;
    stopping_ = true;
    // Accepts that completed before the close have posted their sessions to their lanes by the
    // time it ran, so the walk over the lanes below finds every session.
    run_on(0, [this] {
        std::error_code ignored;
        acceptor_->close(ignored);
    });
    std::vector<std::shared_ptr<session>> open;
    for (std::size_t lane = 0; lane < contexts_.size(); ++lane) {
        run_on(lane, [&] {
            for (const auto& weak : lanes_[lane]) {
                if (auto alive = weak.lock()) {
                    alive->stop_reading();
                    open.push_back(std::move(alive));
                }
            }
        });
    }
    // Let the contexts process the stop_reading posts (and the frames already read) before
    // waiting for the store: a Send handled after drain() started would still be answered,
    // since drain waits only for what was submitted before it.
    for (std::size_t lane = 0; lane < contexts_.size(); ++lane) {
        run_on(lane, [] {});
    }
    backend_->drain();
    for (const auto& connection : open) {
        connection->finish_shutdown();
    }
    open.clear();
    const auto give_up = clock_type::now() + options_.shutdown_grace;
    while (connections_.load() > 0 && clock_type::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    work_.clear();
    for (auto& context : contexts_) {
        context->stop();
    }
    for (auto& thread : threads_) {
        thread.join();
    }
    threads_.clear();
}

server::server(const server_options& options, asio::ssl::context& tls,
               std::shared_ptr<backend> backend)
    : impl_(std::make_unique<impl>(options, tls, std::move(backend))) {}

server::~server() {
    impl_->stop();
}

std::uint16_t server::port() const noexcept {
    return impl_->port();
}
void server::start() {
    impl_->start();
}
void server::stop() {
    impl_->stop();
}
std::size_t server::connection_count() const noexcept {
    return impl_->connection_count();
}

} // namespace sotto::net::relay
