#include "crypto/handshake.h"

#include "crypto/codec.h"
#include "crypto/hkdf.h"

#include <sodium.h>

#include <algorithm>
#include <stdexcept>

namespace sotto::crypto {

namespace {

constexpr byte protocol_version = 1;
constexpr byte offer_type = 1;
constexpr byte confirm_type = 2;
constexpr byte state_version = 1;

constexpr std::string_view offer_label = "sotto/v1/offer";
constexpr std::string_view transcript_label = "sotto/v1/transcript";
constexpr std::string_view keys_label = "sotto/v1/handshake keys";
constexpr std::string_view confirm_label = "sotto/v1/confirm";

constexpr std::size_t offer_fixed_size = 2 + 32 + 32 + 32 + 8;
constexpr std::size_t max_offer_size = offer_fixed_size + 2 + 2 * max_username_size + 64;
constexpr std::size_t confirm_size = 3 + 32 + 32;

using confirm_key = secret_bytes<32, struct confirm_key_tag>;

bool valid_username(std::string_view name) {
    return !name.empty() && name.size() <= max_username_size;
}

struct stored_offer {
    std::vector<byte> bytes;
    offer_fields fields;
};

std::uint64_t to_ms(wall_time time) {
    const auto count = time.time_since_epoch().count();
    return count < 0 ? 0 : static_cast<std::uint64_t>(count);
}

std::vector<byte> signed_region(bytes_view offer_without_signature) {
    std::vector<byte> out;
    byte_writer writer(out);
    writer.text(offer_label);
    writer.raw(offer_without_signature);
    return out;
}

stored_offer make_offer(const identity_key_pair& me, const std::optional<identity_public_key>& peer,
                        const x25519_public_key& ephemeral, std::string_view my_name,
                        std::string_view peer_name, wall_time now) {
    stored_offer offer;
    offer.fields = {me.public_key(),
                    peer.value_or(identity_public_key{}),
                    ephemeral,
                    to_ms(now),
                    std::string(my_name),
                    std::string(peer_name)};
    byte_writer writer(offer.bytes);
    writer.u8(protocol_version);
    writer.u8(offer_type);
    writer.raw(offer.fields.sender_identity.view());
    writer.raw(offer.fields.recipient_identity.view());
    writer.raw(ephemeral.view());
    writer.u64(offer.fields.timestamp_ms);
    writer.u8(static_cast<std::uint8_t>(my_name.size()));
    writer.text(my_name);
    writer.u8(static_cast<std::uint8_t>(peer_name.size()));
    writer.text(peer_name);
    const signature sig = me.sign(signed_region(offer.bytes));
    writer.raw(sig.view());
    return offer;
}

struct derived_keys {
    sha256_digest transcript;
    root_key root;
    confirm_key initiator_confirm;
    confirm_key responder_confirm;
};

session_role role_of(const x25519_public_key& mine, const x25519_public_key& theirs) {
    return mine < theirs ? session_role::initiator : session_role::responder;
}

sha256_digest transcript_of(const stored_offer& a, const stored_offer& b) {
    const bool a_first = a.fields.ephemeral < b.fields.ephemeral;
    const stored_offer& first = a_first ? a : b;
    const stored_offer& second = a_first ? b : a;
    std::vector<byte> input;
    byte_writer writer(input);
    writer.text(transcript_label);
    writer.blob(first.bytes);
    writer.blob(second.bytes);
    return sha256(input);
}

std::optional<derived_keys> derive(const x25519_key_pair& mine, const stored_offer& my_offer,
                                   const stored_offer& peer_offer) {
    if (mine.public_key == peer_offer.fields.ephemeral) {
        return std::nullopt;
    }
    const auto shared = x25519(mine.secret_key, peer_offer.fields.ephemeral);
    if (!shared) {
        return std::nullopt;
    }
    derived_keys keys;
    keys.transcript = transcript_of(my_offer, peer_offer);
    secret_bytes<96, struct okm_tag> okm;
    std::vector<byte> info(keys_label.begin(), keys_label.end());
    static_cast<void>(
        hkdf_sha256(keys.transcript.view(), shared->view(), info, okm.mutable_view()));
    std::copy_n(okm.data(), 32, keys.root.data());
    std::copy_n(okm.data() + 32, 32, keys.initiator_confirm.data());
    std::copy_n(okm.data() + 64, 32, keys.responder_confirm.data());
    return keys;
}

std::array<byte, 32> confirm_mac(const confirm_key& key, session_role role,
                                 const sha256_digest& transcript) {
    std::vector<byte> input;
    byte_writer writer(input);
    writer.text(confirm_label);
    writer.u8(static_cast<byte>(role));
    writer.raw(transcript.view());
    std::array<byte, 32> mac{};
    static_cast<void>(hmac_sha256(key.view(), input, mac));
    return mac;
}

std::vector<byte> make_confirm(const derived_keys& keys, session_role role) {
    const auto& key =
        role == session_role::initiator ? keys.initiator_confirm : keys.responder_confirm;
    std::vector<byte> out;
    byte_writer writer(out);
    writer.u8(protocol_version);
    writer.u8(confirm_type);
    writer.u8(static_cast<byte>(role));
    writer.raw(keys.transcript.view());
    writer.raw(confirm_mac(key, role, keys.transcript));
    return out;
}

} // namespace

namespace {
handshake_actions single(handshake_action_variant action) {
    handshake_actions out;
    out.push_back(std::move(action));
    return out;
}
} // namespace

std::string_view to_string(handshake_error error) noexcept {
    switch (error) {
    case handshake_error::malformed:
        return "malformed";
    case handshake_error::unsupported_version:
        return "unsupported version";
    case handshake_error::bad_signature:
        return "bad signature";
    case handshake_error::misaddressed:
        return "misaddressed";
    case handshake_error::reflected:
        return "reflected";
    case handshake_error::stale:
        return "stale";
    case handshake_error::low_order_key:
        return "low-order key";
    case handshake_error::blocked:
        return "blocked by a key change";
    case handshake_error::bad_confirm:
        return "bad confirm";
    case handshake_error::unexpected_confirm:
        return "unexpected confirm";
    }
    return "unknown";
}

std::string_view to_string(handshake_state state) noexcept {
    switch (state) {
    case handshake_state::no_session:
        return "no session";
    case handshake_state::offering:
        return "offering";
    case handshake_state::confirming:
        return "confirming";
    case handshake_state::established:
        return "established";
    case handshake_state::key_changed:
        return "key changed";
    }
    return "unknown";
}

std::optional<offer_fields> parse_offer(bytes_view offer, handshake_error* error) {
    const auto fail = [&](handshake_error reason) -> std::optional<offer_fields> {
        if (error != nullptr) {
            *error = reason;
        }
        return std::nullopt;
    };
    if (offer.size() < offer_fixed_size + 2 + signature_size || offer.size() > max_offer_size) {
        return fail(handshake_error::malformed);
    }
    byte_reader reader(offer.first(offer.size() - signature_size));
    if (reader.u8() != protocol_version) {
        return fail(handshake_error::unsupported_version);
    }
    if (reader.u8() != offer_type) {
        return fail(handshake_error::malformed);
    }
    offer_fields fields;
    fields.sender_identity = reader.fixed<identity_public_key>();
    fields.recipient_identity = reader.fixed<identity_public_key>();
    fields.ephemeral = reader.fixed<x25519_public_key>();
    fields.timestamp_ms = reader.u64();
    const auto read_name = [&](std::string& name) {
        const bytes_view raw = reader.raw(reader.u8());
        name.assign(raw.begin(), raw.end());
    };
    read_name(fields.sender_username);
    read_name(fields.recipient_username);
    if (!reader.done() || !valid_username(fields.sender_username) ||
        !valid_username(fields.recipient_username)) {
        return fail(handshake_error::malformed);
    }
    signature sig;
    static_cast<void>(signature::from(offer.last(signature_size), sig));
    if (!verify(fields.sender_identity, signed_region(offer.first(offer.size() - signature_size)),
                sig)) {
        return fail(handshake_error::bad_signature);
    }
    return fields;
}

struct handshake::data {
    const identity_key_pair* me = nullptr;
    std::string my_username;
    std::string peer_username;
    std::optional<identity_public_key> pinned;
    handshake_config config;

    handshake_state state = handshake_state::no_session;
    std::optional<stored_offer> my_offer;
    std::optional<x25519_key_pair> my_ephemeral; // offering and confirming only
    std::optional<stored_offer> peer_offer;      // confirming and established
    std::optional<derived_keys> keys;            // confirming only
    sha256_digest transcript;                    // confirming and established
    std::vector<byte> my_confirm;                // confirming and established
    std::optional<stored_offer> changed_offer;   // key_changed: the offer under the new key

    std::uint32_t resend_count = 0;
    std::uint32_t backoff_step = 0;
    std::optional<wall_time> next_resend;

    session_role my_role() const {
        return role_of(my_offer->fields.ephemeral, peer_offer->fields.ephemeral);
    }

    void arm(wall_time now, random_source& random, handshake_actions& out) {
        auto delay = config.first_resend;
        for (std::uint32_t i = 0; i < backoff_step && delay < config.max_resend; ++i) {
            delay *= 2;
        }
        delay = std::min(delay, config.max_resend);
        // Jitter: up to a quarter shorter, so peers that started together drift apart.
        const auto spread =
            static_cast<std::uint32_t>(std::max<std::int64_t>(delay.count() / 4, 1));
        delay -= std::chrono::milliseconds(random.uniform(spread));
        backoff_step = std::min<std::uint32_t>(backoff_step + 1, 32);
        next_resend = now + delay;
        out.emplace_back(handshake_action::arm_timer{delay});
    }

    void send_mine(handshake_actions& out) const {
        if (my_offer) {
            out.emplace_back(handshake_action::send_offer{my_offer->bytes});
        }
        if (state == handshake_state::confirming) {
            out.emplace_back(handshake_action::send_confirm{my_confirm});
        }
    }

    void clear_session() {
        my_offer.reset();
        my_ephemeral.reset();
        peer_offer.reset();
        keys.reset();
        transcript = {};
        my_confirm.clear();
        next_resend.reset();
        backoff_step = 0;
        resend_count = 0;
    }

    handshake_actions start_offering(wall_time now, random_source& random) {
        clear_session();
        changed_offer.reset();
        auto ephemeral = x25519_key_pair::generate(random);
        my_offer = make_offer(*me, pinned, ephemeral.public_key, my_username, peer_username, now);
        my_ephemeral = std::move(ephemeral);
        state = handshake_state::offering;
        handshake_actions out;
        send_mine(out);
        arm(now, random, out);
        return out;
    }
};

handshake::handshake(const identity_key_pair& me, std::string my_username,
                     std::string peer_username, std::optional<identity_public_key> pinned_peer_key,
                     handshake_config config)
    : data_(std::make_unique<data>()) {
    if (!valid_username(my_username) || !valid_username(peer_username)) {
        throw std::invalid_argument("handshake: a username must be 1 to 64 bytes");
    }
    data_->me = &me;
    data_->my_username = std::move(my_username);
    data_->peer_username = std::move(peer_username);
    data_->pinned = pinned_peer_key;
    data_->config = config;
}

handshake::handshake(std::unique_ptr<data> state) : data_(std::move(state)) {}
handshake::~handshake() = default;
handshake::handshake(handshake&&) noexcept = default;
handshake& handshake::operator=(handshake&&) noexcept = default;

handshake_actions handshake::open(wall_time now, random_source& random) {
    auto& d = *data_;
    if (d.state == handshake_state::key_changed) {
        return single(handshake_action::rejected{handshake_error::blocked});
    }
    if (d.state != handshake_state::no_session) {
        return {};
    }
    return d.start_offering(now, random);
}

handshake_actions handshake::timer_fired(wall_time now, random_source& random) {
    auto& d = *data_;
    if (d.state != handshake_state::offering && d.state != handshake_state::confirming) {
        return {};
    }
    handshake_actions out;
    ++d.resend_count;
    d.send_mine(out);
    d.arm(now, random, out);
    return out;
}

handshake_actions handshake::peer_came_online(wall_time now, random_source& random) {
    auto& d = *data_;
    if (d.state != handshake_state::offering && d.state != handshake_state::confirming) {
        return {};
    }
    d.backoff_step = 0;
    return timer_fired(now, random);
}

handshake_actions handshake::offer_received(bytes_view bytes, wall_time now,
                                            random_source& random) {
    using handshake_action::rejected;
    auto& d = *data_;
    handshake_error error = handshake_error::malformed;
    auto fields = parse_offer(bytes, &error);
    if (!fields) {
        return single(rejected{error});
    }
    if (fields->sender_identity == d.me->public_key() ||
        (d.my_offer && fields->ephemeral == d.my_offer->fields.ephemeral)) {
        return single(rejected{handshake_error::reflected});
    }
    if (fields->sender_username != d.peer_username || fields->recipient_username != d.my_username ||
        (fields->recipient_identity != identity_public_key{} &&
         fields->recipient_identity != d.me->public_key())) {
        return single(rejected{handshake_error::misaddressed});
    }
    if (is_low_order(fields->ephemeral)) {
        return single(rejected{handshake_error::low_order_key});
    }
    const std::uint64_t now_ms = to_ms(now);
    const auto age_limit = static_cast<std::uint64_t>(d.config.max_offer_age.count());
    const auto skew_limit = static_cast<std::uint64_t>(d.config.max_clock_skew.count());
    if (fields->timestamp_ms > now_ms + skew_limit ||
        (now_ms > age_limit && fields->timestamp_ms < now_ms - age_limit)) {
        return single(rejected{handshake_error::stale});
    }
    stored_offer incoming{std::vector<byte>(bytes.begin(), bytes.end()), std::move(*fields)};

    if (d.pinned && *d.pinned != incoming.fields.sender_identity) {
        if (d.state == handshake_state::key_changed && d.changed_offer &&
            d.changed_offer->fields.sender_identity == incoming.fields.sender_identity) {
            if (incoming.fields.timestamp_ms > d.changed_offer->fields.timestamp_ms) {
                d.changed_offer = std::move(incoming);
            }
            return single(rejected{handshake_error::blocked});
        }
        const identity_public_key old_key = *d.pinned;
        const identity_public_key new_key = incoming.fields.sender_identity;
        d.clear_session();
        d.changed_offer = std::move(incoming);
        d.state = handshake_state::key_changed;
        return single(handshake_action::key_changed{old_key, new_key});
    }
    if (d.state == handshake_state::key_changed) {
        return single(rejected{handshake_error::blocked});
    }

    if (d.peer_offer) {
        if (incoming.fields.ephemeral == d.peer_offer->fields.ephemeral) {
            // A duplicate: the peer may lack what we sent, so answer without changing state.
            handshake_actions out;
            if (d.state == handshake_state::confirming) {
                d.send_mine(out);
            } else if (d.state == handshake_state::established) {
                out.emplace_back(handshake_action::send_confirm{d.my_confirm});
            }
            return out;
        }
        if (incoming.fields.timestamp_ms < d.peer_offer->fields.timestamp_ms) {
            return single(rejected{handshake_error::stale});
        }
    }

    // A new peer offer. Pair it with my current offer while I have one in flight; from
    // no_session or established (a restarted peer) make a fresh one. Everything is computed
    // aside and committed only when the keys derive.
    const bool fresh =
        d.state == handshake_state::no_session || d.state == handshake_state::established;
    std::optional<x25519_key_pair> ephemeral;
    std::optional<stored_offer> my_offer;
    if (fresh) {
        ephemeral = x25519_key_pair::generate(random);
        my_offer = make_offer(*d.me, incoming.fields.sender_identity, ephemeral->public_key,
                              d.my_username, d.peer_username, now);
    } else {
        ephemeral = d.my_ephemeral->clone();
        my_offer = *d.my_offer;
    }
    auto keys = derive(*ephemeral, *my_offer, incoming);
    if (!keys) {
        return single(rejected{handshake_error::low_order_key});
    }
    if (!d.pinned) {
        d.pinned = incoming.fields.sender_identity; // trust on first use
    }
    if (fresh) {
        d.clear_session();
    }
    d.my_ephemeral = std::move(ephemeral);
    d.my_offer = std::move(my_offer);
    d.peer_offer = std::move(incoming);
    d.transcript = keys->transcript;
    d.state = handshake_state::confirming;
    d.my_confirm = make_confirm(*keys, d.my_role());
    d.keys = std::move(keys);
    d.backoff_step = 0;
    handshake_actions out;
    d.send_mine(out);
    d.arm(now, random, out);
    return out;
}

handshake_actions handshake::confirm_received(bytes_view bytes, wall_time /*now*/) {
    using handshake_action::rejected;
    auto& d = *data_;
    if (bytes.size() != confirm_size) {
        return single(rejected{handshake_error::malformed});
    }
    byte_reader reader(bytes);
    if (reader.u8() != protocol_version) {
        return single(rejected{handshake_error::unsupported_version});
    }
    const byte type = reader.u8();
    const byte role_byte = reader.u8();
    if (type != confirm_type || (role_byte != static_cast<byte>(session_role::initiator) &&
                                 role_byte != static_cast<byte>(session_role::responder))) {
        return single(rejected{handshake_error::malformed});
    }
    const auto role = static_cast<session_role>(role_byte);
    const auto transcript = reader.fixed<sha256_digest>();
    const bytes_view mac = reader.raw(32);
    if (d.state == handshake_state::key_changed) {
        return single(rejected{handshake_error::blocked});
    }
    if ((d.state != handshake_state::confirming && d.state != handshake_state::established) ||
        transcript != d.transcript) {
        return single(rejected{handshake_error::unexpected_confirm});
    }
    if (role == d.my_role()) {
        return single(rejected{handshake_error::reflected});
    }
    if (d.state == handshake_state::established) {
        return {}; // a duplicate of the confirm that established the session
    }
    const auto& key =
        role == session_role::initiator ? d.keys->initiator_confirm : d.keys->responder_confirm;
    const auto expected = confirm_mac(key, role, d.transcript);
    if (sodium_memcmp(expected.data(), mac.data(), expected.size()) != 0) {
        return single(rejected{handshake_error::bad_confirm});
    }
    established_session session{std::move(d.keys->root),
                                d.my_role(),
                                std::move(*d.my_ephemeral),
                                d.peer_offer->fields.ephemeral,
                                d.me->public_key(),
                                d.peer_offer->fields.sender_identity,
                                d.transcript};
    d.keys.reset();
    d.my_ephemeral.reset(); // forward secrecy: the ratchet owns it now
    d.state = handshake_state::established;
    d.next_resend.reset();
    d.backoff_step = 0;
    handshake_actions out;
    out.emplace_back(handshake_action::established{std::move(session)});
    return out;
}

handshake_actions handshake::user_accepted_key(wall_time now, random_source& random) {
    auto& d = *data_;
    if (d.state != handshake_state::key_changed || !d.changed_offer) {
        return {};
    }
    stored_offer offer = std::move(*d.changed_offer);
    d.changed_offer.reset();
    d.pinned = offer.fields.sender_identity;
    d.clear_session();
    d.state = handshake_state::no_session;
    auto out = offer_received(offer.bytes, now, random);
    if (d.state == handshake_state::no_session) {
        out = d.start_offering(now, random); // the held offer went stale meanwhile
    }
    return out;
}

handshake_actions handshake::reset(wall_time now, random_source& random) {
    return data_->start_offering(now, random);
}

handshake_actions handshake::resume(wall_time now) const {
    const auto& d = *data_;
    if (!d.next_resend ||
        (d.state != handshake_state::offering && d.state != handshake_state::confirming)) {
        return {};
    }
    const auto delay = std::max(std::chrono::milliseconds(0), *d.next_resend - now);
    return single(handshake_action::arm_timer{delay});
}

handshake_status handshake::status() const {
    const auto& d = *data_;
    handshake_status status;
    status.state = d.state;
    status.resend_count = d.resend_count;
    status.next_resend = d.next_resend;
    status.pinned_peer_key = d.pinned;
    if (d.changed_offer) {
        status.changed_peer_key = d.changed_offer->fields.sender_identity;
    }
    return status;
}

handshake_state handshake::state() const noexcept {
    return data_->state;
}
const std::string& handshake::peer_username() const noexcept {
    return data_->peer_username;
}

secret_buffer handshake::serialize() const {
    const auto& d = *data_;
    std::vector<byte> out;
    byte_writer writer(out);
    writer.u8(state_version);
    writer.u8(static_cast<byte>(d.state));
    writer.raw(d.me->public_key().view());
    writer.u8(static_cast<byte>(d.my_username.size()));
    writer.text(d.my_username);
    writer.u8(static_cast<byte>(d.peer_username.size()));
    writer.text(d.peer_username);
    writer.u8(d.pinned ? 1 : 0);
    if (d.pinned) {
        writer.raw(d.pinned->view());
    }
    const auto offer_blob = [&](const std::optional<stored_offer>& offer) {
        writer.blob(offer ? bytes_view(offer->bytes) : bytes_view{});
    };
    offer_blob(d.my_offer);
    writer.u8(d.my_ephemeral ? 1 : 0);
    if (d.my_ephemeral) {
        writer.raw(d.my_ephemeral->secret_key.view());
    }
    offer_blob(d.peer_offer);
    writer.blob(d.my_confirm);
    offer_blob(d.changed_offer);
    writer.u32(d.resend_count);
    writer.u32(d.backoff_step);
    writer.u8(d.next_resend ? 1 : 0);
    writer.u64(d.next_resend ? to_ms(*d.next_resend) : 0);
    secret_buffer result(out);
    sodium_memzero(out.data(), out.size());
    return result;
}

std::optional<handshake> handshake::deserialize(bytes_view bytes, const identity_key_pair& me,
                                                handshake_config config) {
    byte_reader reader(bytes);
    if (reader.u8() != state_version) {
        return std::nullopt;
    }
    auto d = std::make_unique<data>();
    d->me = &me;
    d->config = config;
    const byte state = reader.u8();
    if (state > static_cast<byte>(handshake_state::key_changed)) {
        return std::nullopt;
    }
    d->state = static_cast<handshake_state>(state);
    if (reader.fixed<identity_public_key>() != me.public_key()) {
        return std::nullopt;
    }
    const auto read_name = [&](std::string& name) {
        const bytes_view raw = reader.raw(reader.u8());
        name.assign(raw.begin(), raw.end());
        return valid_username(name);
    };
    if (!read_name(d->my_username) || !read_name(d->peer_username)) {
        return std::nullopt;
    }
    if (reader.u8() != 0) {
        d->pinned = reader.fixed<identity_public_key>();
    }
    bool ok = true;
    const auto read_offer = [&](std::optional<stored_offer>& offer) {
        const bytes_view raw = reader.blob(max_offer_size);
        if (raw.empty()) {
            return;
        }
        auto fields = parse_offer(raw);
        if (!fields) {
            ok = false;
            return;
        }
        offer = stored_offer{std::vector<byte>(raw.begin(), raw.end()), std::move(*fields)};
    };
    read_offer(d->my_offer);
    if (reader.u8() != 0) {
        x25519_secret_key secret;
        const bytes_view raw = reader.raw(x25519_key_size);
        if (reader.ok()) {
            std::copy(raw.begin(), raw.end(), secret.data());
        }
        d->my_ephemeral = x25519_key_pair::from_secret(std::move(secret));
    }
    read_offer(d->peer_offer);
    const bytes_view confirm = reader.blob(confirm_size);
    d->my_confirm.assign(confirm.begin(), confirm.end());
    read_offer(d->changed_offer);
    d->resend_count = reader.u32();
    d->backoff_step = reader.u32();
    const bool has_next = reader.u8() != 0;
    const std::uint64_t next_ms = reader.u64();
    if (!ok || !reader.done()) {
        return std::nullopt;
    }
    if (has_next) {
        d->next_resend = wall_time(std::chrono::milliseconds(static_cast<std::int64_t>(next_ms)));
    }

    // The fields each state needs, and nothing that contradicts them.
    const bool mine_ok = d->my_offer && d->my_ephemeral &&
                         d->my_offer->fields.ephemeral == d->my_ephemeral->public_key &&
                         d->my_offer->fields.sender_identity == me.public_key();
    switch (d->state) {
    case handshake_state::no_session:
        ok = !d->my_offer && !d->peer_offer && !d->changed_offer;
        break;
    case handshake_state::offering:
        ok = mine_ok && !d->peer_offer && !d->changed_offer;
        break;
    case handshake_state::confirming: {
        ok = mine_ok && d->peer_offer && !d->changed_offer;
        if (ok) {
            d->keys = derive(*d->my_ephemeral, *d->my_offer, *d->peer_offer);
            ok = d->keys && make_confirm(*d->keys, d->my_role()) == d->my_confirm;
            if (ok) {
                d->transcript = d->keys->transcript;
            }
        }
        break;
    }
    case handshake_state::established:
        ok = d->my_offer && !d->my_ephemeral && d->peer_offer && !d->changed_offer &&
             d->my_confirm.size() == confirm_size;
        if (ok) {
            d->transcript = transcript_of(*d->my_offer, *d->peer_offer);
            ok = std::equal(d->transcript.bytes.begin(), d->transcript.bytes.end(),
                            d->my_confirm.begin() + 3);
        }
        break;
    case handshake_state::key_changed:
        ok = d->changed_offer.has_value() && d->pinned.has_value();
        break;
    }
    if (!ok) {
        return std::nullopt;
    }
    return handshake(std::move(d));
}

} // namespace sotto::crypto
