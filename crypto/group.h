#pragma once
// Group membership (docs/PROTOCOL.md Part 2, "Groups"): a group is a chain of signed changes.
// Every change carries the whole resulting state (name, members with their identity keys,
// admins) and the version it leads to, and is signed by its author's identity key under a
// domain-separation label. A member applies a change only when it is the next version, its
// author is an admin of the current state (or, for `leave`, the member leaving), its signature
// verifies against the author's key as pinned in the current state, and the state it carries
// is consistent with the kind of change. Anything else, such as a change the relay or a
// non-admin member makes up, is rejected with a reason the conversation shows.
//
// Rules (PROTOCOL.md 2.9): admins are a flag per member. The creator is the only admin of
// version 1; an admin may add members as admins or not, remove any member but itself (an
// admin leaves with `leave`), and rename. `leave` is signed by the member leaving and lists
// only it. add/remove/leave change nothing but the member list, rename only the name.
//
// Spell the type sotto::crypto::group_member (or crypto::group_member) where a using-directive
// is in effect: glibc's <unistd.h> declares a function ::group_member.
//
// Pure logic: no clock or randomness of its own; the engine passes identity keys it pinned.

#include "crypto/identity.h"
#include "crypto/sender_key.h"
#include "crypto/types.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sotto::crypto {

inline constexpr std::size_t max_group_members = 256;
inline constexpr std::size_t max_group_name_bytes = 64;

struct group_member {
    std::string username;
    identity_public_key identity;
    bool admin = false;

    friend bool operator==(const group_member&, const group_member&) = default;
};

struct group_state {
    group_id id;
    std::uint64_t version = 0; // 1 after create; each change adds one
    std::string name;
    std::vector<group_member> members; // sorted by username, unique

    [[nodiscard]] const group_member* find(std::string_view username) const noexcept;
    [[nodiscard]] bool is_admin(std::string_view username) const noexcept;

    friend bool operator==(const group_state&, const group_state&) = default;
};

enum class group_change_kind : std::uint8_t { create, add, remove, leave, rename };

[[nodiscard]] std::string_view to_string(group_change_kind kind) noexcept;

struct group_change {
    group_change_kind kind = group_change_kind::create;
    std::string author;                // username of the signer
    std::vector<std::string> subjects; // added, removed or leaving members
    std::int64_t timestamp_ms = 0;     // author's clock
    group_state result;                // the whole state after the change
    signature sig;                     // author's identity key over the canonical encoding

    // The canonical encoding of everything but the signature, with the label; what is signed.
    [[nodiscard]] std::vector<byte> signed_bytes() const;
    [[nodiscard]] std::vector<byte> serialize() const;
    // nullopt when malformed, over the limits or of an unknown version (signature unchecked).
    static std::optional<group_change> deserialize(bytes_view bytes);
};

enum class group_change_error : std::uint8_t {
    malformed,      // inconsistent state (unsorted, duplicate or too many members, ...)
    wrong_group,    // another group id
    stale,          // version <= the current one (a replay or an old change)
    gap,            // version > current + 1 (an earlier change is missing)
    not_authorized, // author not an admin (or, for leave, not the member leaving)
    bad_signature,  // does not verify against the author's pinned key
    inconsistent,   // result does not follow from the current state and the kind
};

[[nodiscard]] std::string_view to_string(group_change_error error) noexcept;

// Builds and signs a change. For create `next` must have version 1, `author` as its only admin
// and `subjects` = every other member. The caller fills `next` from the current state; the
// subjects and members are sorted (and subjects deduplicated) here, so the encoding is
// canonical.
[[nodiscard]] group_change make_group_change(group_change_kind kind,
                                             const identity_key_pair& author_key,
                                             std::string author, std::vector<std::string> subjects,
                                             std::int64_t timestamp_ms, group_state next);

// Checks `change` against `current`. `author_identity` is the key the receiver pinned for the
// pairwise session the change came over; changes always come straight from their author, so
// the author's key in the state must equal it. With `current` nullopt (the receiver does not
// know the group yet) a create, or an add that lists the receiver (a welcome for a member
// added later), is accepted when its author is an admin of its result with `author_identity`;
// the engine checks that the receiver is in the result. Any other kind with `current` nullopt
// is `wrong_group` (a group the receiver does not know). Checks in this order: malformed,
// wrong_group, stale/gap, not_authorized, bad_signature, inconsistent. Returns the new state or
// why it was refused; `current` itself is never modified.
[[nodiscard]] std::variant<group_state, group_change_error>
apply_group_change(const std::optional<group_state>& current, const group_change& change,
                   const identity_public_key& author_identity);

// Serialization of a state for the client store (public data; the store seals it anyway).
[[nodiscard]] std::vector<byte> serialize(const group_state& state);
[[nodiscard]] std::optional<group_state> deserialize_group_state(bytes_view bytes);

} // namespace sotto::crypto
