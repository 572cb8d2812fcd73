#pragma once
// The client's encrypted database, <profile dir>/sotto.db (DESIGN.md section 5). Private file
// (0600 in a 0700 directory; a file others can read is refused), WAL with synchronous=FULL,
// schema migrations. Everything secret is sealed (crypto/seal.h) with the passphrase-derived
// key, each field under its own context label: the identity key, handshake and ratchet states,
// contact names and keys, message bodies and pending outgoing content. Contacts are found by a
// keyed hash of their name (HMAC-SHA-256 under a random lookup key sealed in the header).
//
// Durability: every commit is on disk when it returns (synchronous=FULL), unless
// defer_durability() hands the fsync to a store::wal_sync worker (store/wal_sync.h).
//
// Use: open() (cheap, no passphrase), then kdf_header() to learn the Argon2id parameters, derive
// the key elsewhere (it is slow), and unlock() or create_profile() with it. Every other method
// requires an unlocked store (std::logic_error otherwise). One thread at a time. Database
// failures throw store_error (store/relay_store.h); expected outcomes are return values.

#include "crypto/identity.h"
#include "crypto/random.h"
#include "crypto/seal.h"
#include "crypto/secret.h"
#include "store/relay_store.h" // store_error, message_id

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sotto::store {

class wal_watch; // store/wal_sync.h

using contact_id = std::int64_t;
using unix_millis = std::int64_t;

struct profile_info {
    std::string username;
    std::string relay_address;
    std::string relay_fingerprint; // empty: not pinned yet
};

enum class key_state : std::uint8_t { trusted = 0, changed = 1 };
// A first message from an unknown user waits as a request until accepted or declined.
enum class request_state : std::uint8_t { none = 0, pending = 1, declined = 2 };

struct contact {
    contact_id id = 0;
    std::string name;
    std::optional<crypto::identity_public_key> pinned_key;
    std::optional<crypto::identity_public_key> changed_key; // the new key while key_changed
    bool verified = false;
    key_state keys = key_state::trusted;
    request_state request = request_state::none;
    std::uint32_t unread = 0;
};

enum class direction : std::uint8_t { incoming = 0, outgoing = 1 };
// Only ever moves forward (queued < sent < delivered < read).
enum class message_status : std::uint8_t { queued = 0, sent = 1, delivered = 2, read = 3 };

struct stored_message {
    contact_id contact = 0;
    message_id id{};
    direction way = direction::incoming;
    std::string text;
    unix_millis sent_at = 0;     // the sender's clock
    unix_millis received_at = 0; // ours (for outgoing: when it was written)
    message_status status = message_status::queued;
};

// What waits to go to a peer: `content` (sealed at rest) until it is encrypted, then the
// ratchet `ciphertext` until the relay acknowledges it.
struct outbox_entry {
    std::int64_t sequence = 0;
    contact_id contact = 0;
    message_id id{};
    crypto::secret_buffer content;
    std::optional<std::vector<std::uint8_t>> ciphertext;
};

struct session_record {
    std::optional<crypto::secret_buffer> handshake;
    std::optional<crypto::secret_buffer> ratchet;
};

// A ratchet message that arrived when it could not be decrypted yet (handshake in progress).
struct pending_inbound {
    std::int64_t sequence = 0;
    contact_id contact = 0;
    message_id id{};
    std::vector<std::uint8_t> ciphertext;
};

enum class unlock_result { unlocked, wrong_passphrase, no_profile };

// Groups (docs/PROTOCOL.md 2.8). A group is found by its 16-byte id (public: the relay sees it
// in every group message header); its state and my sending chain are sealed.
using group_key = std::array<std::uint8_t, 16>;
using group_ref = std::int64_t; // local row id of a group

struct group_record {
    group_ref ref = 0;
    group_key id{};
    crypto::secret_buffer state;                 // serialized crypto::group_state
    std::optional<crypto::secret_buffer> sender; // serialized sender_key_sender; none: not a member
};

// A line of a group conversation: a text, or a membership event ("alice added carol", "carol
// tried to remove bob: not_authorized").
enum class group_entry_kind : std::uint8_t { text = 0, event = 1 };

struct group_entry {
    message_id id{};
    std::string sender; // username; mine for outgoing texts; the author for events
    direction way = direction::incoming;
    group_entry_kind kind = group_entry_kind::text;
    std::string text;
    unix_millis sent_at = 0;
    unix_millis received_at = 0;
    message_status status = message_status::queued;
};

// A group message encrypted once, waiting for the relay to store it for every recipient.
struct group_outbox_entry {
    std::int64_t sequence = 0;
    group_ref group = 0;
    message_id id{};
    std::vector<std::string> recipients;  // the members when it was sent, without me
    std::vector<std::uint8_t> ciphertext; // the serialized Envelope
};

// A group message whose sender key was not known when it arrived.
struct group_pending {
    std::int64_t sequence = 0;
    message_id id{};
    std::vector<std::uint8_t> ciphertext; // the sender-key message (not the Envelope)
};

class client_store {
  public:
    // Opens (creating when missing) <directory>/sotto.db; the directory is created 0700.
    // Throws store_error when the directory or a file is not private ("chmod 600 ..." in the
    // message), or the file is not a sotto client database.
    static std::unique_ptr<client_store> open(const std::filesystem::path& directory);
    // An in-memory database (tests).
    static std::unique_ptr<client_store> open_in_memory();
    ~client_store();
    client_store(const client_store&) = delete;
    client_store& operator=(const client_store&) = delete;

    // A second connection to the same database, unlocked with the same key, for another thread
    // (an export reading while this one writes); nullptr for an in-memory store.
    [[nodiscard]] std::unique_ptr<client_store> open_another();
    // The database file; nullopt for an in-memory store.
    [[nodiscard]] std::optional<std::filesystem::path> file() const;
    // Grows with every row written; a store::wal_sync request at this mark covers every write
    // made so far.
    [[nodiscard]] std::uint64_t write_mark() const;
    // From now on a commit writes the WAL only (synchronous=NORMAL, no automatic checkpoint):
    // a store::wal_sync on file() and the returned watch (it lives as long as this store) makes
    // commits durable and checkpoints, off this thread. Past journal_size_limit (twice the
    // watch's limit) the WAL file shrinks back when SQLite starts it over.
    const wal_watch& defer_durability();

    // The Argon2id parameters and salt to derive the key with; nullopt before create_profile.
    [[nodiscard]] std::optional<crypto::seal_header> kdf_header();

    // Checks `key` against the sealed check value. wrong_passphrase changes nothing.
    unlock_result unlock(crypto::sealing_key key);
    // Writes the header, identity and profile; the store is unlocked with `key` afterwards.
    // Throws store_error when a profile exists already.
    void create_profile(crypto::sealing_key key, const profile_info& profile,
                        const crypto::identity_key_pair& identity, crypto::random_source& random);
    [[nodiscard]] bool unlocked() const noexcept;

    [[nodiscard]] profile_info profile();
    void set_relay_fingerprint(const std::string& fingerprint);
    // The identity key pair; throws store_error when the sealed key does not open.
    [[nodiscard]] crypto::identity_key_pair identity();

    // Contacts.
    [[nodiscard]] std::optional<contact> find_contact(const std::string& name);
    [[nodiscard]] std::optional<contact> get_contact(contact_id id);
    // Finds or creates (with `request` for a new one).
    contact ensure_contact(const std::string& name, request_state request = request_state::none);
    [[nodiscard]] std::vector<contact> contacts();
    void set_pinned_key(contact_id id, const crypto::identity_public_key& key);
    void set_key_changed(contact_id id, const crypto::identity_public_key& new_key);
    // Pins the changed key, clears verified, back to trusted.
    void accept_changed_key(contact_id id);
    void set_verified(contact_id id, bool verified);
    void set_request_state(contact_id id, request_state state);
    void set_unread(contact_id id, std::uint32_t unread);

    // Sessions (handshake and ratchet state, sealed).
    [[nodiscard]] session_record session(contact_id id);
    // Writes the handshake state, and the ratchet state when given (an empty buffer deletes
    // it); one transaction.
    void save_session(contact_id id, crypto::bytes_view handshake,
                      const std::optional<crypto::bytes_view>& ratchet);
    // Discards both states (/close).
    void delete_session(contact_id id);

    // Outgoing: the message and its outbox entry in one transaction, status queued.
    void queue_outgoing(contact_id contact, const message_id& id, const std::string& text,
                        unix_millis sent_at, crypto::bytes_view content);
    // An outbox entry with no message row (receipts and other control content).
    void queue_control(contact_id contact, const message_id& id, crypto::bytes_view content);
    // Entries for `contact` (all contacts when nullopt), oldest first.
    [[nodiscard]] std::vector<outbox_entry>
    outbox(std::optional<contact_id> contact = std::nullopt);
    // The ciphertext of an entry and the ratchet state that produced it, one transaction.
    void commit_encrypted(std::int64_t sequence, crypto::bytes_view ciphertext, contact_id contact,
                          crypto::bytes_view ratchet);
    // The relay stored it: the entry goes, the message (if any) becomes sent.
    void outbox_acknowledged(const message_id& id);
    // Moves an outgoing message's status forward (never back); false when unknown.
    bool advance_status(contact_id contact, const message_id& id, message_status status);
    // Marks every unread incoming message of `contact` read, in one transaction; returns their
    // ids, oldest first.
    std::vector<message_id> mark_incoming_read(contact_id contact);
    // Drops unencrypted entries of a contact whose session ended (/close keeps plaintext
    // entries: they go out under the next session); encrypted ones are stale and removed.
    void drop_encrypted_outbox(contact_id contact);

    // Incoming. Records the message (when `text` is given) and marks the id seen, and writes
    // the ratchet state, all in ONE transaction: a crash never loses a message key nor shows a
    // message twice. False (nothing written) when the id was seen already.
    bool commit_received(contact_id contact, const message_id& id,
                         const std::optional<std::string>& text, unix_millis sent_at,
                         unix_millis received_at, crypto::bytes_view ratchet);
    [[nodiscard]] bool seen(contact_id contact, const message_id& id);

    void add_pending_inbound(contact_id contact, const message_id& id,
                             crypto::bytes_view ciphertext, std::size_t max_per_contact);
    [[nodiscard]] std::vector<pending_inbound> pending_inbound_for(contact_id contact);
    void remove_pending_inbound(std::int64_t sequence);

    // History, oldest first: the `limit` messages before `before` (the newest when nullopt).
    // Reads only those rows.
    [[nodiscard]] std::vector<stored_message>
    history(contact_id contact, const std::optional<message_id>& before, std::size_t limit);
    // The other direction, for reading a whole conversation page by page (export): the `limit`
    // messages after `after` (from the first when nullopt), oldest first.
    [[nodiscard]] std::vector<stored_message>
    history_after(contact_id contact, const std::optional<message_id>& after, std::size_t limit);
    // Deletes the messages of a contact (a declined request).
    void delete_messages(contact_id contact);

    // Groups.
    [[nodiscard]] std::optional<group_record> find_group(const group_key& id);
    [[nodiscard]] std::optional<group_record> get_group(group_ref ref);
    [[nodiscard]] std::vector<group_record> groups();
    // Creates or updates a group: its state, my sending chain (an empty view deletes it, nullopt
    // keeps it) and, when given, a history entry, in one transaction. Returns the group's ref.
    group_ref save_group(const group_key& id, crypto::bytes_view state,
                         const std::optional<crypto::bytes_view>& sender,
                         const std::optional<group_entry>& entry = std::nullopt);
    // A history entry of a group (membership events). False when its id exists already.
    bool add_group_entry(group_ref group, const group_entry& entry);

    // Received sender chains, per (group, member, chain id). Adding keeps an existing chain of
    // the same id (a repeated distribution must not rewind it) and at most `max_per_member`
    // chains per member, dropping the oldest. False when the chain existed already.
    bool add_group_chain(const group_key& group, contact_id member, std::uint32_t chain_id,
                         crypto::bytes_view state, std::size_t max_per_member);
    [[nodiscard]] std::optional<crypto::secret_buffer>
    group_chain(const group_key& group, contact_id member, std::uint32_t chain_id);
    // Discards the chains of one member (nullopt: of every member) in a group.
    void delete_group_chains(const group_key& group, std::optional<contact_id> member);

    // Outgoing: the history entry (status queued), the outbox entry and my sending chain after
    // encrypting it, in ONE transaction.
    void queue_group_outgoing(group_ref group, const group_entry& entry,
                              crypto::bytes_view ciphertext,
                              const std::vector<std::string>& recipients,
                              crypto::bytes_view sender);
    [[nodiscard]] std::vector<group_outbox_entry> group_outbox();
    // The relay stored it for every recipient: the entry goes, the message becomes sent.
    // Returns the group, or nullopt when the id is not in the group outbox.
    std::optional<group_ref> group_outbox_acknowledged(const message_id& id);

    // Incoming: the message (unless its (sender, id) is known: then nothing is written and the
    // answer is false) and the receiving chain's new state, in ONE transaction.
    bool commit_group_received(group_ref group, const group_entry& entry, const group_key& group_id,
                               contact_id member, std::uint32_t chain_id, crypto::bytes_view chain);

    // Messages waiting for their sender key, at most `max_per_group` per group (more are
    // dropped).
    void add_group_pending(const group_key& group, const std::string& sender, const message_id& id,
                           crypto::bytes_view message, std::size_t max_per_group);
    [[nodiscard]] std::vector<group_pending> group_pending_for(const group_key& group,
                                                               const std::string& sender);
    void remove_group_pending(std::int64_t sequence);

    // History of a group, paged like history(): oldest first, the `limit` entries before
    // `before` (the newest when nullopt). Reads only those rows.
    [[nodiscard]] std::vector<group_entry>
    group_history(group_ref group, const std::optional<message_id>& before, std::size_t limit);

    struct impl;

  private:
    explicit client_store(std::unique_ptr<impl> impl);
    std::unique_ptr<impl> impl_;
};

} // namespace sotto::store
