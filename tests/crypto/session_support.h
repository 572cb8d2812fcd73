#pragma once
// Two ratchets from a real handshake between alice and bob, for tests, the fuzz target and
// the benchmark.

#include "crypto/handshake.h"
#include "crypto/ratchet.h"

#include <stdexcept>
#include <variant>

namespace sotto::crypto::testing {

struct session_pair {
    identity_key_pair alice_id;
    identity_key_pair bob_id;
    std::optional<ratchet> alice;
    std::optional<ratchet> bob;
    session_role alice_role = session_role::initiator;
};

inline established_session take_established(handshake_actions& actions) {
    for (auto& action : actions) {
        if (auto* done = std::get_if<handshake_action::established>(&action)) {
            return std::move(done->session);
        }
    }
    throw std::logic_error("the handshake did not establish");
}

template <typename T>
std::vector<byte> take_bytes(handshake_actions& actions) {
    for (auto& action : actions) {
        if (auto* found = std::get_if<T>(&action)) {
            return found->bytes;
        }
    }
    throw std::logic_error("an expected handshake message is missing");
}

// Runs the handshake; `alice_initiates` picks seeds until alice has the wanted role.
inline session_pair make_sessions(std::uint64_t seed, std::optional<bool> alice_initiates = {},
                                  ratchet_config config = {}) {
    const wall_time now{std::chrono::milliseconds(1'700'000'000'000)};
    for (std::uint64_t attempt = 0;; ++attempt) {
        seeded_random random(seed * 1000 + attempt);
        session_pair out{identity_key_pair::generate(random),
                         identity_key_pair::generate(random),
                         {},
                         {},
                         session_role::initiator};
        handshake alice(out.alice_id, "alice", "bob", std::nullopt);
        handshake bob(out.bob_id, "bob", "alice", std::nullopt);
        auto opened = alice.open(now, random);
        auto answer =
            bob.offer_received(take_bytes<handshake_action::send_offer>(opened), now, random);
        auto alice_answer =
            alice.offer_received(take_bytes<handshake_action::send_offer>(answer), now, random);
        auto alice_done =
            alice.confirm_received(take_bytes<handshake_action::send_confirm>(answer), now);
        auto bob_done =
            bob.confirm_received(take_bytes<handshake_action::send_confirm>(alice_answer), now);
        auto alice_session = take_established(alice_done);
        auto bob_session = take_established(bob_done);
        if (alice_initiates &&
            *alice_initiates != (alice_session.role == session_role::initiator)) {
            continue;
        }
        out.alice_role = alice_session.role;
        out.alice = ratchet::from_handshake(alice_session, config);
        out.bob = ratchet::from_handshake(bob_session, config);
        return out;
    }
}

inline std::vector<byte> plaintext_of(const std::variant<secret_buffer, ratchet_error>& result) {
    const auto* text = std::get_if<secret_buffer>(&result);
    if (text == nullptr) {
        return {};
    }
    return {text->view().begin(), text->view().end()};
}

} // namespace sotto::crypto::testing
