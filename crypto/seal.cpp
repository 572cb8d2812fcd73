#include "crypto/seal.h"

#include "crypto/aead.h"
#include "crypto/codec.h"

#include <sodium.h>

#include <string>

namespace sotto::crypto {

namespace {

constexpr byte seal_version = 1;
constexpr byte algorithm_argon2id_xchacha = 1;
constexpr std::size_t header_size = 1 + 1 + 4 + 8 + seal_salt_size;
constexpr std::string_view seal_label = "sotto/v1/seal";
constexpr std::uint32_t max_opslimit = 32;
constexpr std::uint64_t max_memlimit = std::uint64_t{1} << 30U;

static_assert(seal_salt_size == crypto_pwhash_SALTBYTES);

std::vector<byte> header_of(const sealing_key& key) {
    std::vector<byte> out;
    byte_writer writer(out);
    writer.u8(seal_version);
    writer.u8(algorithm_argon2id_xchacha);
    writer.u32(key.params().opslimit);
    writer.u64(key.params().memlimit);
    writer.raw(key.salt().view());
    return out;
}

std::vector<byte> associated_data(bytes_view header, std::string_view context) {
    // label || u32 length || header || u32 length || context
    std::vector<byte> out(seal_label.size() + 4 + header.size() + 4 + context.size());
    auto* cursor = out.data();
    const auto put_length = [&](std::size_t size) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            *cursor++ = static_cast<byte>(size >> static_cast<unsigned>(shift));
        }
    };
    cursor = std::copy(seal_label.begin(), seal_label.end(), cursor);
    put_length(header.size());
    cursor = std::copy(header.begin(), header.end(), cursor);
    put_length(context.size());
    std::copy(context.begin(), context.end(), cursor);
    return out;
}

} // namespace

kdf_params kdf_params::moderate() noexcept {
    return {static_cast<std::uint32_t>(crypto_pwhash_OPSLIMIT_MODERATE),
            crypto_pwhash_MEMLIMIT_MODERATE};
}
kdf_params kdf_params::interactive() noexcept {
    return {static_cast<std::uint32_t>(crypto_pwhash_OPSLIMIT_INTERACTIVE),
            crypto_pwhash_MEMLIMIT_INTERACTIVE};
}
kdf_params kdf_params::cheap() noexcept {
    return {static_cast<std::uint32_t>(crypto_pwhash_argon2id_OPSLIMIT_MIN),
            crypto_pwhash_argon2id_MEMLIMIT_MIN};
}
bool kdf_params::acceptable() const noexcept {
    return opslimit >= crypto_pwhash_argon2id_OPSLIMIT_MIN && opslimit <= max_opslimit &&
           memlimit >= crypto_pwhash_argon2id_MEMLIMIT_MIN && memlimit <= max_memlimit;
}

secret_buffer make_passphrase(std::string_view text) {
    return secret_buffer({reinterpret_cast<const byte*>(text.data()), text.size()});
}

std::optional<sealing_key> sealing_key::derive(const secret_buffer& passphrase,
                                               const kdf_params& params, const seal_salt& salt) {
    if (!params.acceptable()) {
        return std::nullopt;
    }
    aead_key key;
    static const char empty = 0;
    const char* password =
        passphrase.empty() ? &empty : reinterpret_cast<const char*>(passphrase.data());
    if (crypto_pwhash(key.data(), key.size(), password, passphrase.size(), salt.data(),
                      params.opslimit, static_cast<std::size_t>(params.memlimit),
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
        return std::nullopt;
    }
    return sealing_key(params, salt, std::move(key));
}

std::optional<sealing_key> sealing_key::derive(const secret_buffer& passphrase,
                                               const kdf_params& params, random_source& random) {
    seal_salt salt;
    random.fill(salt.mutable_view());
    return derive(passphrase, params, salt);
}

std::string_view to_string(seal_error error) noexcept {
    switch (error) {
    case seal_error::malformed:
        return "malformed sealed data";
    case seal_error::unsupported_version:
        return "sealed by an unknown version";
    case seal_error::key_mismatch:
        return "sealed under other key parameters";
    case seal_error::authentication_failed:
        return "wrong passphrase or tampered data";
    }
    return "unknown";
}

std::optional<seal_header> read_seal_header(bytes_view blob) {
    if (blob.size() < header_size + aead_nonce_size + aead_tag_size) {
        return std::nullopt;
    }
    byte_reader reader(blob.first(header_size));
    if (reader.u8() != seal_version || reader.u8() != algorithm_argon2id_xchacha) {
        return std::nullopt;
    }
    seal_header header;
    header.params.opslimit = reader.u32();
    header.params.memlimit = reader.u64();
    header.salt = reader.fixed<seal_salt>();
    if (!reader.done() || !header.params.acceptable()) {
        return std::nullopt;
    }
    return header;
}

std::vector<byte> seal(const sealing_key& key, bytes_view plaintext, std::string_view context,
                       random_source& random) {
    std::vector<byte> out = header_of(key);
    aead_nonce nonce;
    random.fill(nonce.mutable_view());
    const auto ad = associated_data(bytes_view(out), context);
    out.insert(out.end(), nonce.bytes.begin(), nonce.bytes.end());
    const std::size_t start = out.size();
    out.resize(start + plaintext.size() + aead_tag_size);
    static_cast<void>(aead_encrypt(key.key_.view(), nonce, plaintext, ad,
                                   mutable_bytes_view(out).subspan(start)));
    return out;
}

std::variant<secret_buffer, seal_error> open_sealed(const sealing_key& key, bytes_view blob,
                                                    std::string_view context) {
    if (blob.size() < header_size + aead_nonce_size + aead_tag_size) {
        return seal_error::malformed;
    }
    if (blob[0] != seal_version || blob[1] != algorithm_argon2id_xchacha) {
        return seal_error::unsupported_version;
    }
    const auto header = read_seal_header(blob);
    if (!header) {
        return seal_error::malformed;
    }
    if (header->params != key.params() || header->salt != key.salt()) {
        return seal_error::key_mismatch;
    }
    aead_nonce nonce;
    static_cast<void>(aead_nonce::from(blob.subspan(header_size, aead_nonce_size), nonce));
    const auto ad = associated_data(blob.first(header_size), context);
    auto opened = aead_decrypt(key.key_, nonce, blob.subspan(header_size + aead_nonce_size), ad);
    if (!opened) {
        return seal_error::authentication_failed;
    }
    return std::move(*opened);
}

} // namespace sotto::crypto
