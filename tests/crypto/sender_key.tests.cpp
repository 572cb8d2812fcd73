#include "crypto/sender_key.h"

#include "crypto/identity.h"
#include "tests/crypto/test_support.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <set>

using namespace sotto::crypto;
using namespace sotto::crypto::testing;
using namespace std::chrono_literals;

namespace {

const wall_time t0{std::chrono::milliseconds(1'700'000'000'000)};

group_id group_of(byte seed) {
    group_id id;
    for (std::size_t i = 0; i < id.size(); ++i) {
        id.bytes[i] = static_cast<byte>(seed + i);
    }
    return id;
}

std::vector<byte> state_of(const sender_key_receiver& receiver) {
    const auto saved = receiver.serialize();
    return {saved.view().begin(), saved.view().end()};
}

std::optional<sender_key_error>
error_of(const std::variant<secret_buffer, sender_key_error>& result) {
    if (const auto* error = std::get_if<sender_key_error>(&result)) {
        return *error;
    }
    return std::nullopt;
}

std::vector<byte> plaintext_of(const std::variant<secret_buffer, sender_key_error>& result) {
    if (const auto* plaintext = std::get_if<secret_buffer>(&result)) {
        return {plaintext->view().begin(), plaintext->view().end()};
    }
    return {};
}

const std::vector<byte> sender_identity = bytes_of("alice's identity key, 32 bytes..");

} // namespace

TEST_CASE("a group message decrypts once for every member holding the distribution",
          "[crypto][sender_key]") {
    seeded_random random(1);
    auto sender = sender_key_sender::generate(group_of(1), random);
    auto bob = sender_key_receiver::from_distribution(sender.distribution());
    auto carol = sender_key_receiver::from_distribution(sender.distribution());
    CHECK(bob.group() == group_of(1));
    CHECK(bob.chain_id() == sender.chain_id());
    for (int i = 0; i < 5; ++i) {
        const auto plaintext = bytes_of("message " + std::to_string(i));
        const auto message = sender.encrypt(plaintext, sender_identity);
        CHECK(message.size() == plaintext.size() + group_message_overhead);
        CHECK(plaintext_of(bob.decrypt(message, sender_identity, t0)) == plaintext);
        CHECK(plaintext_of(carol.decrypt(message, sender_identity, t0)) == plaintext);
        CHECK(error_of(bob.decrypt(message, sender_identity, t0)) == sender_key_error::replay);
    }
    CHECK(sender.iteration() == 5);
    CHECK(bob.skipped_keys() == 0);
}

TEST_CASE("a group message carries a readable header and hides the plaintext",
          "[crypto][sender_key]") {
    seeded_random random(2);
    auto sender = sender_key_sender::generate(group_of(2), random);
    const auto plaintext = bytes_of("the same plaintext");
    const auto a = sender.encrypt(plaintext, sender_identity);
    const auto b = sender.encrypt(plaintext, sender_identity);
    CHECK(a != b);
    CHECK(std::search(a.begin(), a.end(), plaintext.begin(), plaintext.end()) == a.end());
    const auto header = parse_group_message_header(b);
    REQUIRE(header);
    CHECK(header->group == group_of(2));
    CHECK(header->chain_id == sender.chain_id());
    CHECK(header->iteration == 1);
    CHECK(a[0] == 1);
    CHECK_FALSE(parse_group_message_header(bytes_view(a).first(group_message_overhead - 1)));
    auto wrong_version = a;
    wrong_version[0] = 2;
    CHECK_FALSE(parse_group_message_header(wrong_version));
}

TEST_CASE("every bit of a group message flipped is rejected and the state is unchanged",
          "[crypto][sender_key]") {
    seeded_random random(3);
    auto sender = sender_key_sender::generate(group_of(3), random);
    auto receiver = sender_key_receiver::from_distribution(sender.distribution());
    const auto message = sender.encrypt(bytes_of("flip me"), sender_identity);
    const auto before = state_of(receiver);
    for (std::size_t bit = 0; bit < message.size() * 8; ++bit) {
        auto tampered = message;
        tampered[bit / 8] ^= static_cast<byte>(1U << (bit % 8));
        const auto result = receiver.decrypt(tampered, sender_identity, t0);
        REQUIRE(error_of(result).has_value());
        CHECK(*error_of(result) != sender_key_error::decrypt_failed);
    }
    CHECK(state_of(receiver) == before);
    CHECK(receiver.chain_steps() == 0); // the signature is checked before any derivation
    CHECK(plaintext_of(receiver.decrypt(message, sender_identity, t0)) == bytes_of("flip me"));
}

TEST_CASE("other associated data, a truncated message or an unknown version is refused",
          "[crypto][sender_key]") {
    seeded_random random(4);
    auto sender = sender_key_sender::generate(group_of(4), random);
    auto receiver = sender_key_receiver::from_distribution(sender.distribution());
    const auto message = sender.encrypt(bytes_of("x"), sender_identity);
    const auto before = state_of(receiver);
    CHECK(error_of(receiver.decrypt(message, bytes_of("mallory's identity"), t0)) ==
          sender_key_error::bad_signature);
    CHECK(error_of(receiver.decrypt(bytes_view(message).first(group_message_overhead - 1),
                                    sender_identity, t0)) == sender_key_error::malformed);
    CHECK(error_of(receiver.decrypt({}, sender_identity, t0)) == sender_key_error::malformed);
    auto other_version = message;
    other_version[0] = 0x02;
    CHECK(error_of(receiver.decrypt(other_version, sender_identity, t0)) ==
          sender_key_error::unsupported_version);
    CHECK(state_of(receiver) == before);
    CHECK(receiver.chain_steps() == 0);
}

TEST_CASE("a message signed with another signing key (a relay's) is refused and derives nothing",
          "[crypto][sender_key]") {
    seeded_random random(5);
    auto sender = sender_key_sender::generate(group_of(5), random);
    auto receiver = sender_key_receiver::from_distribution(sender.distribution());
    // The relay knows the header layout and makes its own chain with the same ids; it cannot
    // know the chain key, but even with it, it lacks the signing key.
    auto distribution = sender.distribution();
    auto forger = sender_key_sender::generate(group_of(5), random);
    auto forged_state = forger.serialize();
    // Rewrite the forger's chain id and chain key to the genuine ones: only the signing key
    // differs.
    std::vector<byte> patched(forged_state.view().begin(), forged_state.view().end());
    const auto id = sender.chain_id();
    for (int i = 0; i < 4; ++i) {
        patched[1 + group_id_size + static_cast<std::size_t>(i)] =
            static_cast<byte>(id >> (8 * (3 - i)));
    }
    std::copy(distribution.chain_key.view().begin(), distribution.chain_key.view().end(),
              patched.begin() + 1 + group_id_size + 8);
    auto relay = sender_key_sender::deserialize(patched);
    REQUIRE(relay);
    REQUIRE(relay->chain_id() == sender.chain_id());
    const auto before = state_of(receiver);
    for (int i = 0; i < 3; ++i) {
        const auto forged = relay->encrypt(bytes_of("forged"), sender_identity);
        CHECK(error_of(receiver.decrypt(forged, sender_identity, t0)) ==
              sender_key_error::bad_signature);
    }
    CHECK(state_of(receiver) == before);
    CHECK(receiver.chain_steps() == 0);
    // The genuine messages still read, from iteration 0.
    CHECK(plaintext_of(receiver.decrypt(sender.encrypt(bytes_of("real"), sender_identity),
                                        sender_identity, t0)) == bytes_of("real"));
}

TEST_CASE("a message of another group or chain is refused as wrong_chain", "[crypto][sender_key]") {
    seeded_random random(6);
    auto sender = sender_key_sender::generate(group_of(6), random);
    auto other = sender_key_sender::generate(group_of(7), random);
    auto receiver = sender_key_receiver::from_distribution(sender.distribution());
    CHECK(error_of(receiver.decrypt(other.encrypt(bytes_of("x"), sender_identity), sender_identity,
                                    t0)) == sender_key_error::wrong_chain);
    auto same_group = sender_key_sender::generate(group_of(6), random);
    REQUIRE(same_group.chain_id() != sender.chain_id());
    CHECK(error_of(receiver.decrypt(same_group.encrypt(bytes_of("x"), sender_identity),
                                    sender_identity, t0)) == sender_key_error::wrong_chain);
}

TEST_CASE("messages out of order within max_skip decrypt once each, using skipped keys",
          "[crypto][sender_key]") {
    seeded_random random(7);
    auto sender = sender_key_sender::generate(group_of(8), random);
    auto receiver = sender_key_receiver::from_distribution(sender.distribution());
    std::vector<std::vector<byte>> messages;
    for (int i = 0; i < 10; ++i) {
        messages.push_back(sender.encrypt(bytes_of("m" + std::to_string(i)), sender_identity));
    }
    CHECK(plaintext_of(receiver.decrypt(messages[9], sender_identity, t0)) == bytes_of("m9"));
    CHECK(receiver.skipped_keys() == 9);
    for (const int i : {3, 0, 8, 1, 2, 7, 4, 6, 5}) {
        CHECK(plaintext_of(receiver.decrypt(messages[static_cast<std::size_t>(i)], sender_identity,
                                            t0)) == bytes_of("m" + std::to_string(i)));
        CHECK(error_of(receiver.decrypt(messages[static_cast<std::size_t>(i)], sender_identity,
                                        t0)) == sender_key_error::replay);
    }
    CHECK(receiver.skipped_keys() == 0);
}

TEST_CASE("a message beyond max_skip is refused before deriving any key", "[crypto][sender_key]") {
    seeded_random random(8);
    auto sender = sender_key_sender::generate(group_of(9), random);
    const ratchet_config config{5, 20, std::chrono::hours(1)};
    auto receiver = sender_key_receiver::from_distribution(sender.distribution(), config);
    std::vector<std::vector<byte>> messages;
    for (int i = 0; i < 8; ++i) {
        messages.push_back(sender.encrypt(bytes_of("m"), sender_identity));
    }
    const auto before = state_of(receiver);
    CHECK(error_of(receiver.decrypt(messages[6], sender_identity, t0)) ==
          sender_key_error::too_many_skipped);
    CHECK(receiver.chain_steps() == 0);
    CHECK(state_of(receiver) == before);
    // Exactly max_skip is fine.
    CHECK(plaintext_of(receiver.decrypt(messages[5], sender_identity, t0)) == bytes_of("m"));
    CHECK(receiver.skipped_keys() == 5);
}

TEST_CASE("skipped keys are capped in total (oldest dropped) and expire with age",
          "[crypto][sender_key]") {
    seeded_random random(9);
    auto sender = sender_key_sender::generate(group_of(10), random);
    const ratchet_config config{10, 4, std::chrono::hours(1)};
    auto receiver = sender_key_receiver::from_distribution(sender.distribution(), config);
    std::vector<std::vector<byte>> messages;
    for (int i = 0; i < 12; ++i) {
        messages.push_back(sender.encrypt(bytes_of("m" + std::to_string(i)), sender_identity));
    }
    REQUIRE(plaintext_of(receiver.decrypt(messages[6], sender_identity, t0)) == bytes_of("m6"));
    CHECK(receiver.skipped_keys() == 4); // 0 and 1 dropped
    CHECK(error_of(receiver.decrypt(messages[0], sender_identity, t0)) == sender_key_error::replay);
    CHECK(plaintext_of(receiver.decrypt(messages[2], sender_identity, t0)) == bytes_of("m2"));
    // Keys 3..5 are from t0; an hour and a bit later they are expired.
    const auto later = t0 + 61min;
    CHECK(error_of(receiver.decrypt(messages[3], sender_identity, later)) ==
          sender_key_error::expired);
    REQUIRE(plaintext_of(receiver.decrypt(messages[8], sender_identity, later)) == bytes_of("m8"));
    CHECK(receiver.skipped_keys() == 1); // only 7, stored at `later`
    CHECK(error_of(receiver.decrypt(messages[4], sender_identity, later)) ==
          sender_key_error::replay);
    receiver.expire_skipped(later + 61min);
    CHECK(receiver.skipped_keys() == 0);
}

TEST_CASE("a member given the distribution at iteration N cannot read messages before N",
          "[crypto][sender_key]") {
    seeded_random random(10);
    auto sender = sender_key_sender::generate(group_of(11), random);
    std::vector<std::vector<byte>> early;
    for (int i = 0; i < 3; ++i) {
        early.push_back(sender.encrypt(bytes_of("before you joined"), sender_identity));
    }
    const auto distribution = sender.distribution();
    CHECK(distribution.iteration == 3);
    auto late = sender_key_receiver::from_distribution(distribution);
    const auto before = state_of(late);
    for (const auto& message : early) {
        CHECK(error_of(late.decrypt(message, sender_identity, t0)) == sender_key_error::replay);
    }
    CHECK(state_of(late) == before);
    CHECK(plaintext_of(late.decrypt(sender.encrypt(bytes_of("welcome"), sender_identity),
                                    sender_identity, t0)) == bytes_of("welcome"));
}

TEST_CASE("after rotation a receiver of the old chain cannot read the new chain",
          "[crypto][sender_key]") {
    seeded_random random(11);
    auto old_chain = sender_key_sender::generate(group_of(12), random);
    auto removed = sender_key_receiver::from_distribution(old_chain.distribution());
    auto remaining = sender_key_receiver::from_distribution(old_chain.distribution());
    CHECK(plaintext_of(removed.decrypt(old_chain.encrypt(bytes_of("old"), sender_identity),
                                       sender_identity, t0)) == bytes_of("old"));
    // Rotation: a fresh chain, given only to the remaining member.
    auto new_chain = sender_key_sender::generate(group_of(12), random);
    CHECK(new_chain.chain_id() != old_chain.chain_id());
    auto remaining_new = sender_key_receiver::from_distribution(new_chain.distribution());
    const auto message = new_chain.encrypt(bytes_of("after removal"), sender_identity);
    const auto before = state_of(removed);
    CHECK(error_of(removed.decrypt(message, sender_identity, t0)) == sender_key_error::wrong_chain);
    CHECK(state_of(removed) == before);
    CHECK(error_of(remaining.decrypt(message, sender_identity, t0)) ==
          sender_key_error::wrong_chain);
    CHECK(plaintext_of(remaining_new.decrypt(message, sender_identity, t0)) ==
          bytes_of("after removal"));
    // Even with the header patched to the old chain id it does not verify.
    auto patched = message;
    for (int i = 0; i < 4; ++i) {
        patched[1 + group_id_size + static_cast<std::size_t>(i)] =
            static_cast<byte>(old_chain.chain_id() >> (8 * (3 - i)));
    }
    CHECK(error_of(removed.decrypt(patched, sender_identity, t0)) ==
          sender_key_error::bad_signature);
}

TEST_CASE("sender, receiver and distribution states survive serialization",
          "[crypto][sender_key]") {
    seeded_random random(12);
    auto sender = sender_key_sender::generate(group_of(13), random);
    auto receiver = sender_key_receiver::from_distribution(sender.distribution());
    std::vector<std::vector<byte>> messages;
    for (int i = 0; i < 4; ++i) {
        messages.push_back(sender.encrypt(bytes_of("m" + std::to_string(i)), sender_identity));
    }
    REQUIRE(plaintext_of(receiver.decrypt(messages[3], sender_identity, t0)) == bytes_of("m3"));

    const auto distribution = sender.distribution();
    const auto wire = distribution.serialize();
    const auto parsed = sender_key_distribution::deserialize(wire.view());
    REQUIRE(parsed);
    CHECK(parsed->group == distribution.group);
    CHECK(parsed->chain_id == distribution.chain_id);
    CHECK(parsed->iteration == 4);
    CHECK(parsed->chain_key == distribution.chain_key);
    CHECK(parsed->signing_key == distribution.signing_key);
    CHECK(parsed->serialize() == wire);

    const auto saved_sender = sender.serialize();
    auto loaded_sender = sender_key_sender::deserialize(saved_sender.view());
    REQUIRE(loaded_sender);
    CHECK(loaded_sender->serialize() == saved_sender);
    CHECK(loaded_sender->iteration() == 4);
    CHECK(loaded_sender->group() == group_of(13));

    const auto saved_receiver = receiver.serialize();
    auto loaded_receiver = sender_key_receiver::deserialize(saved_receiver.view());
    REQUIRE(loaded_receiver);
    CHECK(loaded_receiver->serialize() == saved_receiver);
    CHECK(loaded_receiver->skipped_keys() == 3);
    CHECK(plaintext_of(loaded_receiver->decrypt(messages[1], sender_identity, t0)) ==
          bytes_of("m1"));
    CHECK(plaintext_of(loaded_receiver->decrypt(
              loaded_sender->encrypt(bytes_of("m4"), sender_identity), sender_identity, t0)) ==
          bytes_of("m4"));
}

TEST_CASE("truncated, extended or garbage states and distributions are refused",
          "[crypto][sender_key]") {
    seeded_random random(13);
    auto sender = sender_key_sender::generate(group_of(14), random);
    auto receiver = sender_key_receiver::from_distribution(sender.distribution());
    const auto m0 = sender.encrypt(bytes_of("a"), sender_identity);
    const auto m1 = sender.encrypt(bytes_of("b"), sender_identity);
    REQUIRE(plaintext_of(receiver.decrypt(m1, sender_identity, t0)) == bytes_of("b"));
    const auto to_vector = [](const secret_buffer& buffer) {
        return std::vector<byte>(buffer.view().begin(), buffer.view().end());
    };
    const auto saved_sender = to_vector(sender.serialize());
    const auto saved_receiver = to_vector(receiver.serialize());
    const auto saved_distribution = to_vector(sender.distribution().serialize());

    SECTION("every truncation") {
        for (std::size_t size = 0; size < saved_sender.size(); ++size) {
            CHECK_FALSE(sender_key_sender::deserialize(bytes_view(saved_sender).first(size)));
        }
        for (std::size_t size = 0; size < saved_receiver.size(); ++size) {
            CHECK_FALSE(sender_key_receiver::deserialize(bytes_view(saved_receiver).first(size)));
        }
        for (std::size_t size = 0; size < saved_distribution.size(); ++size) {
            CHECK_FALSE(
                sender_key_distribution::deserialize(bytes_view(saved_distribution).first(size)));
        }
    }
    SECTION("a trailing byte") {
        for (auto copy : {saved_sender, saved_receiver, saved_distribution}) {
            copy.push_back(0);
            CHECK_FALSE(sender_key_sender::deserialize(copy));
            CHECK_FALSE(sender_key_receiver::deserialize(copy));
            CHECK_FALSE(sender_key_distribution::deserialize(copy));
        }
    }
    SECTION("another version") {
        for (auto copy : {saved_sender, saved_receiver, saved_distribution}) {
            copy[0] = 2;
            CHECK_FALSE(sender_key_sender::deserialize(copy));
            CHECK_FALSE(sender_key_receiver::deserialize(copy));
            CHECK_FALSE(sender_key_distribution::deserialize(copy));
        }
    }
    SECTION("a corrupted signing secret, a signing key off the curve, a skipped key ahead") {
        auto sender_copy = saved_sender;
        sender_copy.back() ^= 1; // the public half embedded in the Ed25519 secret
        CHECK_FALSE(sender_key_sender::deserialize(sender_copy));
        auto distribution_copy = saved_distribution;
        std::fill(distribution_copy.end() - 32, distribution_copy.end(), byte{0xff});
        CHECK_FALSE(sender_key_distribution::deserialize(distribution_copy));
        // receiver: version, group, chain id, signing key, next (u64), chain key, count, entries.
        auto receiver_copy = saved_receiver;
        const std::size_t next_at = 1 + group_id_size + 4 + 32;
        receiver_copy[next_at + 7] = 0; // next = 0, below the stored skipped key 0
        CHECK_FALSE(sender_key_receiver::deserialize(receiver_copy));
    }
    SECTION("random garbage") {
        seeded_random garbage(99);
        for (int i = 0; i < 500; ++i) {
            std::vector<byte> bytes(garbage.uniform(200));
            garbage.fill(bytes);
            if (!bytes.empty()) {
                bytes[0] = 1;
            }
            static_cast<void>(sender_key_sender::deserialize(bytes));
            static_cast<void>(sender_key_distribution::deserialize(bytes));
            if (auto loaded = sender_key_receiver::deserialize(bytes)) {
                static_cast<void>(loaded->decrypt(m0, sender_identity, t0));
            }
        }
    }
}

TEST_CASE("twenty members with random sends, reordering and drops read every delivered message "
          "exactly once",
          "[crypto][sender_key]") {
    constexpr int members = 20;
    const ratchet_config config{50, 2000, std::chrono::hours(24)};
    seeded_random random(2026);
    const auto group = group_of(42);
    std::vector<sender_key_sender> senders;
    std::vector<std::vector<byte>> identities;
    for (int i = 0; i < members; ++i) {
        senders.push_back(sender_key_sender::generate(group, random));
        identities.push_back(bytes_of("member " + std::to_string(i)));
    }
    // receivers[r][s]: member r's copy of member s's chain.
    std::vector<std::vector<std::optional<sender_key_receiver>>> receivers(members);
    for (int r = 0; r < members; ++r) {
        receivers[static_cast<std::size_t>(r)].resize(members);
        for (int s = 0; s < members; ++s) {
            if (r != s) {
                receivers[static_cast<std::size_t>(r)][static_cast<std::size_t>(s)].emplace(
                    sender_key_receiver::from_distribution(
                        senders[static_cast<std::size_t>(s)].distribution(), config));
            }
        }
    }
    struct in_flight {
        int sender;
        std::vector<byte> message;
        std::string text;
    };
    // Per recipient, a queue the "relay" reorders within a window and sometimes drops from.
    std::vector<std::deque<in_flight>> queues(members);
    std::map<std::pair<int, std::string>, int> read_count;
    std::set<std::pair<int, std::string>> delivered;
    int sent = 0;
    for (int step = 0; step < 4000; ++step) {
        if (random.uniform(2) == 0) {
            const int s = static_cast<int>(random.uniform(members));
            const std::string text = "from " + std::to_string(s) + " #" + std::to_string(sent++);
            const auto message = senders[static_cast<std::size_t>(s)].encrypt(
                bytes_of(text), identities[static_cast<std::size_t>(s)]);
            for (int r = 0; r < members; ++r) {
                if (r != s) {
                    queues[static_cast<std::size_t>(r)].push_back({s, message, text});
                }
            }
        } else {
            const int r = static_cast<int>(random.uniform(members));
            auto& queue = queues[static_cast<std::size_t>(r)];
            if (queue.empty()) {
                continue;
            }
            // Pick one of the first few (reordering bounded well within max_skip).
            const auto pick =
                random.uniform(static_cast<std::uint32_t>(std::min<std::size_t>(queue.size(), 8)));
            auto item = std::move(queue[pick]);
            queue.erase(queue.begin() + static_cast<std::ptrdiff_t>(pick));
            if (random.uniform(20) == 0) {
                continue; // dropped by the relay
            }
            auto& receiver =
                *receivers[static_cast<std::size_t>(r)][static_cast<std::size_t>(item.sender)];
            const auto result = receiver.decrypt(
                item.message, identities[static_cast<std::size_t>(item.sender)], t0);
            REQUIRE_FALSE(error_of(result).has_value());
            CHECK(plaintext_of(result) == bytes_of(item.text));
            ++read_count[{r, item.text}];
            delivered.insert({r, item.text});
            // A duplicate delivery is always refused.
            if (random.uniform(10) == 0) {
                CHECK(error_of(receiver.decrypt(item.message,
                                                identities[static_cast<std::size_t>(item.sender)],
                                                t0)) == sender_key_error::replay);
            }
        }
    }
    CHECK(sent > 1000);
    CHECK(read_count.size() == delivered.size());
    for (const auto& [key, count] : read_count) {
        CHECK(count == 1);
    }
}

TEST_CASE("an empty plaintext and empty associated data round-trip", "[crypto][sender_key]") {
    seeded_random random(14);
    auto sender = sender_key_sender::generate(group_of(15), random);
    auto receiver = sender_key_receiver::from_distribution(sender.distribution());
    const auto message = sender.encrypt({}, {});
    CHECK(message.size() == group_message_overhead);
    const auto result = receiver.decrypt(message, {}, t0);
    REQUIRE_FALSE(error_of(result).has_value());
    CHECK(std::get<secret_buffer>(result).empty());
    CHECK(error_of(receiver.decrypt(message, {}, t0)) == sender_key_error::replay);
    CHECK(to_string(sender_key_error::bad_signature) == "bad signature");
}
