// Fuzzes the end-to-end layer's state machines and parsers (docs/PROTOCOL.md, Part 2).
// The first byte picks a mode; everything is deterministic (seeded_random), so a crashing
// input replays exactly.
//   0: a two-party handshake over a hostile network whose every choice comes from the input;
//      after the input is used up the network turns reliable and both must converge.
//   1/2: raw bytes as an offer / a confirm into handshakes in each state.
//   3: raw bytes as a ratchet message.
//   4: raw bytes as a serialized handshake or ratchet state.
//   5: patches (position, value) applied to genuine offers, confirms and messages.
// Invariant everywhere: a refused input leaves the serialized state byte-identical.
#include "crypto/handshake.h"

#include "crypto/ratchet.h"
#include "tests/crypto/handshake_simulation.h"
#include "tests/crypto/session_support.h"

#include <cstdio>
#include <cstdlib>

using namespace sotto::crypto;
using namespace sotto::crypto::testing;

namespace {

const wall_time t0{std::chrono::milliseconds(1'700'000'000'000)};

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "handshake fuzz invariant broken: %s\n", what);
    std::abort();
}

std::vector<byte> copy_of(const secret_buffer& buffer) {
    return {buffer.view().begin(), buffer.view().end()};
}

bool refused(const handshake_actions& actions) {
    for (const auto& action : actions) {
        if (!std::holds_alternative<handshake_action::rejected>(action)) {
            return false;
        }
    }
    return !actions.empty();
}

struct fixture {
    seeded_random random{1};
    identity_key_pair alice = identity_key_pair::generate(random);
    identity_key_pair bob = identity_key_pair::generate(random);
    std::vector<std::vector<byte>> alice_states; // offering, confirming, established
    std::vector<std::vector<byte>> bob_states;
    std::vector<byte> alice_offer;
    std::vector<byte> bob_offer;
    std::vector<byte> bob_confirm;
    std::vector<byte> ratchet_state; // bob's, after one message
    std::vector<byte> next_message;  // alice's next, same chain
    std::vector<byte> reply_alice_state;
    std::vector<byte> new_chain_message; // bob's reply: a DH ratchet step for alice

    fixture() {
        handshake a(alice, "alice", "bob", std::nullopt);
        handshake b(bob, "bob", "alice", std::nullopt);
        auto opened = a.open(t0, random);
        alice_offer = take_bytes<handshake_action::send_offer>(opened);
        alice_states.push_back(copy_of(a.serialize()));
        bob_states.push_back(copy_of(b.serialize()));
        auto answer = b.offer_received(alice_offer, t0, random);
        bob_offer = take_bytes<handshake_action::send_offer>(answer);
        bob_confirm = take_bytes<handshake_action::send_confirm>(answer);
        bob_states.push_back(copy_of(b.serialize()));
        auto alice_answer = a.offer_received(bob_offer, t0, random);
        alice_states.push_back(copy_of(a.serialize()));
        a.confirm_received(bob_confirm, t0);
        alice_states.push_back(copy_of(a.serialize()));
        b.confirm_received(take_bytes<handshake_action::send_confirm>(alice_answer), t0);
        bob_states.push_back(copy_of(b.serialize()));

        auto sessions = make_sessions(2, true);
        const std::vector<byte> hello{'h', 'i'};
        const auto first = sessions.alice->encrypt(hello, random);
        static_cast<void>(sessions.bob->decrypt(first, t0));
        next_message = sessions.alice->encrypt(hello, random);
        ratchet_state = copy_of(sessions.bob->serialize());
        new_chain_message = sessions.bob->encrypt(hello, random);
        reply_alice_state = copy_of(sessions.alice->serialize());
    }
};

const fixture& shared() {
    static const fixture instance;
    return instance;
}

void offer_into_all(const fixture& f, bytes_view offer, seeded_random& random) {
    for (const auto& state : f.bob_states) {
        auto machine = handshake::deserialize(state, f.bob);
        if (!machine) {
            fail("fixture state");
        }
        const auto result = machine->offer_received(offer, t0 + std::chrono::seconds(1), random);
        if (refused(result) && copy_of(machine->serialize()) != state) {
            fail("a refused offer changed the state");
        }
    }
}

void confirm_into_all(const fixture& f, bytes_view confirm) {
    for (const auto& state : f.alice_states) {
        auto machine = handshake::deserialize(state, f.alice);
        if (!machine) {
            fail("fixture state");
        }
        const auto before = machine->state();
        const auto result = machine->confirm_received(confirm, t0);
        if (refused(result) && copy_of(machine->serialize()) != state) {
            fail("a refused confirm changed the state");
        }
        if (before == handshake_state::offering &&
            machine->state() == handshake_state::established) {
            fail("established without a peer offer");
        }
    }
}

void message_into(bytes_view state, bytes_view message) {
    auto machine = ratchet::deserialize(state);
    if (!machine) {
        fail("fixture ratchet state");
    }
    auto result = machine->decrypt(message, t0);
    if (std::holds_alternative<ratchet_error>(result) &&
        copy_of(machine->serialize()) != std::vector<byte>(state.begin(), state.end())) {
        fail("a refused message changed the ratchet state");
    }
}

std::vector<byte> patched(const std::vector<byte>& original, bytes_view patches) {
    auto out = original;
    for (std::size_t i = 0; i + 2 < patches.size(); i += 3) {
        const std::size_t position = (std::size_t{patches[i]} << 8U) | patches[i + 1];
        if (position < out.size()) {
            out[position] = patches[i + 2];
        } else if (position - out.size() < 4) {
            out.push_back(patches[i + 2]);
        } else {
            out.resize(position % (out.size() + 1));
        }
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const fixture& f = shared();
    const bytes_view input(data + 1, size - 1);
    seeded_random random(size);
    switch (data[0] % 6) {
    case 0: {
        std::size_t cursor = 0;
        handshake_simulation sim(data[0], [&](std::uint32_t bound) -> std::uint32_t {
            if (bound == 0 || cursor >= input.size()) {
                return 0;
            }
            return input[cursor++] % bound;
        });
        sim.start();
        for (int step = 0; step < 64 && cursor < input.size(); ++step) {
            sim.chaos_step();
        }
        if (!sim.settle(400)) {
            fail("the handshake did not converge");
        }
        break;
    }
    case 1:
        offer_into_all(f, input, random);
        break;
    case 2:
        confirm_into_all(f, input);
        break;
    case 3:
        message_into(f.ratchet_state, input);
        message_into(f.reply_alice_state, input);
        break;
    case 4: {
        if (auto machine = handshake::deserialize(input, f.alice)) {
            const auto saved = copy_of(machine->serialize());
            auto again = handshake::deserialize(saved, f.alice);
            if (!again || copy_of(again->serialize()) != saved) {
                fail("a handshake state did not round-trip");
            }
            static_cast<void>(machine->status());
            static_cast<void>(machine->resume(t0));
            static_cast<void>(machine->timer_fired(t0, random));
            static_cast<void>(machine->offer_received(f.bob_offer, t0, random));
            static_cast<void>(machine->confirm_received(f.bob_confirm, t0));
            static_cast<void>(machine->user_accepted_key(t0, random));
        }
        if (auto machine = ratchet::deserialize(input)) {
            const auto saved = copy_of(machine->serialize());
            auto again = ratchet::deserialize(saved);
            if (!again || copy_of(again->serialize()) != saved) {
                fail("a ratchet state did not round-trip");
            }
            static_cast<void>(machine->decrypt(f.next_message, t0));
            static_cast<void>(machine->encrypt(f.next_message, random));
        }
        break;
    }
    default: {
        offer_into_all(f, patched(f.alice_offer, input), random);
        confirm_into_all(f, patched(f.bob_confirm, input));
        message_into(f.ratchet_state, patched(f.next_message, input));
        message_into(f.reply_alice_state, patched(f.new_chain_message, input));
        break;
    }
    }
    return 0;
}
