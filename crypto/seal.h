#pragma once
// Sealing of local secrets (docs/PROTOCOL.md, "Sealed secrets"): a key derived once from the
// passphrase with Argon2id, then any number of blobs sealed with XChaCha20-Poly1305 under it.
// Every blob carries the Argon2id parameters and salt it was sealed with, so they can be
// raised later and old blobs still opened, and a caller-given context label is authenticated
// with it so that a blob cannot be moved to another field.

#include "crypto/random.h"
#include "crypto/secret.h"
#include "crypto/types.h"

#include <optional>
#include <string_view>
#include <variant>
#include <vector>

namespace sotto::crypto {

inline constexpr std::size_t seal_salt_size = 16;
using seal_salt = fixed_bytes<seal_salt_size, struct seal_salt_tag>;

struct kdf_params {
    std::uint32_t opslimit = 0;
    std::uint64_t memlimit = 0; // bytes

    // libsodium's MODERATE (3 passes, 256 MiB): the default for real profiles.
    static kdf_params moderate() noexcept;
    // libsodium's INTERACTIVE (2 passes, 64 MiB).
    static kdf_params interactive() noexcept;
    // The minimum (1 pass, 8 KiB): tests only, never for a real passphrase.
    static kdf_params cheap() noexcept;
    // Within what this build accepts: at least the minimum, at most 32 passes and 1 GiB (a
    // hostile header must not make opening a database exhaust memory).
    [[nodiscard]] bool acceptable() const noexcept;

    friend bool operator==(const kdf_params&, const kdf_params&) = default;
};

// A passphrase copied into secret memory; the caller wipes its own copy.
[[nodiscard]] secret_buffer make_passphrase(std::string_view text);

enum class seal_error : std::uint8_t;
class sealing_key;
std::vector<byte> seal(const sealing_key& key, bytes_view plaintext, std::string_view context,
                       random_source& random);
std::variant<secret_buffer, seal_error> open_sealed(const sealing_key& key, bytes_view blob,
                                                    std::string_view context);

class sealing_key {
  public:
    // Argon2id13 of `passphrase` with `params` and `salt`; nullopt when the parameters are not
    // acceptable() or the derivation runs out of memory.
    static std::optional<sealing_key> derive(const secret_buffer& passphrase,
                                             const kdf_params& params, const seal_salt& salt);
    // The same with a fresh salt from `random`.
    static std::optional<sealing_key> derive(const secret_buffer& passphrase,
                                             const kdf_params& params, random_source& random);

    [[nodiscard]] const kdf_params& params() const noexcept { return params_; }
    [[nodiscard]] const seal_salt& salt() const noexcept { return salt_; }
    // An explicit copy (a second store connection on another thread needs its own).
    [[nodiscard]] sealing_key clone() const { return {params_, salt_, key_.clone()}; }

  private:
    friend std::vector<byte> seal(const sealing_key&, bytes_view, std::string_view, random_source&);
    friend std::variant<secret_buffer, seal_error> open_sealed(const sealing_key&, bytes_view,
                                                               std::string_view);
    sealing_key(kdf_params params, seal_salt salt, aead_key key)
        : params_(params), salt_(salt), key_(std::move(key)) {}
    kdf_params params_;
    seal_salt salt_;
    aead_key key_;
};

enum class seal_error : std::uint8_t {
    malformed,             // too short or a field out of range
    unsupported_version,   // a version or algorithm byte this build does not know
    key_mismatch,          // sealed under other parameters or salt: derive that key instead
    authentication_failed, // wrong passphrase, wrong context or tampered
};

[[nodiscard]] std::string_view to_string(seal_error error) noexcept;

// The parameters and salt a blob was sealed with; nullopt when the header is malformed or
// unknown.
struct seal_header {
    kdf_params params;
    seal_salt salt;
};
[[nodiscard]] std::optional<seal_header> read_seal_header(bytes_view blob);

// Seals `plaintext` for `context` (e.g. "identity", "message-body") with a random nonce.
// Never fails.
[[nodiscard]] std::vector<byte> seal(const sealing_key& key, bytes_view plaintext,
                                     std::string_view context, random_source& random);
// Opens a blob sealed for the same context with the same key; a seal_error otherwise.
[[nodiscard]] std::variant<secret_buffer, seal_error>
open_sealed(const sealing_key& key, bytes_view blob, std::string_view context);

} // namespace sotto::crypto
