#pragma once
// Routing, presence and the durable queue behind one narrow interface (DESIGN.md section 3), so
// that a distributed engine (NATS JetStream) can replace the in-process default later without
// the connection handling knowing. Every call returns at once; results come back through the
// callbacks, on a backend thread: a caller hands them to its own executor.

#include "store/relay_store.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sotto::net::relay {

// What a commit decided for one envelope of an online connection's user.
struct commit_outcome {
    // The envelope: the one given to on_uncommitted when pushed_early, else the committed one.
    std::shared_ptr<const store::envelope> envelope;
    std::uint64_t sequence = 0; // 0: not stored (duplicate, queue full, store failure)
    bool pushed_early = false;
};

// An online connection, as the backend sees it. Its methods are called on backend threads (or
// the thread of the connection that sent) and must neither block nor call back into the backend.
//
// An envelope for an online user reaches the connection twice: on_uncommitted when its Send
// arrives, so delivery does not wait for the disk, then in on_committed once the commit decided
// its fate, in the same order as the on_uncommitted calls. A connection that came online between
// the two gets it in on_committed only (pushed_early false). Order per recipient is commit order
// throughout.
class subscriber {
  public:
    virtual ~subscriber() = default;
    // An envelope for this connection's user that is not committed yet (sequence 0).
    virtual void on_uncommitted(std::shared_ptr<const store::envelope> envelope) = 0;
    // The outcomes of one commit for this connection, in commit order.
    virtual void on_committed(std::vector<commit_outcome> outcomes) = 0;
    virtual void on_presence(const std::string& username, bool online) = 0;
};

class backend {
  public:
    template <typename T>
    using callback = std::function<void(T)>;
    using acknowledgement = std::pair<std::string, store::message_id>; // (sender, id)

    virtual ~backend() = default;

    virtual void register_account(std::string username, crypto::identity_public_key key,
                                  std::optional<std::string> invite_code, bool invite_only,
                                  callback<store::registration_result> done) = 0;
    virtual void find_account(std::string username,
                              callback<std::optional<store::account>> done) = 0;

    // Pushes the Send's envelope to each recipient's online connections at once (uncommitted),
    // queues it durably (group-committed with other Sends), reports the outcome to the
    // recipients' online connections, then calls `done` with one result per recipient in the order
    // given. On a failure of the store itself, `done` gets an empty vector.
    virtual void send(std::string sender, std::vector<std::string> recipients, store::message_id id,
                      std::string ciphertext,
                      callback<std::vector<store::enqueue_result>> done) = 0;
    // Envelopes for `recipient` after `after_sequence`, oldest first, at most `limit`; empty on a
    // store failure.
    virtual void pending(std::string recipient, std::uint64_t after_sequence, std::size_t limit,
                         callback<std::vector<store::envelope>> done) = 0;
    virtual void acknowledge(std::string recipient, std::vector<acknowledgement> acked) = 0;
    virtual void take_expiry_notices(std::string sender,
                                     callback<std::vector<store::expiry_notice>> done) = 0;
    // Records a security event (not in an ephemeral relay).
    virtual void audit(store::audit_event event) = 0;

    // The user is online on this connection until detach. The first connection of a user makes
    // it online for its watchers; the last detach makes it offline.
    virtual void attach(const std::string& username,
                        const std::shared_ptr<subscriber>& connection) = 0;
    // `watched` are the targets this connection watched (so the backend forgets it there).
    virtual void detach(const std::string& username, const subscriber* connection,
                        const std::vector<std::string>& watched) = 0;
    // `connection` gets the presence of `target` from now on, starting with on_presence(target,
    // true) at once when the target is online.
    virtual void watch(const std::shared_ptr<subscriber>& connection,
                       const std::string& target) = 0;
    // Online usernames, sorted, at most `limit`.
    [[nodiscard]] virtual std::vector<std::string> online_users(std::size_t limit) = 0;

    // Blocks until everything submitted before the call has completed (graceful shutdown).
    virtual void drain() = 0;
};

struct local_backend_options {
    store::queue_limits limits;
    bool audit = true;                                                   // false for --ephemeral
    std::size_t max_batch = 1024;                                        // Sends per group commit
    std::chrono::milliseconds expiry_interval = std::chrono::minutes(1); // old envelopes checked
};

// The default: in-process routing and presence, and the relay_store on one dedicated writer
// thread that commits all Sends waiting at once (group commit: one transaction and one fsync
// for a batch). The store is used from that thread only.
[[nodiscard]] std::shared_ptr<backend> make_local_backend(std::unique_ptr<store::relay_store> store,
                                                          const local_backend_options& options);

} // namespace sotto::net::relay
