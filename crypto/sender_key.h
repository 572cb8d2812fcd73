#pragma once
// Sender keys for group conversations (docs/PROTOCOL.md Part 2, "Groups"). Each member has,
// per group, one sending chain: a chain id, an iteration counter, a chain key and an Ed25519
// signing key pair. A group message is encrypted once under the chain's next message key and
// signed with the chain's signing key; the relay fans the one ciphertext out to every member.
// The chain key, iteration and signing public key reach the other members as a
// sender_key_distribution over the pairwise Double Ratchet sessions, which is what makes the
// signing key authentic. Removing a member rotates: a new chain id, chain key and signing key,
// given only to the remaining members.
//
// Pure logic like crypto/ratchet.h: the caller passes `now` and a random_source and persists
// serialize() in the same transaction as the message it sent or received. A failed decrypt
// changes nothing.

#include "crypto/random.h"
#include "crypto/ratchet.h"
#include "crypto/secret.h"
#include "crypto/types.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

namespace sotto::crypto {

inline constexpr std::size_t group_id_size = 16;
using group_id = fixed_bytes<group_id_size, struct group_id_tag>;

// version(1) || group id(16) || chain id(4) || iteration(4), all big-endian.
inline constexpr std::size_t group_message_header_size = 1 + group_id_size + 4 + 4;
// Header, AEAD tag and the Ed25519 signature over a label, the associated data, header and
// ciphertext (PROTOCOL.md 2.9).
inline constexpr std::size_t group_message_overhead =
    group_message_header_size + aead_tag_size + signature_size;

// What a member sends every other member, over the pairwise session, so they can read its
// group messages from `iteration` on (never before: a member added late reads only what is
// sent after it joined). Secret: it carries the chain key.
struct sender_key_distribution {
    group_id group;
    std::uint32_t chain_id = 0;
    std::uint32_t iteration = 0;
    secret_bytes<32, struct sender_chain_key_tag> chain_key;
    identity_public_key signing_key; // Ed25519 public key of the chain's signing pair

    [[nodiscard]] secret_buffer serialize() const;
    // nullopt when malformed or of an unknown version.
    static std::optional<sender_key_distribution> deserialize(bytes_view bytes);
};

// The fields of a group message header, readable before any key is known (to find the
// receiving chain, or to hold the message until its distribution arrives).
struct group_message_header {
    group_id group;
    std::uint32_t chain_id = 0;
    std::uint32_t iteration = 0;
};
// nullopt when `message` is shorter than group_message_overhead or of an unknown version.
[[nodiscard]] std::optional<group_message_header> parse_group_message_header(bytes_view message);

// My sending chain in one group.
class sender_key_sender {
  public:
    // A fresh chain (new chain id, chain key and signing pair) for `group`.
    static sender_key_sender generate(const group_id& group, random_source& random);
    ~sender_key_sender();
    sender_key_sender(sender_key_sender&&) noexcept;
    sender_key_sender& operator=(sender_key_sender&&) noexcept;
    sender_key_sender(const sender_key_sender&) = delete;
    sender_key_sender& operator=(const sender_key_sender&) = delete;

    // What to give a member so it reads from the next message on.
    [[nodiscard]] sender_key_distribution distribution() const;

    // Encrypts `plaintext` (already padded, see padding.h) with the next message key, signs
    // header || ciphertext, and advances the chain. `associated_data` is authenticated too
    // (the engine passes the sender's identity key) and signed. Never fails, except that a chain
    // is good for 2^32 - 1 messages: the next throws std::logic_error (rotate long before).
    [[nodiscard]] std::vector<byte> encrypt(bytes_view plaintext, bytes_view associated_data);

    [[nodiscard]] const group_id& group() const noexcept;
    [[nodiscard]] std::uint32_t chain_id() const noexcept;
    [[nodiscard]] std::uint32_t iteration() const noexcept;

    [[nodiscard]] secret_buffer serialize() const;
    static std::optional<sender_key_sender> deserialize(bytes_view bytes);

    struct data;

  private:
    explicit sender_key_sender(std::unique_ptr<data> state);
    std::unique_ptr<data> data_;
};

enum class sender_key_error : std::uint8_t {
    malformed,           // shorter than the overhead
    unsupported_version, // a version byte this build does not speak
    wrong_chain,         // another group or chain id than this receiver's
    bad_signature,       // not signed by the chain's signing key (forged, e.g. by the relay)
    replay,              // its message key was used already, or is before the distribution
    too_many_skipped,    // would skip more than max_skip keys
    expired,             // its skipped key is older than max_skipped_age
    decrypt_failed,      // signed but did not authenticate (should not happen)
};

[[nodiscard]] std::string_view to_string(sender_key_error error) noexcept;

// Another member's chain in one group, from its distribution. Skipped keys are bounded as in
// the pairwise ratchet (ratchet_config: max_skip, total cap with the oldest dropped, age).
class sender_key_receiver {
  public:
    static sender_key_receiver from_distribution(const sender_key_distribution& distribution,
                                                 ratchet_config config = {});
    ~sender_key_receiver();
    sender_key_receiver(sender_key_receiver&&) noexcept;
    sender_key_receiver& operator=(sender_key_receiver&&) noexcept;
    sender_key_receiver(const sender_key_receiver&) = delete;
    sender_key_receiver& operator=(const sender_key_receiver&) = delete;

    // Verifies the signature first, then decrypts. On any error the state is unchanged.
    [[nodiscard]] std::variant<secret_buffer, sender_key_error>
    decrypt(bytes_view message, bytes_view associated_data, wall_time now);

    void expire_skipped(wall_time now);
    [[nodiscard]] std::size_t skipped_keys() const noexcept;
    // Chain-key derivations performed by this object since it was built or loaded: lets tests
    // see that refused messages derived nothing. Not part of the serialized state.
    [[nodiscard]] std::uint64_t chain_steps() const noexcept;
    [[nodiscard]] const group_id& group() const noexcept;
    [[nodiscard]] std::uint32_t chain_id() const noexcept;

    [[nodiscard]] secret_buffer serialize() const;
    static std::optional<sender_key_receiver> deserialize(bytes_view bytes,
                                                          ratchet_config config = {});

    struct data;

  private:
    explicit sender_key_receiver(std::unique_ptr<data> state);
    std::unique_ptr<data> data_;
};

} // namespace sotto::crypto
