#pragma once
// TLS 1.3 through asio::ssl (docs/PROTOCOL.md "Transport"). The relay's identity is its
// certificate's SHA-256 fingerprint: clients pin it (trust on first use, like SSH known_hosts)
// instead of relying on certificate authorities, so a self-signed certificate is the default.

#include <asio/ssl.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sotto::net {

// A certificate or key that cannot be created, read or used; the message says which file and why.
class tls_error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct certificate_files {
    std::filesystem::path certificate; // PEM
    std::filesystem::path key;         // PEM
};

// <directory>/relay-cert.pem and relay-key.pem: created on first use (self-signed ECDSA P-256,
// CN "sotto-relay", 10 years, both files 0600, the directory 0700 if it is created), reused as
// they are afterwards. Throws tls_error when they cannot be created or read.
[[nodiscard]] certificate_files
ensure_self_signed_certificate(const std::filesystem::path& directory);

// A certificate and its key in PEM form, in memory.
struct certificate_pem {
    std::string certificate;
    std::string key;
};

// A fresh self-signed ECDSA P-256 certificate (CN "sotto-relay", 10 years) that touches no file
// (--ephemeral). Throws tls_error.
[[nodiscard]] certificate_pem generate_self_signed_certificate();

// Reads both files. Throws tls_error naming the file that cannot be read.
[[nodiscard]] certificate_pem read_certificate_files(const certificate_files& files);

// SHA-256 of the DER encoding of a PEM certificate, 64 lowercase hex digits. Throws tls_error.
[[nodiscard]] std::string certificate_fingerprint(const std::string& certificate_pem);

// SHA-256 of the certificate's DER encoding, 64 lowercase hex digits. Throws tls_error when the
// file is not a PEM certificate.
[[nodiscard]] std::string certificate_file_fingerprint(const std::filesystem::path& certificate);

// The peer's certificate fingerprint on an established connection; empty when it sent none.
[[nodiscard]] std::string peer_fingerprint(SSL* ssl);

// Lowercase, with ':' and spaces removed, so "AB:CD..." pins the same as "abcd...".
[[nodiscard]] std::string normalize_fingerprint(std::string_view text);

// A server context: TLS 1.3 only, the given certificate and key (checked to match), buffers
// released while idle. Throws tls_error.
[[nodiscard]] asio::ssl::context make_server_context(const certificate_files& files);
[[nodiscard]] asio::ssl::context make_server_context(const certificate_pem& pem);

// A client context: TLS 1.3 only, no CA verification (the fingerprint pin replaces it; see
// check_pin), buffers released while idle.
[[nodiscard]] asio::ssl::context make_client_context();

enum class pin_status {
    matched,   // the certificate has the pinned fingerprint
    first_use, // nothing pinned and trust-on-first-use allowed: the caller stores `seen`
    mismatch,  // pinned and different: refuse
    unpinned,  // nothing pinned and trust-on-first-use not allowed: refuse
};

struct pin_check {
    pin_status status = pin_status::mismatch;
    std::string seen;    // the fingerprint the relay showed
    std::string message; // for refusals: what happened and how to accept the new certificate
    [[nodiscard]] bool accepted() const noexcept {
        return status == pin_status::matched || status == pin_status::first_use;
    }
};

// Compares the peer certificate of an established client connection with `pinned` (empty: none).
[[nodiscard]] pin_check check_pin(SSL* ssl, std::string_view pinned, bool trust_on_first_use);
// The same decision for a known fingerprint (pure; for tests and callers that already have it).
[[nodiscard]] pin_check check_pin(std::string_view seen, std::string_view pinned,
                                  bool trust_on_first_use);

inline constexpr std::size_t channel_binding_size = 32;
using channel_binding = std::array<std::uint8_t, channel_binding_size>;

// The TLS exporter value (RFC 8446 section 7.5) with label "EXPORTER-sotto-login" and no
// context: equal on both ends of one TLS session, different for every other session. nullopt
// before the handshake finished.
[[nodiscard]] std::optional<channel_binding> export_channel_binding(SSL* ssl);

} // namespace sotto::net
