// The relay store on SQLite: <data-dir>/relay.db, WAL, synchronous=FULL. Every write goes
// through one IMMEDIATE transaction (so a concurrent `sotto relay invite` waits on the busy
// timeout instead of failing mid-transaction), and every statement on the hot path is prepared
// once and reset after each use.

#include "store/relay_store.h"
#include "store/sqlite_util.h"

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <limits>
#include <map>
#include <utility>

namespace sotto::store {

namespace {

// 'sotR' in PRAGMA application_id marks a sotto relay database.
constexpr std::int32_t relay_application_id = 0x736f7452;

// Version 1 (commit 7e86dd7). Released schemas never change; later steps alter them.
constexpr std::string_view schema_v1 = R"sql(
CREATE TABLE accounts (
    username      TEXT PRIMARY KEY NOT NULL,
    identity_key  BLOB NOT NULL CHECK (length(identity_key) = 32),
    created_at    INTEGER NOT NULL,
    -- Per-recipient queue state, kept here so enqueue checks its caps without scanning.
    last_sequence INTEGER NOT NULL DEFAULT 0,
    queued_count  INTEGER NOT NULL DEFAULT 0,
    queued_bytes  INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE invites (
    code       TEXT PRIMARY KEY NOT NULL,
    uses_left  INTEGER NOT NULL CHECK (uses_left >= 0),
    expires_at INTEGER NOT NULL
);
CREATE TABLE queue (
    recipient  TEXT NOT NULL REFERENCES accounts (username),
    sequence   INTEGER NOT NULL,
    sender     TEXT NOT NULL,
    id         BLOB NOT NULL CHECK (length(id) = 16),
    ciphertext BLOB NOT NULL,
    queued_at  INTEGER NOT NULL,
    PRIMARY KEY (recipient, sequence),
    UNIQUE (sender, id, recipient)
);
CREATE INDEX queue_by_age ON queue (queued_at);
CREATE TABLE delivered_ids (
    sender    TEXT NOT NULL,
    id        BLOB NOT NULL,
    recipient TEXT NOT NULL,
    acked_at  INTEGER NOT NULL,
    PRIMARY KEY (sender, id, recipient)
) WITHOUT ROWID;
CREATE INDEX delivered_ids_by_age ON delivered_ids (acked_at);
CREATE TABLE expiry_notices (
    number     INTEGER PRIMARY KEY,
    sender     TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    id         BLOB NOT NULL,
    expired_at INTEGER NOT NULL
);
CREATE INDEX expiry_notices_by_sender ON expiry_notices (sender, number);
CREATE INDEX expiry_notices_by_age ON expiry_notices (expired_at);
CREATE TABLE audit (
    number   INTEGER PRIMARY KEY,
    time     INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    username TEXT NOT NULL,
    address  TEXT NOT NULL,
    detail   TEXT NOT NULL
);
CREATE INDEX audit_by_time ON audit (time);
)sql";

// Version 2: delivered ids move into the queue table and lookups go through message_key. From
// the version 1 above (7e86dd7):
constexpr std::string_view schema_v2_from_delivered_ids = R"sql(
-- One row per envelope from enqueue until its (sender, id, recipient) may be forgotten. While
-- waiting it holds the ciphertext; once acknowledged the ciphertext is dropped and the row stays
-- as the dedup record for dedup_window. One table instead of queue + delivered_ids because an
-- acknowledgement then rewrites only recently written pages, where moving the id into a second
-- randomly keyed index cost a random page write per envelope (measured: about twice the write
-- volume per delivered envelope).
CREATE TABLE queue_v2 (
    number      INTEGER PRIMARY KEY,
    -- 64-bit FNV-1a of (sender, recipient, id), the dedup lookup key. Its index entries are a
    -- third of the size of an index on the three columns, so a batch of random ids rewrites
    -- fewer index pages. Not unique: a match is confirmed on the columns themselves.
    message_key INTEGER NOT NULL,
    recipient   TEXT NOT NULL REFERENCES accounts (username),
    sequence    INTEGER NOT NULL,
    sender      TEXT NOT NULL,
    id          BLOB NOT NULL CHECK (length(id) = 16),
    ciphertext  BLOB,    -- NULL once delivered
    queued_at   INTEGER NOT NULL,
    acked_at    INTEGER  -- NULL while waiting for delivery
);
INSERT INTO queue_v2 (message_key, recipient, sequence, sender, id, ciphertext, queued_at,
                      acked_at)
    SELECT sotto_message_key(sender, recipient, id), recipient, 0, sender, id, NULL, acked_at,
           acked_at
    FROM delivered_ids AS delivered
    WHERE NOT EXISTS (SELECT 1 FROM queue WHERE queue.sender = delivered.sender
                      AND queue.id = delivered.id AND queue.recipient = delivered.recipient)
    ORDER BY acked_at;
INSERT INTO queue_v2 (message_key, recipient, sequence, sender, id, ciphertext, queued_at,
                      acked_at)
    SELECT sotto_message_key(sender, recipient, id), recipient, sequence, sender, id, ciphertext,
           queued_at, NULL
    FROM queue ORDER BY queued_at, recipient, sequence;
DROP TABLE queue;
DROP TABLE delivered_ids;
ALTER TABLE queue_v2 RENAME TO queue;
CREATE INDEX queue_by_message ON queue (message_key);
CREATE UNIQUE INDEX queue_waiting ON queue (recipient, sequence) WHERE acked_at IS NULL;
CREATE INDEX queue_waiting_by_age ON queue (queued_at) WHERE acked_at IS NULL;
CREATE INDEX queue_delivered_by_age ON queue (acked_at) WHERE acked_at IS NOT NULL;
)sql";

// From the other version 1 (b992397..286529b, merged into main before version 2 existed), whose
// queue already keeps delivered ids as rows and lacks only message_key:
constexpr std::string_view schema_v2_from_delivered_rows = R"sql(
ALTER TABLE queue ADD COLUMN message_key INTEGER NOT NULL DEFAULT 0;
UPDATE queue SET message_key = sotto_message_key(sender, recipient, id);
DROP INDEX queue_by_message;
CREATE INDEX queue_by_message ON queue (message_key);
)sql";

void upgrade_to_v2(SQLite::Database& database) {
    database.exec(std::string(database.tableExists("delivered_ids")
                                  ? schema_v2_from_delivered_ids
                                  : schema_v2_from_delivered_rows));
}

constexpr std::array<sqlite::migration, 2> relay_migrations{{
    {"accounts, invites, queue, delivered ids, expiry notices, audit", schema_v1},
    {"delivered ids kept as rows of the queue, looked up by message_key", {}, &upgrade_to_v2},
}};

// Resets a cached statement when the use ends, however it ends.
class statement_use {
  public:
    explicit statement_use(SQLite::Statement& statement) noexcept : statement_(statement) {}
    statement_use(const statement_use&) = delete;
    statement_use& operator=(const statement_use&) = delete;
    statement_use(statement_use&&) = delete;
    statement_use& operator=(statement_use&&) = delete;
    ~statement_use() { statement_.tryReset(); }

  private:
    SQLite::Statement& statement_;
};

const std::uint8_t empty_blob_marker = 0;

void bind_blob(SQLite::Statement& statement, int index, std::span<const std::uint8_t> bytes) {
    if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        throw store_error("a blob is too large for the relay database");
    }
    // A null pointer would bind NULL; an empty blob needs a non-null pointer.
    const void* data = bytes.empty() ? &empty_blob_marker : bytes.data();
    statement.bindNoCopy(index, data, static_cast<int>(bytes.size()));
}

std::int64_t to_sql(std::uint64_t value) {
    return static_cast<std::int64_t>(std::min<std::uint64_t>(
        value, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())));
}

std::uint64_t from_sql(std::int64_t value) {
    if (value < 0) {
        throw store_error("the relay database holds a negative counter: it is corrupted");
    }
    return static_cast<std::uint64_t>(value);
}

std::vector<std::uint8_t> read_blob(const SQLite::Column& column) {
    const auto* data = static_cast<const std::uint8_t*>(column.getBlob());
    const auto size = static_cast<std::size_t>(column.getBytes());
    if (data == nullptr || size == 0) {
        return {};
    }
    return {data, data + size};
}

template <std::size_t N>
void read_fixed(const SQLite::Column& column, std::array<std::uint8_t, N>& out) {
    const auto* data = static_cast<const std::uint8_t*>(column.getBlob());
    if (data == nullptr || static_cast<std::size_t>(column.getBytes()) != N) {
        throw store_error(
            "the relay database holds a key or id of the wrong size: it is corrupted");
    }
    std::copy_n(data, N, out.begin());
}

// Database failures become store_error, the header's contract; a store_error passes as is.
template <typename Function>
auto guarded(std::string_view action, Function&& function) {
    try {
        return function();
    } catch (const SQLite::Exception& error) {
        throw store_error(fmt::format("relay database: cannot {}: {}", action, error.what()));
    }
}

// queue.message_key: 64-bit FNV-1a over sender, 0, recipient, 0, id. It is stored, so it must
// never change; anyone choosing colliding ids only makes the lookup compare more rows.
std::int64_t message_key(std::span<const std::uint8_t> sender,
                         std::span<const std::uint8_t> recipient,
                         std::span<const std::uint8_t> id) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    const auto mix = [&hash](std::uint8_t byte) {
        hash ^= byte;
        hash *= 0x100000001b3ULL;
    };
    for (const std::uint8_t byte : sender) {
        mix(byte);
    }
    mix(0);
    for (const std::uint8_t byte : recipient) {
        mix(byte);
    }
    mix(0);
    for (const std::uint8_t byte : id) {
        mix(byte);
    }
    return static_cast<std::int64_t>(hash); // two's complement wrap, defined in C++20
}

std::span<const std::uint8_t> bytes_of(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::int64_t message_key(std::string_view sender, std::string_view recipient,
                         const message_id& id) {
    return message_key(bytes_of(sender), bytes_of(recipient), id);
}

// sotto_message_key(sender, recipient, id) in SQL, for the migration that fills message_key.
void sql_message_key(sqlite3_context* context, int count, sqlite3_value** values) {
    if (count != 3) {
        sqlite3_result_error(context, "sotto_message_key takes 3 arguments", -1);
        return;
    }
    const auto bytes = [](sqlite3_value* value) -> std::span<const std::uint8_t> {
        // sqlite3_value_bytes must follow the conversion to blob.
        const auto* data = static_cast<const std::uint8_t*>(sqlite3_value_blob(value));
        const auto size = static_cast<std::size_t>(sqlite3_value_bytes(value));
        if (data == nullptr) {
            return {};
        }
        return {data, size};
    };
    const std::span<sqlite3_value*> arguments(values, 3);
    sqlite3_result_int64(
        context, message_key(bytes(arguments[0]), bytes(arguments[1]), bytes(arguments[2])));
}

class sqlite_relay_store final : public relay_store {
  public:
    explicit sqlite_relay_store(SQLite::Database database)
        : database_(std::move(database)),
          select_account_(database_,
                          "SELECT identity_key, created_at FROM accounts WHERE username = ?"),
          insert_account_(
              database_,
              "INSERT INTO accounts (username, identity_key, created_at) VALUES (?, ?, ?)"),
          select_invite_(database_, "SELECT uses_left, expires_at FROM invites WHERE code = ?"),
          use_invite_(
              database_,
              "UPDATE invites SET uses_left = uses_left - 1 WHERE code = ? AND uses_left > 0"),
          insert_invite_(database_, "INSERT INTO invites (code, uses_left, expires_at) VALUES (?, "
                                    "?, ?) ON CONFLICT DO NOTHING"),
          select_totals_(
              database_,
              "SELECT last_sequence, queued_count, queued_bytes FROM accounts WHERE username = ?"),
          update_totals_(database_, "UPDATE accounts SET last_sequence = ?, queued_count = ?, "
                                    "queued_bytes = ? WHERE username = ?"),
          adjust_totals_(database_, "UPDATE accounts SET queued_count = queued_count - ?, "
                                    "queued_bytes = queued_bytes - ? WHERE username = ?"),
          select_message_(database_,
                          "SELECT number, acked_at FROM queue INDEXED BY queue_by_message "
                          "WHERE message_key = ? AND sender = ? AND id = ? AND recipient = ?"),
          forget_message_(database_, "DELETE FROM queue WHERE number = ?"),
          insert_envelope_(
              database_,
              "INSERT INTO queue (message_key, recipient, sequence, sender, id, ciphertext, "
              "queued_at, acked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
          select_pending_(database_,
                          "SELECT sequence, sender, id, ciphertext, queued_at FROM queue "
                          "WHERE recipient = ? AND sequence > ? AND acked_at IS NULL ORDER BY "
                          "sequence LIMIT ?"),
          select_waiting_(database_,
                          "SELECT number, length(ciphertext) FROM queue INDEXED BY "
                          "queue_by_message WHERE message_key = ? AND sender = ? AND id = ? "
                          "AND recipient = ? AND acked_at IS NULL"),
          mark_delivered_(database_,
                          "UPDATE queue SET ciphertext = NULL, acked_at = ? WHERE number = ?"),
          // Without the hint the planner walks every waiting envelope to avoid a sort.
          select_expired_(database_,
                          "SELECT recipient, sender, id, length(ciphertext) FROM queue "
                          "INDEXED BY queue_waiting_by_age "
                          "WHERE queued_at < ? AND acked_at IS NULL ORDER BY recipient, sequence"),
          delete_expired_(database_, "DELETE FROM queue WHERE queued_at < ? AND acked_at IS NULL"),
          insert_notice_(
              database_,
              "INSERT INTO expiry_notices (sender, recipient, id, expired_at) VALUES (?, ?, ?, ?)"),
          prune_notices_(database_, "DELETE FROM expiry_notices WHERE expired_at < ?"),
          prune_delivered_(database_,
                           "DELETE FROM queue WHERE acked_at < ? AND acked_at IS NOT NULL"),
          select_notices_(
              database_,
              "SELECT recipient, id FROM expiry_notices WHERE sender = ? ORDER BY number"),
          delete_notices_(database_, "DELETE FROM expiry_notices WHERE sender = ?"),
          insert_audit_(
              database_,
              "INSERT INTO audit (time, kind, username, address, detail) VALUES (?, ?, ?, ?, ?)"),
          select_audit_(database_, "SELECT time, kind, username, address, detail FROM audit "
                                   "WHERE time >= ? ORDER BY number") {}

    registration_result register_account(const std::string& username,
                                         const crypto::identity_public_key& key,
                                         const std::optional<std::string>& invite_code,
                                         bool invite_only, unix_seconds now) override {
        return guarded("register an account", [&] {
            SQLite::Transaction transaction(database_, SQLite::TransactionBehavior::IMMEDIATE);
            if (auto existing = lookup_account(username)) {
                return existing->identity_key == key ? registration_result::already_registered
                                                     : registration_result::name_taken;
            }
            if (invite_only) {
                if (!invite_code) {
                    return registration_result::invite_required;
                }
                if (!consume_invite(*invite_code, now)) {
                    return registration_result::invite_invalid;
                }
            }
            {
                statement_use use(insert_account_);
                insert_account_.bind(1, username);
                bind_blob(insert_account_, 2, key.view());
                insert_account_.bind(3, now);
                insert_account_.exec();
            }
            transaction.commit();
            return registration_result::registered;
        });
    }

    std::optional<account> find_account(const std::string& username) override {
        return guarded("look up an account", [&] { return lookup_account(username); });
    }

    bool add_invite(const invite& code) override {
        return guarded("add an invite", [&] {
            SQLite::Transaction transaction(database_, SQLite::TransactionBehavior::IMMEDIATE);
            int changes = 0;
            {
                statement_use use(insert_invite_);
                insert_invite_.bind(1, code.code);
                insert_invite_.bind(2, static_cast<std::int64_t>(code.uses_left));
                insert_invite_.bind(3, code.expires_at);
                changes = insert_invite_.exec();
            }
            transaction.commit();
            return changes == 1;
        });
    }

    std::vector<enqueue_result> enqueue(std::span<envelope> batch,
                                        const queue_limits& limits) override {
        return guarded("queue envelopes", [&] {
            std::vector<enqueue_result> results;
            results.reserve(batch.size());
            if (batch.empty()) {
                return results;
            }
            SQLite::Transaction transaction(database_, SQLite::TransactionBehavior::IMMEDIATE);
            std::map<std::string, recipient_totals, std::less<>> recipients;
            for (auto& item : batch) {
                auto found = recipients.find(item.recipient);
                if (found == recipients.end()) {
                    found = recipients.emplace(item.recipient, load_totals(item.recipient)).first;
                }
                auto& totals = found->second;
                results.push_back(enqueue_one(item, totals, limits));
            }
            for (const auto& [recipient, totals] : recipients) {
                if (totals.changed) {
                    statement_use use(update_totals_);
                    update_totals_.bind(1, to_sql(totals.last_sequence));
                    update_totals_.bind(2, to_sql(totals.count));
                    update_totals_.bind(3, to_sql(totals.bytes));
                    update_totals_.bind(4, recipient);
                    update_totals_.exec();
                }
            }
            transaction.commit();
            return results;
        });
    }

    std::vector<envelope> pending(const std::string& recipient, std::uint64_t after_sequence,
                                  std::size_t limit) override {
        return guarded("read the queue", [&] {
            std::vector<envelope> out;
            statement_use use(select_pending_);
            select_pending_.bind(1, recipient);
            select_pending_.bind(2, to_sql(after_sequence));
            select_pending_.bind(3, to_sql(limit));
            while (select_pending_.executeStep()) {
                envelope item;
                item.recipient = recipient;
                item.sequence = from_sql(select_pending_.getColumn(0).getInt64());
                item.sender = select_pending_.getColumn(1).getString();
                read_fixed(select_pending_.getColumn(2), item.id);
                item.ciphertext = read_blob(select_pending_.getColumn(3));
                item.queued_at = select_pending_.getColumn(4).getInt64();
                out.push_back(std::move(item));
            }
            return out;
        });
    }

    void acknowledge(const std::string& recipient,
                     std::span<const std::pair<std::string, message_id>> acked,
                     unix_seconds now) override {
        guarded("acknowledge envelopes", [&] {
            if (acked.empty()) {
                return;
            }
            SQLite::Transaction transaction(database_, SQLite::TransactionBehavior::IMMEDIATE);
            removed_totals removed;
            for (const auto& [sender, id] : acked) {
                acknowledge_one(recipient, sender, id, now, removed);
            }
            apply(removed);
            transaction.commit();
        });
    }

    void acknowledge_batch(std::span<const acknowledgement> acked, unix_seconds now) override {
        guarded("acknowledge envelopes", [&] {
            if (acked.empty()) {
                return;
            }
            SQLite::Transaction transaction(database_, SQLite::TransactionBehavior::IMMEDIATE);
            removed_totals removed;
            for (const auto& item : acked) {
                acknowledge_one(item.recipient, item.sender, item.id, now, removed);
            }
            apply(removed);
            transaction.commit();
        });
    }

    std::vector<expiry_notice> expire(unix_seconds now, const queue_limits& limits) override {
        return guarded("expire envelopes", [&] {
            const unix_seconds cutoff = now - static_cast<unix_seconds>(limits.max_age.count());
            const unix_seconds dedup_cutoff = now - static_cast<unix_seconds>(dedup_window.count());
            SQLite::Transaction transaction(database_, SQLite::TransactionBehavior::IMMEDIATE);
            std::vector<expiry_notice> notices;
            removed_totals removed;
            {
                statement_use use(select_expired_);
                select_expired_.bind(1, cutoff);
                while (select_expired_.executeStep()) {
                    expiry_notice notice;
                    notice.recipient = select_expired_.getColumn(0).getString();
                    notice.sender = select_expired_.getColumn(1).getString();
                    read_fixed(select_expired_.getColumn(2), notice.id);
                    auto& [count, bytes] = removed[notice.recipient];
                    ++count;
                    bytes += select_expired_.getColumn(3).getInt64();
                    notices.push_back(std::move(notice));
                }
            }
            // Notices nobody picked up for as long as an envelope may wait are dropped too.
            run(prune_notices_, cutoff);
            run(prune_delivered_, dedup_cutoff);
            if (!notices.empty()) {
                run(delete_expired_, cutoff);
                for (const auto& notice : notices) {
                    statement_use use(insert_notice_);
                    insert_notice_.bind(1, notice.sender);
                    insert_notice_.bind(2, notice.recipient);
                    bind_blob(insert_notice_, 3, notice.id);
                    insert_notice_.bind(4, now);
                    insert_notice_.exec();
                }
                apply(removed);
            }
            transaction.commit();
            return notices;
        });
    }

    std::vector<expiry_notice> take_expiry_notices(const std::string& sender) override {
        return guarded("take expiry notices", [&] {
            SQLite::Transaction transaction(database_, SQLite::TransactionBehavior::IMMEDIATE);
            std::vector<expiry_notice> notices;
            {
                statement_use use(select_notices_);
                select_notices_.bind(1, sender);
                while (select_notices_.executeStep()) {
                    expiry_notice notice;
                    notice.sender = sender;
                    notice.recipient = select_notices_.getColumn(0).getString();
                    read_fixed(select_notices_.getColumn(1), notice.id);
                    notices.push_back(std::move(notice));
                }
            }
            if (!notices.empty()) {
                statement_use use(delete_notices_);
                delete_notices_.bind(1, sender);
                delete_notices_.exec();
            }
            transaction.commit();
            return notices;
        });
    }

    void audit(const audit_event& event) override {
        guarded("write the audit log", [&] {
            statement_use use(insert_audit_);
            insert_audit_.bind(1, event.time);
            insert_audit_.bind(2, event.kind);
            insert_audit_.bind(3, event.username);
            insert_audit_.bind(4, event.address);
            insert_audit_.bind(5, event.detail);
            insert_audit_.exec(); // autocommit: one statement is its own transaction
        });
    }

    std::vector<audit_event> audit_since(unix_seconds since) override {
        return guarded("read the audit log", [&] {
            std::vector<audit_event> events;
            statement_use use(select_audit_);
            select_audit_.bind(1, since);
            while (select_audit_.executeStep()) {
                audit_event event;
                event.time = select_audit_.getColumn(0).getInt64();
                event.kind = select_audit_.getColumn(1).getString();
                event.username = select_audit_.getColumn(2).getString();
                event.address = select_audit_.getColumn(3).getString();
                event.detail = select_audit_.getColumn(4).getString();
                events.push_back(std::move(event));
            }
            return events;
        });
    }

  private:
    struct recipient_totals {
        bool known = false;
        bool changed = false;
        std::uint64_t last_sequence = 0;
        std::uint64_t count = 0;
        std::uint64_t bytes = 0;
    };

    // Envelopes and bytes leaving each recipient's queue in the current transaction.
    using removed_totals =
        std::map<std::string, std::pair<std::int64_t, std::int64_t>, std::less<>>;

    void acknowledge_one(const std::string& recipient, const std::string& sender,
                         const message_id& id, unix_seconds now, removed_totals& removed) {
        std::int64_t number = 0;
        {
            statement_use use(select_waiting_);
            select_waiting_.bind(1, message_key(sender, recipient, id));
            select_waiting_.bind(2, sender);
            bind_blob(select_waiting_, 3, id);
            select_waiting_.bind(4, recipient);
            if (!select_waiting_.executeStep()) {
                return;
            }
            number = select_waiting_.getColumn(0).getInt64();
            auto& [count, bytes] = removed[recipient];
            ++count;
            bytes += select_waiting_.getColumn(1).getInt64();
        }
        statement_use use(mark_delivered_);
        mark_delivered_.bind(1, now);
        mark_delivered_.bind(2, number);
        mark_delivered_.exec();
    }

    void apply(const removed_totals& removed) {
        for (const auto& [recipient, amounts] : removed) {
            adjust_totals(recipient, amounts.first, amounts.second);
        }
    }

    static void run(SQLite::Statement& statement, std::int64_t parameter) {
        statement_use use(statement);
        statement.bind(1, parameter);
        statement.exec();
    }

    std::optional<account> lookup_account(const std::string& username) {
        statement_use use(select_account_);
        select_account_.bind(1, username);
        if (!select_account_.executeStep()) {
            return std::nullopt;
        }
        account found;
        found.username = username;
        read_fixed(select_account_.getColumn(0), found.identity_key.bytes);
        found.created_at = select_account_.getColumn(1).getInt64();
        return found;
    }

    // One use of a valid invite, or false when it is unknown, used up or expired.
    bool consume_invite(const std::string& code, unix_seconds now) {
        {
            statement_use use(select_invite_);
            select_invite_.bind(1, code);
            if (!select_invite_.executeStep()) {
                return false;
            }
            const std::int64_t uses_left = select_invite_.getColumn(0).getInt64();
            const std::int64_t expires_at = select_invite_.getColumn(1).getInt64();
            if (uses_left <= 0 || (expires_at != 0 && now >= expires_at)) {
                return false;
            }
        }
        statement_use use(use_invite_);
        use_invite_.bind(1, code);
        return use_invite_.exec() == 1;
    }

    recipient_totals load_totals(const std::string& recipient) {
        statement_use use(select_totals_);
        select_totals_.bind(1, recipient);
        recipient_totals totals;
        if (select_totals_.executeStep()) {
            totals.known = true;
            totals.last_sequence = from_sql(select_totals_.getColumn(0).getInt64());
            totals.count = from_sql(select_totals_.getColumn(1).getInt64());
            totals.bytes = from_sql(select_totals_.getColumn(2).getInt64());
        }
        return totals;
    }

    void adjust_totals(const std::string& recipient, std::int64_t count, std::int64_t bytes) {
        statement_use use(adjust_totals_);
        adjust_totals_.bind(1, count);
        adjust_totals_.bind(2, bytes);
        adjust_totals_.bind(3, recipient);
        adjust_totals_.exec();
    }

    enqueue_result enqueue_one(envelope& item, recipient_totals& totals,
                               const queue_limits& limits) {
        if (!totals.known) {
            return enqueue_result::unknown_recipient;
        }
        const std::int64_t key = message_key(item.sender, item.recipient, item.id);
        // A delivered id older than the window that expire() has not pruned yet is forgotten now.
        std::optional<std::int64_t> stale_record;
        {
            statement_use use(select_message_);
            select_message_.bind(1, key);
            select_message_.bind(2, item.sender);
            bind_blob(select_message_, 3, item.id);
            select_message_.bind(4, item.recipient);
            if (select_message_.executeStep()) {
                const auto acked_at = select_message_.getColumn(1);
                if (acked_at.isNull() ||
                    acked_at.getInt64() >=
                        item.queued_at - static_cast<unix_seconds>(dedup_window.count())) {
                    return enqueue_result::duplicate;
                }
                stale_record = select_message_.getColumn(0).getInt64();
            }
        }
        const bool waits = item.acked_at == 0; // else only its delivered id is kept
        if (waits && totals.count >= limits.max_messages) {
            return enqueue_result::queue_full_count;
        }
        if (waits && (item.ciphertext.size() > limits.max_bytes ||
                      totals.bytes > limits.max_bytes - item.ciphertext.size())) {
            return enqueue_result::queue_full_bytes;
        }
        if (stale_record) {
            run(forget_message_, *stale_record);
        }
        const std::uint64_t sequence = totals.last_sequence + 1;
        {
            statement_use use(insert_envelope_);
            insert_envelope_.bind(1, key);
            insert_envelope_.bind(2, item.recipient);
            insert_envelope_.bind(3, to_sql(sequence));
            insert_envelope_.bind(4, item.sender);
            bind_blob(insert_envelope_, 5, item.id);
            if (waits) {
                bind_blob(insert_envelope_, 6, item.ciphertext);
                insert_envelope_.bind(8); // acked_at NULL
            } else {
                insert_envelope_.bind(6); // no ciphertext
                insert_envelope_.bind(8, item.acked_at);
            }
            insert_envelope_.bind(7, item.queued_at);
            insert_envelope_.exec();
        }
        item.sequence = sequence;
        totals.last_sequence = sequence;
        totals.changed = true;
        if (waits) {
            totals.count += 1;
            totals.bytes += item.ciphertext.size();
        }
        return enqueue_result::queued;
    }

    SQLite::Database database_;
    SQLite::Statement select_account_;
    SQLite::Statement insert_account_;
    SQLite::Statement select_invite_;
    SQLite::Statement use_invite_;
    SQLite::Statement insert_invite_;
    SQLite::Statement select_totals_;
    SQLite::Statement update_totals_;
    SQLite::Statement adjust_totals_;
    SQLite::Statement select_message_;
    SQLite::Statement forget_message_;
    SQLite::Statement insert_envelope_;
    SQLite::Statement select_pending_;
    SQLite::Statement select_waiting_;
    SQLite::Statement mark_delivered_;
    SQLite::Statement select_expired_;
    SQLite::Statement delete_expired_;
    SQLite::Statement insert_notice_;
    SQLite::Statement prune_notices_;
    SQLite::Statement prune_delivered_;
    SQLite::Statement select_notices_;
    SQLite::Statement delete_notices_;
    SQLite::Statement insert_audit_;
    SQLite::Statement select_audit_;
};

std::unique_ptr<relay_store> open_database(const std::filesystem::path& file) {
    // Measured with batches of 64 and 512 envelopes: a 16 MiB WAL and page cache write 10-20%
    // less than SQLite's defaults; the checkpoint stall stays in the tens of milliseconds.
    sqlite::open_options options;
    options.application_id = relay_application_id;
    options.what = "relay database";
    options.wal_autocheckpoint_pages = 4000;
    options.cache_size_kib = 16384;
    auto database = sqlite::open_private_database(file, options);
    try {
        database.createFunction("sotto_message_key", 3, true, nullptr, &sql_message_key);
    } catch (const SQLite::Exception& error) {
        throw store_error(
            fmt::format("cannot prepare the relay database {}: {}", file.string(), error.what()));
    }
    sqlite::migrate(database, relay_migrations, fmt::format("relay database {}", file.string()));
    try {
        return std::make_unique<sqlite_relay_store>(std::move(database));
    } catch (const SQLite::Exception& error) {
        throw store_error(
            fmt::format("cannot prepare the relay database {}: {}", file.string(), error.what()));
    }
}

} // namespace

std::unique_ptr<relay_store> open_relay_store(const std::filesystem::path& directory) {
    sqlite::ensure_private_directory(directory);
    return open_database(directory / "relay.db");
}

std::unique_ptr<relay_store> open_existing_relay_store(const std::filesystem::path& directory) {
    const auto file = directory / "relay.db";
    std::error_code error;
    if (!std::filesystem::exists(std::filesystem::symlink_status(file, error))) {
        throw store_error(
            fmt::format("there is no relay database at {} (is --data-dir right?)", file.string()));
    }
    return open_database(file);
}

} // namespace sotto::store
