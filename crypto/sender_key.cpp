#include "crypto/sender_key.h"

#include "crypto/aead.h"
#include "crypto/codec.h"
#include "crypto/identity.h"

#include <sodium.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace sotto::crypto {

namespace {

constexpr byte message_version = 1;
constexpr byte distribution_version = 1;
constexpr byte sender_state_version = 1;
constexpr byte receiver_state_version = 1;
constexpr std::string_view message_key_label = "sotto/v1/group message key";
constexpr std::string_view chain_key_label = "sotto/v1/group chain key";
constexpr std::string_view signature_label = "sotto/v1/group message";
constexpr std::size_t distribution_size = 1 + group_id_size + 4 + 4 + 32 + 32;
constexpr std::size_t skipped_entry_size = 4 + 8 + 32;
constexpr std::size_t max_skipped_in_state = 1U << 16U;
// The receiver's next iteration may be one past the last a u32 can number.
constexpr std::uint64_t iteration_end = std::uint64_t{1} << 32U;

using key32 = decltype(sender_key_distribution::chain_key);

// Every message key encrypts exactly one message, so a fixed nonce is safe (PROTOCOL.md 2.9).
const aead_nonce zero_nonce{};

// The sender-chain KDF: two keyed BLAKE2b-256 with distinct labels, so neither output says
// anything about the other.
void message_key(const key32& chain, key32& out) noexcept {
    crypto_generichash(out.data(), 32, reinterpret_cast<const byte*>(message_key_label.data()),
                       message_key_label.size(), chain.data(), 32);
}
void next_chain_key(const key32& chain, key32& out) noexcept {
    crypto_generichash(out.data(), 32, reinterpret_cast<const byte*>(chain_key_label.data()),
                       chain_key_label.size(), chain.data(), 32);
}

void write_header(byte* out, const group_id& group, std::uint32_t chain_id,
                  std::uint32_t iteration) {
    std::vector<byte> header;
    header.reserve(group_message_header_size);
    byte_writer writer(header);
    writer.u8(message_version);
    writer.raw(group.view());
    writer.u32(chain_id);
    writer.u32(iteration);
    std::copy(header.begin(), header.end(), out);
}

// What the chain's signing key signs: label || u32 len(ad) || ad || header || ciphertext.
std::vector<byte> signed_message(bytes_view header_and_ciphertext, bytes_view associated_data) {
    std::vector<byte> out;
    out.reserve(signature_label.size() + 4 + associated_data.size() + header_and_ciphertext.size());
    byte_writer writer(out);
    writer.text(signature_label);
    writer.blob(associated_data);
    writer.raw(header_and_ciphertext);
    return out;
}

// AEAD associated data: header || the caller's associated data.
std::vector<byte> aead_ad(bytes_view header, bytes_view associated_data) {
    std::vector<byte> out;
    out.reserve(header.size() + associated_data.size());
    byte_writer writer(out);
    writer.raw(header);
    writer.raw(associated_data);
    return out;
}

bool valid_signing_key(const identity_public_key& key) noexcept {
    return crypto_core_ed25519_is_valid_point(key.data()) == 1;
}

std::int64_t to_ms(wall_time time) {
    return time.time_since_epoch().count();
}

template <typename Secret>
void read_secret(byte_reader& reader, Secret& secret) {
    const bytes_view raw = reader.raw(secret.size());
    if (reader.ok()) {
        std::copy(raw.begin(), raw.end(), secret.data());
    }
}

secret_buffer to_secret(std::vector<byte>& out) {
    secret_buffer result(out);
    sodium_memzero(out.data(), out.size());
    return result;
}

struct skipped_key {
    std::uint32_t iteration = 0;
    std::int64_t stored_ms = 0;
    key32 key;
};

} // namespace

std::string_view to_string(sender_key_error error) noexcept {
    switch (error) {
    case sender_key_error::malformed:
        return "malformed";
    case sender_key_error::unsupported_version:
        return "unsupported version";
    case sender_key_error::wrong_chain:
        return "wrong chain";
    case sender_key_error::bad_signature:
        return "bad signature";
    case sender_key_error::replay:
        return "replay";
    case sender_key_error::too_many_skipped:
        return "too many skipped messages";
    case sender_key_error::expired:
        return "expired";
    case sender_key_error::decrypt_failed:
        return "decryption failed";
    }
    return "unknown";
}

secret_buffer sender_key_distribution::serialize() const {
    std::vector<byte> out;
    out.reserve(distribution_size);
    byte_writer writer(out);
    writer.u8(distribution_version);
    writer.raw(group.view());
    writer.u32(chain_id);
    writer.u32(iteration);
    writer.raw(chain_key.view());
    writer.raw(signing_key.view());
    return to_secret(out);
}

std::optional<sender_key_distribution> sender_key_distribution::deserialize(bytes_view bytes) {
    if (bytes.size() != distribution_size) {
        return std::nullopt;
    }
    byte_reader reader(bytes);
    if (reader.u8() != distribution_version) {
        return std::nullopt;
    }
    sender_key_distribution out;
    out.group = reader.fixed<group_id>();
    out.chain_id = reader.u32();
    out.iteration = reader.u32();
    read_secret(reader, out.chain_key);
    out.signing_key = reader.fixed<identity_public_key>();
    if (!reader.done() || !valid_signing_key(out.signing_key)) {
        return std::nullopt;
    }
    return out;
}

std::optional<group_message_header> parse_group_message_header(bytes_view message) {
    if (message.size() < group_message_overhead) {
        return std::nullopt;
    }
    byte_reader reader(message);
    if (reader.u8() != message_version) {
        return std::nullopt;
    }
    group_message_header header;
    header.group = reader.fixed<group_id>();
    header.chain_id = reader.u32();
    header.iteration = reader.u32();
    return header;
}

// ---------------------------------------------------------------------------------------------
// Sender

struct sender_key_sender::data {
    data(const group_id& of_group, std::uint32_t id, std::uint32_t first, key32 key,
         identity_key_pair pair)
        : group(of_group), chain_id(id), iteration(first), chain_key(std::move(key)),
          signing(std::move(pair)) {}

    group_id group;
    std::uint32_t chain_id = 0;
    std::uint32_t iteration = 0;
    key32 chain_key;
    identity_key_pair signing;
};

sender_key_sender::sender_key_sender(std::unique_ptr<data> state) : data_(std::move(state)) {}
sender_key_sender::~sender_key_sender() = default;
sender_key_sender::sender_key_sender(sender_key_sender&&) noexcept = default;
sender_key_sender& sender_key_sender::operator=(sender_key_sender&&) noexcept = default;

sender_key_sender sender_key_sender::generate(const group_id& group, random_source& random) {
    std::array<byte, 4> id{};
    random.fill(id);
    key32 chain;
    random.fill(chain.mutable_view());
    const std::uint32_t chain_id = (std::uint32_t{id[0]} << 24U) | (std::uint32_t{id[1]} << 16U) |
                                   (std::uint32_t{id[2]} << 8U) | std::uint32_t{id[3]};
    auto d = std::make_unique<data>(group, chain_id, 0, std::move(chain),
                                    identity_key_pair::generate(random));
    return sender_key_sender(std::move(d));
}

sender_key_distribution sender_key_sender::distribution() const {
    const auto& d = *data_;
    sender_key_distribution out;
    out.group = d.group;
    out.chain_id = d.chain_id;
    out.iteration = d.iteration;
    out.chain_key = d.chain_key.clone();
    out.signing_key = d.signing.public_key();
    return out;
}

std::vector<byte> sender_key_sender::encrypt(bytes_view plaintext, bytes_view associated_data) {
    auto& d = *data_;
    if (d.iteration == std::numeric_limits<std::uint32_t>::max()) {
        throw std::logic_error("sender key: chain exhausted, rotate it");
    }
    key32 key;
    key32 next;
    message_key(d.chain_key, key);
    next_chain_key(d.chain_key, next);

    std::vector<byte> out(plaintext.size() + group_message_overhead);
    write_header(out.data(), d.group, d.chain_id, d.iteration);
    const bytes_view header{out.data(), group_message_header_size};
    const auto ad = aead_ad(header, associated_data);
    const std::size_t ciphertext_size = plaintext.size() + aead_tag_size;
    static_cast<void>(aead_encrypt(key.view(), zero_nonce, plaintext, ad,
                                   {out.data() + group_message_header_size, ciphertext_size}));
    const auto sig = d.signing.sign(
        signed_message({out.data(), group_message_header_size + ciphertext_size}, associated_data));
    std::copy(sig.bytes.begin(), sig.bytes.end(),
              out.begin() +
                  static_cast<std::ptrdiff_t>(group_message_header_size + ciphertext_size));
    d.chain_key = std::move(next);
    ++d.iteration;
    return out;
}

const group_id& sender_key_sender::group() const noexcept {
    return data_->group;
}
std::uint32_t sender_key_sender::chain_id() const noexcept {
    return data_->chain_id;
}
std::uint32_t sender_key_sender::iteration() const noexcept {
    return data_->iteration;
}

secret_buffer sender_key_sender::serialize() const {
    const auto& d = *data_;
    std::vector<byte> out;
    byte_writer writer(out);
    writer.u8(sender_state_version);
    writer.raw(d.group.view());
    writer.u32(d.chain_id);
    writer.u32(d.iteration);
    writer.raw(d.chain_key.view());
    writer.raw(d.signing.secret_key().view());
    return to_secret(out);
}

std::optional<sender_key_sender> sender_key_sender::deserialize(bytes_view bytes) {
    byte_reader reader(bytes);
    if (reader.u8() != sender_state_version) {
        return std::nullopt;
    }
    const auto group = reader.fixed<group_id>();
    const std::uint32_t chain_id = reader.u32();
    const std::uint32_t iteration = reader.u32();
    key32 chain;
    read_secret(reader, chain);
    identity_secret_key secret;
    read_secret(reader, secret);
    if (!reader.done()) {
        return std::nullopt;
    }
    auto signing = identity_key_pair::from_secret(std::move(secret));
    if (!signing) {
        return std::nullopt;
    }
    return sender_key_sender(
        std::make_unique<data>(group, chain_id, iteration, std::move(chain), std::move(*signing)));
}

// ---------------------------------------------------------------------------------------------
// Receiver

struct sender_key_receiver::data {
    ratchet_config config;
    group_id group;
    std::uint32_t chain_id = 0;
    identity_public_key signing_key;
    std::uint64_t next = 0; // the iteration chain_key belongs to
    key32 chain_key;
    std::vector<skipped_key> skipped; // oldest first
    std::uint64_t chain_steps = 0;

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
};

sender_key_receiver::sender_key_receiver(std::unique_ptr<data> state) : data_(std::move(state)) {}
sender_key_receiver::~sender_key_receiver() = default;
sender_key_receiver::sender_key_receiver(sender_key_receiver&&) noexcept = default;
sender_key_receiver& sender_key_receiver::operator=(sender_key_receiver&&) noexcept = default;

sender_key_receiver
sender_key_receiver::from_distribution(const sender_key_distribution& distribution,
                                       ratchet_config config) {
    auto d = std::make_unique<data>();
    d->config = config;
    d->group = distribution.group;
    d->chain_id = distribution.chain_id;
    d->signing_key = distribution.signing_key;
    d->next = distribution.iteration;
    d->chain_key = distribution.chain_key.clone();
    return sender_key_receiver(std::move(d));
}

std::variant<secret_buffer, sender_key_error>
sender_key_receiver::decrypt(bytes_view message, bytes_view associated_data, wall_time now) {
    auto& d = *data_;
    if (message.size() < group_message_overhead) {
        return sender_key_error::malformed;
    }
    if (message[0] != message_version) {
        return sender_key_error::unsupported_version;
    }
    const auto header_fields = parse_group_message_header(message);
    if (!header_fields || header_fields->group != d.group ||
        header_fields->chain_id != d.chain_id) {
        return sender_key_error::wrong_chain;
    }
    const std::size_t signed_size = message.size() - signature_size;
    signature sig;
    static_cast<void>(signature::from(message.subspan(signed_size), sig));
    // The signature first: a message not from the chain's owner derives nothing.
    if (!verify(d.signing_key, signed_message(message.first(signed_size), associated_data), sig)) {
        return sender_key_error::bad_signature;
    }
    const std::uint32_t iteration = header_fields->iteration;
    const bytes_view header = message.first(group_message_header_size);
    const bytes_view ciphertext =
        message.subspan(group_message_header_size, signed_size - group_message_header_size);
    const auto ad = aead_ad(header, associated_data);
    const std::int64_t now_ms = to_ms(now);
    secret_buffer plaintext(ciphertext.size() - aead_tag_size);
    byte unused = 0;
    const mutable_bytes_view target =
        plaintext.empty() ? mutable_bytes_view(&unused, 0) : plaintext.mutable_view();

    if (iteration < d.next) {
        const auto it =
            std::find_if(d.skipped.begin(), d.skipped.end(),
                         [&](const skipped_key& entry) { return entry.iteration == iteration; });
        if (it == d.skipped.end()) {
            return sender_key_error::replay;
        }
        if (it->stored_ms < now_ms - d.config.max_skipped_age.count()) {
            return sender_key_error::expired;
        }
        if (!aead_decrypt(it->key.view(), zero_nonce, ciphertext, ad, target)) {
            return sender_key_error::decrypt_failed;
        }
        d.skipped.erase(it);
        return plaintext;
    }

    const std::uint64_t skip = iteration - d.next;
    if (skip > d.config.max_skip) {
        return sender_key_error::too_many_skipped;
    }
    // Everything aside; committed only once the message authenticates.
    key32 chain = d.chain_key.clone();
    key32 next;
    std::vector<skipped_key> fresh;
    fresh.reserve(skip);
    for (std::uint64_t i = d.next; i < iteration; ++i) {
        skipped_key entry{static_cast<std::uint32_t>(i), now_ms, {}};
        message_key(chain, entry.key);
        next_chain_key(chain, next);
        std::swap(chain, next);
        ++d.chain_steps;
        fresh.push_back(std::move(entry));
    }
    key32 key;
    message_key(chain, key);
    next_chain_key(chain, next);
    ++d.chain_steps;
    if (!aead_decrypt(key.view(), zero_nonce, ciphertext, ad, target)) {
        return sender_key_error::decrypt_failed;
    }
    d.chain_key = std::move(next);
    d.next = std::uint64_t{iteration} + 1;
    d.store_skipped(fresh, now_ms);
    return plaintext;
}

void sender_key_receiver::expire_skipped(wall_time now) {
    std::vector<skipped_key> none;
    data_->store_skipped(none, to_ms(now));
}

std::size_t sender_key_receiver::skipped_keys() const noexcept {
    return data_->skipped.size();
}
std::uint64_t sender_key_receiver::chain_steps() const noexcept {
    return data_->chain_steps;
}
const group_id& sender_key_receiver::group() const noexcept {
    return data_->group;
}
std::uint32_t sender_key_receiver::chain_id() const noexcept {
    return data_->chain_id;
}

secret_buffer sender_key_receiver::serialize() const {
    const auto& d = *data_;
    std::vector<byte> out;
    out.reserve(128 + d.skipped.size() * skipped_entry_size);
    byte_writer writer(out);
    writer.u8(receiver_state_version);
    writer.raw(d.group.view());
    writer.u32(d.chain_id);
    writer.raw(d.signing_key.view());
    writer.u64(d.next);
    writer.raw(d.chain_key.view());
    writer.u32(static_cast<std::uint32_t>(d.skipped.size()));
    for (const auto& entry : d.skipped) {
        writer.u32(entry.iteration);
        writer.u64(static_cast<std::uint64_t>(entry.stored_ms));
        writer.raw(entry.key.view());
    }
    return to_secret(out);
}

std::optional<sender_key_receiver> sender_key_receiver::deserialize(bytes_view bytes,
                                                                    ratchet_config config) {
    byte_reader reader(bytes);
    if (reader.u8() != receiver_state_version) {
        return std::nullopt;
    }
    auto d = std::make_unique<data>();
    d->config = config;
    d->group = reader.fixed<group_id>();
    d->chain_id = reader.u32();
    d->signing_key = reader.fixed<identity_public_key>();
    d->next = reader.u64();
    read_secret(reader, d->chain_key);
    const std::uint32_t count = reader.u32();
    if (!reader.ok() || d->next > iteration_end || !valid_signing_key(d->signing_key) ||
        count > max_skipped_in_state || count * skipped_entry_size != reader.remaining()) {
        return std::nullopt;
    }
    d->skipped.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        skipped_key entry;
        entry.iteration = reader.u32();
        entry.stored_ms = static_cast<std::int64_t>(reader.u64());
        read_secret(reader, entry.key);
        if (entry.iteration >= d->next) {
            return std::nullopt;
        }
        d->skipped.push_back(std::move(entry));
    }
    if (!reader.done()) {
        return std::nullopt;
    }
    return sender_key_receiver(std::move(d));
}

} // namespace sotto::crypto
