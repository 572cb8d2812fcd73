#include "crypto/ratchet.h"

#include "crypto/padding.h"
#include "tests/crypto/session_support.h"
#include "tests/crypto/test_support.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <deque>

using namespace sotto::crypto;
using namespace sotto::crypto::testing;
using namespace std::chrono_literals;

namespace {

const wall_time t0{std::chrono::milliseconds(1'700'000'000'000)};

std::vector<byte> state_of(const ratchet& r) {
    const auto saved = r.serialize();
    return {saved.view().begin(), saved.view().end()};
}

std::optional<ratchet_error> error_of(const std::variant<secret_buffer, ratchet_error>& result) {
    if (const auto* error = std::get_if<ratchet_error>(&result)) {
        return *error;
    }
    return std::nullopt;
}

std::vector<byte> text(std::string_view s) {
    return bytes_of(s);
}

} // namespace

TEST_CASE("either side may write first and every message decrypts once", "[crypto][ratchet]") {
    seeded_random random(1);
    for (const bool alice_initiates : {true, false}) {
        auto s = make_sessions(3, alice_initiates);
        ratchet& initiator = alice_initiates ? *s.alice : *s.bob;
        ratchet& responder = alice_initiates ? *s.bob : *s.alice;
        // The responder writes on its first chain before hearing anything.
        const auto r1 = responder.encrypt(text("r1"), random);
        const auto r2 = responder.encrypt(text("r2"), random);
        // The initiator writes at the same time (its first DH ratchet step).
        const auto i1 = initiator.encrypt(text("i1"), random);
        CHECK(plaintext_of(initiator.decrypt(r2, t0)) == text("r2"));
        CHECK(plaintext_of(responder.decrypt(i1, t0)) == text("i1"));
        CHECK(plaintext_of(initiator.decrypt(r1, t0)) == text("r1"));
        const auto r3 = responder.encrypt(text("r3"), random); // a new DH step
        const auto i2 = initiator.encrypt(text("i2"), random);
        CHECK(plaintext_of(initiator.decrypt(r3, t0)) == text("r3"));
        CHECK(plaintext_of(responder.decrypt(i2, t0)) == text("i2"));
        const auto i3 = initiator.encrypt(text("i3"), random);
        CHECK(plaintext_of(responder.decrypt(i3, t0)) == text("i3"));
        CHECK(initiator.skipped_keys() == 0);
        CHECK(responder.skipped_keys() == 0);
        CHECK(initiator.messages_sent() == 3);
        CHECK(responder.messages_received() == 3);
    }
}

TEST_CASE("a message is header-sized plus the plaintext plus a tag and hides the plaintext",
          "[crypto][ratchet]") {
    seeded_random random(2);
    auto s = make_sessions(4);
    const auto plaintext = text("the same plaintext");
    const auto a = s.alice->encrypt(plaintext, random);
    const auto b = s.alice->encrypt(plaintext, random);
    CHECK(a.size() == plaintext.size() + ratchet_overhead);
    CHECK(a[0] == 1);
    CHECK(a != b);
    CHECK(std::search(a.begin(), a.end(), plaintext.begin(), plaintext.end()) == a.end());
}

TEST_CASE("every bit of a header and a ciphertext flipped is rejected and the state is unchanged",
          "[crypto][ratchet]") {
    seeded_random random(3);
    auto s = make_sessions(5, true);
    // An ordinary message in a chain, and one that opens a new DH ratchet step.
    const auto first = s.alice->encrypt(text("first"), random);
    REQUIRE(plaintext_of(s.bob->decrypt(first, t0)) == text("first"));
    SECTION("a message in the current chain") {}
    SECTION("a message with a new ratchet key") {
        const auto reply = s.bob->encrypt(text("reply"), random);
        REQUIRE(plaintext_of(s.alice->decrypt(reply, t0)) == text("reply"));
    }
    const auto message = s.alice->encrypt(*pad(text("hello")), random);
    const auto before = state_of(*s.bob);
    const auto steps = s.bob->chain_steps();
    for (std::size_t bit = 0; bit < message.size() * 8; ++bit) {
        auto flipped = message;
        flipped[bit / 8] ^= static_cast<byte>(1U << (bit % 8));
        std::vector<byte> out(message.size() - ratchet_overhead, 0xaa);
        const auto error = s.bob->decrypt(flipped, t0, out);
        REQUIRE(error);
        REQUIRE(std::all_of(out.begin(), out.end(), [](byte b) { return b == 0; }));
        REQUIRE(state_of(*s.bob) == before);
    }
    for (std::size_t size = 0; size < message.size(); size += 3) {
        REQUIRE(error_of(s.bob->decrypt(bytes_view(message).first(size), t0)));
    }
    CHECK(state_of(*s.bob) == before);
    CHECK(s.bob->chain_steps() >= steps); // failed attempts may derive, but commit nothing
    CHECK(unpad(plaintext_of(s.bob->decrypt(message, t0))).has_value());
}

TEST_CASE("a replayed message is rejected", "[crypto][ratchet]") {
    seeded_random random(4);
    auto s = make_sessions(6);
    const auto m1 = s.alice->encrypt(text("one"), random);
    const auto m2 = s.alice->encrypt(text("two"), random);
    const auto m3 = s.alice->encrypt(text("three"), random);
    CHECK(plaintext_of(s.bob->decrypt(m1, t0)) == text("one"));
    CHECK(plaintext_of(s.bob->decrypt(m3, t0)) == text("three")); // m2's key is skipped
    const auto before = state_of(*s.bob);
    CHECK(error_of(s.bob->decrypt(m1, t0)) == ratchet_error::replay);
    CHECK(error_of(s.bob->decrypt(m3, t0)) == ratchet_error::replay);
    CHECK(state_of(*s.bob) == before);
    CHECK(plaintext_of(s.bob->decrypt(m2, t0)) == text("two"));
    CHECK(error_of(s.bob->decrypt(m2, t0)) == ratchet_error::replay);
    CHECK(s.bob->skipped_keys() == 0);
}

TEST_CASE(
    "out-of-order delivery within MAX_SKIP decrypts and beyond it is refused before deriving keys",
    "[crypto][ratchet]") {
    seeded_random random(5);
    auto s = make_sessions(7, true);
    std::vector<std::vector<byte>> sent;
    for (int i = 0; i <= 1001; ++i) {
        sent.push_back(s.alice->encrypt(text(std::to_string(i)), random));
    }
    SECTION("within MAX_SKIP, in any order") {
        REQUIRE(plaintext_of(s.bob->decrypt(sent[1000], t0)) == text("1000"));
        CHECK(s.bob->skipped_keys() == 1000);
        std::vector<int> order(1000);
        for (int i = 0; i < 1000; ++i) {
            order[static_cast<std::size_t>(i)] = i;
        }
        for (std::size_t i = order.size(); i > 1; --i) {
            std::swap(order[i - 1], order[random.uniform(static_cast<std::uint32_t>(i))]);
        }
        for (const int i : order) {
            REQUIRE(plaintext_of(s.bob->decrypt(sent[static_cast<std::size_t>(i)], t0)) ==
                    text(std::to_string(i)));
        }
        CHECK(s.bob->skipped_keys() == 0);
        CHECK(plaintext_of(s.bob->decrypt(sent[1001], t0)) == text("1001"));
    }
    SECTION("beyond MAX_SKIP in the current chain") {
        const auto before = state_of(*s.bob);
        const auto steps = s.bob->chain_steps();
        CHECK(error_of(s.bob->decrypt(sent[1001], t0)) == ratchet_error::too_many_skipped);
        CHECK(s.bob->chain_steps() == steps);
        CHECK(state_of(*s.bob) == before);
    }
    SECTION("beyond MAX_SKIP in a new chain, and in the previous chain's remainder") {
        REQUIRE(plaintext_of(s.bob->decrypt(sent[0], t0)) == text("0"));
        const auto reply = s.bob->encrypt(text("reply"), random);
        REQUIRE(plaintext_of(s.alice->decrypt(reply, t0)) == text("reply"));
        const auto next = s.alice->encrypt(text("next chain"), random); // pn = 1002
        const auto before = state_of(*s.bob);
        const auto steps = s.bob->chain_steps();
        CHECK(error_of(s.bob->decrypt(next, t0)) == ratchet_error::too_many_skipped);
        CHECK(s.bob->chain_steps() == steps);
        CHECK(state_of(*s.bob) == before);
    }
}

TEST_CASE("skipped keys are capped in total and expire", "[crypto][ratchet]") {
    seeded_random random(6);
    ratchet_config config;
    config.max_skip = 10;
    config.max_skipped_total = 15;
    config.max_skipped_age = 1h;
    auto s = make_sessions(8, true, config);
    std::vector<std::vector<byte>> sent;
    for (int i = 0; i < 30; ++i) {
        sent.push_back(s.alice->encrypt(text(std::to_string(i)), random));
    }
    REQUIRE(plaintext_of(s.bob->decrypt(sent[10], t0)) == text("10"));        // skips 0..9
    REQUIRE(plaintext_of(s.bob->decrypt(sent[21], t0 + 1min)) == text("21")); // skips 11..20
    CHECK(s.bob->skipped_keys() == 15); // the five oldest (0..4) were dropped
    CHECK(error_of(s.bob->decrypt(sent[0], t0)) == ratchet_error::replay);
    CHECK(plaintext_of(s.bob->decrypt(sent[5], t0 + 2min)) == text("5"));
    // Past the age limit a skipped key is refused, then dropped.
    CHECK(error_of(s.bob->decrypt(sent[6], t0 + 1h + 30s)) == ratchet_error::expired);
    s.bob->expire_skipped(t0 + 1h + 30s);
    CHECK(s.bob->skipped_keys() == 10); // 11..20 were stored a minute later
    s.bob->expire_skipped(t0 + 1h + 2min);
    CHECK(s.bob->skipped_keys() == 0);
}

TEST_CASE("a reflected message is rejected", "[crypto][ratchet]") {
    seeded_random random(7);
    auto s = make_sessions(9);
    const auto mine = s.alice->encrypt(text("to bob"), random);
    const auto before = state_of(*s.alice);
    CHECK(error_of(s.alice->decrypt(mine, t0)) == ratchet_error::reflected);
    CHECK(state_of(*s.alice) == before);
    CHECK(plaintext_of(s.bob->decrypt(mine, t0)) == text("to bob"));
}

TEST_CASE("a message claiming another sender is rejected", "[crypto][ratchet]") {
    seeded_random random(8);
    auto ab = make_sessions(10, true);
    auto other = make_sessions(11, true); // carol and dave, a different session
    const auto foreign = other.alice->encrypt(text("hi"), random);
    const auto before = state_of(*ab.bob);
    CHECK(error_of(ab.bob->decrypt(foreign, t0)) == ratchet_error::decrypt_failed);
    CHECK(state_of(*ab.bob) == before);
    // The identity keys are associated data: the same session state under another claimed
    // sender identity does not authenticate.
    const auto saved = ab.bob->serialize();
    std::vector<byte> tampered(saved.view().begin(), saved.view().end());
    tampered[1 + 32] ^= 1U; // bob's idea of the peer's identity key
    auto confused = ratchet::deserialize(tampered);
    REQUIRE(confused);
    const auto genuine = ab.alice->encrypt(text("from alice"), random);
    CHECK(error_of(confused->decrypt(genuine, t0)) == ratchet_error::decrypt_failed);
    CHECK(plaintext_of(ab.bob->decrypt(genuine, t0)) == text("from alice"));
}

TEST_CASE("all-zero and low-order ratchet keys are refused", "[crypto][ratchet]") {
    seeded_random random(9);
    auto s = make_sessions(12);
    const auto message = s.alice->encrypt(text("x"), random);
    const auto before = state_of(*s.bob);
    for (const char* point : {"0000000000000000000000000000000000000000000000000000000000000000",
                              "0100000000000000000000000000000000000000000000000000000000000000",
                              "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
                              "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"}) {
        auto forged = message;
        const auto raw = hex(point);
        std::copy(raw.begin(), raw.end(), forged.begin() + 1);
        CHECK(error_of(s.bob->decrypt(forged, t0)) == ratchet_error::low_order_key);
    }
    CHECK(state_of(*s.bob) == before);
}

TEST_CASE("the ratchet state round-trips through serialization", "[crypto][ratchet]") {
    seeded_random random(10);
    auto s = make_sessions(13, true);
    const auto check_round_trip = [](const ratchet& r) {
        const auto saved = r.serialize();
        REQUIRE(saved.view()[0] == 1);
        auto restored = ratchet::deserialize(saved.view());
        REQUIRE(restored);
        CHECK(restored->serialize() == saved);
        for (std::size_t size = 0; size < saved.size(); size += 5) {
            REQUIRE_FALSE(ratchet::deserialize(saved.view().first(size)));
        }
        std::vector<byte> other_version(saved.view().begin(), saved.view().end());
        other_version[0] = 2;
        CHECK_FALSE(ratchet::deserialize(other_version));
        return std::move(*restored);
    };
    auto alice = check_round_trip(*s.alice);
    auto bob = check_round_trip(*s.bob);
    std::vector<std::vector<byte>> sent;
    for (int i = 0; i < 5; ++i) {
        sent.push_back(alice.encrypt(text(std::to_string(i)), random));
    }
    REQUIRE(plaintext_of(bob.decrypt(sent[4], t0)) == text("4")); // three skipped keys
    bob = check_round_trip(bob);
    alice = check_round_trip(alice);
    CHECK(bob.skipped_keys() == 4);
    CHECK(plaintext_of(bob.decrypt(sent[2], t0)) == text("2"));
    const auto reply = bob.encrypt(text("reply"), random);
    bob = check_round_trip(bob);
    CHECK(plaintext_of(alice.decrypt(reply, t0)) == text("reply"));
    alice = check_round_trip(alice);
    CHECK(plaintext_of(bob.decrypt(alice.encrypt(text("again"), random), t0)) == text("again"));
    CHECK(error_of(bob.decrypt(sent[2], t0)) == ratchet_error::replay);
}

TEST_CASE("100,000 messages with random direction changes decrypt exactly once",
          "[crypto][ratchet]") {
    seeded_random random(11);
    auto s = make_sessions(14);
    ratchet* sides[2] = {&*s.alice, &*s.bob};
    struct in_flight {
        std::uint64_t id;
        std::vector<byte> bytes;
    };
    std::deque<in_flight> queues[2];               // messages towards side 0 and side 1
    std::vector<std::vector<byte>> delivered_once; // a sample kept to replay
    std::uint64_t next_id = 0;
    std::uint64_t received = 0;
    std::vector<bool> seen(100'000, false);
    int writer = 0;
    std::vector<byte> plaintext(24);
    const auto deliver_some = [&](int to) {
        auto& queue = queues[to];
        // Reorder: take one of the first few waiting.
        const std::size_t index =
            random.uniform(static_cast<std::uint32_t>(std::min<std::size_t>(queue.size(), 4)));
        in_flight message = std::move(queue[index]);
        queue.erase(queue.begin() + static_cast<std::ptrdiff_t>(index));
        auto result = sides[to]->decrypt(message.bytes, t0);
        const auto got = plaintext_of(result);
        REQUIRE(got.size() == 24);
        std::uint64_t id = 0;
        std::memcpy(&id, got.data(), sizeof id);
        REQUIRE(id == message.id);
        REQUIRE_FALSE(seen[id]);
        seen[id] = true;
        ++received;
        if (random.uniform(500) == 0) {
            const auto before = state_of(*sides[to]);
            REQUIRE(error_of(sides[to]->decrypt(message.bytes, t0)));
            REQUIRE(state_of(*sides[to]) == before);
        }
    };
    while (next_id < 100'000) {
        if (random.uniform(8) == 0) {
            writer = 1 - writer; // a direction change
        }
        random.fill(plaintext);
        std::memcpy(plaintext.data(), &next_id, sizeof next_id);
        queues[1 - writer].push_back({next_id, sides[writer]->encrypt(plaintext, random)});
        ++next_id;
        if (next_id % 997 == 0) {
            // A restart: the side continues from its persisted state.
            const int who = static_cast<int>(random.uniform(2));
            auto restored = ratchet::deserialize(sides[who]->serialize().view());
            REQUIRE(restored);
            *sides[who] = std::move(*restored);
        }
        for (int to = 0; to < 2; ++to) {
            while (queues[to].size() > random.uniform(6)) {
                deliver_some(to);
            }
        }
    }
    for (int to = 0; to < 2; ++to) {
        while (!queues[to].empty()) {
            deliver_some(to);
        }
    }
    CHECK(received == 100'000);
    CHECK(std::all_of(seen.begin(), seen.end(), [](bool b) { return b; }));
    CHECK(s.alice->skipped_keys() == 0);
    CHECK(s.bob->skipped_keys() == 0);
}
