#include "store/client_store.h"

#include "crypto/hkdf.h"
#include "store/sqlite_util.h"
#include "store/wal_sync.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <stdexcept>

namespace sotto::store {

namespace {

// 'sotC' in PRAGMA application_id marks a sotto client database.
constexpr std::int32_t client_application_id = 0x736f7443;
constexpr std::size_t lookup_key_size = 32;

// Context labels: a blob sealed for one field cannot be moved into another.
constexpr std::string_view ctx_check = "sotto-client/lookup-key";
constexpr std::string_view ctx_identity = "sotto-client/identity";
constexpr std::string_view ctx_contact_name = "sotto-client/contact-name";
constexpr std::string_view ctx_contact_key = "sotto-client/contact-key";
constexpr std::string_view ctx_contact_changed_key = "sotto-client/contact-changed-key";
constexpr std::string_view ctx_handshake = "sotto-client/handshake";
constexpr std::string_view ctx_ratchet = "sotto-client/ratchet";
constexpr std::string_view ctx_body = "sotto-client/message-body";
constexpr std::string_view ctx_outbox = "sotto-client/outbox-content";
constexpr std::string_view ctx_group_state = "sotto-client/group-state";
constexpr std::string_view ctx_group_sender = "sotto-client/group-sender-chain";
constexpr std::string_view ctx_group_chain = "sotto-client/group-receiver-chain";
constexpr std::string_view ctx_group_member = "sotto-client/group-member";
constexpr std::string_view ctx_group_recipients = "sotto-client/group-recipients";

constexpr std::array<sqlite::migration, 3> client_migrations{{
    {"initial client schema", R"sql(
CREATE TABLE header (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    kdf_opslimit INTEGER NOT NULL,
    kdf_memlimit INTEGER NOT NULL,
    kdf_salt BLOB NOT NULL,
    check_value BLOB NOT NULL,      -- the sealed lookup key: opens only with the right key
    identity BLOB NOT NULL,         -- sealed Ed25519 secret key
    username TEXT NOT NULL,
    relay_address TEXT NOT NULL,
    relay_fingerprint TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    name_hash BLOB NOT NULL UNIQUE, -- HMAC-SHA-256(lookup key, name)
    name BLOB NOT NULL,             -- sealed
    pinned_key BLOB,                -- sealed
    changed_key BLOB,               -- sealed
    verified INTEGER NOT NULL DEFAULT 0,
    key_state INTEGER NOT NULL DEFAULT 0,
    request_state INTEGER NOT NULL DEFAULT 0,
    unread INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE TABLE sessions (
    contact_id INTEGER PRIMARY KEY REFERENCES contacts(id),
    handshake BLOB,                 -- sealed
    ratchet BLOB                    -- sealed
);
CREATE TABLE messages (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id INTEGER NOT NULL REFERENCES contacts(id),
    id BLOB NOT NULL,
    direction INTEGER NOT NULL,
    body BLOB NOT NULL,             -- sealed
    sent_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    status INTEGER NOT NULL,
    UNIQUE (contact_id, direction, id)
);
CREATE INDEX messages_by_contact ON messages(contact_id, sequence);
CREATE TABLE outbox (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id INTEGER NOT NULL REFERENCES contacts(id),
    id BLOB NOT NULL UNIQUE,
    content BLOB NOT NULL,          -- sealed Content, until encrypted
    ciphertext BLOB                 -- the ratchet message, until the relay acknowledges it
);
CREATE TABLE seen (
    contact_id INTEGER NOT NULL,
    id BLOB NOT NULL,
    PRIMARY KEY (contact_id, id)
) WITHOUT ROWID;
CREATE TABLE pending_inbound (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id INTEGER NOT NULL REFERENCES contacts(id),
    id BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    UNIQUE (contact_id, id)
);
)sql"},
    // History pages start before a message id; without this index that lookup scanned every
    // message of the conversation (22 ms at 100,000 messages).
    {"index messages by id for history paging",
     "CREATE INDEX messages_by_id ON messages(contact_id, id);"},
    {"groups: state, sender chains, group history, outbox and pending messages", R"sql(
CREATE TABLE groups (
    id INTEGER PRIMARY KEY,
    group_id BLOB NOT NULL UNIQUE,  -- 16 bytes, public (in every group message header)
    state BLOB NOT NULL,            -- sealed crypto::group_state
    sender BLOB,                    -- sealed sender_key_sender; NULL when not a member
    created_at INTEGER NOT NULL
);
CREATE TABLE group_chains (
    group_id BLOB NOT NULL,         -- not a reference: a chain may come before the group
    contact_id INTEGER NOT NULL REFERENCES contacts(id),
    chain_id INTEGER NOT NULL,
    state BLOB NOT NULL,            -- sealed sender_key_receiver
    added INTEGER NOT NULL,
    PRIMARY KEY (group_id, contact_id, chain_id)
);
CREATE TABLE group_messages (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    group_ref INTEGER NOT NULL REFERENCES groups(id),
    id BLOB NOT NULL,
    sender_hash BLOB NOT NULL,      -- keyed hash of the sender's name
    sender BLOB NOT NULL,           -- sealed name
    kind INTEGER NOT NULL,          -- 0 text, 1 membership event
    direction INTEGER NOT NULL,
    body BLOB NOT NULL,             -- sealed
    sent_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    status INTEGER NOT NULL,
    UNIQUE (group_ref, sender_hash, id)
);
CREATE INDEX group_messages_by_group ON group_messages(group_ref, sequence);
CREATE INDEX group_messages_by_id ON group_messages(group_ref, id);
CREATE TABLE group_outbox (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    group_ref INTEGER NOT NULL REFERENCES groups(id),
    id BLOB NOT NULL UNIQUE,
    recipients BLOB NOT NULL,       -- sealed, newline-separated usernames
    ciphertext BLOB NOT NULL        -- the Envelope, until the relay stored it for everyone
);
CREATE TABLE group_pending (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id BLOB NOT NULL,
    sender_hash BLOB NOT NULL,
    id BLOB NOT NULL,
    ciphertext BLOB NOT NULL,       -- a sender-key message: ciphertext already
    UNIQUE (sender_hash, id)
);
CREATE INDEX group_pending_by_sender ON group_pending(group_id, sender_hash);
)sql"},
}};

unix_millis now_millis() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

const void* data_of(crypto::bytes_view bytes) {
    return bytes.data();
}
int size_of(crypto::bytes_view bytes) {
    return static_cast<int>(bytes.size());
}

std::vector<std::uint8_t> blob_of(const SQLite::Column& column) {
    const auto* data = static_cast<const std::uint8_t*>(column.getBlob());
    const auto size = static_cast<std::size_t>(column.getBytes());
    return {data, data + size};
}

message_id id_of(const SQLite::Column& column) {
    message_id id{};
    const auto bytes = blob_of(column);
    if (bytes.size() == id.size()) {
        std::copy(bytes.begin(), bytes.end(), id.begin());
    }
    return id;
}

} // namespace

struct client_store::impl {
    SQLite::Database database;
    std::optional<std::filesystem::path> file; // nullopt: in memory
    std::optional<crypto::sealing_key> key;
    crypto::secret_buffer lookup_key;
    crypto::system_random random;
    std::optional<wal_watch> wal; // after database: gone before it closes

    explicit impl(SQLite::Database db) : database(std::move(db)) {}

    void require_unlocked() const {
        if (!key) {
            throw std::logic_error("client_store used before unlock");
        }
    }

    std::vector<std::uint8_t> seal(crypto::bytes_view plaintext, std::string_view context) {
        require_unlocked();
        return crypto::seal(*key, plaintext, context, random);
    }
    std::vector<std::uint8_t> seal(std::string_view text, std::string_view context) {
        return seal(
            crypto::bytes_view(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()),
            context);
    }
    crypto::secret_buffer open(const SQLite::Column& column, std::string_view context) {
        require_unlocked();
        const auto blob = blob_of(column);
        auto opened = crypto::open_sealed(*key, blob, context);
        if (auto* error = std::get_if<crypto::seal_error>(&opened)) {
            throw store_error(fmt::format("a sealed {} in the client database does not open: {}",
                                          context, crypto::to_string(*error)));
        }
        return std::move(std::get<crypto::secret_buffer>(opened));
    }
    // The rows of a query selecting id, direction, body, sent_at, received_at, status.
    std::vector<stored_message> read_messages(SQLite::Statement& query, contact_id contact) {
        std::vector<stored_message> out;
        while (query.executeStep()) {
            stored_message message;
            message.contact = contact;
            message.id = id_of(query.getColumn(0));
            message.way = static_cast<direction>(query.getColumn(1).getInt());
            message.text = open_text(query.getColumn(2), ctx_body);
            message.sent_at = query.getColumn(3).getInt64();
            message.received_at = query.getColumn(4).getInt64();
            message.status = static_cast<message_status>(query.getColumn(5).getInt());
            out.push_back(std::move(message));
        }
        return out;
    }

    std::string open_text(const SQLite::Column& column, std::string_view context) {
        const auto opened = open(column, context);
        return {reinterpret_cast<const char*>(opened.data()), opened.size()};
    }
    std::optional<crypto::identity_public_key> open_key(const SQLite::Column& column,
                                                        std::string_view context) {
        if (column.isNull()) {
            return std::nullopt;
        }
        const auto opened = open(column, context);
        crypto::identity_public_key out;
        if (!crypto::identity_public_key::from(opened.view(), out)) {
            throw store_error("a sealed contact key has the wrong size");
        }
        return out;
    }

    std::array<std::uint8_t, 32> name_hash(std::string_view name) const {
        require_unlocked();
        std::array<std::uint8_t, 32> out{};
        const std::string input = "contact-name:" + std::string(name);
        crypto::hmac_sha256(
            lookup_key.view(),
            crypto::bytes_view(reinterpret_cast<const std::uint8_t*>(input.data()), input.size()),
            out);
        return out;
    }

    std::array<std::uint8_t, 32> member_hash(std::string_view name) const {
        return name_hash(name);
    }

    contact read_contact(SQLite::Statement& row) {
        contact out;
        out.id = row.getColumn(0).getInt64();
        out.name = open_text(row.getColumn(1), ctx_contact_name);
        out.pinned_key = open_key(row.getColumn(2), ctx_contact_key);
        out.changed_key = open_key(row.getColumn(3), ctx_contact_changed_key);
        out.verified = row.getColumn(4).getInt() != 0;
        out.keys = static_cast<key_state>(row.getColumn(5).getInt());
        out.request = static_cast<request_state>(row.getColumn(6).getInt());
        out.unread = static_cast<std::uint32_t>(row.getColumn(7).getInt64());
        return out;
    }
};

namespace {
constexpr const char* contact_columns =
    "id, name, pinned_key, changed_key, verified, key_state, request_state, unread";

template <typename Function>
decltype(auto) guarded(Function&& function) {
    try {
        return function();
    } catch (const SQLite::Exception& error) {
        throw store_error(fmt::format("client database: {}", error.what()));
    }
}
} // namespace

client_store::client_store(std::unique_ptr<impl> implementation)
    : impl_(std::move(implementation)) {}
client_store::~client_store() = default;

std::unique_ptr<client_store> client_store::open(const std::filesystem::path& directory) {
    sqlite::ensure_private_directory(directory);
    auto database = sqlite::open_private_database(
        directory / "sotto.db",
        {.application_id = client_application_id, .what = "client database"});
    sqlite::migrate(database, client_migrations,
                    fmt::format("client database {}", (directory / "sotto.db").string()));
    auto opened = std::make_unique<impl>(std::move(database));
    opened->file = directory / "sotto.db";
    return std::unique_ptr<client_store>(new client_store(std::move(opened)));
}

std::unique_ptr<client_store> client_store::open_in_memory() {
    return guarded([] {
        SQLite::Database database(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        database.exec("PRAGMA foreign_keys=ON");
        sqlite::migrate(database, client_migrations, "client database (memory)");
        return std::unique_ptr<client_store>(
            new client_store(std::make_unique<impl>(std::move(database))));
    });
}

std::unique_ptr<client_store> client_store::open_another() {
    impl_->require_unlocked();
    if (!impl_->file) {
        return nullptr;
    }
    auto other = open(impl_->file->parent_path());
    if (other->unlock(impl_->key->clone()) != unlock_result::unlocked) {
        throw store_error("the client database changed its key while it was open");
    }
    return other;
}

std::optional<std::filesystem::path> client_store::file() const {
    return impl_->file;
}

std::uint64_t client_store::write_mark() const {
    return static_cast<std::uint64_t>(sqlite3_total_changes64(impl_->database.getHandle()));
}

const wal_watch& client_store::defer_durability() {
    return guarded([&]() -> const wal_watch& {
        impl_->database.exec("PRAGMA synchronous=NORMAL");
        // Above what the WAL holds at most in steady use (store::wal_watch's limit): it keeps
        // its size, and shrinks back only after a burst.
        impl_->database.exec(
            fmt::format("PRAGMA journal_size_limit={}", 2 * wal_watch::default_limit));
        if (!impl_->wal) {
            impl_->wal.emplace(impl_->database.getHandle()); // replaces the automatic checkpoint
        }
        return *impl_->wal;
    });
}

std::optional<crypto::seal_header> client_store::kdf_header() {
    return guarded([&]() -> std::optional<crypto::seal_header> {
        SQLite::Statement query(impl_->database,
                                "SELECT kdf_opslimit, kdf_memlimit, kdf_salt FROM header");
        if (!query.executeStep()) {
            return std::nullopt;
        }
        crypto::seal_header header;
        header.params.opslimit = static_cast<std::uint32_t>(query.getColumn(0).getInt64());
        header.params.memlimit = static_cast<std::uint64_t>(query.getColumn(1).getInt64());
        if (!crypto::seal_salt::from(blob_of(query.getColumn(2)), header.salt)) {
            throw store_error("the client database header has a malformed salt");
        }
        return header;
    });
}

unlock_result client_store::unlock(crypto::sealing_key key) {
    return guarded([&] {
        SQLite::Statement query(impl_->database, "SELECT check_value FROM header");
        if (!query.executeStep()) {
            return unlock_result::no_profile;
        }
        auto opened = crypto::open_sealed(key, blob_of(query.getColumn(0)), ctx_check);
        if (!std::holds_alternative<crypto::secret_buffer>(opened)) {
            return unlock_result::wrong_passphrase;
        }
        impl_->lookup_key = std::move(std::get<crypto::secret_buffer>(opened));
        impl_->key.emplace(std::move(key));
        return unlock_result::unlocked;
    });
}

void client_store::create_profile(crypto::sealing_key key, const profile_info& profile,
                                  const crypto::identity_key_pair& identity,
                                  crypto::random_source& random) {
    guarded([&] {
        if (kdf_header()) {
            throw store_error("this profile exists already");
        }
        crypto::secret_buffer lookup(lookup_key_size);
        random.fill(lookup.mutable_view());
        const auto check = crypto::seal(key, lookup.view(), ctx_check, random);
        const auto sealed_identity =
            crypto::seal(key, identity.secret_key().view(), ctx_identity, random);
        SQLite::Statement insert(
            impl_->database,
            "INSERT INTO header (id, kdf_opslimit, kdf_memlimit, kdf_salt, check_value, "
            "identity, username, relay_address, relay_fingerprint, created_at) "
            "VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        insert.bind(1, static_cast<std::int64_t>(key.params().opslimit));
        insert.bind(2, static_cast<std::int64_t>(key.params().memlimit));
        insert.bind(3, data_of(key.salt().view()), size_of(key.salt().view()));
        insert.bind(4, data_of(check), size_of(check));
        insert.bind(5, data_of(sealed_identity), size_of(sealed_identity));
        insert.bind(6, profile.username);
        insert.bind(7, profile.relay_address);
        insert.bind(8, profile.relay_fingerprint);
        insert.bind(9, now_millis());
        insert.exec();
        impl_->lookup_key = std::move(lookup);
        impl_->key.emplace(std::move(key));
    });
}

bool client_store::unlocked() const noexcept {
    return impl_->key.has_value();
}

profile_info client_store::profile() {
    impl_->require_unlocked();
    return guarded([&] {
        SQLite::Statement query(impl_->database,
                                "SELECT username, relay_address, relay_fingerprint FROM header");
        if (!query.executeStep()) {
            throw store_error("the client database has no profile");
        }
        return profile_info{query.getColumn(0).getString(), query.getColumn(1).getString(),
                            query.getColumn(2).getString()};
    });
}

void client_store::set_relay_fingerprint(const std::string& fingerprint) {
    impl_->require_unlocked();
    guarded([&] {
        SQLite::Statement update(impl_->database, "UPDATE header SET relay_fingerprint = ?");
        update.bind(1, fingerprint);
        update.exec();
    });
}

crypto::identity_key_pair client_store::identity() {
    impl_->require_unlocked();
    return guarded([&] {
        SQLite::Statement query(impl_->database, "SELECT identity FROM header");
        if (!query.executeStep()) {
            throw store_error("the client database has no profile");
        }
        const auto opened = impl_->open(query.getColumn(0), ctx_identity);
        crypto::identity_secret_key secret;
        if (opened.size() != secret.size()) {
            throw store_error("the sealed identity key has the wrong size");
        }
        std::copy(opened.view().begin(), opened.view().end(), secret.data());
        auto pair = crypto::identity_key_pair::from_secret(std::move(secret));
        if (!pair) {
            throw store_error("the sealed identity key is corrupted");
        }
        return std::move(*pair);
    });
}

std::optional<contact> client_store::find_contact(const std::string& name) {
    impl_->require_unlocked();
    return guarded([&]() -> std::optional<contact> {
        SQLite::Statement query(
            impl_->database,
            fmt::format("SELECT {} FROM contacts WHERE name_hash = ?", contact_columns));
        const auto hash = impl_->name_hash(name);
        query.bind(1, hash.data(), static_cast<int>(hash.size()));
        if (!query.executeStep()) {
            return std::nullopt;
        }
        return impl_->read_contact(query);
    });
}

std::optional<contact> client_store::get_contact(contact_id id) {
    impl_->require_unlocked();
    return guarded([&]() -> std::optional<contact> {
        SQLite::Statement query(
            impl_->database, fmt::format("SELECT {} FROM contacts WHERE id = ?", contact_columns));
        query.bind(1, id);
        if (!query.executeStep()) {
            return std::nullopt;
        }
        return impl_->read_contact(query);
    });
}

contact client_store::ensure_contact(const std::string& name, request_state request) {
    if (auto found = find_contact(name)) {
        return *found;
    }
    return guarded([&] {
        const auto hash = impl_->name_hash(name);
        const auto sealed_name = impl_->seal(std::string_view(name), ctx_contact_name);
        SQLite::Statement insert(impl_->database, "INSERT INTO contacts (name_hash, name, "
                                                  "request_state, created_at) VALUES (?, ?, ?, ?)");
        insert.bind(1, hash.data(), static_cast<int>(hash.size()));
        insert.bind(2, data_of(sealed_name), size_of(sealed_name));
        insert.bind(3, static_cast<int>(request));
        insert.bind(4, now_millis());
        insert.exec();
        contact out;
        out.id = impl_->database.getLastInsertRowid();
        out.name = name;
        out.request = request;
        return out;
    });
}

std::vector<contact> client_store::contacts() {
    impl_->require_unlocked();
    return guarded([&] {
        std::vector<contact> out;
        SQLite::Statement query(
            impl_->database, fmt::format("SELECT {} FROM contacts ORDER BY id", contact_columns));
        while (query.executeStep()) {
            out.push_back(impl_->read_contact(query));
        }
        return out;
    });
}

void client_store::set_pinned_key(contact_id id, const crypto::identity_public_key& key) {
    guarded([&] {
        const auto sealed = impl_->seal(key.view(), ctx_contact_key);
        SQLite::Statement update(impl_->database,
                                 "UPDATE contacts SET pinned_key = ? WHERE id = ?");
        update.bind(1, data_of(sealed), size_of(sealed));
        update.bind(2, id);
        update.exec();
    });
}

void client_store::set_key_changed(contact_id id, const crypto::identity_public_key& new_key) {
    guarded([&] {
        const auto sealed = impl_->seal(new_key.view(), ctx_contact_changed_key);
        SQLite::Statement update(impl_->database,
                                 "UPDATE contacts SET changed_key = ?, key_state = 1 WHERE id = ?");
        update.bind(1, data_of(sealed), size_of(sealed));
        update.bind(2, id);
        update.exec();
    });
}

void client_store::accept_changed_key(contact_id id) {
    guarded([&] {
        const auto found = get_contact(id);
        if (!found || !found->changed_key) {
            return;
        }
        const auto sealed = impl_->seal(found->changed_key->view(), ctx_contact_key);
        SQLite::Statement update(
            impl_->database,
            "UPDATE contacts SET pinned_key = ?, changed_key = NULL, key_state = 0, "
            "verified = 0 WHERE id = ?");
        update.bind(1, data_of(sealed), size_of(sealed));
        update.bind(2, id);
        update.exec();
    });
}

namespace {
void update_column(SQLite::Database& database, const char* column, std::int64_t value,
                   contact_id id) {
    SQLite::Statement update(database,
                             fmt::format("UPDATE contacts SET {} = ? WHERE id = ?", column));
    update.bind(1, value);
    update.bind(2, id);
    update.exec();
}
} // namespace

void client_store::set_verified(contact_id id, bool verified) {
    impl_->require_unlocked();
    guarded([&] { update_column(impl_->database, "verified", verified ? 1 : 0, id); });
}

void client_store::set_request_state(contact_id id, request_state state) {
    impl_->require_unlocked();
    guarded([&] { update_column(impl_->database, "request_state", static_cast<int>(state), id); });
}

void client_store::set_unread(contact_id id, std::uint32_t unread) {
    impl_->require_unlocked();
    guarded([&] { update_column(impl_->database, "unread", unread, id); });
}

session_record client_store::session(contact_id id) {
    impl_->require_unlocked();
    return guarded([&] {
        session_record out;
        SQLite::Statement query(impl_->database,
                                "SELECT handshake, ratchet FROM sessions WHERE contact_id = ?");
        query.bind(1, id);
        if (query.executeStep()) {
            if (!query.getColumn(0).isNull()) {
                out.handshake = impl_->open(query.getColumn(0), ctx_handshake);
            }
            if (!query.getColumn(1).isNull()) {
                out.ratchet = impl_->open(query.getColumn(1), ctx_ratchet);
            }
        }
        return out;
    });
}

namespace {
void write_session(client_store::impl& store, contact_id id, crypto::bytes_view handshake,
                   const std::optional<crypto::bytes_view>& ratchet) {
    const auto sealed_handshake = store.seal(handshake, ctx_handshake);
    SQLite::Statement upsert(
        store.database, "INSERT INTO sessions (contact_id, handshake) VALUES (?, ?) "
                        "ON CONFLICT(contact_id) DO UPDATE SET handshake = excluded.handshake");
    upsert.bind(1, id);
    upsert.bind(2, data_of(sealed_handshake), size_of(sealed_handshake));
    upsert.exec();
    if (ratchet) {
        SQLite::Statement update(store.database,
                                 "UPDATE sessions SET ratchet = ? WHERE contact_id = ?");
        if (ratchet->empty()) {
            update.bind(1);
        } else {
            const auto sealed = store.seal(*ratchet, ctx_ratchet);
            update.bind(1, data_of(sealed), size_of(sealed));
        }
        update.bind(2, id);
        update.exec();
    }
}

void write_ratchet(client_store::impl& store, contact_id id, crypto::bytes_view ratchet) {
    const auto sealed = store.seal(ratchet, ctx_ratchet);
    SQLite::Statement update(store.database,
                             "UPDATE sessions SET ratchet = ? WHERE contact_id = ?");
    update.bind(1, data_of(sealed), size_of(sealed));
    update.bind(2, id);
    if (update.exec() != 1) {
        throw store_error("no session to write a ratchet state to");
    }
}
} // namespace

void client_store::save_session(contact_id id, crypto::bytes_view handshake,
                                const std::optional<crypto::bytes_view>& ratchet) {
    guarded([&] {
        SQLite::Transaction transaction(impl_->database);
        write_session(*impl_, id, handshake, ratchet);
        transaction.commit();
    });
}

void client_store::delete_session(contact_id id) {
    impl_->require_unlocked();
    guarded([&] {
        SQLite::Statement remove(impl_->database, "DELETE FROM sessions WHERE contact_id = ?");
        remove.bind(1, id);
        remove.exec();
    });
}

void client_store::queue_outgoing(contact_id contact, const message_id& id, const std::string& text,
                                  unix_millis sent_at, crypto::bytes_view content) {
    guarded([&] {
        const auto body = impl_->seal(std::string_view(text), ctx_body);
        const auto sealed_content = impl_->seal(content, ctx_outbox);
        SQLite::Transaction transaction(impl_->database);
        SQLite::Statement message(
            impl_->database,
            "INSERT INTO messages (contact_id, id, direction, body, sent_at, received_at, "
            "status) VALUES (?, ?, 1, ?, ?, ?, 0)");
        message.bind(1, contact);
        message.bind(2, id.data(), static_cast<int>(id.size()));
        message.bind(3, data_of(body), size_of(body));
        message.bind(4, sent_at);
        message.bind(5, sent_at);
        message.exec();
        SQLite::Statement outbox(impl_->database,
                                 "INSERT INTO outbox (contact_id, id, content) VALUES (?, ?, ?)");
        outbox.bind(1, contact);
        outbox.bind(2, id.data(), static_cast<int>(id.size()));
        outbox.bind(3, data_of(sealed_content), size_of(sealed_content));
        outbox.exec();
        transaction.commit();
    });
}

void client_store::queue_control(contact_id contact, const message_id& id,
                                 crypto::bytes_view content) {
    guarded([&] {
        const auto sealed_content = impl_->seal(content, ctx_outbox);
        SQLite::Statement outbox(impl_->database,
                                 "INSERT INTO outbox (contact_id, id, content) VALUES (?, ?, ?)");
        outbox.bind(1, contact);
        outbox.bind(2, id.data(), static_cast<int>(id.size()));
        outbox.bind(3, data_of(sealed_content), size_of(sealed_content));
        outbox.exec();
    });
}

std::vector<outbox_entry> client_store::outbox(std::optional<contact_id> contact) {
    impl_->require_unlocked();
    return guarded([&] {
        std::vector<outbox_entry> out;
        SQLite::Statement query(
            impl_->database,
            contact ? "SELECT sequence, contact_id, id, content, ciphertext FROM outbox "
                      "WHERE contact_id = ? ORDER BY sequence"
                    : "SELECT sequence, contact_id, id, content, ciphertext FROM outbox "
                      "ORDER BY sequence");
        if (contact) {
            query.bind(1, *contact);
        }
        while (query.executeStep()) {
            outbox_entry entry;
            entry.sequence = query.getColumn(0).getInt64();
            entry.contact = query.getColumn(1).getInt64();
            entry.id = id_of(query.getColumn(2));
            entry.content = impl_->open(query.getColumn(3), ctx_outbox);
            if (!query.getColumn(4).isNull()) {
                entry.ciphertext = blob_of(query.getColumn(4));
            }
            out.push_back(std::move(entry));
        }
        return out;
    });
}

void client_store::commit_encrypted(std::int64_t sequence, crypto::bytes_view ciphertext,
                                    contact_id contact, crypto::bytes_view ratchet) {
    guarded([&] {
        SQLite::Transaction transaction(impl_->database);
        SQLite::Statement update(impl_->database,
                                 "UPDATE outbox SET ciphertext = ? WHERE sequence = ?");
        update.bind(1, data_of(ciphertext), size_of(ciphertext));
        update.bind(2, sequence);
        update.exec();
        write_ratchet(*impl_, contact, ratchet);
        transaction.commit();
    });
}

void client_store::outbox_acknowledged(const message_id& id) {
    impl_->require_unlocked();
    guarded([&] {
        SQLite::Transaction transaction(impl_->database);
        SQLite::Statement find(impl_->database, "SELECT contact_id FROM outbox WHERE id = ?");
        find.bind(1, id.data(), static_cast<int>(id.size()));
        if (!find.executeStep()) {
            return;
        }
        const auto contact = find.getColumn(0).getInt64();
        find.reset();
        SQLite::Statement remove(impl_->database, "DELETE FROM outbox WHERE id = ?");
        remove.bind(1, id.data(), static_cast<int>(id.size()));
        remove.exec();
        SQLite::Statement status(
            impl_->database,
            "UPDATE messages SET status = 1 WHERE contact_id = ? AND direction = 1 AND id = ? "
            "AND status < 1");
        status.bind(1, contact);
        status.bind(2, id.data(), static_cast<int>(id.size()));
        status.exec();
        transaction.commit();
    });
}

bool client_store::advance_status(contact_id contact, const message_id& id, message_status status) {
    impl_->require_unlocked();
    return guarded([&] {
        SQLite::Statement update(
            impl_->database,
            "UPDATE messages SET status = ? WHERE contact_id = ? AND direction = 1 AND id = ? "
            "AND status < ?");
        update.bind(1, static_cast<int>(status));
        update.bind(2, contact);
        update.bind(3, id.data(), static_cast<int>(id.size()));
        update.bind(4, static_cast<int>(status));
        return update.exec() == 1;
    });
}

std::vector<message_id> client_store::mark_incoming_read(contact_id contact) {
    impl_->require_unlocked();
    return guarded([&] {
        std::vector<message_id> ids;
        SQLite::Transaction transaction(impl_->database);
        SQLite::Statement query(
            impl_->database, "SELECT id FROM messages WHERE contact_id = ? AND direction = 0 AND "
                             "status < 3 ORDER BY sequence");
        query.bind(1, contact);
        while (query.executeStep()) {
            ids.push_back(id_of(query.getColumn(0)));
        }
        SQLite::Statement update(
            impl_->database,
            "UPDATE messages SET status = 3 WHERE contact_id = ? AND direction = 0 "
            "AND status < 3");
        update.bind(1, contact);
        update.exec();
        transaction.commit();
        return ids;
    });
}

void client_store::drop_encrypted_outbox(contact_id contact) {
    impl_->require_unlocked();
    guarded([&] {
        // The content stays: it is encrypted again under the next session.
        SQLite::Statement update(impl_->database,
                                 "UPDATE outbox SET ciphertext = NULL WHERE contact_id = ?");
        update.bind(1, contact);
        update.exec();
    });
}

bool client_store::commit_received(contact_id contact, const message_id& id,
                                   const std::optional<std::string>& text, unix_millis sent_at,
                                   unix_millis received_at, crypto::bytes_view ratchet) {
    return guarded([&] {
        std::vector<std::uint8_t> body;
        if (text) {
            body = impl_->seal(std::string_view(*text), ctx_body);
        }
        SQLite::Transaction transaction(impl_->database);
        SQLite::Statement mark(impl_->database,
                               "INSERT OR IGNORE INTO seen (contact_id, id) VALUES (?, ?)");
        mark.bind(1, contact);
        mark.bind(2, id.data(), static_cast<int>(id.size()));
        if (mark.exec() == 0) {
            return false;
        }
        if (text) {
            SQLite::Statement message(
                impl_->database, "INSERT INTO messages (contact_id, id, direction, body, sent_at, "
                                 "received_at, status) VALUES (?, ?, 0, ?, ?, ?, 2)");
            message.bind(1, contact);
            message.bind(2, id.data(), static_cast<int>(id.size()));
            message.bind(3, data_of(body), size_of(body));
            message.bind(4, sent_at);
            message.bind(5, received_at);
            message.exec();
        }
        write_ratchet(*impl_, contact, ratchet);
        transaction.commit();
        return true;
    });
}

bool client_store::seen(contact_id contact, const message_id& id) {
    impl_->require_unlocked();
    return guarded([&] {
        SQLite::Statement query(impl_->database,
                                "SELECT 1 FROM seen WHERE contact_id = ? AND id = ?");
        query.bind(1, contact);
        query.bind(2, id.data(), static_cast<int>(id.size()));
        return query.executeStep();
    });
}

void client_store::add_pending_inbound(contact_id contact, const message_id& id,
                                       crypto::bytes_view ciphertext, std::size_t max_per_contact) {
    impl_->require_unlocked();
    guarded([&] {
        SQLite::Statement count(impl_->database,
                                "SELECT count(*) FROM pending_inbound WHERE contact_id = ?");
        count.bind(1, contact);
        count.executeStep();
        if (static_cast<std::size_t>(count.getColumn(0).getInt64()) >= max_per_contact) {
            return;
        }
        SQLite::Statement insert(
            impl_->database,
            "INSERT OR IGNORE INTO pending_inbound (contact_id, id, ciphertext) VALUES (?, ?, ?)");
        insert.bind(1, contact);
        insert.bind(2, id.data(), static_cast<int>(id.size()));
        insert.bind(3, data_of(ciphertext), size_of(ciphertext));
        insert.exec();
    });
}

std::vector<pending_inbound> client_store::pending_inbound_for(contact_id contact) {
    impl_->require_unlocked();
    return guarded([&] {
        std::vector<pending_inbound> out;
        SQLite::Statement query(
            impl_->database,
            "SELECT sequence, id, ciphertext FROM pending_inbound WHERE contact_id = ? "
            "ORDER BY sequence");
        query.bind(1, contact);
        while (query.executeStep()) {
            out.push_back({query.getColumn(0).getInt64(), contact, id_of(query.getColumn(1)),
                           blob_of(query.getColumn(2))});
        }
        return out;
    });
}

void client_store::remove_pending_inbound(std::int64_t sequence) {
    impl_->require_unlocked();
    guarded([&] {
        SQLite::Statement remove(impl_->database, "DELETE FROM pending_inbound WHERE sequence = ?");
        remove.bind(1, sequence);
        remove.exec();
    });
}

namespace {

// The sequence of message `id` in a conversation (its first copy), or `otherwise`.
std::int64_t sequence_of(SQLite::Database& database, contact_id contact,
                         const std::optional<message_id>& id, std::int64_t otherwise) {
    if (!id) {
        return otherwise;
    }
    SQLite::Statement find(database,
                           "SELECT min(sequence) FROM messages WHERE contact_id = ? AND id = ?");
    find.bind(1, contact);
    find.bind(2, id->data(), static_cast<int>(id->size()));
    if (find.executeStep() && !find.getColumn(0).isNull()) {
        return find.getColumn(0).getInt64();
    }
    return otherwise;
}

} // namespace

std::vector<stored_message> client_store::history(contact_id contact,
                                                  const std::optional<message_id>& before,
                                                  std::size_t limit) {
    impl_->require_unlocked();
    return guarded([&] {
        SQLite::Statement query(
            impl_->database,
            "SELECT id, direction, body, sent_at, received_at, status FROM messages "
            "WHERE contact_id = ? AND sequence < ? ORDER BY sequence DESC LIMIT ?");
        query.bind(1, contact);
        query.bind(2, sequence_of(impl_->database, contact, before, INT64_MAX));
        query.bind(3, static_cast<std::int64_t>(limit));
        auto out = impl_->read_messages(query, contact);
        std::reverse(out.begin(), out.end());
        return out;
    });
}

std::vector<stored_message> client_store::history_after(contact_id contact,
                                                        const std::optional<message_id>& after,
                                                        std::size_t limit) {
    impl_->require_unlocked();
    return guarded([&] {
        SQLite::Statement query(
            impl_->database,
            "SELECT id, direction, body, sent_at, received_at, status FROM messages "
            "WHERE contact_id = ? AND sequence > ? ORDER BY sequence ASC LIMIT ?");
        query.bind(1, contact);
        query.bind(2, sequence_of(impl_->database, contact, after, -1));
        query.bind(3, static_cast<std::int64_t>(limit));
        return impl_->read_messages(query, contact);
    });
}

void client_store::delete_messages(contact_id contact) {
    impl_->require_unlocked();
    guarded([&] {
        SQLite::Statement remove(impl_->database, "DELETE FROM messages WHERE contact_id = ?");
        remove.bind(1, contact);
        remove.exec();
    });
}

// ---- groups ------------------------------------------------------------------------------

namespace {

group_key group_key_of(const SQLite::Column& column) {
    group_key id{};
    const auto bytes = blob_of(column);
    if (bytes.size() == id.size()) {
        std::copy(bytes.begin(), bytes.end(), id.begin());
    }
    return id;
}

constexpr const char* group_columns = "id, group_id, state, sender";

group_record read_group(client_store::impl& store, SQLite::Statement& row) {
    group_record out;
    out.ref = row.getColumn(0).getInt64();
    out.id = group_key_of(row.getColumn(1));
    out.state = store.open(row.getColumn(2), ctx_group_state);
    if (!row.getColumn(3).isNull()) {
        out.sender = store.open(row.getColumn(3), ctx_group_sender);
    }
    return out;
}

// False when (group, sender, id) exists already and `ignore_duplicate` is set.
bool insert_group_entry(client_store::impl& store, group_ref group, const group_entry& entry,
                        bool ignore_duplicate) {
    const auto hash = store.member_hash(entry.sender);
    const auto sender = store.seal(std::string_view(entry.sender), ctx_group_member);
    const auto body = store.seal(std::string_view(entry.text), ctx_body);
    SQLite::Statement insert(
        store.database,
        fmt::format("INSERT {} INTO group_messages (group_ref, id, sender_hash, sender, kind, "
                    "direction, body, sent_at, received_at, status) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    ignore_duplicate ? "OR IGNORE" : ""));
    insert.bind(1, group);
    insert.bind(2, entry.id.data(), static_cast<int>(entry.id.size()));
    insert.bind(3, hash.data(), static_cast<int>(hash.size()));
    insert.bind(4, data_of(sender), size_of(sender));
    insert.bind(5, static_cast<int>(entry.kind));
    insert.bind(6, static_cast<int>(entry.way));
    insert.bind(7, data_of(body), size_of(body));
    insert.bind(8, entry.sent_at);
    insert.bind(9, entry.received_at);
    insert.bind(10, static_cast<int>(entry.status));
    return insert.exec() == 1;
}

} // namespace

std::optional<group_record> client_store::find_group(const group_key& id) {
    impl_->require_unlocked();
    return guarded([&]() -> std::optional<group_record> {
        SQLite::Statement query(
            impl_->database,
            fmt::format("SELECT {} FROM groups WHERE group_id = ?", group_columns));
        query.bind(1, id.data(), static_cast<int>(id.size()));
        if (!query.executeStep()) {
            return std::nullopt;
        }
        return read_group(*impl_, query);
    });
}

std::optional<group_record> client_store::get_group(group_ref ref) {
    impl_->require_unlocked();
    return guarded([&]() -> std::optional<group_record> {
        SQLite::Statement query(impl_->database,
                                fmt::format("SELECT {} FROM groups WHERE id = ?", group_columns));
        query.bind(1, ref);
        if (!query.executeStep()) {
            return std::nullopt;
        }
        return read_group(*impl_, query);
    });
}

std::vector<group_record> client_store::groups() {
    impl_->require_unlocked();
    return guarded([&] {
        std::vector<group_record> out;
        SQLite::Statement query(impl_->database,
                                fmt::format("SELECT {} FROM groups ORDER BY id", group_columns));
        while (query.executeStep()) {
            out.push_back(read_group(*impl_, query));
        }
        return out;
    });
}

group_ref client_store::save_group(const group_key& id, crypto::bytes_view state,
                                   const std::optional<crypto::bytes_view>& sender,
                                   const std::optional<group_entry>& entry) {
    impl_->require_unlocked();
    return guarded([&] {
        const auto sealed_state = impl_->seal(state, ctx_group_state);
        SQLite::Transaction transaction(impl_->database);
        SQLite::Statement upsert(
            impl_->database, "INSERT INTO groups (group_id, state, created_at) VALUES (?, ?, ?) "
                             "ON CONFLICT(group_id) DO UPDATE SET state = excluded.state");
        upsert.bind(1, id.data(), static_cast<int>(id.size()));
        upsert.bind(2, data_of(sealed_state), size_of(sealed_state));
        upsert.bind(3, now_millis());
        upsert.exec();
        SQLite::Statement find(impl_->database, "SELECT id FROM groups WHERE group_id = ?");
        find.bind(1, id.data(), static_cast<int>(id.size()));
        find.executeStep();
        const group_ref ref = find.getColumn(0).getInt64();
        find.reset();
        if (sender) {
            SQLite::Statement update(impl_->database, "UPDATE groups SET sender = ? WHERE id = ?");
            if (sender->empty()) {
                update.bind(1);
            } else {
                const auto sealed = impl_->seal(*sender, ctx_group_sender);
                update.bind(1, data_of(sealed), size_of(sealed));
            }
            update.bind(2, ref);
            update.exec();
        }
        if (entry) {
            insert_group_entry(*impl_, ref, *entry, true);
        }
        transaction.commit();
        return ref;
    });
}

bool client_store::add_group_entry(group_ref group, const group_entry& entry) {
    impl_->require_unlocked();
    return guarded([&] { return insert_group_entry(*impl_, group, entry, true); });
}

bool client_store::add_group_chain(const group_key& group, contact_id member,
                                   std::uint32_t chain_id, crypto::bytes_view state,
                                   std::size_t max_per_member) {
    impl_->require_unlocked();
    return guarded([&] {
        const auto sealed = impl_->seal(state, ctx_group_chain);
        SQLite::Transaction transaction(impl_->database);
        SQLite::Statement insert(
            impl_->database,
            "INSERT OR IGNORE INTO group_chains (group_id, contact_id, chain_id, state, added) "
            "VALUES (?, ?, ?, ?, (SELECT coalesce(max(added), 0) + 1 FROM group_chains))");
        insert.bind(1, group.data(), static_cast<int>(group.size()));
        insert.bind(2, member);
        insert.bind(3, static_cast<std::int64_t>(chain_id));
        insert.bind(4, data_of(sealed), size_of(sealed));
        if (insert.exec() == 0) {
            return false;
        }
        SQLite::Statement trim(
            impl_->database,
            "DELETE FROM group_chains WHERE group_id = ?1 AND contact_id = ?2 AND added NOT IN "
            "(SELECT added FROM group_chains WHERE group_id = ?1 AND contact_id = ?2 "
            "ORDER BY added DESC LIMIT ?3)");
        trim.bind(1, group.data(), static_cast<int>(group.size()));
        trim.bind(2, member);
        trim.bind(3, static_cast<std::int64_t>(max_per_member));
        trim.exec();
        transaction.commit();
        return true;
    });
}

std::optional<crypto::secret_buffer>
client_store::group_chain(const group_key& group, contact_id member, std::uint32_t chain_id) {
    impl_->require_unlocked();
    return guarded([&]() -> std::optional<crypto::secret_buffer> {
        SQLite::Statement query(impl_->database,
                                "SELECT state FROM group_chains WHERE group_id = ? AND "
                                "contact_id = ? AND chain_id = ?");
        query.bind(1, group.data(), static_cast<int>(group.size()));
        query.bind(2, member);
        query.bind(3, static_cast<std::int64_t>(chain_id));
        if (!query.executeStep()) {
            return std::nullopt;
        }
        return impl_->open(query.getColumn(0), ctx_group_chain);
    });
}

void client_store::delete_group_chains(const group_key& group, std::optional<contact_id> member) {
    impl_->require_unlocked();
    guarded([&] {
        SQLite::Statement remove(impl_->database,
                                 member ? "DELETE FROM group_chains WHERE group_id = ? AND "
                                          "contact_id = ?"
                                        : "DELETE FROM group_chains WHERE group_id = ?");
        remove.bind(1, group.data(), static_cast<int>(group.size()));
        if (member) {
            remove.bind(2, *member);
        }
        remove.exec();
    });
}

void client_store::queue_group_outgoing(group_ref group, const group_entry& entry,
                                        crypto::bytes_view ciphertext,
                                        const std::vector<std::string>& recipients,
                                        crypto::bytes_view sender) {
    impl_->require_unlocked();
    guarded([&] {
        std::string list;
        for (const auto& name : recipients) {
            list += name;
            list += '\n';
        }
        const auto sealed_list = impl_->seal(std::string_view(list), ctx_group_recipients);
        const auto sealed_sender = impl_->seal(sender, ctx_group_sender);
        SQLite::Transaction transaction(impl_->database);
        insert_group_entry(*impl_, group, entry, false);
        SQLite::Statement outbox(
            impl_->database,
            "INSERT INTO group_outbox (group_ref, id, recipients, ciphertext) VALUES (?, ?, ?, ?)");
        outbox.bind(1, group);
        outbox.bind(2, entry.id.data(), static_cast<int>(entry.id.size()));
        outbox.bind(3, data_of(sealed_list), size_of(sealed_list));
        outbox.bind(4, data_of(ciphertext), size_of(ciphertext));
        outbox.exec();
        SQLite::Statement update(impl_->database, "UPDATE groups SET sender = ? WHERE id = ?");
        update.bind(1, data_of(sealed_sender), size_of(sealed_sender));
        update.bind(2, group);
        update.exec();
        transaction.commit();
    });
}

std::vector<group_outbox_entry> client_store::group_outbox() {
    impl_->require_unlocked();
    return guarded([&] {
        std::vector<group_outbox_entry> out;
        SQLite::Statement query(impl_->database,
                                "SELECT sequence, group_ref, id, recipients, ciphertext FROM "
                                "group_outbox ORDER BY sequence");
        while (query.executeStep()) {
            group_outbox_entry entry;
            entry.sequence = query.getColumn(0).getInt64();
            entry.group = query.getColumn(1).getInt64();
            entry.id = id_of(query.getColumn(2));
            const auto list = impl_->open_text(query.getColumn(3), ctx_group_recipients);
            std::size_t start = 0;
            for (auto end = list.find('\n'); end != std::string::npos;
                 start = end + 1, end = list.find('\n', start)) {
                entry.recipients.push_back(list.substr(start, end - start));
            }
            entry.ciphertext = blob_of(query.getColumn(4));
            out.push_back(std::move(entry));
        }
        return out;
    });
}

std::optional<group_ref> client_store::group_outbox_acknowledged(const message_id& id) {
    impl_->require_unlocked();
    return guarded([&]() -> std::optional<group_ref> {
        SQLite::Transaction transaction(impl_->database);
        SQLite::Statement find(impl_->database, "SELECT group_ref FROM group_outbox WHERE id = ?");
        find.bind(1, id.data(), static_cast<int>(id.size()));
        if (!find.executeStep()) {
            return std::nullopt;
        }
        const group_ref group = find.getColumn(0).getInt64();
        find.reset();
        SQLite::Statement remove(impl_->database, "DELETE FROM group_outbox WHERE id = ?");
        remove.bind(1, id.data(), static_cast<int>(id.size()));
        remove.exec();
        SQLite::Statement status(impl_->database,
                                 "UPDATE group_messages SET status = 1 WHERE group_ref = ? AND "
                                 "direction = 1 AND id = ? AND status < 1");
        status.bind(1, group);
        status.bind(2, id.data(), static_cast<int>(id.size()));
        status.exec();
        transaction.commit();
        return group;
    });
}

bool client_store::commit_group_received(group_ref group, const group_entry& entry,
                                         const group_key& group_id, contact_id member,
                                         std::uint32_t chain_id, crypto::bytes_view chain) {
    impl_->require_unlocked();
    return guarded([&] {
        const auto sealed_chain = impl_->seal(chain, ctx_group_chain);
        SQLite::Transaction transaction(impl_->database);
        if (!insert_group_entry(*impl_, group, entry, true)) {
            return false;
        }
        SQLite::Statement update(impl_->database,
                                 "UPDATE group_chains SET state = ? WHERE group_id = ? AND "
                                 "contact_id = ? AND chain_id = ?");
        update.bind(1, data_of(sealed_chain), size_of(sealed_chain));
        update.bind(2, group_id.data(), static_cast<int>(group_id.size()));
        update.bind(3, member);
        update.bind(4, static_cast<std::int64_t>(chain_id));
        if (update.exec() != 1) {
            throw store_error("no sender chain to write a group receiving state to");
        }
        transaction.commit();
        return true;
    });
}

void client_store::add_group_pending(const group_key& group, const std::string& sender,
                                     const message_id& id, crypto::bytes_view message,
                                     std::size_t max_per_group) {
    impl_->require_unlocked();
    guarded([&] {
        SQLite::Statement count(impl_->database,
                                "SELECT count(*) FROM group_pending WHERE group_id = ?");
        count.bind(1, group.data(), static_cast<int>(group.size()));
        count.executeStep();
        if (static_cast<std::size_t>(count.getColumn(0).getInt64()) >= max_per_group) {
            return;
        }
        const auto hash = impl_->member_hash(sender);
        SQLite::Statement insert(impl_->database,
                                 "INSERT OR IGNORE INTO group_pending (group_id, sender_hash, id, "
                                 "ciphertext) VALUES (?, ?, ?, ?)");
        insert.bind(1, group.data(), static_cast<int>(group.size()));
        insert.bind(2, hash.data(), static_cast<int>(hash.size()));
        insert.bind(3, id.data(), static_cast<int>(id.size()));
        insert.bind(4, data_of(message), size_of(message));
        insert.exec();
    });
}

std::vector<group_pending> client_store::group_pending_for(const group_key& group,
                                                           const std::string& sender) {
    impl_->require_unlocked();
    return guarded([&] {
        std::vector<group_pending> out;
        const auto hash = impl_->member_hash(sender);
        SQLite::Statement query(impl_->database,
                                "SELECT sequence, id, ciphertext FROM group_pending WHERE "
                                "group_id = ? AND sender_hash = ? ORDER BY sequence");
        query.bind(1, group.data(), static_cast<int>(group.size()));
        query.bind(2, hash.data(), static_cast<int>(hash.size()));
        while (query.executeStep()) {
            out.push_back({query.getColumn(0).getInt64(), id_of(query.getColumn(1)),
                           blob_of(query.getColumn(2))});
        }
        return out;
    });
}

void client_store::remove_group_pending(std::int64_t sequence) {
    impl_->require_unlocked();
    guarded([&] {
        SQLite::Statement remove(impl_->database, "DELETE FROM group_pending WHERE sequence = ?");
        remove.bind(1, sequence);
        remove.exec();
    });
}

std::vector<group_entry> client_store::group_history(group_ref group,
                                                     const std::optional<message_id>& before,
                                                     std::size_t limit) {
    impl_->require_unlocked();
    return guarded([&] {
        std::vector<group_entry> out;
        std::int64_t before_sequence = INT64_MAX;
        if (before) {
            SQLite::Statement find(
                impl_->database,
                "SELECT min(sequence) FROM group_messages WHERE group_ref = ? AND id = ?");
            find.bind(1, group);
            find.bind(2, before->data(), static_cast<int>(before->size()));
            if (find.executeStep() && !find.getColumn(0).isNull()) {
                before_sequence = find.getColumn(0).getInt64();
            }
        }
        SQLite::Statement query(
            impl_->database,
            "SELECT id, sender, kind, direction, body, sent_at, received_at, status FROM "
            "group_messages WHERE group_ref = ? AND sequence < ? ORDER BY sequence DESC LIMIT ?");
        query.bind(1, group);
        query.bind(2, before_sequence);
        query.bind(3, static_cast<std::int64_t>(limit));
        while (query.executeStep()) {
            group_entry entry;
            entry.id = id_of(query.getColumn(0));
            entry.sender = impl_->open_text(query.getColumn(1), ctx_group_member);
            entry.kind = static_cast<group_entry_kind>(query.getColumn(2).getInt());
            entry.way = static_cast<direction>(query.getColumn(3).getInt());
            entry.text = impl_->open_text(query.getColumn(4), ctx_body);
            entry.sent_at = query.getColumn(5).getInt64();
            entry.received_at = query.getColumn(6).getInt64();
            entry.status = static_cast<message_status>(query.getColumn(7).getInt());
            out.push_back(std::move(entry));
        }
        std::reverse(out.begin(), out.end());
        return out;
    });
}

} // namespace sotto::store
