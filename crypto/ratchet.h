#pragma once
// The Double Ratchet (Signal's specification) of docs/PROTOCOL.md, Part 2 ("Messages"),
// started from an established handshake. Pure logic: the caller passes `now` (for the age of
// skipped keys) and a random_source (for new ratchet key pairs), and persists serialize()
// in the same transaction as the message it sent or received.
//
// A failed decrypt changes nothing: every check and derivation happens aside and is committed
// only after the message authenticates.

#include "crypto/handshake.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "crypto/types.h"
#include "crypto/x25519.h"

#include <chrono>
#include <optional>
#include <variant>
#include <vector>

namespace sotto::crypto {

inline constexpr std::size_t ratchet_header_size = 1 + 32 + 4 + 4;
inline constexpr std::size_t ratchet_overhead = ratchet_header_size + aead_tag_size;

struct ratchet_config {
    std::uint32_t max_skip = 1000;          // per chain, checked before deriving anything
    std::uint32_t max_skipped_total = 2000; // oldest skipped keys are dropped beyond this
    std::chrono::milliseconds max_skipped_age{std::chrono::hours(24 * 14)};
};

enum class ratchet_error : std::uint8_t {
    malformed,           // shorter than a header and a tag
    unsupported_version, // a version byte this build does not speak
    low_order_key,       // a ratchet key that would force a known shared secret
    reflected,           // carries my own ratchet key
    replay,              // its message key was used already (or dropped)
    too_many_skipped,    // would skip more than max_skip keys in one chain
    expired,             // its skipped key is older than max_skipped_age
    no_chain,            // for a chain this side cannot have
    decrypt_failed,      // did not authenticate
};

[[nodiscard]] std::string_view to_string(ratchet_error error) noexcept;

class ratchet {
  public:
    // The session of an established handshake (the initiator sends the first DH ratchet
    // step; the responder may send at once on its first chain, see PROTOCOL.md).
    static ratchet from_handshake(const established_session& session, ratchet_config config = {});
    ~ratchet();
    ratchet(ratchet&&) noexcept;
    ratchet& operator=(ratchet&&) noexcept;
    ratchet(const ratchet&) = delete;
    ratchet& operator=(const ratchet&) = delete;

    // Encrypts `plaintext` (already padded, see padding.h) into `out` (resized to
    // plaintext.size() + ratchet_overhead; its capacity is reused). `random` is drawn from
    // only when a new sending chain starts. Never fails.
    void encrypt(bytes_view plaintext, random_source& random, std::vector<byte>& out);
    [[nodiscard]] std::vector<byte> encrypt(bytes_view plaintext, random_source& random);

    // Decrypts `message` into `out`, which must be message.size() - ratchet_overhead bytes
    // (malformed otherwise). On any error the state is unchanged and `out` is zeroed.
    [[nodiscard]] std::optional<ratchet_error> decrypt(bytes_view message, wall_time now,
                                                       mutable_bytes_view out);
    // The same returning the plaintext.
    [[nodiscard]] std::variant<secret_buffer, ratchet_error> decrypt(bytes_view message,
                                                                     wall_time now);

    // Drops skipped keys older than max_skipped_age.
    void expire_skipped(wall_time now);

    [[nodiscard]] std::size_t skipped_keys() const noexcept;
    // Messages sent and received over the session's life (the status line's "ratchet #42").
    [[nodiscard]] std::uint64_t messages_sent() const noexcept;
    [[nodiscard]] std::uint64_t messages_received() const noexcept;
    // Chain-key derivations performed by this object since it was built or loaded: lets tests
    // see that refused messages derived nothing. Not part of the serialized state.
    [[nodiscard]] std::uint64_t chain_steps() const noexcept;

    // The whole state, version byte first; secret: keep it sealed.
    [[nodiscard]] secret_buffer serialize() const;
    // nullopt when malformed, of an unknown version or inconsistent.
    static std::optional<ratchet> deserialize(bytes_view bytes, ratchet_config config = {});

    struct data;

  private:
    explicit ratchet(std::unique_ptr<data> state);
    std::unique_ptr<data> data_;
};

} // namespace sotto::crypto
