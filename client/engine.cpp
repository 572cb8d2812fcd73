#include "client/engine.h"

#include "client/e2e.pb.h"
#include "client/groups.h"
#include "crypto/identity.h"
#include "crypto/padding.h"
#include "crypto/ratchet.h"
#include "crypto/safety_number.h"
#include "net/address.h"
#include "net/protocol.h"
#include "net/tls.h"
#include "store/wal_sync.h"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <thread>

namespace sotto::client {

namespace {

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t max_text_size = 16'000;
constexpr std::size_t max_pending_inbound = 1000;
constexpr std::size_t max_receipt_ids = 200;

// Messages read from the store at a time when a whole conversation is walked (export, the
// messages of an accepted request), so that none is ever held in memory whole.
constexpr std::size_t history_page_size = 500;

crypto::wall_time wall_now() {
    return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::int64_t now_ms() {
    return wall_now().time_since_epoch().count();
}

std::string hex(const store::message_id& id) {
    return crypto::to_hex(id);
}

std::optional<store::message_id> parse_id(std::string_view text) {
    const auto bytes = crypto::from_hex(text);
    store::message_id id{};
    if (!bytes || bytes->size() != id.size()) {
        return std::nullopt;
    }
    std::copy(bytes->begin(), bytes->end(), id.begin());
    return id;
}

std::optional<store::message_id> id_from(const std::string& bytes) {
    store::message_id id{};
    if (bytes.size() != id.size()) {
        return std::nullopt;
    }
    std::copy(bytes.begin(), bytes.end(), id.begin());
    return id;
}

std::string as_string(const store::message_id& id) {
    return {reinterpret_cast<const char*>(id.data()), id.size()};
}

crypto::bytes_view view_of(const std::string& text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

} // namespace

std::string_view to_string(store::message_status status) noexcept {
    switch (status) {
    case store::message_status::queued:
        return "queued";
    case store::message_status::sent:
        return "sent";
    case store::message_status::delivered:
        return "delivered";
    case store::message_status::read:
        return "read";
    }
    return "queued";
}

// Writes the decrypted conversation with `with` to `path` (0600), page by page: a long
// conversation is never in memory. It goes to `path`.partial first and is renamed when complete,
// so `path` never holds half an export. Returns the count; stops when `cancelled` is set.
result<std::size_t> write_export(store::client_store& store, store::contact_id contact,
                                 const std::string& with, const std::string& me,
                                 export_format format, const std::filesystem::path& path,
                                 const std::atomic<bool>& cancelled) {
    const std::filesystem::path partial = path.string() + ".partial";
    // A fresh file of our own (never one someone left there, nor through a symbolic link),
    // written through this descriptor only.
    ::unlink(partial.c_str());
    const int fd =
        ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return command_error{"io", "cannot write " + path.string()};
    }
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> out(::fdopen(fd, "w"), &std::fclose);
    if (!out) {
        ::close(fd);
        return command_error{"io", "cannot write " + path.string()};
    }
    const auto give_up = [&](std::string code, std::string message) -> result<std::size_t> {
        out.reset();
        std::error_code ignored;
        std::filesystem::remove(partial, ignored);
        return command_error{std::move(code), std::move(message)};
    };
    std::string text;
    const auto write = [&]() {
        const bool written = std::fwrite(text.data(), 1, text.size(), out.get()) == text.size();
        text.clear();
        return written;
    };
    const auto from = [&](const store::stored_message& m) -> const std::string& {
        return m.way == store::direction::outgoing ? me : with;
    };
    if (format == export_format::json) {
        text = "{\"with\":" + nlohmann::json(with).dump() +
               ",\"user\":" + nlohmann::json(me).dump() + ",\"messages\":[";
    } else {
        text = "# Conversation between " + me + " and " + with + "\n\n";
    }
    std::size_t count = 0;
    std::optional<store::message_id> after;
    try {
        for (;;) {
            if (cancelled) {
                return give_up("cancelled", "the export was stopped");
            }
            if (!write()) {
                return give_up("io", "cannot write " + path.string() + ": " + std::strerror(errno));
            }
            const auto page = store.history_after(contact, after, history_page_size);
            if (page.empty()) {
                break;
            }
            after = page.back().id;
            for (const auto& m : page) {
                if (format == export_format::json) {
                    text += count == 0 ? "\n" : ",\n";
                    text += nlohmann::json{{"id", hex(m.id)},
                                           {"from", from(m)},
                                           {"direction",
                                            m.way == store::direction::outgoing ? "out" : "in"},
                                           {"text", m.text},
                                           {"ts", m.sent_at},
                                           {"status", to_string(m.status)}}
                                .dump();
                } else {
                    const auto seconds = static_cast<std::time_t>(m.sent_at / 1000);
                    std::tm parts{};
                    ::gmtime_r(&seconds, &parts);
                    std::array<char, 32> stamp{};
                    std::strftime(stamp.data(), stamp.size(), "%Y-%m-%d %H:%M:%S UTC", &parts);
                    text +=
                        "- " + std::string(stamp.data()) + " **" + from(m) + "**: " + m.text + '\n';
                }
                ++count;
            }
        }
    } catch (const std::exception& error) {
        return give_up("io", error.what());
    }
    if (format == export_format::json) {
        text += "\n]}\n";
    }
    // On disk before it takes the name: after a power loss `path` is whole or absent.
    if (!write() || std::fflush(out.get()) != 0 || ::fsync(::fileno(out.get())) != 0) {
        return give_up("io", "cannot write " + path.string() + ": " + std::strerror(errno));
    }
    if (std::fclose(out.release()) != 0) {
        return give_up("io", "cannot write " + path.string());
    }
    std::error_code renamed;
    std::filesystem::rename(partial, path, renamed);
    if (renamed) {
        return give_up("io", "cannot write " + path.string() + ": " + renamed.message());
    }
    return count;
}

std::string_view to_string(events::link_state state) noexcept {
    switch (state) {
    case events::link_state::connecting:
        return "connecting";
    case events::link_state::connected:
        return "connected";
    case events::link_state::disconnected:
        return "disconnected";
    }
    return "disconnected";
}

std::string_view state_name(crypto::handshake_state state) noexcept {
    switch (state) {
    case crypto::handshake_state::no_session:
        return "none";
    case crypto::handshake_state::offering:
        return "offering";
    case crypto::handshake_state::confirming:
        return "confirming";
    case crypto::handshake_state::established:
        return "established";
    case crypto::handshake_state::key_changed:
        return "key_changed";
    }
    return "none";
}

class engine::impl : public std::enable_shared_from_this<impl>, public group_host {
  public:
    impl(asio::io_context& io, engine_options options, std::function<void(const event&)> on_event)
        : io_(io), options_(std::move(options)), on_event_(std::move(on_event)),
          tls_(net::make_client_context()), reconnect_timer_(io), retry_timer_(io),
          sync_retry_timer_(io),
          groups_(std::make_unique<group_manager>(*this, options_.forge_group_changes)) {}

    ~impl() {
        if (worker_.joinable()) {
            worker_.join();
        }
        export_cancelled_ = true;
        if (export_worker_.joinable()) {
            export_worker_.join();
        }
    }

    // Per-peer state in memory; the store holds the durable copy.
    struct peer {
        store::contact_id contact = 0;
        std::string name;
        std::optional<crypto::handshake> handshake;
        std::optional<crypto::ratchet> ratchet;
        std::unique_ptr<asio::steady_timer> timer;
        crypto::handshake_state reported_state = crypto::handshake_state::no_session;
        std::uint32_t reported_resent = 0;
        std::optional<crypto::identity_public_key> stored_pin;
        bool request_announced = false;
        std::uint32_t unread = 0;
    };

    enum class send_kind { text, control };
    struct in_flight_entry {
        std::string peer;
        send_kind kind = send_kind::control;
    };

    asio::io_context& io_;
    engine_options options_;
    std::function<void(const event&)> on_event_;
    asio::ssl::context tls_;
    asio::steady_timer reconnect_timer_;
    asio::steady_timer retry_timer_;
    crypto::system_random random_;
    std::thread worker_;
    std::thread export_worker_; // see export_conversation
    std::atomic<bool> export_cancelled_{false};
    bool export_running_ = false;
    std::unique_ptr<store::client_store> store_;
    // Makes the store's commits durable off this thread; frames that follow commits wait for
    // it (send_frame). None for an in-memory store. Declared after store_: destroyed first.
    std::unique_ptr<store::wal_sync> sync_;
    struct held_frame {
        std::uint64_t mark = 0; // the store's write mark when it was made
        wire::Frame frame;
    };
    std::deque<held_frame> held_frames_;
    std::uint64_t durable_mark_ = 0;
    std::uint64_t wanted_mark_ = 0;
    bool sync_running_ = false;
    bool sync_failing_ = false;
    asio::steady_timer sync_retry_timer_;
    std::optional<crypto::identity_key_pair> identity_;
    std::string username_;
    net::endpoint_address relay_;
    std::string relay_fingerprint_;
    std::shared_ptr<net::link::connection> link_;
    bool connected_ = false;
    bool started_ = false;
    bool stopping_ = false;
    std::map<std::string, peer> peers_;
    std::map<std::string, bool> online_;
    std::map<store::message_id, in_flight_entry> in_flight_;
    std::set<std::string> watched_;
    std::vector<std::pair<std::string, store::message_id>> pending_acks_;
    std::map<std::string, std::vector<store::message_id>> pending_receipts_;
    bool flush_posted_ = false;
    bool retry_armed_ = false;
    std::deque<std::function<void(result<std::vector<std::string>>)>> users_waiters_;
    std::unique_ptr<group_manager> groups_;
    std::function<void(const group_event&)> on_group_event_;
    // Identity-key lookups on the relay (KeyLookup/KeyInfo) waiting for an answer, by username.
    using key_waiter = std::function<void(std::optional<crypto::identity_public_key>, bool)>;
    std::map<std::string, std::vector<key_waiter>> key_waiters_;

    // ---- group_host ----------------------------------------------------------------------

    store::client_store& group_store() override { return *store_; }
    const crypto::identity_key_pair& group_identity() override { return *identity_; }
    const std::string& group_username() override { return username_; }
    crypto::random_source& group_random() override { return random_; }

    void queue_pairwise(const std::string& to, e2e::Content content) override {
        store::message_id id{};
        random_.fill(id);
        content.set_id(as_string(id));
        const auto bytes = content.SerializeAsString();
        const auto contact = store_->ensure_contact(to);
        store_->queue_control(contact.id, id, view_of(bytes));
        auto& p = load_peer(contact);
        watch(to);
        ensure_handshake(p);
        if (p.handshake->state() == crypto::handshake_state::no_session) {
            run(p, p.handshake->open(wall_now(), random_));
        }
        post_pump(to);
    }

    // Encrypts a peer's outbox from the io_context, after the current handler: a handler that
    // is receiving from that peer commits its ratchet state first.
    void post_pump(const std::string& name) {
        asio::post(io_, [weak = weak_from_this(), name]() {
            auto self = weak.lock();
            if (!self || self->stopping_) {
                return;
            }
            const auto found = self->peers_.find(name);
            if (found != self->peers_.end()) {
                self->guard([&] { self->pump(found->second); });
            }
        });
    }

    bool transmit_group(const store::message_id& id, const std::vector<std::string>& recipients,
                        const std::vector<std::uint8_t>& envelope) override {
        if (!connected_ || !link_) {
            return false;
        }
        wire::Frame frame;
        auto& send = *frame.mutable_send();
        for (const auto& name : recipients) {
            send.add_recipients(name);
            watch(name);
        }
        send.set_id(as_string(id));
        send.set_ciphertext(envelope.data(), envelope.size());
        return send_frame(std::move(frame));
    }

    void emit_group(group_event e) override {
        if (on_group_event_) {
            on_group_event_(e);
        }
    }

    void arm_group_retry() override { arm_retry(); }

    void emit(event e) {
        if (on_event_) {
            on_event_(e);
        }
    }

    void fatal(std::string code, std::string message) {
        emit(events::error{std::move(code), std::move(message), true});
        stop();
    }

    // ---- start -------------------------------------------------------------------------

    void start(crypto::secret_buffer passphrase) {
        try {
            store_ = store::client_store::open(options_.profile_directory);
        } catch (const store::store_error& error) {
            const std::string text = error.what();
            const bool unsafe = text.find("can be read by other users") != std::string::npos ||
                                text.find("belongs to uid") != std::string::npos ||
                                text.find("not a regular file") != std::string::npos;
            return fatal(unsafe ? "profile_unsafe" : "io", text);
        }
        std::optional<crypto::seal_header> header;
        try {
            header = store_->kdf_header();
        } catch (const store::store_error& error) {
            return fatal("io", error.what());
        }
        if (!header && (options_.username.empty() || options_.relay_address.empty())) {
            return fatal("bad_command", "a new profile needs --user and --relay");
        }
        if (!header && !store::valid_username(options_.username)) {
            return fatal("bad_command", "invalid username '" + options_.username + "'");
        }
        std::weak_ptr<impl> weak = shared_from_this();
        const auto params = header ? header->params : options_.kdf;
        const auto salt = header ? std::optional<crypto::seal_salt>(header->salt) : std::nullopt;
        auto* io = &io_;
        worker_ = std::thread([weak, io, params, salt, pass = std::move(passphrase)]() {
            auto key = std::make_shared<std::optional<crypto::sealing_key>>();
            crypto::system_random random;
            if (salt) {
                *key = crypto::sealing_key::derive(pass, params, *salt);
            } else {
                *key = crypto::sealing_key::derive(pass, params, random);
            }
            asio::post(*io, [weak, key]() {
                if (auto self = weak.lock()) {
                    self->unlocked(std::move(*key));
                }
            });
        });
    }

    void unlocked(std::optional<crypto::sealing_key> key) {
        if (stopping_) {
            return;
        }
        if (!key) {
            return fatal("io",
                         "the key derivation failed (out of memory or unacceptable parameters)");
        }
        try {
            if (!store_->kdf_header()) {
                auto identity = crypto::identity_key_pair::generate(random_);
                store_->create_profile(std::move(*key),
                                       {options_.username, options_.relay_address,
                                        net::normalize_fingerprint(options_.relay_fingerprint)},
                                       identity, random_);
            } else {
                const auto outcome = store_->unlock(std::move(*key));
                if (outcome == store::unlock_result::wrong_passphrase) {
                    return fatal("wrong_passphrase", "wrong passphrase for the profile in " +
                                                         options_.profile_directory.string() +
                                                         "; nothing was changed");
                }
            }
            const auto profile = store_->profile();
            if (!options_.username.empty() && options_.username != profile.username) {
                return fatal("bad_command", "this profile belongs to '" + profile.username +
                                                "', not '" + options_.username + "'");
            }
            username_ = profile.username;
            const auto address =
                options_.relay_address.empty() ? profile.relay_address : options_.relay_address;
            const auto parsed = net::parse_endpoint(address);
            if (!parsed) {
                return fatal("bad_command", "invalid relay address '" + address + "'");
            }
            relay_ = *parsed;
            relay_fingerprint_ = profile.relay_fingerprint;
            start_background_sync();
            identity_.emplace(store_->identity());
            for (const auto& contact : store_->contacts()) {
                const auto session = store_->session(contact.id);
                if (session.handshake || session.ratchet) {
                    load_peer(contact);
                }
            }
        } catch (const std::exception& error) {
            return fatal("io", error.what());
        }
        started_ = true;
        emit(events::ready{username_, relay_.to_string(),
                           crypto::fingerprint(identity_->public_key()), relay_fingerprint_});
        for (auto& [name, p] : peers_) {
            pump(p);
        }
        asio::co_spawn(
            io_, [self = shared_from_this()]() { return self->link_loop(); },
            [weak = weak_from_this()](std::exception_ptr failure) {
                auto self = weak.lock();
                if (!failure || !self) {
                    return;
                }
                try {
                    std::rethrow_exception(failure);
                } catch (const std::exception& error) {
                    self->fatal("io", error.what());
                }
            });
    }

    void stop() {
        stopping_ = true;
        if (link_) {
            link_->close();
        }
        held_frames_.clear();
        export_cancelled_ = true;
        reconnect_timer_.cancel();
        retry_timer_.cancel();
        sync_retry_timer_.cancel();
        for (auto& [name, p] : peers_) {
            p.timer->cancel();
        }
        fail_users_waiters();
    }

    // ---- durability ----------------------------------------------------------------------

    // From here on the store's commits only write its WAL; a worker makes them durable.
    void start_background_sync() {
        const auto file = store_->file();
        if (!file) {
            return; // in memory: nothing to sync
        }
        const auto& content = store_->defer_durability();
        store::wal_sync_options sync_options;
        sync_options.before_sync = options_.before_durable_sync;
        auto* io = &io_;
        sync_ = std::make_unique<store::wal_sync>(
            *file, content, [io](std::function<void()> work) { asio::post(*io, std::move(work)); },
            [weak = weak_from_this()](std::uint64_t mark, const std::string& error) {
                if (auto self = weak.lock()) {
                    self->guard([&] { self->synced(mark, error); });
                }
            },
            std::move(sync_options));
    }

    // Every frame to the relay goes through here, and frames leave in the order they are made.
    // A frame made after a commit that is not yet on disk waits until it is (the worker's fsync
    // stands in for synchronous=FULL), so the relay never holds a ciphertext whose ratchet
    // state, nor acknowledges a delivery whose message, a power loss could take back. False when
    // not connected (or the link refuses it).
    bool send_frame(wire::Frame frame) {
        if (!connected_ || !link_) {
            return false;
        }
        const auto mark = store_->write_mark();
        if (!sync_ || (held_frames_.empty() && mark <= durable_mark_)) {
            return link_->send(frame);
        }
        held_frames_.push_back({mark, std::move(frame)});
        want_durable(mark);
        return true;
    }

    void want_durable(std::uint64_t mark) {
        wanted_mark_ = std::max(wanted_mark_, mark);
        if (!sync_running_ && !sync_failing_) {
            sync_running_ = true;
            sync_->request(wanted_mark_);
        }
    }

    void synced(std::uint64_t mark, const std::string& error) {
        sync_running_ = false;
        if (!error.empty()) {
            if (!sync_failing_) {
                emit(events::error{"io",
                                   "the profile's database could not be written to disk (" + error +
                                       "); messages wait until it can",
                                   false});
            }
            sync_failing_ = true;
            sync_retry_timer_.expires_after(std::chrono::seconds(1));
            sync_retry_timer_.async_wait([weak = weak_from_this()](std::error_code cancelled) {
                auto self = weak.lock();
                if (cancelled || !self || self->stopping_) {
                    return;
                }
                self->sync_failing_ = false;
                self->want_durable(self->wanted_mark_);
            });
            return;
        }
        sync_failing_ = false;
        durable_mark_ = std::max(durable_mark_, mark);
        while (!held_frames_.empty() && held_frames_.front().mark <= durable_mark_) {
            if (connected_ && link_) {
                link_->send(held_frames_.front().frame);
            }
            held_frames_.pop_front();
        }
        if (!held_frames_.empty()) {
            want_durable(held_frames_.back().mark);
        }
    }

    // ---- the link ----------------------------------------------------------------------

    net::link::link_options link_options() const {
        net::link::link_options options;
        options.relay = relay_;
        options.pinned_fingerprint = relay_fingerprint_.empty()
                                         ? net::normalize_fingerprint(options_.relay_fingerprint)
                                         : relay_fingerprint_;
        options.trust_on_first_use =
            options.pinned_fingerprint.empty() && options_.trust_on_first_use;
        options.software = "sotto";
        return options;
    }

    asio::awaitable<void> link_loop() {
        unsigned attempt = 0;
        while (!stopping_) {
            emit(events::connection{events::link_state::connecting, std::nullopt, {}});
            const auto options = link_options();
            auto link = net::link::connection::create(io_.get_executor(), tls_, options);
            link_ = link;
            // Every way out of this iteration closes the connection, or its writer keeps the
            // io_context alive.
            struct close_on_exit {
                std::shared_ptr<net::link::connection> link;
                ~close_on_exit() { link->close(); }
            } closer{link};
            const auto result = co_await link->connect();
            if (stopping_) {
                break;
            }
            if (result.status == net::link::connect_status::pin_refused) {
                const bool unpinned = options.pinned_fingerprint.empty();
                fatal(unpinned ? "relay_not_pinned" : "relay_key_changed",
                      unpinned ? "the relay " + relay_.to_string() +
                                     " shows the certificate fingerprint " + result.fingerprint +
                                     "; pin it with --relay-fingerprint " + result.fingerprint +
                                     " or --trust-on-first-use"
                               : result.message);
                co_return;
            }
            std::string why;
            if (result.status == net::link::connect_status::connected) {
                if (relay_fingerprint_.empty() && !result.fingerprint.empty()) {
                    relay_fingerprint_ = result.fingerprint;
                    store_->set_relay_fingerprint(relay_fingerprint_);
                }
                const bool authenticated = co_await authenticate(*link);
                if (stopping_) {
                    break;
                }
                if (authenticated) {
                    attempt = 0;
                    on_connected();
                    for (;;) {
                        auto frame = co_await link->receive();
                        if (!frame || stopping_) {
                            break;
                        }
                        on_frame(*frame);
                    }
                    why = link->closed_reason();
                    on_disconnected();
                } else {
                    why = "authentication failed";
                }
            } else {
                why = result.message;
            }
            link->close();
            link_.reset();
            if (stopping_) {
                break;
            }
            const auto delay = net::link::backoff_delay(options_.reconnect, attempt++, random_);
            emit(events::connection{events::link_state::disconnected, delay.count(), why});
            reconnect_timer_.expires_after(delay);
            co_await reconnect_timer_.async_wait(use_tuple);
        }
    }

    asio::awaitable<bool> authenticate(net::link::connection& link) {
        const net::link::signer sign = [this](crypto::bytes_view message) {
            return identity_->sign(message);
        };
        wire::AuthResult outcome = co_await link.login(username_, sign);
        if (outcome.status() == wire::AuthResult::UNKNOWN_USER) {
            outcome = co_await link.register_account(username_, identity_->public_key(), sign,
                                                     options_.invite_code);
        }
        switch (outcome.status()) {
        case wire::AuthResult::OK:
            co_return true;
        case wire::AuthResult::NAME_TAKEN:
            fatal("name_taken",
                  "the relay has '" + username_ + "' registered with another identity key");
            co_return false;
        case wire::AuthResult::INVITE_REQUIRED:
        case wire::AuthResult::INVITE_INVALID:
        case wire::AuthResult::INVALID_USERNAME:
        case wire::AuthResult::BAD_KEY:
            fatal("auth_refused", "the relay refused registration: " + outcome.message());
            co_return false;
        default:
            co_return false;
        }
    }

    void on_connected() {
        connected_ = true;
        in_flight_.clear();
        watched_.clear();
        emit(events::connection{events::link_state::connected, std::nullopt, {}});
        for (const auto& contact : store_->contacts()) {
            if (contact.request != store::request_state::declined) {
                watch(contact.name);
            }
        }
        for (auto& [name, p] : peers_) {
            if (p.handshake && (p.handshake->state() == crypto::handshake_state::offering ||
                                p.handshake->state() == crypto::handshake_state::confirming)) {
                run(p, p.handshake->peer_came_online(wall_now(), random_));
            }
        }
        for (auto& [name, p] : peers_) {
            pump(p);
        }
        groups_->pump();
    }

    void on_disconnected() {
        connected_ = false;
        held_frames_.clear(); // what they carried is in the store: resent after reconnecting
        in_flight_.clear();
        groups_->on_disconnected();
        pending_acks_.clear();
        fail_users_waiters();
        fail_key_waiters();
        for (auto& [name, online] : online_) {
            online = false;
        }
    }

    void fail_users_waiters() {
        while (!users_waiters_.empty()) {
            auto done = std::move(users_waiters_.front());
            users_waiters_.pop_front();
            done(command_error{"io", "not connected to the relay"});
        }
    }

    void fail_key_waiters() {
        auto waiters = std::move(key_waiters_);
        key_waiters_.clear();
        for (auto& [name, list] : waiters) {
            for (auto& waiter : list) {
                waiter(std::nullopt, true);
            }
        }
    }

    void on_key_info(const wire::KeyInfo& info) {
        const auto found = key_waiters_.find(info.username());
        if (found == key_waiters_.end()) {
            return;
        }
        auto waiters = std::move(found->second);
        key_waiters_.erase(found);
        crypto::identity_public_key key;
        const bool known = crypto::identity_public_key::from(view_of(info.identity_key()), key);
        for (auto& waiter : waiters) {
            waiter(known ? std::optional(key) : std::nullopt, false);
        }
    }

    void watch(const std::string& name) {
        if (!connected_ || !watched_.insert(name).second) {
            return;
        }
        wire::Frame frame;
        frame.mutable_key_lookup()->set_username(name);
        send_frame(std::move(frame));
    }

    void on_frame(const wire::Frame& frame) {
        switch (frame.body_case()) {
        case wire::Frame::kDeliver:
            on_deliver(frame.deliver());
            break;
        case wire::Frame::kSendResult:
            on_send_result(frame.send_result());
            break;
        case wire::Frame::kPresence:
            on_presence(frame.presence().username(), frame.presence().online());
            break;
        case wire::Frame::kUsers: {
            if (!users_waiters_.empty()) {
                auto done = std::move(users_waiters_.front());
                users_waiters_.pop_front();
                done(std::vector<std::string>(frame.users().online().begin(),
                                              frame.users().online().end()));
            }
            break;
        }
        case wire::Frame::kKeyInfo:
            on_key_info(frame.key_info());
            break;
        case wire::Frame::kError:
            emit(events::error{"relay_error", frame.error().message(), false});
            break;
        default:
            break;
        }
    }

    void post_flush() {
        if (flush_posted_) {
            return;
        }
        flush_posted_ = true;
        asio::post(io_, [weak = weak_from_this()]() {
            if (auto self = weak.lock()) {
                self->flush();
            }
        });
    }

    // Acknowledgements and receipts collected while a burst of frames was handled.
    void flush() {
        flush_posted_ = false;
        if (stopping_) {
            return;
        }
        auto receipts = std::move(pending_receipts_);
        pending_receipts_.clear();
        for (auto& [name, ids] : receipts) {
            const auto found = peers_.find(name);
            if (found == peers_.end()) {
                continue;
            }
            for (std::size_t start = 0; start < ids.size(); start += max_receipt_ids) {
                e2e::Content content;
                store::message_id rid{};
                random_.fill(rid);
                content.set_id(as_string(rid));
                auto& receipt = *content.mutable_receipt();
                receipt.set_status(e2e::Receipt::DELIVERED);
                for (std::size_t i = start; i < std::min(ids.size(), start + max_receipt_ids);
                     ++i) {
                    receipt.add_ids(as_string(ids[i]));
                }
                const auto bytes = content.SerializeAsString();
                store_->queue_control(found->second.contact, rid, view_of(bytes));
            }
            pump(found->second);
        }
        if (connected_ && link_ && !pending_acks_.empty()) {
            wire::Frame frame;
            for (const auto& [sender, id] : pending_acks_) {
                auto* item = frame.mutable_deliver_ack()->add_items();
                item->set_sender(sender);
                item->set_id(as_string(id));
                if (frame.deliver_ack().items_size() >= 512) {
                    send_frame(std::move(frame));
                    frame.Clear();
                }
            }
            if (frame.has_deliver_ack()) {
                send_frame(std::move(frame));
            }
        }
        pending_acks_.clear();
    }

    // ---- peers and handshakes ----------------------------------------------------------

    peer& load_peer(const store::contact& contact) {
        const auto found = peers_.find(contact.name);
        if (found != peers_.end()) {
            return found->second;
        }
        auto& p = peers_[contact.name];
        p.contact = contact.id;
        p.name = contact.name;
        p.timer = std::make_unique<asio::steady_timer>(io_);
        p.stored_pin = contact.pinned_key;
        const auto session = store_->session(contact.id);
        if (session.handshake) {
            p.handshake = crypto::handshake::deserialize(session.handshake->view(), *identity_,
                                                         options_.handshake);
        }
        if (session.ratchet) {
            p.ratchet = crypto::ratchet::deserialize(session.ratchet->view());
        }
        if (p.handshake) {
            p.reported_state = p.handshake->state();
            p.reported_resent = p.handshake->status().resend_count;
            run(p, p.handshake->resume(wall_now()), false);
        }
        return p;
    }

    void ensure_handshake(peer& p) {
        if (p.handshake) {
            return;
        }
        const auto contact = store_->get_contact(p.contact);
        p.handshake.emplace(*identity_, username_, p.name,
                            contact ? contact->pinned_key : std::nullopt, options_.handshake);
    }

    void send_envelope(const std::string& to, const e2e::Envelope& envelope) {
        if (!connected_ || !link_) {
            return; // the handshake's timer or the peer's presence sends it again
        }
        store::message_id id{};
        random_.fill(id);
        wire::Frame frame;
        auto& send = *frame.mutable_send();
        send.add_recipients(to);
        send.set_id(as_string(id));
        send.set_ciphertext(envelope.SerializeAsString());
        send_frame(std::move(frame));
    }

    // Carries out handshake actions: the new state is persisted first, then the handshake
    // messages go out, so a crash never leaves the peer with an offer we no longer hold.
    void run(peer& p, crypto::handshake_actions actions, bool persist = true) {
        std::vector<e2e::Envelope> outgoing;
        bool established = false;
        for (auto& action : actions) {
            if (auto* offer = std::get_if<crypto::handshake_action::send_offer>(&action)) {
                outgoing.emplace_back().set_offer(offer->bytes.data(), offer->bytes.size());
            } else if (auto* confirm =
                           std::get_if<crypto::handshake_action::send_confirm>(&action)) {
                outgoing.emplace_back().set_confirm(confirm->bytes.data(), confirm->bytes.size());
            } else if (auto* timer = std::get_if<crypto::handshake_action::arm_timer>(&action)) {
                arm(p, timer->delay);
            } else if (auto* done = std::get_if<crypto::handshake_action::established>(&action)) {
                p.ratchet.emplace(crypto::ratchet::from_handshake(done->session));
                established = true;
            } else if (auto* changed =
                           std::get_if<crypto::handshake_action::key_changed>(&action)) {
                store_->set_key_changed(p.contact, changed->new_key);
                p.ratchet.reset();
            }
        }
        if (persist && p.handshake) {
            const auto state = p.handshake->serialize();
            if (established) {
                const auto ratchet = p.ratchet->serialize();
                store_->save_session(p.contact, state.view(), ratchet.view());
            } else {
                store_->save_session(p.contact, state.view(), std::nullopt);
            }
            const auto status = p.handshake->status();
            if (status.pinned_peer_key && status.state != crypto::handshake_state::key_changed &&
                p.stored_pin != status.pinned_peer_key) {
                store_->set_pinned_key(p.contact, *status.pinned_peer_key);
                p.stored_pin = status.pinned_peer_key;
            }
        }
        for (const auto& envelope : outgoing) {
            send_envelope(p.name, envelope);
        }
        report(p);
        if (established) {
            retry_pending_inbound(p);
            pump(p);
        }
    }

    void report(peer& p) {
        if (!p.handshake) {
            return;
        }
        const auto status = p.handshake->status();
        if (status.state == p.reported_state && status.resend_count == p.reported_resent) {
            return;
        }
        p.reported_state = status.state;
        p.reported_resent = status.resend_count;
        events::handshake e{p.name, status.state, status.resend_count, std::nullopt};
        if (status.next_resend) {
            e.next_retry_ms = std::max<std::int64_t>(0, (*status.next_resend - wall_now()).count());
        }
        emit(e);
    }

    void arm(peer& p, std::chrono::milliseconds delay) {
        p.timer->expires_after(delay);
        p.timer->async_wait([weak = weak_from_this(), name = p.name](std::error_code error) {
            auto self = weak.lock();
            if (error || !self || self->stopping_) {
                return;
            }
            const auto found = self->peers_.find(name);
            if (found != self->peers_.end() && found->second.handshake) {
                self->guard([&] {
                    self->run(found->second,
                              found->second.handshake->timer_fired(wall_now(), self->random_));
                });
            }
        });
    }

    template <typename Function>
    void guard(Function&& function) {
        try {
            function();
        } catch (const std::exception& error) {
            fatal("io", error.what());
        }
    }

    void on_presence(const std::string& name, bool online) {
        if (name == username_) {
            return;
        }
        online_[name] = online;
        emit(events::presence{name, online});
        if (!online) {
            return;
        }
        const auto found = peers_.find(name);
        if (found != peers_.end() && found->second.handshake) {
            run(found->second, found->second.handshake->peer_came_online(wall_now(), random_));
        }
    }

    // ---- sending -----------------------------------------------------------------------

    // Encrypts what waits in the peer's outbox (when the session is up) and hands everything
    // not yet acknowledged to the relay.
    void pump(peer& p) {
        if (!p.ratchet || !p.handshake ||
            p.handshake->state() != crypto::handshake_state::established) {
            return;
        }
        for (auto& entry : store_->outbox(p.contact)) {
            e2e::Content content;
            const bool parsed = content.ParseFromArray(entry.content.data(),
                                                       static_cast<int>(entry.content.size()));
            const auto kind = parsed && content.has_text() ? send_kind::text : send_kind::control;
            if (!entry.ciphertext) {
                const auto padded = crypto::pad(entry.content.view());
                if (!padded) {
                    store_->outbox_acknowledged(entry.id); // cannot happen: texts are bounded
                    continue;
                }
                const auto ciphertext = p.ratchet->encrypt(*padded, random_);
                e2e::Envelope envelope;
                envelope.set_ratchet(ciphertext.data(), ciphertext.size());
                const auto bytes = envelope.SerializeAsString();
                const auto state = p.ratchet->serialize();
                store_->commit_encrypted(entry.sequence, view_of(bytes), p.contact, state.view());
                entry.ciphertext = std::vector<std::uint8_t>(bytes.begin(), bytes.end());
            }
            transmit(p.name, entry.id, *entry.ciphertext, kind);
        }
    }

    void transmit(const std::string& to, const store::message_id& id,
                  const std::vector<std::uint8_t>& bytes, send_kind kind) {
        if (!connected_ || !link_ || in_flight_.contains(id)) {
            return;
        }
        wire::Frame frame;
        auto& send = *frame.mutable_send();
        send.add_recipients(to);
        send.set_id(as_string(id));
        send.set_ciphertext(bytes.data(), bytes.size());
        if (send_frame(std::move(frame))) {
            in_flight_[id] = {to, kind};
        }
    }

    void on_send_result(const wire::SendResult& result) {
        const auto id = id_from(result.id());
        if (!id) {
            return;
        }
        // For a group message: settled when stored for every recipient that exists (an account
        // gone from the relay will never take it; retrying would go on forever).
        bool stored_for_everyone = result.results_size() > 0;
        std::vector<std::string> full;
        for (const auto& recipient : result.results()) {
            if (recipient.status() != wire::SendResult::QUEUED &&
                recipient.status() != wire::SendResult::DUPLICATE &&
                recipient.status() != wire::SendResult::UNKNOWN_RECIPIENT) {
                stored_for_everyone = false;
                if (recipient.status() == wire::SendResult::QUEUE_FULL) {
                    full.push_back(recipient.username());
                }
            }
        }
        if (groups_->on_send_result(*id, stored_for_everyone)) {
            for (const auto& name : full) {
                emit(events::error{"queue_full",
                                   name + "'s queue on the relay is full; the group message is "
                                          "retried",
                                   false});
            }
            return;
        }
        const auto found = in_flight_.find(*id);
        if (found == in_flight_.end()) {
            return; // a handshake envelope: its own timer resends it
        }
        const auto entry = found->second;
        in_flight_.erase(found);
        const auto status = result.results_size() > 0 ? result.results(0).status()
                                                      : wire::SendResult::STATUS_UNSPECIFIED;
        if (status == wire::SendResult::QUEUED || status == wire::SendResult::DUPLICATE) {
            store_->outbox_acknowledged(*id);
            if (entry.kind == send_kind::text) {
                emit(events::receipt{entry.peer, hex(*id), store::message_status::sent});
            }
            return;
        }
        if (status == wire::SendResult::QUEUE_FULL && entry.kind == send_kind::text) {
            emit(events::error{"queue_full", entry.peer + "'s queue on the relay is full; retrying",
                               false});
        }
        arm_retry();
    }

    void arm_retry() {
        if (retry_armed_) {
            return;
        }
        retry_armed_ = true;
        retry_timer_.expires_after(options_.outbox_retry);
        retry_timer_.async_wait([weak = weak_from_this()](std::error_code error) {
            auto self = weak.lock();
            if (!self) {
                return;
            }
            self->retry_armed_ = false;
            if (error || self->stopping_) {
                return;
            }
            self->guard([&] {
                for (auto& [name, p] : self->peers_) {
                    self->pump(p);
                }
                self->groups_->pump();
            });
        });
    }

    // ---- receiving ---------------------------------------------------------------------

    void on_deliver(const wire::Deliver& deliver) {
        const auto id = id_from(deliver.id());
        const auto& sender = deliver.sender();
        if (!id) {
            return;
        }
        pending_acks_.emplace_back(sender, *id);
        post_flush();
        e2e::Envelope envelope;
        if (!store::valid_username(sender) || sender == username_ ||
            !envelope.ParseFromString(deliver.ciphertext())) {
            return;
        }
        auto contact = store_->find_contact(sender);
        if (envelope.body_case() == e2e::Envelope::kGroup) {
            // A sender-key message may come from a member this side has not talked to yet.
            if (!contact || contact->request != store::request_state::declined) {
                groups_->on_group_message(sender, *id, view_of(envelope.group()));
            }
            return;
        }
        if (!contact) {
            if (envelope.body_case() != e2e::Envelope::kOffer) {
                return; // nothing but an offer can start a conversation
            }
            contact = store_->ensure_contact(sender, store::request_state::pending);
        }
        if (contact->request == store::request_state::declined) {
            return;
        }
        auto& p = load_peer(*contact);
        switch (envelope.body_case()) {
        case e2e::Envelope::kOffer: {
            ensure_handshake(p);
            const auto& offer = envelope.offer();
            run(p, p.handshake->offer_received(view_of(offer), wall_now(), random_));
            if (online_.find(sender) == online_.end()) {
                watch(sender);
            }
            break;
        }
        case e2e::Envelope::kConfirm:
            if (p.handshake) {
                run(p, p.handshake->confirm_received(view_of(envelope.confirm()), wall_now()));
            }
            break;
        case e2e::Envelope::kRatchet: {
            const auto& bytes = envelope.ratchet();
            if (!receive_ratchet(p, *id, view_of(bytes))) {
                store_->add_pending_inbound(p.contact, *id, view_of(bytes), max_pending_inbound);
            }
            break;
        }
        default:
            break;
        }
    }

    // False when the message cannot be decrypted yet (kept for after the next handshake).
    bool receive_ratchet(peer& p, const store::message_id& id, crypto::bytes_view bytes) {
        if (store_->seen(p.contact, id)) {
            return true;
        }
        if (!p.ratchet) {
            return false;
        }
        if (bytes.size() < crypto::ratchet_overhead) {
            return true; // malformed: dropped
        }
        crypto::secret_buffer plain(bytes.size() - crypto::ratchet_overhead);
        const auto error = p.ratchet->decrypt(bytes, wall_now(), plain.mutable_view());
        if (error) {
            return *error == crypto::ratchet_error::replay ||
                   *error == crypto::ratchet_error::malformed;
        }
        const auto state = p.ratchet->serialize();
        const auto unpadded = crypto::unpad(plain.view());
        e2e::Content content;
        if (!unpadded ||
            !content.ParseFromArray(unpadded->data(), static_cast<int>(unpadded->size())) ||
            content.id() != as_string(id)) {
            store_->commit_received(p.contact, id, std::nullopt, 0, now_ms(), state.view());
            return true;
        }
        if (content.has_text()) {
            const auto& text = content.text();
            if (!store_->commit_received(p.contact, id, text.text(), text.sent_at(), now_ms(),
                                         state.view())) {
                return true;
            }
            const auto contact = store_->get_contact(p.contact);
            if (contact && contact->request == store::request_state::pending) {
                if (!p.request_announced) {
                    p.request_announced = true;
                    emit(events::request{p.name});
                }
                return true;
            }
            ++p.unread;
            emit(events::message{p.name, text.text(), hex(id), text.sent_at()});
            pending_receipts_[p.name].push_back(id);
            post_flush();
            return true;
        }
        // Group content is applied before the ratchet state and the seen id are committed: a
        // crash in between means a redelivery, which the group logic takes idempotently (a
        // change applied already is ignored, a chain stored already is kept), so nothing is
        // lost. What it queues for peers is encrypted only after this commit (post_pump).
        if (content.body_case() == e2e::Content::kGroupChange) {
            if (p.stored_pin) {
                groups_->on_change(p.name, *p.stored_pin, content.group_change());
            }
        } else if (content.body_case() == e2e::Content::kSenderKey) {
            groups_->on_distribution(p.name, p.contact, content.sender_key());
        }
        if (!store_->commit_received(p.contact, id, std::nullopt, 0, now_ms(), state.view())) {
            return true;
        }
        if (content.has_receipt()) {
            const auto status = content.receipt().status() == e2e::Receipt::READ
                                    ? store::message_status::read
                                    : store::message_status::delivered;
            for (const auto& raw : content.receipt().ids()) {
                const auto acked = id_from(raw);
                if (acked && store_->advance_status(p.contact, *acked, status)) {
                    emit(events::receipt{p.name, hex(*acked), status});
                }
            }
        }
        return true;
    }

    void retry_pending_inbound(peer& p) {
        for (const auto& pending : store_->pending_inbound_for(p.contact)) {
            if (receive_ratchet(p, pending.id, pending.ciphertext)) {
                store_->remove_pending_inbound(pending.sequence);
            }
        }
    }

    // ---- commands ----------------------------------------------------------------------

    std::optional<command_error> not_ready() const {
        if (!started_ || stopping_) {
            return command_error{"not_ready", "the profile is not unlocked yet"};
        }
        return std::nullopt;
    }

    std::optional<store::contact> known(const std::string& name) {
        if (!store::valid_username(name)) {
            return std::nullopt;
        }
        return store_->find_contact(name);
    }

    static command_error unknown(const std::string& name) {
        return {"unknown_user", "no conversation with '" + name + "'"};
    }

    result<message_id_hex> send(const std::string& to, const std::string& text) {
        if (auto error = not_ready()) {
            return *error;
        }
        if (!store::valid_username(to) || to == username_) {
            return command_error{"unknown_user", "cannot send to '" + to + "'"};
        }
        if (text.size() > max_text_size) {
            return command_error{"bad_command", "the text is longer than 16000 bytes"};
        }
        auto contact = store_->ensure_contact(to);
        if (contact.keys == store::key_state::changed) {
            return command_error{"key_changed",
                                 to +
                                     "'s identity key changed; sending is blocked until you "
                                     "accept it ({\"cmd\":\"accept\",\"with\":\"" +
                                     to + "\"})"};
        }
        if (contact.request == store::request_state::pending) {
            accept_request(contact);
        } else if (contact.request == store::request_state::declined) {
            store_->set_request_state(contact.id, store::request_state::none);
        }
        store::message_id id{};
        random_.fill(id);
        const auto sent_at = now_ms();
        e2e::Content content;
        content.set_id(as_string(id));
        content.mutable_text()->set_text(text);
        content.mutable_text()->set_sent_at(sent_at);
        const auto bytes = content.SerializeAsString();
        store_->queue_outgoing(contact.id, id, text, sent_at, view_of(bytes));
        auto& p = load_peer(contact);
        watch(to);
        ensure_handshake(p);
        if (p.handshake->state() == crypto::handshake_state::no_session) {
            run(p, p.handshake->open(wall_now(), random_));
        }
        pump(p);
        return hex(id);
    }

    void accept_request(const store::contact& contact) {
        store_->set_request_state(contact.id, store::request_state::none);
        auto& p = load_peer(contact);
        // Everything that waited is shown now, oldest first, and acknowledged to the sender.
        std::optional<store::message_id> after;
        for (;;) {
            const auto page = store_->history_after(contact.id, after, history_page_size);
            if (page.empty()) {
                break;
            }
            after = page.back().id;
            for (const auto& message : page) {
                if (message.way == store::direction::incoming) {
                    emit(events::message{p.name, message.text, hex(message.id), message.sent_at});
                    pending_receipts_[p.name].push_back(message.id);
                }
            }
        }
        post_flush();
    }

    std::vector<contact_summary> contacts() {
        std::vector<contact_summary> out;
        if (not_ready()) {
            return out;
        }
        for (const auto& contact : store_->contacts()) {
            contact_summary summary;
            summary.user = contact.name;
            const auto online = online_.find(contact.name);
            summary.online = online != online_.end() && online->second;
            summary.verified = contact.verified;
            summary.keys = contact.keys;
            summary.request = contact.request;
            const auto found = peers_.find(contact.name);
            if (found != peers_.end()) {
                summary.unread = found->second.unread;
                if (found->second.handshake) {
                    summary.handshake = found->second.handshake->state();
                }
            }
            out.push_back(std::move(summary));
        }
        return out;
    }

    result<std::vector<history_entry>> history(const std::string& with,
                                               const std::optional<message_id_hex>& before,
                                               std::size_t limit) {
        if (auto error = not_ready()) {
            return *error;
        }
        const auto contact = known(with);
        if (!contact) {
            return unknown(with);
        }
        std::optional<store::message_id> before_id;
        if (before) {
            before_id = parse_id(*before);
            if (!before_id) {
                return command_error{"bad_command",
                                     "'before' must be a message id (32 hex digits)"};
            }
        }
        std::vector<history_entry> out;
        for (const auto& message : store_->history(contact->id, before_id, limit)) {
            out.push_back({hex(message.id), with, message.way == store::direction::outgoing,
                           message.text, message.sent_at, message.received_at, message.status});
        }
        const auto found = peers_.find(with);
        if (found != peers_.end()) {
            found->second.unread = 0;
        }
        return out;
    }

    result<verification> verify(const std::string& with, bool mark) {
        if (auto error = not_ready()) {
            return *error;
        }
        const auto contact = known(with);
        if (!contact) {
            return unknown(with);
        }
        if (!contact->pinned_key) {
            return command_error{"no_key", "no identity key of '" + with +
                                               "' is known yet (no handshake so far)"};
        }
        const auto number =
            crypto::safety_number(identity_->public_key(), username_, *contact->pinned_key, with);
        if (!number) {
            return command_error{"bad_command", "cannot verify oneself"};
        }
        if (mark) {
            store_->set_verified(contact->id, true);
        }
        return verification{*number, crypto::fingerprint(*contact->pinned_key)};
    }

    result<bool> accept(const std::string& with) {
        if (auto error = not_ready()) {
            return *error;
        }
        const auto contact = known(with);
        if (!contact) {
            return unknown(with);
        }
        bool accepted = false;
        if (contact->keys == store::key_state::changed) {
            auto& p = load_peer(*contact);
            store_->accept_changed_key(contact->id);
            const auto updated = store_->get_contact(contact->id);
            p.stored_pin = updated ? updated->pinned_key : std::nullopt;
            store_->drop_encrypted_outbox(contact->id);
            in_flight_.clear();
            ensure_handshake(p);
            run(p, p.handshake->user_accepted_key(wall_now(), random_));
            accepted = true;
        }
        if (contact->request == store::request_state::pending) {
            accept_request(*contact);
            accepted = true;
        }
        return accepted;
    }

    result<bool> decline(const std::string& with) {
        if (auto error = not_ready()) {
            return *error;
        }
        const auto contact = known(with);
        if (!contact || contact->request != store::request_state::pending) {
            return command_error{"bad_command", "no message request from '" + with + "'"};
        }
        forget_session(*contact);
        store_->set_request_state(contact->id, store::request_state::declined);
        store_->delete_messages(contact->id);
        return true;
    }

    void forget_session(const store::contact& contact) {
        const auto found = peers_.find(contact.name);
        if (found != peers_.end()) {
            found->second.timer->cancel();
            peers_.erase(found);
        }
        store_->delete_session(contact.id);
        store_->drop_encrypted_outbox(contact.id);
    }

    result<bool> reset(const std::string& with) {
        if (auto error = not_ready()) {
            return *error;
        }
        const auto contact = known(with);
        if (!contact) {
            return unknown(with);
        }
        auto& p = load_peer(*contact);
        ensure_handshake(p);
        store_->drop_encrypted_outbox(contact->id);
        p.ratchet.reset();
        store_->save_session(p.contact, p.handshake->serialize().view(), crypto::bytes_view{});
        run(p, p.handshake->reset(wall_now(), random_));
        return true;
    }

    result<bool> close(const std::string& with) {
        if (auto error = not_ready()) {
            return *error;
        }
        const auto contact = known(with);
        if (!contact) {
            return unknown(with);
        }
        forget_session(*contact);
        return true;
    }

    result<std::size_t> mark_read(const std::string& with) {
        if (auto error = not_ready()) {
            return *error;
        }
        const auto contact = known(with);
        if (!contact) {
            return unknown(with);
        }
        if (contact->request == store::request_state::pending) {
            return command_error{"bad_command", "accept the request from '" + with + "' first"};
        }
        const auto ids = store_->mark_incoming_read(contact->id);
        auto& p = load_peer(*contact);
        p.unread = 0;
        for (std::size_t start = 0; start < ids.size(); start += max_receipt_ids) {
            e2e::Content content;
            store::message_id rid{};
            random_.fill(rid);
            content.set_id(as_string(rid));
            auto& receipt = *content.mutable_receipt();
            receipt.set_status(e2e::Receipt::READ);
            for (std::size_t i = start; i < std::min(ids.size(), start + max_receipt_ids); ++i) {
                receipt.add_ids(as_string(ids[i]));
            }
            const auto bytes = content.SerializeAsString();
            store_->queue_control(p.contact, rid, view_of(bytes));
        }
        pump(p);
        return ids.size();
    }

    void users(std::function<void(result<std::vector<std::string>>)> done) {
        if (auto error = not_ready()) {
            return done(*error);
        }
        if (!connected_ || !link_) {
            return done(command_error{"io", "not connected to the relay"});
        }
        users_waiters_.push_back(std::move(done));
        wire::Frame frame;
        frame.mutable_users_request();
        send_frame(std::move(frame));
    }

    // The export runs on a worker with its own connection to the store (same key), so a long
    // conversation never stalls this thread; `done` runs here. One export at a time.
    void export_conversation(const std::string& with, export_format format,
                             const std::filesystem::path& path,
                             std::function<void(result<std::size_t>)> done) {
        if (auto error = not_ready()) {
            return done(*error);
        }
        std::optional<store::contact> contact;
        try {
            contact = known(with);
        } catch (const std::exception& error) {
            return done(command_error{"io", error.what()});
        }
        if (!contact) {
            return done(unknown(with));
        }
        if (export_running_) {
            return done(command_error{"busy", "an export is still being written"});
        }
        std::unique_ptr<store::client_store> reader;
        try {
            reader = store_->open_another();
        } catch (const std::exception& error) {
            return done(command_error{"io", error.what()});
        }
        if (!reader) { // an in-memory store (tests): no second connection, so here
            return done(write_export(*store_, contact->id, with, username_, format, path,
                                     export_cancelled_));
        }
        if (export_worker_.joinable()) {
            export_worker_.join(); // finished: its result was handed over
        }
        export_cancelled_ = false;
        // Shared so that `done` is still here to report a thread that could not start.
        auto finish = std::make_shared<std::function<void(result<std::size_t>)>>(std::move(done));
        auto* io = &io_;
        try {
            export_worker_ = std::thread([this, reader = std::move(reader), id = contact->id, with,
                                          me = username_, format, path, io, weak = weak_from_this(),
                                          finish]() mutable {
                auto outcome = write_export(*reader, id, with, me, format, path, export_cancelled_);
                reader.reset();
                asio::post(*io, [weak, outcome = std::move(outcome), finish] {
                    if (auto self = weak.lock()) { // else the front end went with the engine
                        self->export_running_ = false;
                        (*finish)(outcome);
                    }
                });
            });
        } catch (const std::system_error& error) {
            return (*finish)(
                command_error{"io", std::string("cannot start the export: ") + error.what()});
        }
        export_running_ = true;
    }

    // ---- group commands ------------------------------------------------------------------

    // The identity keys of `names`: pinned ones at once, the others looked up on the relay and
    // pinned (trust on first use, as a first handshake would). `done` may run later.
    void lookup_keys(const std::vector<std::string>& names,
                     std::function<void(result<std::vector<crypto::group_member>>)> done) {
        struct pending_lookup {
            std::vector<crypto::group_member> members;
            std::size_t missing = 0;
            bool finished = false;
            std::function<void(result<std::vector<crypto::group_member>>)> done;
        };
        auto state = std::make_shared<pending_lookup>();
        state->done = std::move(done);
        std::vector<std::string> to_look_up;
        std::set<std::string> unique;
        for (const auto& name : names) {
            if (!store::valid_username(name) || name == username_) {
                return state->done(command_error{"unknown_user", "cannot add '" + name + "'"});
            }
            if (!unique.insert(name).second) {
                continue;
            }
            const auto contact = store_->find_contact(name);
            if (contact && contact->keys == store::key_state::changed) {
                return state->done(command_error{
                    "key_changed", name + "'s identity key changed; accept it first"});
            }
            if (contact && contact->pinned_key) {
                state->members.push_back({name, *contact->pinned_key, false});
            } else {
                to_look_up.push_back(name);
            }
        }
        if (to_look_up.empty()) {
            return state->done(std::move(state->members));
        }
        if (!connected_ || !link_) {
            return state->done(command_error{"io", "not connected to the relay, and the key of '" +
                                                       to_look_up.front() + "' is not known yet"});
        }
        state->missing = to_look_up.size();
        for (const auto& name : to_look_up) {
            const bool asked = key_waiters_.contains(name);
            key_waiters_[name].push_back([this, state,
                                          name](std::optional<crypto::identity_public_key> key,
                                                bool offline) {
                if (state->finished) {
                    return;
                }
                if (!key) {
                    state->finished = true;
                    return state->done(
                        offline
                            ? command_error{"io", "disconnected while looking up '" + name + "'"}
                            : command_error{"unknown_user", "no user '" + name + "' on the relay"});
                }
                const auto contact = store_->ensure_contact(name);
                auto pinned = contact.pinned_key;
                if (!pinned) {
                    store_->set_pinned_key(contact.id, *key);
                    pinned = key;
                    const auto found = peers_.find(name);
                    if (found != peers_.end() && !found->second.stored_pin) {
                        found->second.stored_pin = key;
                    }
                }
                state->members.push_back({name, *pinned, false});
                if (--state->missing == 0) {
                    state->finished = true;
                    state->done(std::move(state->members));
                }
            });
            if (!asked) {
                wire::Frame frame;
                frame.mutable_key_lookup()->set_username(name);
                send_frame(std::move(frame));
            }
        }
    }

    void create_group(const std::string& name, const std::vector<std::string>& members,
                      std::function<void(result<group_id_hex>)> done) {
        if (auto error = not_ready()) {
            return done(*error);
        }
        if (name.empty() || name.size() > crypto::max_group_name_bytes) {
            return done(command_error{"bad_command", "a group name has 1 to 64 bytes"});
        }
        if (members.empty()) {
            return done(command_error{"bad_command", "a group needs at least one other member"});
        }
        std::weak_ptr<impl> weak = weak_from_this();
        lookup_keys(members, [weak, name, done](result<std::vector<crypto::group_member>> keys) {
            auto self = weak.lock();
            if (!self) {
                return;
            }
            if (auto* error = std::get_if<command_error>(&keys)) {
                return done(*error);
            }
            result<group_id_hex> outcome = command_error{"io", "not created"};
            try {
                outcome = self->groups_->create(
                    name, std::move(std::get<std::vector<crypto::group_member>>(keys)));
            } catch (const std::exception& failure) {
                outcome = command_error{"io", failure.what()};
            }
            done(outcome);
        });
    }

    void invite(const group_id_hex& group, const std::vector<std::string>& members,
                std::function<void(result<bool>)> done) {
        if (auto error = not_ready()) {
            return done(*error);
        }
        if (auto error = groups_->check_invite(group, members)) {
            return done(*error);
        }
        std::weak_ptr<impl> weak = weak_from_this();
        lookup_keys(members, [weak, group, done](result<std::vector<crypto::group_member>> keys) {
            auto self = weak.lock();
            if (!self) {
                return;
            }
            if (auto* error = std::get_if<command_error>(&keys)) {
                return done(*error);
            }
            result<bool> outcome = false;
            try {
                outcome = self->groups_->add(
                    group, std::move(std::get<std::vector<crypto::group_member>>(keys)));
            } catch (const std::exception& failure) {
                outcome = command_error{"io", failure.what()};
            }
            done(outcome);
        });
    }

    std::optional<conversation_status> status(const std::string& with) {
        if (not_ready()) {
            return std::nullopt;
        }
        const auto contact = known(with);
        if (!contact) {
            return std::nullopt;
        }
        conversation_status out;
        const auto online = online_.find(with);
        out.peer_online = online != online_.end() && online->second;
        out.verified = contact->verified;
        out.keys = contact->keys;
        out.request = contact->request;
        const auto found = peers_.find(with);
        if (found != peers_.end()) {
            if (found->second.handshake) {
                const auto status = found->second.handshake->status();
                out.state = status.state;
                out.resend_count = status.resend_count;
                out.next_resend = status.next_resend;
            }
            if (found->second.ratchet) {
                out.ratchet_number = found->second.ratchet->messages_sent() +
                                     found->second.ratchet->messages_received();
            }
        }
        out.queued = store_->outbox(contact->id).size();
        return out;
    }
};

engine::engine(asio::io_context& io, engine_options options,
               std::function<void(const event&)> on_event)
    : impl_(std::make_shared<impl>(io, std::move(options), std::move(on_event))) {}

engine::~engine() {
    impl_->stop();
}

void engine::start(crypto::secret_buffer passphrase) {
    impl_->start(std::move(passphrase));
}
void engine::stop() {
    impl_->stop();
}
bool engine::started() const noexcept {
    return impl_->started_;
}

namespace {
// Database failures inside a command become an `io` error instead of unwinding into the caller.
template <typename T, typename Function>
result<T> checked(Function&& function) {
    try {
        return function();
    } catch (const std::exception& error) {
        return command_error{"io", error.what()};
    }
}
} // namespace

result<message_id_hex> engine::send(const std::string& to, const std::string& text) {
    return checked<message_id_hex>([&] { return impl_->send(to, text); });
}
std::vector<contact_summary> engine::contacts() {
    return impl_->contacts();
}
result<std::vector<history_entry>> engine::history(const std::string& with,
                                                   const std::optional<message_id_hex>& before,
                                                   std::size_t limit) {
    return checked<std::vector<history_entry>>([&] { return impl_->history(with, before, limit); });
}
result<verification> engine::verify(const std::string& with, bool mark) {
    return checked<verification>([&] { return impl_->verify(with, mark); });
}
result<bool> engine::accept(const std::string& with) {
    return checked<bool>([&] { return impl_->accept(with); });
}
result<bool> engine::decline(const std::string& with) {
    return checked<bool>([&] { return impl_->decline(with); });
}
result<bool> engine::reset(const std::string& with) {
    return checked<bool>([&] { return impl_->reset(with); });
}
result<bool> engine::close(const std::string& with) {
    return checked<bool>([&] { return impl_->close(with); });
}
result<std::size_t> engine::mark_read(const std::string& with) {
    return checked<std::size_t>([&] { return impl_->mark_read(with); });
}
void engine::users(std::function<void(result<std::vector<std::string>>)> done) {
    impl_->users(std::move(done));
}
void engine::export_conversation(const std::string& with, export_format format,
                                 const std::filesystem::path& path,
                                 std::function<void(result<std::size_t>)> done) {
    impl_->export_conversation(with, format, path, std::move(done)); // reports its own errors
}
std::optional<conversation_status> engine::status(const std::string& with) {
    return impl_->status(with);
}
std::size_t engine::unacknowledged() const noexcept {
    return impl_->in_flight_.size() + impl_->groups_->in_flight();
}
bool engine::connected() const noexcept {
    return impl_->connected_;
}
bool engine::exporting() const noexcept {
    return impl_->export_running_;
}

void engine::on_group_event(std::function<void(const group_event&)> callback) {
    impl_->on_group_event_ = std::move(callback);
}

namespace {
// Group commands need the unlocked profile like every other command.
template <typename T, typename Function>
result<T> ready_and_checked(engine::impl& impl, Function&& function);
} // namespace

void engine::create_group(const std::string& name, const std::vector<std::string>& members,
                          std::function<void(result<group_id_hex>)> done) {
    try {
        impl_->create_group(name, members, done);
    } catch (const std::exception& error) {
        done(command_error{"io", error.what()});
    }
}
void engine::invite(const group_id_hex& group, const std::vector<std::string>& members,
                    std::function<void(result<bool>)> done) {
    try {
        impl_->invite(group, members, done);
    } catch (const std::exception& error) {
        done(command_error{"io", error.what()});
    }
}
result<bool> engine::remove_members(const group_id_hex& group,
                                    const std::vector<std::string>& members) {
    return ready_and_checked<bool>(*impl_, [&] { return impl_->groups_->remove(group, members); });
}
result<bool> engine::leave_group(const group_id_hex& group) {
    return ready_and_checked<bool>(*impl_, [&] { return impl_->groups_->leave(group); });
}
result<bool> engine::rename_group(const group_id_hex& group, const std::string& name) {
    return ready_and_checked<bool>(*impl_, [&] { return impl_->groups_->rename(group, name); });
}
result<message_id_hex> engine::send_group(const group_id_hex& group, const std::string& text) {
    return ready_and_checked<message_id_hex>(*impl_,
                                             [&] { return impl_->groups_->send(group, text); });
}
std::vector<group_summary> engine::groups() {
    if (impl_->not_ready()) {
        return {};
    }
    return impl_->groups_->list();
}
result<std::vector<group_history_entry>>
engine::group_history(const group_id_hex& group, const std::optional<message_id_hex>& before,
                      std::size_t limit) {
    return ready_and_checked<std::vector<group_history_entry>>(
        *impl_, [&] { return impl_->groups_->history(group, before, limit); });
}

namespace {
template <typename T, typename Function>
result<T> ready_and_checked(engine::impl& impl, Function&& function) {
    if (auto error = impl.not_ready()) {
        return *error;
    }
    return checked<T>(std::forward<Function>(function));
}
} // namespace

} // namespace sotto::client
