#include "net/tls.h"

#include "crypto/identity.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <memory>
#include <system_error>

namespace sotto::net {

namespace {

constexpr std::string_view exporter_label = "EXPORTER-sotto-login";

struct openssl_free {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
    void operator()(X509* p) const noexcept { X509_free(p); }
    void operator()(BIGNUM* p) const noexcept { BN_free(p); }
    void operator()(std::FILE* p) const noexcept { std::fclose(p); }
    void operator()(BIO* p) const noexcept { BIO_free(p); }
};
template <typename T>
using owned = std::unique_ptr<T, openssl_free>;

std::string openssl_reason() {
    const auto code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) {
        return "unknown OpenSSL error";
    }
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

// Opens `path` for writing with mode 0600, replacing nothing: the caller writes to a temporary
// name and renames, so a crash never leaves half a key under the real name.
owned<std::FILE> create_private_file(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw tls_error("cannot create " + path.string() + ": " +
                        std::error_code(errno, std::generic_category()).message());
    }
    ::fchmod(fd, 0600);
    owned<std::FILE> file(::fdopen(fd, "w"));
    if (!file) {
        ::close(fd);
        throw tls_error("cannot open " + path.string());
    }
    return file;
}

void finish_file(owned<std::FILE> file, const std::filesystem::path& temporary,
                 const std::filesystem::path& final_path) {
    if (std::fflush(file.get()) != 0 || ::fsync(::fileno(file.get())) != 0) {
        throw tls_error("cannot write " + temporary.string());
    }
    file.reset();
    std::error_code error;
    std::filesystem::rename(temporary, final_path, error);
    if (error) {
        throw tls_error("cannot rename " + temporary.string() + " to " + final_path.string() +
                        ": " + error.message());
    }
}

owned<X509> read_certificate(const std::filesystem::path& path) {
    owned<std::FILE> file(std::fopen(path.c_str(), "r"));
    if (!file) {
        throw tls_error("cannot read certificate " + path.string() + ": " +
                        std::error_code(errno, std::generic_category()).message());
    }
    owned<X509> certificate(PEM_read_X509(file.get(), nullptr, nullptr, nullptr));
    if (!certificate) {
        throw tls_error(path.string() + " is not a PEM certificate: " + openssl_reason());
    }
    return certificate;
}

std::string fingerprint_of(X509* certificate) {
    unsigned char* der = nullptr;
    const int length = i2d_X509(certificate, &der);
    if (length <= 0) {
        throw tls_error("cannot encode a certificate: " + openssl_reason());
    }
    const auto digest = crypto::sha256(crypto::bytes_view(der, static_cast<std::size_t>(length)));
    OPENSSL_free(der);
    return crypto::to_hex(digest.view());
}

struct generated {
    owned<EVP_PKEY> key;
    owned<X509> certificate;
};

generated generate() {
    owned<EVP_PKEY> key(EVP_EC_gen("P-256"));
    if (!key) {
        throw tls_error("cannot generate an ECDSA P-256 key: " + openssl_reason());
    }
    owned<X509> certificate(X509_new());
    std::array<unsigned char, 16> serial{};
    owned<BIGNUM> serial_number(BN_new());
    if (!certificate || !serial_number ||
        RAND_bytes(serial.data(), static_cast<int>(serial.size())) != 1) {
        throw tls_error("cannot create a certificate: " + openssl_reason());
    }
    serial[0] &= 0x7fU; // a positive serial
    BN_bin2bn(serial.data(), static_cast<int>(serial.size()), serial_number.get());
    const long ten_years = 10L * 365 * 24 * 3600;
    bool ok = X509_set_version(certificate.get(), 2) == 1 &&
              BN_to_ASN1_INTEGER(serial_number.get(), X509_get_serialNumber(certificate.get())) !=
                  nullptr &&
              X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -3600) != nullptr &&
              X509_gmtime_adj(X509_getm_notAfter(certificate.get()), ten_years) != nullptr &&
              X509_set_pubkey(certificate.get(), key.get()) == 1;
    X509_NAME* name = X509_get_subject_name(certificate.get());
    ok = ok &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                    reinterpret_cast<const unsigned char*>("sotto-relay"), -1, -1,
                                    0) == 1 &&
         X509_set_issuer_name(certificate.get(), name) == 1 &&
         X509_sign(certificate.get(), key.get(), EVP_sha256()) > 0;
    if (!ok) {
        throw tls_error("cannot sign the self-signed certificate: " + openssl_reason());
    }
    return {std::move(key), std::move(certificate)};
}

void write_files(const generated& made, const certificate_files& files) {
    auto key_temporary = files.key;
    key_temporary += ".tmp";
    auto key_file = create_private_file(key_temporary);
    if (PEM_write_PrivateKey(key_file.get(), made.key.get(), nullptr, nullptr, 0, nullptr,
                             nullptr) != 1) {
        throw tls_error("cannot write " + key_temporary.string() + ": " + openssl_reason());
    }
    finish_file(std::move(key_file), key_temporary, files.key);
    auto certificate_temporary = files.certificate;
    certificate_temporary += ".tmp";
    auto certificate_file = create_private_file(certificate_temporary);
    if (PEM_write_X509(certificate_file.get(), made.certificate.get()) != 1) {
        throw tls_error("cannot write " + certificate_temporary.string() + ": " + openssl_reason());
    }
    finish_file(std::move(certificate_file), certificate_temporary, files.certificate);
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : std::string();
}

std::string read_text(const std::filesystem::path& path, const char* what) {
    owned<std::FILE> file(std::fopen(path.c_str(), "r"));
    if (!file) {
        throw tls_error(std::string("cannot read ") + what + " " + path.string() + ": " +
                        std::error_code(errno, std::generic_category()).message());
    }
    std::string text;
    char chunk[4096];
    std::size_t got = 0;
    while ((got = std::fread(chunk, 1, sizeof chunk, file.get())) > 0) {
        text.append(chunk, got);
        if (text.size() > (1U << 20U)) {
            throw tls_error(path.string() + " is too large for a " + what);
        }
    }
    return text;
}

void restrict_to_tls13(asio::ssl::context& context) {
    SSL_CTX* native = context.native_handle();
    if (SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION) != 1) {
        throw tls_error("this OpenSSL cannot restrict itself to TLS 1.3: " + openssl_reason());
    }
    // Free the read/write record buffers whenever a connection is idle.
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
}

// What a relay keeps per connection decides how many idle connections fit in its memory.
void limit_server_state(asio::ssl::context& context) {
    SSL_CTX* native = context.native_handle();
    // No session tickets: resumption would add state and buys little for long-lived connections.
    SSL_CTX_set_num_tickets(native, 0);
    SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
    // ChaCha20-Poly1305 first, whatever the client prefers: its cipher state is about 550 bytes
    // smaller per connection than AES-GCM's (which keeps a GHASH table per direction), measured
    // over 10,000 idle connections in bench/relay.bench.cpp, and it is fast without AES
    // instructions (a Raspberry Pi relay). AES-GCM stays accepted for clients that want it.
    if (SSL_CTX_set_ciphersuites(native, "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384:"
                                         "TLS_AES_128_GCM_SHA256") != 1) {
        throw tls_error("this OpenSSL lacks the TLS 1.3 cipher suites: " + openssl_reason());
    }
    SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
}

} // namespace

certificate_files ensure_self_signed_certificate(const std::filesystem::path& directory) {
    std::error_code error;
    if (!std::filesystem::exists(directory, error)) {
        std::filesystem::create_directories(directory, error);
        if (error) {
            throw tls_error("cannot create " + directory.string() + ": " + error.message());
        }
        std::filesystem::permissions(directory, std::filesystem::perms::owner_all, error);
    }
    certificate_files files{directory / "relay-cert.pem", directory / "relay-key.pem"};
    const bool have_certificate = std::filesystem::exists(files.certificate, error);
    const bool have_key = std::filesystem::exists(files.key, error);
    if (have_certificate != have_key) {
        throw tls_error(
            "found only one of " + files.certificate.string() + " and " + files.key.string() +
            "; restore the other or remove both to create a new certificate (clients will "
            "then see a new fingerprint)");
    }
    if (!have_certificate) {
        write_files(generate(), files);
    }
    return files;
}

certificate_pem generate_self_signed_certificate() {
    const auto made = generate();
    owned<BIO> key_bio(BIO_new(BIO_s_mem()));
    owned<BIO> certificate_bio(BIO_new(BIO_s_mem()));
    if (!key_bio || !certificate_bio ||
        PEM_write_bio_PrivateKey(key_bio.get(), made.key.get(), nullptr, nullptr, 0, nullptr,
                                 nullptr) != 1 ||
        PEM_write_bio_X509(certificate_bio.get(), made.certificate.get()) != 1) {
        throw tls_error("cannot encode the certificate: " + openssl_reason());
    }
    return {bio_text(certificate_bio.get()), bio_text(key_bio.get())};
}

certificate_pem read_certificate_files(const certificate_files& files) {
    return {read_text(files.certificate, "certificate"), read_text(files.key, "key")};
}

std::string certificate_fingerprint(const std::string& certificate_pem) {
    owned<BIO> bio(
        BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size())));
    owned<X509> certificate(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)
                                : nullptr);
    if (!certificate) {
        throw tls_error("not a PEM certificate: " + openssl_reason());
    }
    return fingerprint_of(certificate.get());
}

std::string certificate_file_fingerprint(const std::filesystem::path& certificate) {
    return fingerprint_of(read_certificate(certificate).get());
}

std::string peer_fingerprint(SSL* ssl) {
    owned<X509> certificate(SSL_get1_peer_certificate(ssl));
    if (!certificate) {
        return {};
    }
    return fingerprint_of(certificate.get());
}

std::string normalize_fingerprint(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (c != ':' && c != ' ') {
            out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        }
    }
    return out;
}

asio::ssl::context make_server_context(const certificate_files& files) {
    asio::ssl::context context(asio::ssl::context::tls_server);
    restrict_to_tls13(context);
    SSL_CTX* native = context.native_handle();
    if (SSL_CTX_use_certificate_chain_file(native, files.certificate.c_str()) != 1) {
        throw tls_error("cannot use certificate " + files.certificate.string() + ": " +
                        openssl_reason());
    }
    if (SSL_CTX_use_PrivateKey_file(native, files.key.c_str(), SSL_FILETYPE_PEM) != 1) {
        throw tls_error("cannot use key " + files.key.string() + ": " + openssl_reason());
    }
    if (SSL_CTX_check_private_key(native) != 1) {
        throw tls_error("key " + files.key.string() + " does not belong to certificate " +
                        files.certificate.string());
    }
    limit_server_state(context);
    return context;
}

asio::ssl::context make_server_context(const certificate_pem& pem) {
    asio::ssl::context context(asio::ssl::context::tls_server);
    restrict_to_tls13(context);
    std::error_code error;
    context.use_certificate_chain(asio::buffer(pem.certificate), error);
    if (error) {
        throw tls_error("cannot use the certificate: " + error.message());
    }
    context.use_private_key(asio::buffer(pem.key), asio::ssl::context::pem, error);
    if (error) {
        throw tls_error("cannot use the key: " + error.message());
    }
    if (SSL_CTX_check_private_key(context.native_handle()) != 1) {
        throw tls_error("the key does not belong to the certificate");
    }
    limit_server_state(context);
    return context;
}

asio::ssl::context make_client_context() {
    asio::ssl::context context(asio::ssl::context::tls_client);
    restrict_to_tls13(context);
    context.set_verify_mode(asio::ssl::verify_none); // check_pin decides after the handshake
    return context;
}

pin_check check_pin(std::string_view seen, std::string_view pinned, bool trust_on_first_use) {
    pin_check result;
    result.seen = normalize_fingerprint(seen);
    const auto expected = normalize_fingerprint(pinned);
    if (!expected.empty()) {
        if (expected == result.seen) {
            result.status = pin_status::matched;
            return result;
        }
        result.status = pin_status::mismatch;
        result.message =
            "the relay's certificate CHANGED: pinned fingerprint " + expected + ", relay shows " +
            result.seen +
            ". This is what an attacker in the middle looks like; if the operator really replaced "
            "the certificate, accept it with --relay-fingerprint " +
            result.seen;
        return result;
    }
    if (trust_on_first_use) {
        result.status = pin_status::first_use;
        return result;
    }
    result.status = pin_status::unpinned;
    result.message =
        "no fingerprint pinned for this relay; it shows " + result.seen +
        ". Compare it with the one the operator printed, then use --relay-fingerprint " +
        result.seen + " (or --trust-on-first-use)";
    return result;
}

pin_check check_pin(SSL* ssl, std::string_view pinned, bool trust_on_first_use) {
    const auto seen = peer_fingerprint(ssl);
    if (seen.empty()) {
        pin_check result;
        result.status = pin_status::mismatch;
        result.message = "the relay presented no certificate";
        return result;
    }
    return check_pin(seen, pinned, trust_on_first_use);
}

std::optional<channel_binding> export_channel_binding(SSL* ssl) {
    if (ssl == nullptr || SSL_is_init_finished(ssl) != 1) {
        return std::nullopt;
    }
    channel_binding out{};
    if (SSL_export_keying_material(ssl, out.data(), out.size(), exporter_label.data(),
                                   exporter_label.size(), nullptr, 0, 0) != 1) {
        return std::nullopt;
    }
    return out;
}

} // namespace sotto::net
