#include "crypto/handshake.h"

#include "crypto/codec.h"
#include "tests/crypto/handshake_simulation.h"
#include "tests/crypto/session_support.h"
#include "tests/crypto/test_support.h"

#include <catch2/catch.hpp>

using namespace sotto::crypto;
using namespace sotto::crypto::testing;
using namespace std::chrono_literals;

namespace {

const wall_time t0{std::chrono::milliseconds(1'700'000'000'000)};

template <typename T>
std::vector<T*> all(handshake_actions& actions) {
    std::vector<T*> out;
    for (auto& action : actions) {
        if (auto* found = std::get_if<T>(&action)) {
            out.push_back(found);
        }
    }
    return out;
}

template <typename T>
T* first(handshake_actions& actions) {
    auto found = all<T>(actions);
    return found.empty() ? nullptr : found.front();
}

std::vector<byte> offer_of(handshake_actions& actions) {
    auto* offer = first<handshake_action::send_offer>(actions);
    REQUIRE(offer != nullptr);
    return offer->bytes;
}

std::vector<byte> confirm_of(handshake_actions& actions) {
    auto* confirm = first<handshake_action::send_confirm>(actions);
    REQUIRE(confirm != nullptr);
    return confirm->bytes;
}

std::optional<handshake_error> rejection(handshake_actions& actions) {
    auto* rejected = first<handshake_action::rejected>(actions);
    if (rejected == nullptr) {
        return std::nullopt;
    }
    return rejected->reason;
}

std::vector<byte> bytes_of_state(const handshake& machine) {
    const auto state = machine.serialize();
    return {state.view().begin(), state.view().end()};
}

// An offer built by hand from docs/PROTOCOL.md's layout, so that the tests can sign things the
// state machine would never produce (low-order keys, other addressees, odd timestamps).
std::vector<byte> handmade_offer(const identity_key_pair& signer, const identity_public_key& to_key,
                                 const x25519_public_key& ephemeral, std::uint64_t timestamp_ms,
                                 std::string_view from, std::string_view to) {
    std::vector<byte> out;
    byte_writer writer(out);
    writer.u8(1);
    writer.u8(1);
    writer.raw(signer.public_key().view());
    writer.raw(to_key.view());
    writer.raw(ephemeral.view());
    writer.u64(timestamp_ms);
    writer.u8(static_cast<std::uint8_t>(from.size()));
    writer.text(from);
    writer.u8(static_cast<std::uint8_t>(to.size()));
    writer.text(to);
    std::vector<byte> signed_part = bytes_of("sotto/v1/offer");
    signed_part.insert(signed_part.end(), out.begin(), out.end());
    const auto sig = signer.sign(signed_part);
    writer.raw(sig.view());
    return out;
}

std::uint64_t ms(wall_time time) {
    return static_cast<std::uint64_t>(time.time_since_epoch().count());
}

struct pair_fixture {
    seeded_random random{99};
    identity_key_pair alice_id = identity_key_pair::generate(random);
    identity_key_pair bob_id = identity_key_pair::generate(random);
    handshake alice{alice_id, "alice", "bob", std::nullopt};
    handshake bob{bob_id, "bob", "alice", std::nullopt};

    // Alice opens, Bob answers: returns {alice's offer, bob's actions}.
    std::pair<std::vector<byte>, handshake_actions> alice_offers_bob_answers() {
        auto opened = alice.open(t0, random);
        auto offer = offer_of(opened);
        return {offer, bob.offer_received(offer, t0 + 10ms, random)};
    }

    // Runs the happy path to established on both sides; returns both sessions' actions.
    std::pair<handshake_actions, handshake_actions> establish() {
        auto [offer, bob_actions] = alice_offers_bob_answers();
        auto alice_actions = alice.offer_received(offer_of(bob_actions), t0 + 20ms, random);
        auto alice_done = alice.confirm_received(confirm_of(bob_actions), t0 + 21ms);
        auto bob_done = bob.confirm_received(confirm_of(alice_actions), t0 + 30ms);
        return {std::move(alice_done), std::move(bob_done)};
    }
};

} // namespace

TEST_CASE("an offer and its answer establish both sides with one root key and opposite roles",
          "[crypto][handshake]") {
    pair_fixture f;
    CHECK(f.alice.state() == handshake_state::no_session);
    auto [offer, bob_actions] = f.alice_offers_bob_answers();
    CHECK(f.alice.state() == handshake_state::offering);
    CHECK(f.bob.state() == handshake_state::confirming);
    CHECK(all<handshake_action::arm_timer>(bob_actions).size() == 1);

    auto alice_actions = f.alice.offer_received(offer_of(bob_actions), t0 + 20ms, f.random);
    CHECK(f.alice.state() == handshake_state::confirming);
    auto alice_done = f.alice.confirm_received(confirm_of(bob_actions), t0 + 21ms);
    auto bob_done = f.bob.confirm_received(confirm_of(alice_actions), t0 + 30ms);
    auto* a = first<handshake_action::established>(alice_done);
    auto* b = first<handshake_action::established>(bob_done);
    REQUIRE(a != nullptr);
    REQUIRE(b != nullptr);
    CHECK(a->session.root == b->session.root);
    CHECK(a->session.transcript == b->session.transcript);
    CHECK(a->session.role != b->session.role);
    CHECK(a->session.peer_ephemeral == b->session.my_ephemeral.public_key);
    CHECK(b->session.peer_identity == f.alice_id.public_key());
    const auto& initiator = a->session.role == session_role::initiator ? a->session : b->session;
    CHECK(initiator.my_ephemeral.public_key < initiator.peer_ephemeral);
    CHECK(f.alice.state() == handshake_state::established);
    CHECK(f.bob.state() == handshake_state::established);
    CHECK(f.alice.status().pinned_peer_key == f.bob_id.public_key());
    CHECK_FALSE(f.alice.status().next_resend);
}

TEST_CASE("the offer layout is the documented one", "[crypto][handshake]") {
    pair_fixture f;
    auto opened = f.alice.open(t0, f.random);
    const auto offer = offer_of(opened);
    const auto fields = parse_offer(offer);
    REQUIRE(fields);
    CHECK(fields->sender_username == "alice");
    CHECK(fields->recipient_username == "bob");
    CHECK(fields->timestamp_ms == ms(t0));
    CHECK(fields->recipient_identity == identity_public_key{});
    CHECK(handmade_offer(f.alice_id, {}, fields->ephemeral, ms(t0), "alice", "bob") == offer);
}

TEST_CASE("simultaneous offers converge", "[crypto][handshake]") {
    pair_fixture f;
    auto a_open = f.alice.open(t0, f.random);
    auto b_open = f.bob.open(t0, f.random);
    auto a_answer = f.alice.offer_received(offer_of(b_open), t0 + 5ms, f.random);
    auto b_answer = f.bob.offer_received(offer_of(a_open), t0 + 5ms, f.random);
    CHECK(f.alice.state() == handshake_state::confirming);
    CHECK(f.bob.state() == handshake_state::confirming);
    // Each answers with its (unchanged) offer and a confirm over the same transcript.
    CHECK(offer_of(a_answer) == offer_of(a_open));
    auto a_done = f.alice.confirm_received(confirm_of(b_answer), t0 + 6ms);
    auto b_done = f.bob.confirm_received(confirm_of(a_answer), t0 + 6ms);
    auto* a = first<handshake_action::established>(a_done);
    auto* b = first<handshake_action::established>(b_done);
    REQUIRE(a != nullptr);
    REQUIRE(b != nullptr);
    CHECK(a->session.root == b->session.root);
}

TEST_CASE("offers are resent with backoff doubling from 1 s to 60 s with jitter",
          "[crypto][handshake]") {
    pair_fixture f;
    auto opened = f.alice.open(t0, f.random);
    const auto offer = offer_of(opened);
    auto now = t0;
    std::chrono::milliseconds base = 1000ms;
    auto* timer = first<handshake_action::arm_timer>(opened);
    for (int resend = 1; resend <= 12; ++resend) {
        REQUIRE(timer != nullptr);
        CHECK(timer->delay <= base);
        CHECK(timer->delay > base * 3 / 4 - 1ms);
        now += timer->delay;
        CHECK(f.alice.status().next_resend == now);
        auto fired = f.alice.timer_fired(now, f.random);
        CHECK(offer_of(fired) == offer); // the same offer, so late copies stay duplicates
        CHECK(f.alice.status().resend_count == static_cast<std::uint32_t>(resend));
        base = std::min(base * 2, std::chrono::milliseconds(60000));
        opened = std::move(fired);
        timer = first<handshake_action::arm_timer>(opened);
    }
    REQUIRE(timer != nullptr);
    CHECK(timer->delay > 44000ms);
    // The peer coming online resends at once and starts the backoff again.
    auto online = f.alice.peer_came_online(now, f.random);
    CHECK(offer_of(online) == offer);
    REQUIRE(first<handshake_action::arm_timer>(online) != nullptr);
    CHECK(first<handshake_action::arm_timer>(online)->delay <= 1000ms);
    // The late joiner finally answers the offer sent long ago.
    auto answer = f.bob.offer_received(offer, now, f.random);
    CHECK(f.bob.state() == handshake_state::confirming);
}

TEST_CASE("every bit of an offer flipped is rejected and the state is unchanged",
          "[crypto][handshake]") {
    pair_fixture f;
    auto opened = f.alice.open(t0, f.random);
    const auto offer = offer_of(opened);
    auto bob_open = f.bob.open(t0, f.random);
    SECTION("while offering") {}
    SECTION("while confirming with another offer") {
        auto other = handshake(f.alice_id, "alice", "bob", std::nullopt);
        auto other_open = other.open(t0 - 1s, f.random);
        f.bob.offer_received(offer_of(other_open), t0, f.random);
        REQUIRE(f.bob.state() == handshake_state::confirming);
    }
    const auto before = bytes_of_state(f.bob);
    for (std::size_t bit = 0; bit < offer.size() * 8; ++bit) {
        auto flipped = offer;
        flipped[bit / 8] ^= static_cast<byte>(1U << (bit % 8));
        auto result = f.bob.offer_received(flipped, t0 + 1ms, f.random);
        REQUIRE(result.size() == 1);
        REQUIRE(rejection(result));
        REQUIRE(bytes_of_state(f.bob) == before);
    }
    // Truncations and extensions too.
    for (std::size_t size = 0; size < offer.size(); ++size) {
        auto result = f.bob.offer_received(bytes_view(offer).first(size), t0, f.random);
        REQUIRE(rejection(result));
    }
    auto longer = offer;
    longer.push_back(0);
    auto longer_result = f.bob.offer_received(longer, t0, f.random);
    CHECK(rejection(longer_result));
    CHECK(bytes_of_state(f.bob) == before);
}

TEST_CASE("every bit of a confirm flipped is rejected and the state is unchanged",
          "[crypto][handshake]") {
    pair_fixture f;
    auto [offer, bob_actions] = f.alice_offers_bob_answers();
    f.alice.offer_received(offer_of(bob_actions), t0 + 20ms, f.random);
    REQUIRE(f.alice.state() == handshake_state::confirming);
    const auto confirm = confirm_of(bob_actions);
    const auto before = bytes_of_state(f.alice);
    for (std::size_t bit = 0; bit < confirm.size() * 8; ++bit) {
        auto flipped = confirm;
        flipped[bit / 8] ^= static_cast<byte>(1U << (bit % 8));
        auto result = f.alice.confirm_received(flipped, t0 + 21ms);
        REQUIRE(result.size() == 1);
        REQUIRE(rejection(result));
        REQUIRE(bytes_of_state(f.alice) == before);
    }
    for (std::size_t size = 0; size < confirm.size(); ++size) {
        auto result = f.alice.confirm_received(bytes_view(confirm).first(size), t0);
        REQUIRE(rejection(result) == handshake_error::malformed);
    }
    CHECK(bytes_of_state(f.alice) == before);
    auto good = f.alice.confirm_received(confirm, t0 + 22ms);
    CHECK(first<handshake_action::established>(good) != nullptr);
}

TEST_CASE("a reflected offer or confirm is rejected", "[crypto][handshake]") {
    pair_fixture f;
    auto [offer, bob_actions] = f.alice_offers_bob_answers();
    auto reflected = f.alice.offer_received(offer, t0 + 1ms, f.random);
    CHECK(rejection(reflected) == handshake_error::reflected);
    auto alice_actions = f.alice.offer_received(offer_of(bob_actions), t0 + 20ms, f.random);
    const auto before = bytes_of_state(f.alice);
    auto own_confirm = f.alice.confirm_received(confirm_of(alice_actions), t0 + 21ms);
    CHECK(rejection(own_confirm) == handshake_error::reflected);
    CHECK(bytes_of_state(f.alice) == before);
    CHECK(f.alice.state() == handshake_state::confirming);
}

TEST_CASE("an offer claiming another sender or for another recipient is rejected",
          "[crypto][handshake]") {
    pair_fixture f;
    const auto carol = identity_key_pair::generate(f.random);
    const auto ephemeral = x25519_key_pair::generate(f.random).public_key;
    f.alice.open(t0, f.random);
    const auto before = bytes_of_state(f.alice);
    // Carol's genuine offer to Alice arrives on Alice's handshake with Bob.
    auto from_carol = f.alice.offer_received(
        handmade_offer(carol, {}, ephemeral, ms(t0), "carol", "alice"), t0, f.random);
    CHECK(rejection(from_carol) == handshake_error::misaddressed);
    // Carol signs an offer that claims to come from Bob: the key is not Bob's... yet nothing
    // is pinned, so only the name binds it; Bob's handshake with Alice must not take it.
    auto bob_to_carol = f.alice.offer_received(
        handmade_offer(f.bob_id, {}, ephemeral, ms(t0), "bob", "carol"), t0, f.random);
    CHECK(rejection(bob_to_carol) == handshake_error::misaddressed);
    auto wrong_key = f.alice.offer_received(
        handmade_offer(f.bob_id, carol.public_key(), ephemeral, ms(t0), "bob", "alice"), t0,
        f.random);
    CHECK(rejection(wrong_key) == handshake_error::misaddressed);
    CHECK(bytes_of_state(f.alice) == before);
    auto right = f.alice.offer_received(
        handmade_offer(f.bob_id, f.alice_id.public_key(), ephemeral, ms(t0), "bob", "alice"), t0,
        f.random);
    CHECK_FALSE(rejection(right));
    CHECK(f.alice.state() == handshake_state::confirming);
}

TEST_CASE("stale offers are ignored", "[crypto][handshake]") {
    pair_fixture f;
    f.alice.open(t0, f.random);
    const auto eph = [&] { return x25519_key_pair::generate(f.random).public_key; };
    const auto alice_key = f.alice_id.public_key();
    const auto before = bytes_of_state(f.alice);
    auto ancient =
        f.alice.offer_received(handmade_offer(f.bob_id, alice_key, eph(),
                                              ms(t0 - std::chrono::hours(24 * 31)), "bob", "alice"),
                               t0, f.random);
    CHECK(rejection(ancient) == handshake_error::stale);
    auto future = f.alice.offer_received(
        handmade_offer(f.bob_id, alice_key, eph(), ms(t0 + std::chrono::hours(25)), "bob", "alice"),
        t0, f.random);
    CHECK(rejection(future) == handshake_error::stale);
    CHECK(bytes_of_state(f.alice) == before);

    auto current = f.alice.offer_received(
        handmade_offer(f.bob_id, alice_key, eph(), ms(t0), "bob", "alice"), t0, f.random);
    CHECK_FALSE(rejection(current));
    const auto accepted = bytes_of_state(f.alice);
    auto older = f.alice.offer_received(
        handmade_offer(f.bob_id, alice_key, eph(), ms(t0 - 1s), "bob", "alice"), t0, f.random);
    CHECK(rejection(older) == handshake_error::stale);
    CHECK(bytes_of_state(f.alice) == accepted);
}

TEST_CASE("duplicate offers and confirms are idempotent", "[crypto][handshake]") {
    pair_fixture f;
    auto [offer, bob_actions] = f.alice_offers_bob_answers();
    const auto confirming = bytes_of_state(f.bob);
    auto again = f.bob.offer_received(offer, t0 + 40ms, f.random);
    CHECK(bytes_of_state(f.bob) == confirming);
    CHECK(offer_of(again) == offer_of(bob_actions));
    CHECK(confirm_of(again) == confirm_of(bob_actions));

    auto alice_actions = f.alice.offer_received(offer_of(bob_actions), t0 + 50ms, f.random);
    f.alice.confirm_received(confirm_of(bob_actions), t0 + 51ms);
    auto bob_done = f.bob.confirm_received(confirm_of(alice_actions), t0 + 52ms);
    REQUIRE(f.bob.state() == handshake_state::established);
    const auto established = bytes_of_state(f.bob);
    auto dup_confirm = f.bob.confirm_received(confirm_of(alice_actions), t0 + 53ms);
    CHECK(dup_confirm.empty());
    // An established side answers a duplicate offer with its confirm only, so a peer that
    // lost that confirm completes, and nothing loops.
    auto dup_offer = f.bob.offer_received(offer, t0 + 54ms, f.random);
    REQUIRE(dup_offer.size() == 1);
    CHECK(confirm_of(dup_offer) == confirm_of(bob_actions));
    CHECK(bytes_of_state(f.bob) == established);
}

TEST_CASE("an offer with a new ephemeral from an established peer restarts the handshake",
          "[crypto][handshake]") {
    pair_fixture f;
    auto [alice_done, bob_done] = f.establish();
    const auto old_root = first<handshake_action::established>(alice_done)->session.root.clone();
    // Bob lost his state (pins survive in his contacts).
    handshake fresh_bob(f.bob_id, "bob", "alice", f.alice_id.public_key());
    auto bob_open = fresh_bob.open(t0 + 1s, f.random);
    auto alice_answer = f.alice.offer_received(offer_of(bob_open), t0 + 1s, f.random);
    CHECK(f.alice.state() == handshake_state::confirming);
    auto bob_answer = fresh_bob.offer_received(offer_of(alice_answer), t0 + 1s, f.random);
    auto a = f.alice.confirm_received(confirm_of(bob_answer), t0 + 2s);
    auto b = fresh_bob.confirm_received(confirm_of(alice_answer), t0 + 2s);
    REQUIRE(first<handshake_action::established>(a) != nullptr);
    REQUIRE(first<handshake_action::established>(b) != nullptr);
    CHECK(first<handshake_action::established>(a)->session.root ==
          first<handshake_action::established>(b)->session.root);
    CHECK_FALSE(first<handshake_action::established>(a)->session.root == old_root);
}

TEST_CASE("a newer offer from a peer that restarted mid-handshake is paired with my current offer",
          "[crypto][handshake]") {
    pair_fixture f;
    auto [old_offer, bob_actions] = f.alice_offers_bob_answers();
    REQUIRE(f.bob.state() == handshake_state::confirming);
    const auto bob_offer = offer_of(bob_actions);
    // Alice crashed before persisting anything and starts over.
    handshake fresh_alice(f.alice_id, "alice", "bob", std::nullopt);
    auto reopened = fresh_alice.open(t0 + 5s, f.random);
    auto bob_again = f.bob.offer_received(offer_of(reopened), t0 + 5s, f.random);
    CHECK(f.bob.state() == handshake_state::confirming);
    CHECK(offer_of(bob_again) == bob_offer); // no new offer from bob: nothing can loop
    CHECK(confirm_of(bob_again) != confirm_of(bob_actions));
    // The old offer, arriving late, is stale now.
    auto late = f.bob.offer_received(old_offer, t0 + 6s, f.random);
    CHECK(rejection(late) == handshake_error::stale);
    auto alice_answer = fresh_alice.offer_received(bob_offer, t0 + 6s, f.random);
    auto a = fresh_alice.confirm_received(confirm_of(bob_again), t0 + 7s);
    auto b = f.bob.confirm_received(confirm_of(alice_answer), t0 + 7s);
    REQUIRE(first<handshake_action::established>(a) != nullptr);
    REQUIRE(first<handshake_action::established>(b) != nullptr);
    CHECK(first<handshake_action::established>(a)->session.root ==
          first<handshake_action::established>(b)->session.root);
}

TEST_CASE("a changed identity key blocks in key_changed until the user accepts it",
          "[crypto][handshake]") {
    pair_fixture f;
    f.establish();
    REQUIRE(f.alice.status().pinned_peer_key == f.bob_id.public_key());
    // Bob reinstalled: a new identity under the same name, no pins.
    const auto new_bob_id = identity_key_pair::generate(f.random);
    handshake new_bob(new_bob_id, "bob", "alice", std::nullopt);
    auto bob_open = new_bob.open(t0 + 1s, f.random);
    auto changed = f.alice.offer_received(offer_of(bob_open), t0 + 1s, f.random);
    auto* notice = first<handshake_action::key_changed>(changed);
    REQUIRE(notice != nullptr);
    CHECK(notice->old_key == f.bob_id.public_key());
    CHECK(notice->new_key == new_bob_id.public_key());
    CHECK(f.alice.state() == handshake_state::key_changed);
    CHECK(f.alice.status().changed_peer_key == new_bob_id.public_key());
    CHECK(f.alice.status().pinned_peer_key == f.bob_id.public_key());

    // Nothing moves it on: not opening, not a timer, not more offers, not a confirm.
    auto blocked_open = f.alice.open(t0 + 2s, f.random);
    CHECK(rejection(blocked_open) == handshake_error::blocked);
    CHECK(f.alice.timer_fired(t0 + 3s, f.random).empty());
    auto resent = new_bob.timer_fired(t0 + 3s, f.random);
    auto blocked_offer = f.alice.offer_received(offer_of(resent), t0 + 3s, f.random);
    CHECK(rejection(blocked_offer) == handshake_error::blocked);
    CHECK(f.alice.state() == handshake_state::key_changed);
    // State survives a restart.
    auto restored = handshake::deserialize(f.alice.serialize().view(), f.alice_id);
    REQUIRE(restored);
    CHECK(restored->state() == handshake_state::key_changed);

    auto accepted = restored->user_accepted_key(t0 + 4s, f.random);
    CHECK(restored->state() == handshake_state::confirming);
    CHECK(restored->status().pinned_peer_key == new_bob_id.public_key());
    CHECK(first<handshake_action::established>(accepted) == nullptr);
    auto bob_answer = new_bob.offer_received(offer_of(accepted), t0 + 4s, f.random);
    auto a = restored->confirm_received(confirm_of(bob_answer), t0 + 5s);
    auto b = new_bob.confirm_received(confirm_of(accepted), t0 + 5s);
    REQUIRE(first<handshake_action::established>(a) != nullptr);
    REQUIRE(first<handshake_action::established>(b) != nullptr);
    CHECK(first<handshake_action::established>(a)->session.peer_identity ==
          new_bob_id.public_key());
}

TEST_CASE("a signed offer with an all-zero or low-order ephemeral is rejected",
          "[crypto][handshake]") {
    pair_fixture f;
    f.alice.open(t0, f.random);
    const auto before = bytes_of_state(f.alice);
    for (const char* text : {"0000000000000000000000000000000000000000000000000000000000000000",
                             "0100000000000000000000000000000000000000000000000000000000000000",
                             "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
                             "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"}) {
        const auto point = fixed_from_hex<x25519_public_key>(text);
        auto result = f.alice.offer_received(
            handmade_offer(f.bob_id, {}, point, ms(t0), "bob", "alice"), t0, f.random);
        CHECK(rejection(result) == handshake_error::low_order_key);
    }
    CHECK(bytes_of_state(f.alice) == before);
}

TEST_CASE("the state round-trips through serialization in every state", "[crypto][handshake]") {
    pair_fixture f;
    const auto round_trip = [&](const handshake& machine, const identity_key_pair& id) {
        const auto saved = machine.serialize();
        REQUIRE(saved.view()[0] == 1); // the version byte
        auto restored = handshake::deserialize(saved.view(), id);
        REQUIRE(restored);
        CHECK(restored->serialize() == saved);
        CHECK(restored->state() == machine.state());
        CHECK(restored->status().next_resend == machine.status().next_resend);
        CHECK_FALSE(handshake::deserialize(
            saved.view(), f.bob_id.public_key() == id.public_key() ? f.alice_id : f.bob_id));
        for (std::size_t size = 0; size < saved.size(); ++size) {
            REQUIRE_FALSE(handshake::deserialize(saved.view().first(size), id));
        }
        auto bad_version = std::vector<byte>(saved.view().begin(), saved.view().end());
        bad_version[0] = 2;
        CHECK_FALSE(handshake::deserialize(bad_version, id));
        // Flipped bits either fail cleanly or give some state; never a crash.
        for (std::size_t bit = 0; bit < saved.size() * 8; bit += 7) {
            auto flipped = std::vector<byte>(saved.view().begin(), saved.view().end());
            flipped[bit / 8] ^= static_cast<byte>(1U << (bit % 8));
            static_cast<void>(handshake::deserialize(flipped, id));
        }
    };
    round_trip(f.alice, f.alice_id); // no_session
    auto [offer, bob_actions] = f.alice_offers_bob_answers();
    round_trip(f.alice, f.alice_id); // offering
    round_trip(f.bob, f.bob_id);     // confirming
    auto resumed = handshake::deserialize(f.bob.serialize().view(), f.bob_id);
    auto timer = resumed->resume(t0 + 10ms);
    REQUIRE(first<handshake_action::arm_timer>(timer) != nullptr);
    // A restored confirming side completes the handshake as if nothing happened.
    auto alice_actions = f.alice.offer_received(offer_of(bob_actions), t0 + 20ms, f.random);
    auto b = resumed->confirm_received(confirm_of(alice_actions), t0 + 30ms);
    auto a = f.alice.confirm_received(confirm_of(bob_actions), t0 + 30ms);
    REQUIRE(first<handshake_action::established>(a) != nullptr);
    REQUIRE(first<handshake_action::established>(b) != nullptr);
    CHECK(first<handshake_action::established>(a)->session.root ==
          first<handshake_action::established>(b)->session.root);
    round_trip(f.alice, f.alice_id);                               // established
    CHECK(resumed->serialize().size() < f.bob.serialize().size()); // the secret is gone
}

TEST_CASE("a seeded randomized network converges over 10,000 schedules", "[crypto][handshake]") {
    constexpr std::uint64_t schedules = 10'000;
    int restarts_seen = 0;
    int rejections = 0;
    for (std::uint64_t seed = 1; seed <= schedules; ++seed) {
        seeded_random chooser(seed * 7919);
        handshake_simulation sim(seed, [&](std::uint32_t bound) { return chooser.uniform(bound); });
        sim.start();
        const auto chaos = chooser.uniform(24);
        for (std::uint32_t step = 0; step < chaos; ++step) {
            sim.chaos_step();
        }
        const bool converged = sim.settle(400);
        if (!converged) {
            FAIL_CHECK("schedule " << seed << " did not converge: alice "
                                   << to_string(sim.at(0).machine->state()) << ", bob "
                                   << to_string(sim.at(1).machine->state()));
            break;
        }
        restarts_seen += sim.at(0).establishments + sim.at(1).establishments > 2 ? 1 : 0;
        if (seed % 100 == 0) {
            // The sessions both sides ended with carry a conversation both ways.
            auto a = ratchet::from_handshake(*sim.at(0).session);
            auto b = ratchet::from_handshake(*sim.at(1).session);
            seeded_random message_random(seed);
            const auto hello = bytes_of("hello");
            REQUIRE(plaintext_of(b.decrypt(a.encrypt(hello, message_random), t0)) == hello);
            REQUIRE(plaintext_of(a.decrypt(b.encrypt(hello, message_random), t0)) == hello);
            REQUIRE(plaintext_of(b.decrypt(a.encrypt(hello, message_random), t0)) == hello);
        }
        rejections += sim.rejections();
    }
    // The schedules exercised re-establishment and refused inputs, not only the happy path.
    CHECK(restarts_seen > 100);
    CHECK(rejections > 100);
}
