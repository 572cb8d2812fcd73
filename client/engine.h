#pragma once
// The headless client engine (DESIGN.md section 4): the profile and its encrypted store, the
// link to the relay with reconnect, one late-joiner handshake and one Double Ratchet per peer,
// the outbox, receipts, presence, contacts with pinned keys and message requests. The TUI and
// `sotto --batch` are two faces of it: commands are methods, everything that happens is an
// `event` given to the callback.
//
// Threading: everything runs on the caller's io_context (one thread). Commands must be called
// on that thread. Argon2id runs on a worker thread and posts its result back; nothing else blocks
// longer than one SQLite commit.
//
//   client::engine engine(io, options, [](const client::event& e) { ... });
//   engine.start(crypto::make_passphrase(text));   // -> event::ready or event::error
//   engine.send("bob", "hi");                       // -> receipts, later
//   io.run();

#include "crypto/handshake.h"
#include "crypto/seal.h"
#include "crypto/secret.h"
#include "net/link/link.h"
#include "store/client_store.h"

#include <asio/io_context.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sotto::client {

// A test knob (SOTTO_TEST_GROUP_FORGERY, docs/BATCH.md): a client that forges membership changes,
// so tests can show that the other members refuse them. Never for real profiles.
enum class group_forgery {
    none,
    unauthorized,  // changes are signed and sent without the local admin check, never applied here
    bad_signature, // as unauthorized, and the signature is corrupted before sending
};

struct engine_options {
    std::filesystem::path profile_directory;
    std::string username;          // required to create a profile; must match an existing one
    std::string relay_address;     // HOST[:PORT]; empty: the one stored in the profile
    std::string relay_fingerprint; // pin to require on first use (ignored once one is stored)
    bool trust_on_first_use = false;
    std::string invite_code; // for registration on an invite-only relay
    crypto::kdf_params kdf = crypto::kdf_params::moderate(); // for a new profile only
    crypto::handshake_config handshake;
    net::link::backoff_policy reconnect;
    // Resend period of outbox entries the relay refused for now (queue full, unknown user).
    std::chrono::milliseconds outbox_retry{5'000};
    group_forgery forge_group_changes = group_forgery::none; // tests only
    // Tests only: runs on the store's sync worker before each fsync (to hold one back).
    std::function<void()> before_durable_sync;
};

// Message ids on the API are 32 lowercase hex digits.
using message_id_hex = std::string;
// Group ids likewise (16 random bytes chosen by the group's creator).
using group_id_hex = std::string;

namespace events {
struct ready {
    std::string user;
    std::string relay;
    std::string fingerprint;       // own identity key fingerprint
    std::string relay_fingerprint; // pinned; empty until the first connection
};
struct handshake {
    std::string with;
    crypto::handshake_state state = crypto::handshake_state::no_session;
    std::uint32_t resent = 0;
    std::optional<std::int64_t> next_retry_ms; // while offering or confirming
};
struct message {
    std::string from;
    std::string text;
    message_id_hex id;
    std::int64_t ts = 0; // sender's clock, Unix ms
};
struct receipt {
    std::string with;
    message_id_hex id;
    store::message_status status = store::message_status::sent;
};
struct presence {
    std::string user;
    bool online = false;
};
// A first message from an unknown user waits for accept() or decline().
struct request {
    std::string from;
};
enum class link_state { connecting, connected, disconnected };
struct connection {
    link_state state = link_state::connecting;
    std::optional<std::int64_t> retry_ms;
    std::string reason;
};
struct error {
    std::string code; // the codes of docs/BATCH.md
    std::string message;
    bool fatal = false; // the engine stopped (wrong passphrase, unsafe profile, pin refused)
};
} // namespace events

using event = std::variant<events::ready, events::handshake, events::message, events::receipt,
                           events::presence, events::request, events::connection, events::error>;

// Group conversations (docs/PROTOCOL.md 2.8 "Groups"). Their events come through their own
// callback (engine::on_group_event) so a front end that does not show groups yet keeps
// compiling and sees none of them.
namespace events {
// An accepted membership change, also written to the group's history ("alice added carol").
struct group {
    group_id_hex group;
    std::string name;
    std::string change;                // "create", "add", "remove", "leave", "rename"
    std::string by;                    // the author (an admin, or the member who left)
    std::vector<std::string> subjects; // added, removed or leaving members
    std::vector<std::string> members;  // everyone in the group after the change
    bool member = true;                // false when I am no longer in it
};
// A membership change that was refused and never applied; also written to the history when
// the group is known here.
struct group_rejected {
    group_id_hex group;
    std::string from;
    std::string reason; // "not_authorized", "bad_signature", "stale", "gap", "wrong_group",
                        // "inconsistent", "malformed" (docs/BATCH.md)
};
struct group_message {
    group_id_hex group;
    std::string from;
    std::string text;
    message_id_hex id;
    std::int64_t ts = 0; // sender's clock
};
// Only `sent` (the relay stored it for every recipient) exists for group messages.
struct group_receipt {
    group_id_hex group;
    message_id_hex id;
    store::message_status status = store::message_status::sent;
};
} // namespace events

using group_event = std::variant<events::group, events::group_rejected, events::group_message,
                                 events::group_receipt>;

// A failed command: code and message as in events::error.
struct command_error {
    std::string code;
    std::string message;
};

template <typename T>
using result = std::variant<T, command_error>;

struct contact_summary {
    std::string user;
    bool online = false;
    bool verified = false;
    store::key_state keys = store::key_state::trusted;
    store::request_state request = store::request_state::none;
    std::uint32_t unread = 0;
    crypto::handshake_state handshake = crypto::handshake_state::no_session;
};

// For the TUI's status line: "offering key to bob (bob offline, resent 3x, next in 16s)".
struct conversation_status {
    crypto::handshake_state state = crypto::handshake_state::no_session;
    std::uint32_t resend_count = 0;
    std::optional<crypto::wall_time> next_resend;
    bool peer_online = false;
    bool verified = false;
    store::key_state keys = store::key_state::trusted;
    store::request_state request = store::request_state::none;
    std::uint64_t ratchet_number = 0; // messages sent + received in the current session
    std::size_t queued = 0;           // outbox entries waiting for the session or the relay
};

struct history_entry {
    message_id_hex id;
    std::string with;
    bool outgoing = false;
    std::string text;
    std::int64_t ts = 0;          // sender's clock
    std::int64_t received_at = 0; // ours
    store::message_status status = store::message_status::queued;
};

struct verification {
    std::string safety_number; // 60 digits in 12 groups of 5
    std::string fingerprint;   // the peer's identity key fingerprint
};

enum class export_format { markdown, json };

struct group_member_summary {
    std::string user;
    bool admin = false;
};

struct group_summary {
    group_id_hex id;
    std::string name;
    std::vector<group_member_summary> members; // sorted by name
    bool member = true;                        // false after I left or was removed
    std::uint64_t version = 0;                 // number of changes applied
};

struct group_history_entry {
    message_id_hex id;
    std::string from; // the sender; for an event, its author
    bool outgoing = false;
    bool event = false; // a membership event ("alice added carol") rather than a text
    std::string text;
    std::int64_t ts = 0;
    std::int64_t received_at = 0;
    store::message_status status = store::message_status::queued;
};

class engine {
  public:
    engine(asio::io_context& io, engine_options options,
           std::function<void(const event&)> on_event);
    ~engine();
    engine(const engine&) = delete;
    engine& operator=(const engine&) = delete;

    // Opens the profile (creating it when missing), derives the key on a worker thread,
    // unlocks, then connects. Emits ready, or a fatal error (wrong_passphrase, profile_unsafe,
    // io). Call once.
    void start(crypto::secret_buffer passphrase);
    // Closes the connection and cancels every timer; the io_context then runs out of work.
    void stop();
    [[nodiscard]] bool started() const noexcept;

    // Queues a text to `to` (persisted before this returns) and returns its id. Errors:
    // unknown_user (invalid name or oneself), key_changed (until accept), io.
    result<message_id_hex> send(const std::string& to, const std::string& text);
    [[nodiscard]] std::vector<contact_summary> contacts();
    // Up to `limit` messages before `before` (newest when nullopt), oldest first.
    result<std::vector<history_entry>> history(const std::string& with,
                                               const std::optional<message_id_hex>& before,
                                               std::size_t limit);
    // The safety number with `with` (needs its pinned key); `mark` stores it as verified.
    result<verification> verify(const std::string& with, bool mark);
    // Accepts a changed key (the handshake resumes with it) or a pending message request (its
    // messages are then emitted as message events).
    result<bool> accept(const std::string& with);
    // Declines a message request: its messages and session are deleted, later ones ignored.
    result<bool> decline(const std::string& with);
    // Restarts the handshake with a fresh ephemeral key.
    result<bool> reset(const std::string& with);
    // Ends the session and discards its keys; queued texts go out under the next session.
    result<bool> close(const std::string& with);
    // Marks what came from `with` read and sends the peer a read receipt; returns how many.
    result<std::size_t> mark_read(const std::string& with);
    // Asks the relay who is online; `done` gets the list (or a command_error when offline).
    void users(std::function<void(result<std::vector<std::string>>)> done);
    // Writes the decrypted conversation with `with` to `path` (0600) on a worker; `done` gets
    // the count later, on the engine's thread. `path` appears only once complete (written as
    // `path`.partial, then renamed). One export at a time ("busy" otherwise); stop() cancels.
    void export_conversation(const std::string& with, export_format format,
                             const std::filesystem::path& path,
                             std::function<void(result<std::size_t>)> done);
    [[nodiscard]] std::optional<conversation_status> status(const std::string& with);
    // Outbox entries handed to the relay and not acknowledged yet (a front end that quits
    // waits a moment for this to reach zero; nothing is lost either way).
    [[nodiscard]] std::size_t unacknowledged() const noexcept;
    [[nodiscard]] bool connected() const noexcept;
    // An export_conversation has not called its `done` yet.
    [[nodiscard]] bool exporting() const noexcept;

    // ---- groups (docs/PROTOCOL.md 2.8 "Groups") -------------------------------------------
    // Set before start(): receives every group event.
    void on_group_event(std::function<void(const group_event&)> callback);
    // Creates a group with me as its admin and sends the signed change and my sender key to
    // every member over the pairwise sessions (queued in their outboxes until each session is
    // established). Members whose identity key is not pinned yet are looked up on the relay
    // first (trust on first use, as a first handshake), so `done` may be called later. Errors:
    // bad_command (name empty or too long, no members, too many), unknown_user, key_changed,
    // io (offline and a key is unknown).
    void create_group(const std::string& name, const std::vector<std::string>& members,
                      std::function<void(result<group_id_hex>)> done);
    // Adds members (admin only). Errors as create_group, plus unknown_group, not_member,
    // not_admin.
    void invite(const group_id_hex& group, const std::vector<std::string>& members,
                std::function<void(result<bool>)> done);
    // Removes members (admin only); every remaining member rotates its sender key.
    result<bool> remove_members(const group_id_hex& group, const std::vector<std::string>& members);
    // Leaves the group; the others rotate their sender keys.
    result<bool> leave_group(const group_id_hex& group);
    // Renames the group (admin only).
    result<bool> rename_group(const group_id_hex& group, const std::string& name);
    // Encrypts `text` once under my sender key and sends it in one Send to every other member.
    // Errors: unknown_group, not_member, bad_command, io.
    result<message_id_hex> send_group(const group_id_hex& group, const std::string& text);
    [[nodiscard]] std::vector<group_summary> groups();
    // Up to `limit` entries before `before` (newest when nullopt), oldest first, like history().
    result<std::vector<group_history_entry>>
    group_history(const group_id_hex& group, const std::optional<message_id_hex>& before,
                  std::size_t limit);

    class impl;

  private:
    std::shared_ptr<impl> impl_;
};

[[nodiscard]] std::string_view to_string(store::message_status status) noexcept;
[[nodiscard]] std::string_view to_string(events::link_state state) noexcept;
// "offering", "confirming", "established", "key_changed", "none".
[[nodiscard]] std::string_view state_name(crypto::handshake_state state) noexcept;

} // namespace sotto::client
