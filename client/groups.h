#pragma once
// Group conversations (docs/PROTOCOL.md 2.8 "Groups"), internal to the engine. A group is a chain
// of signed membership changes (crypto/group.h) and, per member, a sending chain
// (crypto/sender_key.h) whose distribution travels over the pairwise Double Ratchet sessions. A
// group text is encrypted once and handed to the relay in one Send listing every other member.
//
// engine.cpp owns the link, the pairwise sessions and their outboxes, and lends them through
// group_host; this file owns everything about groups: commands, the group outbox, received
// changes, distributions and group messages, pending messages waiting for a sender key.

#include "client/e2e.pb.h"
#include "client/engine.h"
#include "crypto/group.h"
#include "crypto/sender_key.h"
#include "store/client_store.h"

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace sotto::client {

// What the group logic borrows from the engine.
class group_host {
  public:
    virtual ~group_host() = default;
    virtual store::client_store& group_store() = 0;
    virtual const crypto::identity_key_pair& group_identity() = 0;
    virtual const std::string& group_username() = 0;
    virtual crypto::random_source& group_random() = 0;
    // Queues `content` (a fresh id is set) in the pairwise outbox of `to`, starting the
    // handshake when there is no session yet; it goes out once the session is established.
    virtual void queue_pairwise(const std::string& to, e2e::Content content) = 0;
    // One Send with many recipients; false when not connected (the group outbox keeps it).
    virtual bool transmit_group(const store::message_id& id,
                                const std::vector<std::string>& recipients,
                                const std::vector<std::uint8_t>& envelope) = 0;
    virtual void emit_group(group_event event) = 0;
    // Retries refused sends after the outbox retry period.
    virtual void arm_group_retry() = 0;
};

class group_manager {
  public:
    group_manager(group_host& host, group_forgery forgery) : host_(host), forgery_(forgery) {}

    // Commands; `members` carry identity keys the engine pinned or looked up. Errors use the
    // codes of docs/BATCH.md.
    result<group_id_hex> create(const std::string& name, std::vector<crypto::group_member> members);
    // Checks that `group` exists and that I may add `names` (before keys are looked up).
    std::optional<command_error> check_invite(const group_id_hex& group,
                                              const std::vector<std::string>& names);
    result<bool> add(const group_id_hex& group, std::vector<crypto::group_member> members);
    result<bool> remove(const group_id_hex& group, const std::vector<std::string>& names);
    result<bool> leave(const group_id_hex& group);
    result<bool> rename(const group_id_hex& group, const std::string& name);
    result<message_id_hex> send(const group_id_hex& group, const std::string& text);
    std::vector<group_summary> list();
    result<std::vector<group_history_entry>> history(const group_id_hex& group,
                                                     const std::optional<message_id_hex>& before,
                                                     std::size_t limit);

    // Receiving. A group message (the Envelope's `group` bytes) from `sender` with relay id `id`.
    void on_group_message(const std::string& sender, const store::message_id& id,
                          crypto::bytes_view message);
    // A change or a distribution that came over the pairwise session with `from`, whose
    // identity key is `from_key` (as pinned for that session).
    void on_change(const std::string& from, const crypto::identity_public_key& from_key,
                   const std::string& bytes);
    void on_distribution(const std::string& from, store::contact_id from_contact,
                         const std::string& bytes);

    // The group outbox: hands what the relay has not stored yet to it.
    void pump();
    // The relay's answer to a group Send; false when `id` is not one of ours.
    bool on_send_result(const store::message_id& id, bool stored_for_everyone);
    void on_disconnected() { in_flight_.clear(); }
    [[nodiscard]] std::size_t in_flight() const noexcept { return in_flight_.size(); }

  private:
    struct loaded {
        store::group_record record;
        crypto::group_state state;
    };
    enum class receive_outcome { done, wait };

    result<loaded> load_for_command(const group_id_hex& group);
    std::optional<loaded> load(const crypto::group_id& id);
    bool is_member(const crypto::group_state& state) const;
    // Signs `next` as a change of `kind`, validates it against `current` like a receiver would
    // and sends it to `recipients`. A forging client (tests) skips the validation.
    result<crypto::group_change> sign_and_send(crypto::group_change_kind kind,
                                               const loaded& current,
                                               std::vector<std::string> subjects,
                                               crypto::group_state next,
                                               const std::vector<std::string>& recipients);
    // Applies an accepted change locally (the author's side and every receiver's side).
    void apply(const loaded* current, const crypto::group_change& change,
               const crypto::group_state& next);
    void send_distribution(const crypto::sender_key_sender& sender,
                           const std::vector<std::string>& to);
    void pin_members(const crypto::group_state& state);
    void retry_pending(const crypto::group_id& id, const std::string& sender);
    receive_outcome receive(const std::string& sender, const store::message_id& id,
                            crypto::bytes_view message);
    std::vector<std::string> others(const crypto::group_state& state) const;
    group_summary summary(const crypto::group_state& state, bool member) const;
    void emit_change(const crypto::group_change& change, const crypto::group_state& next);

    group_host& host_;
    group_forgery forgery_;
    std::set<store::message_id> in_flight_;
};

// "alice added carol and dave", "alice removed bob", "carol left", "alice renamed the group to
// x", "alice created team with bob, carol".
[[nodiscard]] std::string describe(const crypto::group_change& change);

} // namespace sotto::client
