#include "crypto/ratchet.h"

#include "crypto/aead.h"
#include "crypto/codec.h"
#include "crypto/hkdf.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace sotto::crypto {

namespace {

constexpr byte message_version = 1;
constexpr byte state_version = 1;
constexpr std::string_view root_label = "sotto/v1/ratchet root";
constexpr std::string_view first_chain_label = "sotto/v1/ratchet first chain";
constexpr std::string_view chain_label = "sotto/v1/chain";
constexpr std::size_t ad_size = ratchet_header_size + 2 * identity_public_key_size;
constexpr std::size_t max_skipped_in_state = 1U << 16U;
constexpr std::size_t max_retired_keys = 4;

using key32 = secret_bytes<32, struct ratchet_key_tag>;
using key64 = secret_bytes<64, struct ratchet_pair_tag>;

// KDF_CK: BLAKE2b-512 keyed by the chain key -> message key (first half) || next chain key.
void chain_step(const byte* chain_key, byte* out) noexcept {
    crypto_generichash(out, 64, reinterpret_cast<const byte*>(chain_label.data()),
                       chain_label.size(), chain_key, 32);
}

// KDF_RK: HKDF-SHA-256 salted with the root key -> next root key || chain key.
void root_step(bytes_view root, bytes_view dh_output, byte* out) noexcept {
    static_cast<void>(hkdf_sha256(
        root, dh_output, {reinterpret_cast<const byte*>(root_label.data()), root_label.size()},
        {out, 64}));
}

// Every message key encrypts exactly one message, so a fixed nonce is safe (as Signal's
// derived IVs): see PROTOCOL.md.
const aead_nonce zero_nonce{};

struct skipped_key {
    x25519_public_key dh;
    std::uint32_t n = 0;
    std::int64_t stored_ms = 0;
    key32 key;
};

std::int64_t to_ms(wall_time time) {
    return time.time_since_epoch().count();
}

void write_u32(byte* out, std::uint32_t value) {
    for (int i = 0; i < 4; ++i) {
        out[i] = static_cast<byte>(value >> (8 * (3 - i)));
    }
}

std::uint32_t read_u32(const byte* in) {
    return (std::uint32_t{in[0]} << 24U) | (std::uint32_t{in[1]} << 16U) |
           (std::uint32_t{in[2]} << 8U) | std::uint32_t{in[3]};
}

} // namespace

std::string_view to_string(ratchet_error error) noexcept {
    switch (error) {
    case ratchet_error::malformed:
        return "malformed";
    case ratchet_error::unsupported_version:
        return "unsupported version";
    case ratchet_error::low_order_key:
        return "low-order key";
    case ratchet_error::reflected:
        return "reflected";
    case ratchet_error::replay:
        return "replay";
    case ratchet_error::too_many_skipped:
        return "too many skipped messages";
    case ratchet_error::expired:
        return "expired";
    case ratchet_error::no_chain:
        return "no such chain";
    case ratchet_error::decrypt_failed:
        return "decryption failed";
    }
    return "unknown";
}

struct ratchet::data {
    ratchet_config config;
    identity_public_key my_identity;
    identity_public_key peer_identity;
    key32 root;
    x25519_key_pair dhs;
    x25519_public_key dhr;
    key32 cks;
    key32 ckr;
    bool has_cks = false;
    bool has_ckr = false;
    bool send_ratchet_pending = false;
    std::uint32_t ns = 0;
    std::uint32_t nr = 0;
    std::uint32_t pn = 0;
    std::vector<skipped_key> skipped; // oldest first
    // The peer's last few ratchet keys before dhr: a message under one of them that has no
    // skipped key left is a replay, refused without a DH computation.
    std::vector<x25519_public_key> retired;
    std::uint64_t sent_total = 0;
    std::uint64_t received_total = 0;
    std::uint64_t chain_steps = 0;
    key64 scratch;

    // Derives `count` message keys of a chain starting at message `first` into `out`,
    // advancing `chain` (a copy: nothing is committed here).
    void skip_keys(key32& chain, const x25519_public_key& dh, std::uint32_t first,
                   std::uint32_t count, std::int64_t now_ms, std::vector<skipped_key>& out) {
        for (std::uint32_t i = 0; i < count; ++i) {
            chain_step(chain.data(), scratch.data());
            ++chain_steps;
            skipped_key entry{dh, first + i, now_ms, {}};
            std::copy_n(scratch.data(), 32, entry.key.data());
            std::copy_n(scratch.data() + 32, 32, chain.data());
            out.push_back(std::move(entry));
        }
    }

    void store_skipped(std::vector<skipped_key>& fresh, std::int64_t now_ms) {
        const std::int64_t oldest = now_ms - config.max_skipped_age.count();
        std::erase_if(skipped, [&](const skipped_key& entry) { return entry.stored_ms < oldest; });
        for (auto& entry : fresh) {
            skipped.push_back(std::move(entry));
        }
        if (skipped.size() > config.max_skipped_total) {
            skipped.erase(skipped.begin(),
                          skipped.begin() + static_cast<std::ptrdiff_t>(skipped.size() -
                                                                        config.max_skipped_total));
        }
    }

    void build_ad(bytes_view header, std::array<byte, ad_size>& ad, bool sending) const {
        std::copy(header.begin(), header.end(), ad.begin());
        const auto& sender = sending ? my_identity : peer_identity;
        const auto& recipient = sending ? peer_identity : my_identity;
        std::copy(sender.bytes.begin(), sender.bytes.end(), ad.begin() + ratchet_header_size);
        std::copy(recipient.bytes.begin(), recipient.bytes.end(),
                  ad.begin() + ratchet_header_size + 32);
    }
};

ratchet::ratchet(std::unique_ptr<data> state) : data_(std::move(state)) {}
ratchet::~ratchet() = default;
ratchet::ratchet(ratchet&&) noexcept = default;
ratchet& ratchet::operator=(ratchet&&) noexcept = default;

ratchet ratchet::from_handshake(const established_session& session, ratchet_config config) {
    auto d = std::make_unique<data>();
    d->config = config;
    d->my_identity = session.my_identity;
    d->peer_identity = session.peer_identity;
    std::copy_n(session.root.data(), 32, d->root.data());
    d->dhs = session.my_ephemeral.clone();
    d->dhr = session.peer_ephemeral;
    // The responder's first sending chain comes from the root key alone, keyed to its
    // handshake ephemeral, so that it can write before the initiator's first DH step.
    key32 first_chain;
    static_cast<void>(hkdf_sha256(
        session.root.view(), {},
        {reinterpret_cast<const byte*>(first_chain_label.data()), first_chain_label.size()},
        first_chain.mutable_view()));
    if (session.role == session_role::initiator) {
        std::copy_n(first_chain.data(), 32, d->ckr.data());
        d->has_ckr = true;
        d->send_ratchet_pending = true;
    } else {
        std::copy_n(first_chain.data(), 32, d->cks.data());
        d->has_cks = true;
    }
    return ratchet(std::move(d));
}

void ratchet::encrypt(bytes_view plaintext, random_source& random, std::vector<byte>& out) {
    auto& d = *data_;
    if (d.send_ratchet_pending) {
        auto fresh = x25519_key_pair::generate(random);
        key32 shared;
        if (!x25519(fresh.secret_key, d.dhr, shared.mutable_view())) {
            throw std::logic_error("ratchet: a stored peer key is low order"); // checked on entry
        }
        root_step(d.root.view(), shared.view(), d.scratch.data());
        std::copy_n(d.scratch.data(), 32, d.root.data());
        std::copy_n(d.scratch.data() + 32, 32, d.cks.data());
        d.dhs = std::move(fresh);
        d.has_cks = true;
        d.ns = 0;
        d.send_ratchet_pending = false;
    }
    chain_step(d.cks.data(), d.scratch.data());
    ++d.chain_steps;

    out.resize(plaintext.size() + ratchet_overhead);
    byte* header = out.data();
    header[0] = message_version;
    std::copy(d.dhs.public_key.bytes.begin(), d.dhs.public_key.bytes.end(), header + 1);
    write_u32(header + 33, d.pn);
    write_u32(header + 37, d.ns);
    std::array<byte, ad_size> ad{};
    d.build_ad({header, ratchet_header_size}, ad, true);
    static_cast<void>(
        aead_encrypt({d.scratch.data(), 32}, zero_nonce, plaintext, ad,
                     {out.data() + ratchet_header_size, plaintext.size() + aead_tag_size}));
    std::copy_n(d.scratch.data() + 32, 32, d.cks.data());
    sodium_memzero(d.scratch.data(), d.scratch.size());
    ++d.ns;
    ++d.sent_total;
}

std::vector<byte> ratchet::encrypt(bytes_view plaintext, random_source& random) {
    std::vector<byte> out;
    encrypt(plaintext, random, out);
    return out;
}

std::optional<ratchet_error> ratchet::decrypt(bytes_view message, wall_time now,
                                              mutable_bytes_view out) {
    auto& d = *data_;
    const auto fail = [&](ratchet_error error) {
        sodium_memzero(out.data(), out.size());
        sodium_memzero(d.scratch.data(), d.scratch.size());
        return std::optional<ratchet_error>(error);
    };
    if (message.size() < ratchet_overhead || out.size() != message.size() - ratchet_overhead) {
        return fail(ratchet_error::malformed);
    }
    if (message[0] != message_version) {
        return fail(ratchet_error::unsupported_version);
    }
    const bytes_view header = message.first(ratchet_header_size);
    const bytes_view ciphertext = message.subspan(ratchet_header_size);
    x25519_public_key dh;
    std::copy_n(message.data() + 1, 32, dh.data());
    const std::uint32_t pn = read_u32(message.data() + 33);
    const std::uint32_t n = read_u32(message.data() + 37);
    std::array<byte, ad_size> ad{};
    d.build_ad(header, ad, false);
    const std::int64_t now_ms = to_ms(now);

    if (dh == d.dhs.public_key) {
        return fail(ratchet_error::reflected);
    }
    if (is_low_order(dh)) {
        return fail(ratchet_error::low_order_key);
    }

    // A key skipped earlier.
    for (auto it = d.skipped.begin(); it != d.skipped.end(); ++it) {
        if (it->n == n && it->dh == dh) {
            if (it->stored_ms < now_ms - d.config.max_skipped_age.count()) {
                return fail(ratchet_error::expired);
            }
            if (!aead_decrypt(it->key.view(), zero_nonce, ciphertext, ad, out)) {
                return fail(ratchet_error::decrypt_failed);
            }
            d.skipped.erase(it);
            ++d.received_total;
            return std::nullopt;
        }
    }

    // The current receiving chain.
    if (dh == d.dhr) {
        if (!d.has_ckr) {
            return fail(ratchet_error::no_chain);
        }
        if (n < d.nr) {
            return fail(ratchet_error::replay);
        }
        const std::uint32_t skip = n - d.nr;
        if (skip > d.config.max_skip) {
            return fail(ratchet_error::too_many_skipped);
        }
        if (skip == 0) {
            chain_step(d.ckr.data(), d.scratch.data());
            ++d.chain_steps;
            if (!aead_decrypt({d.scratch.data(), 32}, zero_nonce, ciphertext, ad, out)) {
                return fail(ratchet_error::decrypt_failed);
            }
            std::copy_n(d.scratch.data() + 32, 32, d.ckr.data());
            sodium_memzero(d.scratch.data(), d.scratch.size());
            ++d.nr;
            ++d.received_total;
            return std::nullopt;
        }
        key32 chain = d.ckr.clone();
        std::vector<skipped_key> fresh;
        fresh.reserve(skip);
        d.skip_keys(chain, dh, d.nr, skip, now_ms, fresh);
        chain_step(chain.data(), d.scratch.data());
        ++d.chain_steps;
        if (!aead_decrypt({d.scratch.data(), 32}, zero_nonce, ciphertext, ad, out)) {
            return fail(ratchet_error::decrypt_failed);
        }
        std::copy_n(d.scratch.data() + 32, 32, d.ckr.data());
        sodium_memzero(d.scratch.data(), d.scratch.size());
        d.nr = n + 1;
        d.store_skipped(fresh, now_ms);
        ++d.received_total;
        return std::nullopt;
    }

    if (std::find(d.retired.begin(), d.retired.end(), dh) != d.retired.end()) {
        return fail(ratchet_error::replay);
    }

    // A new ratchet key from the peer: a DH ratchet step, all computed aside.
    const std::uint32_t skip_old = d.has_ckr && pn > d.nr ? pn - d.nr : 0;
    if (skip_old > d.config.max_skip || n > d.config.max_skip) {
        return fail(ratchet_error::too_many_skipped);
    }
    std::vector<skipped_key> fresh;
    fresh.reserve(std::size_t{skip_old} + n);
    if (skip_old > 0) {
        key32 old_chain = d.ckr.clone();
        d.skip_keys(old_chain, d.dhr, d.nr, skip_old, now_ms, fresh);
    }
    key32 shared;
    if (!x25519(d.dhs.secret_key, dh, shared.mutable_view())) {
        return fail(ratchet_error::low_order_key);
    }
    key64 next;
    root_step(d.root.view(), shared.view(), next.data());
    key32 chain;
    std::copy_n(next.data() + 32, 32, chain.data());
    d.skip_keys(chain, dh, 0, n, now_ms, fresh);
    chain_step(chain.data(), d.scratch.data());
    ++d.chain_steps;
    if (!aead_decrypt({d.scratch.data(), 32}, zero_nonce, ciphertext, ad, out)) {
        return fail(ratchet_error::decrypt_failed);
    }
    std::copy_n(next.data(), 32, d.root.data());
    std::copy_n(d.scratch.data() + 32, 32, d.ckr.data());
    sodium_memzero(d.scratch.data(), d.scratch.size());
    if (d.has_ckr) {
        if (d.retired.size() == max_retired_keys) {
            d.retired.erase(d.retired.begin());
        }
        d.retired.push_back(d.dhr);
    }
    d.has_ckr = true;
    d.dhr = dh;
    d.nr = n + 1;
    d.pn = d.ns;
    d.send_ratchet_pending = true;
    d.store_skipped(fresh, now_ms);
    ++d.received_total;
    return std::nullopt;
}

std::variant<secret_buffer, ratchet_error> ratchet::decrypt(bytes_view message, wall_time now) {
    if (message.size() < ratchet_overhead) {
        return ratchet_error::malformed;
    }
    secret_buffer plaintext(message.size() - ratchet_overhead);
    byte unused = 0;
    const mutable_bytes_view target =
        plaintext.empty() ? mutable_bytes_view(&unused, 0) : plaintext.mutable_view();
    if (const auto error = decrypt(message, now, target)) {
        return *error;
    }
    return plaintext;
}

void ratchet::expire_skipped(wall_time now) {
    std::vector<skipped_key> none;
    data_->store_skipped(none, to_ms(now));
}

std::size_t ratchet::skipped_keys() const noexcept {
    return data_->skipped.size();
}
std::uint64_t ratchet::messages_sent() const noexcept {
    return data_->sent_total;
}
std::uint64_t ratchet::messages_received() const noexcept {
    return data_->received_total;
}
std::uint64_t ratchet::chain_steps() const noexcept {
    return data_->chain_steps;
}

secret_buffer ratchet::serialize() const {
    const auto& d = *data_;
    std::vector<byte> out;
    out.reserve(256 + d.skipped.size() * 80);
    byte_writer writer(out);
    writer.u8(state_version);
    writer.raw(d.my_identity.view());
    writer.raw(d.peer_identity.view());
    writer.raw(d.root.view());
    writer.raw(d.dhs.secret_key.view());
    writer.raw(d.dhr.view());
    writer.u8(static_cast<std::uint8_t>((d.has_cks ? 1U : 0U) | (d.has_ckr ? 2U : 0U) |
                                        (d.send_ratchet_pending ? 4U : 0U)));
    writer.raw(d.cks.view());
    writer.raw(d.ckr.view());
    writer.u32(d.ns);
    writer.u32(d.nr);
    writer.u32(d.pn);
    writer.u64(d.sent_total);
    writer.u64(d.received_total);
    writer.u8(static_cast<std::uint8_t>(d.retired.size()));
    for (const auto& key : d.retired) {
        writer.raw(key.view());
    }
    writer.u32(static_cast<std::uint32_t>(d.skipped.size()));
    for (const auto& entry : d.skipped) {
        writer.raw(entry.dh.view());
        writer.u32(entry.n);
        writer.u64(static_cast<std::uint64_t>(entry.stored_ms));
        writer.raw(entry.key.view());
    }
    secret_buffer result(out);
    sodium_memzero(out.data(), out.size());
    return result;
}

std::optional<ratchet> ratchet::deserialize(bytes_view bytes, ratchet_config config) {
    byte_reader reader(bytes);
    if (reader.u8() != state_version) {
        return std::nullopt;
    }
    auto d = std::make_unique<data>();
    d->config = config;
    const auto read_secret = [&](auto& secret) {
        const bytes_view raw = reader.raw(secret.size());
        if (reader.ok()) {
            std::copy(raw.begin(), raw.end(), secret.data());
        }
    };
    d->my_identity = reader.fixed<identity_public_key>();
    d->peer_identity = reader.fixed<identity_public_key>();
    read_secret(d->root);
    x25519_secret_key dhs_secret;
    read_secret(dhs_secret);
    d->dhs = x25519_key_pair::from_secret(std::move(dhs_secret));
    d->dhr = reader.fixed<x25519_public_key>();
    const std::uint8_t flags = reader.u8();
    d->has_cks = (flags & 1U) != 0;
    d->has_ckr = (flags & 2U) != 0;
    d->send_ratchet_pending = (flags & 4U) != 0;
    read_secret(d->cks);
    read_secret(d->ckr);
    d->ns = reader.u32();
    d->nr = reader.u32();
    d->pn = reader.u32();
    d->sent_total = reader.u64();
    d->received_total = reader.u64();
    const std::uint8_t retired = reader.u8();
    if (retired > max_retired_keys) {
        return std::nullopt;
    }
    for (std::uint8_t i = 0; i < retired; ++i) {
        d->retired.push_back(reader.fixed<x25519_public_key>());
    }
    const std::uint32_t count = reader.u32();
    if (!reader.ok() || flags > 7U || count > max_skipped_in_state ||
        count * std::size_t{76} != reader.remaining() || is_low_order(d->dhr) ||
        (!d->has_cks && !d->send_ratchet_pending)) {
        return std::nullopt;
    }
    d->skipped.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        skipped_key entry;
        entry.dh = reader.fixed<x25519_public_key>();
        entry.n = reader.u32();
        entry.stored_ms = static_cast<std::int64_t>(reader.u64());
        read_secret(entry.key);
        d->skipped.push_back(std::move(entry));
    }
    if (!reader.done()) {
        return std::nullopt;
    }
    return ratchet(std::move(d));
}

} // namespace sotto::crypto
