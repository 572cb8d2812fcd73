#pragma once
// The relay's durable state: accounts, invites, the per-recipient envelope queue and the audit
// log. Two implementations: SQLite in the data directory (WAL, synchronous=FULL) and memory
// for --ephemeral. The relay never gives this store plaintext: a ciphertext is opaque bytes.
//
// Threading: an instance is used from one thread at a time (the relay runs it on a dedicated
// writer thread and batches calls for group commit). Every method that changes state is
// atomic: it commits fully or not at all. Failures of the database itself (disk full, I/O
// error, corruption) throw store::store_error; everything a client can cause is a result value.

#include "crypto/types.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sotto::store {

class store_error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

using unix_seconds = std::int64_t;
using message_id = std::array<std::uint8_t, 16>; // chosen by the sender

struct account {
    std::string username;
    crypto::identity_public_key identity_key;
    unix_seconds created_at = 0;
};

enum class registration_result {
    registered,
    name_taken,         // another key holds this name
    already_registered, // same name and same key: idempotent retry
    invite_required,
    invite_invalid, // unknown, used up or expired
};

struct invite {
    std::string code;
    std::uint32_t uses_left = 0;
    unix_seconds expires_at = 0; // valid while now < expires_at; 0 means it never expires
};

struct envelope {
    std::string sender;
    std::string recipient;
    message_id id{};
    std::vector<std::uint8_t> ciphertext;
    unix_seconds queued_at = 0; // set by the caller: enqueue's "now" (dedup window, expiry)
    std::uint64_t sequence = 0; // assigned by the store on enqueue; increasing per recipient
    // Nonzero: the recipient acknowledged it before it was committed (the relay pushes before
    // the commit). Then enqueue keeps only its delivered id, for deduplication, as acknowledge
    // would have left it: nothing waits in the queue and the caps do not apply.
    unix_seconds acked_at = 0;
};

struct queue_limits {
    std::uint64_t max_messages = 10'000; // per recipient
    std::uint64_t max_bytes = 64ULL << 20U;
    std::chrono::seconds max_age = std::chrono::hours(24 * 30);
};

enum class enqueue_result {
    queued,
    duplicate, // (sender, id) already queued or already delivered recently: stored once
    queue_full_count,
    queue_full_bytes,
    unknown_recipient,
};

// An envelope that expired unread, reported to its sender at the sender's next login.
struct expiry_notice {
    std::string sender;
    std::string recipient;
    message_id id{};
};

struct audit_event {
    unix_seconds time = 0;
    std::string kind;     // "register", "login", "login_failed", "limit", "invite_created", ...
    std::string username; // may be empty
    std::string address;  // remote IP, may be empty
    std::string detail;   // never message content
};

// One envelope a recipient acknowledged, for acknowledge_batch.
struct acknowledgement {
    std::string recipient;
    std::string sender;
    message_id id{};
};

class relay_store {
  public:
    virtual ~relay_store() = default;

    // Accounts. `invite_code` is checked (and one use consumed) only when `invite_only`.
    virtual registration_result register_account(const std::string& username,
                                                 const crypto::identity_public_key& key,
                                                 const std::optional<std::string>& invite_code,
                                                 bool invite_only, unix_seconds now) = 0;
    virtual std::optional<account> find_account(const std::string& username) = 0;

    // Invites: `code` is chosen by the caller (random); false if it already exists.
    virtual bool add_invite(const invite& code) = 0;

    // Queues a batch in ONE transaction (group commit: one fsync for the batch). Results are in
    // the order of `batch`; each queued envelope gets its sequence number written back.
    // Duplicates are judged per recipient, on (sender, recipient, id): a group message fanned out
    // to several members under one id is queued once for each of them. The checks, in order:
    // unknown_recipient, duplicate, queue_full_count, queue_full_bytes (ciphertext bytes); an
    // envelope with acked_at set is recorded as delivered (queued, and never pending).
    // Sequences start at 1 and never repeat for a recipient, even after its queue empties.
    virtual std::vector<enqueue_result> enqueue(std::span<envelope> batch,
                                                const queue_limits& limits) = 0;

    // Up to `limit` envelopes for `recipient` with sequence > `after_sequence`, oldest first.
    virtual std::vector<envelope> pending(const std::string& recipient,
                                          std::uint64_t after_sequence, std::size_t limit) = 0;

    // Deletes delivered envelopes (recipient acked them), in one transaction; unknown ids are
    // ignored. The (sender, id) pairs stay remembered for deduplication for `dedup_window`.
    virtual void acknowledge(const std::string& recipient,
                             std::span<const std::pair<std::string, message_id>> acked,
                             unix_seconds now) = 0;

    // The same for several recipients at once in ONE transaction (one fsync), for the relay's
    // writer thread that drains acks from many connections. The default calls acknowledge() per
    // recipient (one transaction each); both stores here override it.
    virtual void acknowledge_batch(std::span<const acknowledgement> acked, unix_seconds now);

    // Removes envelopes older than limits.max_age (now - queued_at > max_age) and returns notices
    // for their senders, ordered by (recipient, sequence); the same notices are kept for
    // take_expiry_notices. Also forgets acknowledged ids older than dedup_window and notices no
    // sender picked up within limits.max_age.
    virtual std::vector<expiry_notice> expire(unix_seconds now, const queue_limits& limits) = 0;
    // Notices waiting for `sender` in the order they were recorded, removed as they are returned.
    virtual std::vector<expiry_notice> take_expiry_notices(const std::string& sender) = 0;

    virtual void audit(const audit_event& event) = 0;
    // Events with time >= since, in the order they were recorded.
    virtual std::vector<audit_event> audit_since(unix_seconds since) = 0;
};

// How long acknowledged (sender, id) pairs are remembered so that a late retry is not
// delivered twice.
inline constexpr std::chrono::seconds dedup_window = std::chrono::hours(24 * 7);

// Usernames are 3..32 characters of [a-z0-9_.-] starting with a letter a-z: lowercase only, so
// that no two names look alike by case. The relay checks this before register_account (the
// store itself does not refuse other names).
[[nodiscard]] bool valid_username(std::string_view name) noexcept;

// Opens (creating and migrating as needed) <directory>/relay.db with mode 0600, creating the
// directory with mode 0700 when missing. Throws store_error with a clear message when it cannot:
// the file is readable by other users, not a sotto relay database, corrupted, or written by a
// newer sotto (schema version newer than this build's).
[[nodiscard]] std::unique_ptr<relay_store> open_relay_store(const std::filesystem::path& directory);

// The same for operator commands (`sotto relay audit|invite`) pointed at a data directory:
// throws store_error naming the path when <directory>/relay.db does not exist, creating nothing,
// so a mistyped --data-dir is an error instead of a new empty relay.
[[nodiscard]] std::unique_ptr<relay_store>
open_existing_relay_store(const std::filesystem::path& directory);

// A store that keeps everything in memory and writes nothing anywhere (--ephemeral). It keeps
// only the latest 10,000 audit events (the oldest tenth is dropped when full); all else is as in
// open_relay_store.
[[nodiscard]] std::unique_ptr<relay_store> make_memory_relay_store();

} // namespace sotto::store
