#pragma once
// The late-joiner handshake of docs/PROTOCOL.md, Part 2 ("Handshake"), as pure logic: one
// object per (me, peer) takes events and returns actions. It has no clock, timer, socket or
// randomness of its own: the caller passes `now` and a random_source, carries out the actions
// (send bytes to the peer through the relay, arm the single per-peer timer) and persists
// serialize() after every call, in the same transaction as whatever caused the call.
//
// A client engine's loop, per contact:
//   machine = handshake::deserialize(unsealed, identity) or handshake(identity, me, peer, pin)
//   after a restart: carry out machine.resume(now)            (re-arms the timer)
//   user opens the chat / first message queued -> machine.open(now, random)
//   offer or confirm envelope from the peer    -> machine.offer_received / confirm_received
//   relay says the peer came online            -> machine.peer_came_online(now, random)
//   the per-peer timer fires                   -> machine.timer_fired(now, random)
//   /accept, /reset                            -> machine.user_accepted_key / reset
// and for each action: send_offer / send_confirm -> an envelope of that kind to the peer;
// arm_timer -> (re)arm the one per-peer timer; established -> ratchet::from_handshake(session),
// flush the outbox; key_changed -> alert, block sending; rejected -> a debug log line.
// status() feeds the status line; status().pinned_peer_key is the contact's pinned key.

#include "crypto/identity.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "crypto/types.h"
#include "crypto/x25519.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sotto::crypto {

// Wall-clock time, carried in offers (milliseconds since the Unix epoch).
using wall_time = std::chrono::sys_time<std::chrono::milliseconds>;
using root_key = secret_bytes<32, struct root_key_tag>;

inline constexpr std::size_t max_username_size = 64;

enum class handshake_state : std::uint8_t {
    no_session = 0,
    offering = 1,
    confirming = 2,
    established = 3,
    key_changed = 4, // blocks everything until user_accepted_key or reset
};

// The initiator is the side whose ephemeral public key is the smaller (bytewise); it sends
// the first ratchet message.
enum class session_role : std::uint8_t { initiator = 1, responder = 2 };

enum class handshake_error : std::uint8_t {
    malformed,           // wrong length, unknown type or field out of range
    unsupported_version, // a version byte this build does not speak
    bad_signature,       // the offer's signature does not verify under its identity key
    misaddressed,        // not from the peer, or not to me (username or identity key)
    reflected,           // my own offer or confirm sent back to me
    stale,               // older than allowed, or older than the peer's accepted offer
    low_order_key,       // an ephemeral key that would force a known shared secret
    blocked,             // the peer's identity key changed; nothing proceeds until accepted
    bad_confirm,         // a confirm whose MAC does not verify
    unexpected_confirm,  // a confirm for another transcript or with no offer to check it
};

[[nodiscard]] std::string_view to_string(handshake_error error) noexcept;
[[nodiscard]] std::string_view to_string(handshake_state state) noexcept;

struct handshake_config {
    std::chrono::milliseconds first_resend{1000};
    std::chrono::milliseconds max_resend{60000};
    // Offers older than this (by their own timestamp) are stale: the relay's queue age cap
    // is shorter, so only a replay can be this old.
    std::chrono::milliseconds max_offer_age{std::chrono::hours(24 * 30)};
    // Offers dated further in the future than this are refused (clock skew allowance).
    std::chrono::milliseconds max_clock_skew{std::chrono::hours(24)};
};

// What the ratchet needs from a finished handshake.
struct established_session {
    root_key root;
    session_role role = session_role::initiator;
    x25519_key_pair my_ephemeral;     // the responder's first ratchet key pair (ratchet.h)
    x25519_public_key peer_ephemeral; // the initiator's first receiving ratchet key
    identity_public_key my_identity;
    identity_public_key peer_identity;
    sha256_digest transcript;
};

namespace handshake_action {
struct send_offer {
    std::vector<byte> bytes;
};
struct send_confirm {
    std::vector<byte> bytes;
};
// Replace the per-peer timer: call timer_fired after `delay`.
struct arm_timer {
    std::chrono::milliseconds delay;
};
struct established {
    established_session session;
};
// The peer presented another identity key than the pinned one; the state is key_changed.
struct key_changed {
    identity_public_key old_key;
    identity_public_key new_key;
};
// An input was refused; the state did not change. For logs and counters, never for the peer.
struct rejected {
    handshake_error reason;
};
} // namespace handshake_action

using handshake_action_variant =
    std::variant<handshake_action::send_offer, handshake_action::send_confirm,
                 handshake_action::arm_timer, handshake_action::established,
                 handshake_action::key_changed, handshake_action::rejected>;
using handshake_actions = std::vector<handshake_action_variant>;

// For the status line: "offering key to bob (resent 3x, next in 16s)".
struct handshake_status {
    handshake_state state = handshake_state::no_session;
    std::uint32_t resend_count = 0;
    std::optional<wall_time> next_resend;
    std::optional<identity_public_key> pinned_peer_key;
    std::optional<identity_public_key> changed_peer_key; // set in key_changed
};

class handshake {
  public:
    // `me` must outlive the handshake. `pinned_peer_key` is nullopt at first contact (the
    // first valid offer is then trusted and pinned). Throws std::invalid_argument for an
    // empty or over-long username.
    handshake(const identity_key_pair& me, std::string my_username, std::string peer_username,
              std::optional<identity_public_key> pinned_peer_key, handshake_config config = {});
    ~handshake();
    handshake(handshake&&) noexcept;
    handshake& operator=(handshake&&) noexcept;
    handshake(const handshake&) = delete;
    handshake& operator=(const handshake&) = delete;

    // Events. Each returns the actions to carry out, in order.
    handshake_actions open(wall_time now, random_source& random);
    handshake_actions timer_fired(wall_time now, random_source& random);
    handshake_actions peer_came_online(wall_time now, random_source& random);
    handshake_actions offer_received(bytes_view offer, wall_time now, random_source& random);
    handshake_actions confirm_received(bytes_view confirm, wall_time now);
    handshake_actions user_accepted_key(wall_time now, random_source& random);
    handshake_actions reset(wall_time now, random_source& random);
    // After deserialize: the timer to re-arm (nothing when no resend is due).
    handshake_actions resume(wall_time now) const;

    [[nodiscard]] handshake_status status() const;
    [[nodiscard]] handshake_state state() const noexcept;
    [[nodiscard]] const std::string& peer_username() const noexcept;

    // The whole state, version byte first. It holds the ephemeral secret while offering or
    // confirming: keep it sealed (crypto/seal.h).
    [[nodiscard]] secret_buffer serialize() const;
    // Restores a serialized state for the same `me`; nullopt when the bytes are malformed,
    // of an unknown version, inconsistent, or were written for another identity.
    static std::optional<handshake> deserialize(bytes_view bytes, const identity_key_pair& me,
                                                handshake_config config = {});

    struct data;

  private:
    explicit handshake(std::unique_ptr<data> data);
    std::unique_ptr<data> data_;
};

// The parsed fields of an offer, for tests, tools and the docs' test vectors.
struct offer_fields {
    identity_public_key sender_identity;
    identity_public_key recipient_identity; // all zero when the sender had none pinned
    x25519_public_key ephemeral;
    std::uint64_t timestamp_ms = 0;
    std::string sender_username;
    std::string recipient_username;
};
// Parses and verifies the signature of an offer; nullopt and `error` set when it fails.
std::optional<offer_fields> parse_offer(bytes_view offer, handshake_error* error = nullptr);

} // namespace sotto::crypto
