// The test vectors of docs/PROTOCOL.md, Part 2, regenerated from seeded runs and compared
// with the document, so the document cannot drift from the code. To print the current values:
//   sotto_crypto_tests "[.print-vectors]" -s
#include "crypto/handshake.h"
#include "crypto/padding.h"
#include "crypto/ratchet.h"
#include "crypto/safety_number.h"
#include "crypto/seal.h"
#include "crypto/sender_key.h"
#include "tests/crypto/session_support.h"
#include "tests/crypto/test_support.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>

using namespace sotto::crypto;
using namespace sotto::crypto::testing;

namespace {

std::map<std::string, std::string> generate_vectors() {
    std::map<std::string, std::string> v;
    const wall_time t0{std::chrono::milliseconds(1'700'000'000'000)};
    seeded_random random(2026);
    const auto alice_id = identity_key_pair::generate(random);
    const auto bob_id = identity_key_pair::generate(random);
    v["alice.identity_seed"] = to_hex(alice_id.secret_key().view().first(32));
    v["alice.identity_public"] = to_hex(alice_id.public_key().view());
    v["bob.identity_seed"] = to_hex(bob_id.secret_key().view().first(32));
    v["bob.identity_public"] = to_hex(bob_id.public_key().view());

    handshake alice(alice_id, "alice", "bob", std::nullopt);
    handshake bob(bob_id, "bob", "alice", std::nullopt);
    auto opened = alice.open(t0, random);
    auto alice_offer = take_bytes<handshake_action::send_offer>(opened);
    auto answer = bob.offer_received(alice_offer, t0 + std::chrono::seconds(1), random);
    auto bob_offer = take_bytes<handshake_action::send_offer>(answer);
    auto bob_confirm = take_bytes<handshake_action::send_confirm>(answer);
    auto alice_answer = alice.offer_received(bob_offer, t0 + std::chrono::seconds(2), random);
    auto alice_confirm = take_bytes<handshake_action::send_confirm>(alice_answer);
    auto alice_done = alice.confirm_received(bob_confirm, t0 + std::chrono::seconds(2));
    auto bob_done = bob.confirm_received(alice_confirm, t0 + std::chrono::seconds(3));
    auto alice_session = take_established(alice_done);
    auto bob_session = take_established(bob_done);
    v["offer.alice"] = to_hex(alice_offer);
    v["offer.bob"] = to_hex(bob_offer);
    v["alice.ephemeral_secret"] = to_hex(alice_session.my_ephemeral.secret_key.view());
    v["bob.ephemeral_secret"] = to_hex(bob_session.my_ephemeral.secret_key.view());
    v["handshake.transcript"] = to_hex(alice_session.transcript.view());
    v["handshake.root_key"] = to_hex(alice_session.root.view());
    v["handshake.alice_role"] = alice_session.role == session_role::initiator ? "01" : "02";
    v["confirm.alice"] = to_hex(alice_confirm);
    v["confirm.bob"] = to_hex(bob_confirm);

    auto alice_ratchet = ratchet::from_handshake(alice_session);
    auto bob_ratchet = ratchet::from_handshake(bob_session);
    ratchet& initiator =
        alice_session.role == session_role::initiator ? alice_ratchet : bob_ratchet;
    ratchet& responder =
        alice_session.role == session_role::initiator ? bob_ratchet : alice_ratchet;
    const auto hello = *pad(bytes_of("hello"));
    const auto responder_first = responder.encrypt(hello, random);
    const auto initiator_first = initiator.encrypt(hello, random);
    const auto state = initiator.serialize();
    v["ratchet.initiator_ratchet_secret"] = to_hex(state.view().subspan(1 + 32 + 32 + 32, 32));
    v["ratchet.responder_first_message"] = to_hex(responder_first);
    v["ratchet.initiator_first_message"] = to_hex(initiator_first);

    const auto key = sealing_key::derive(make_passphrase("correct horse battery staple"),
                                         kdf_params::cheap(), random);
    v["seal.blob"] = to_hex(seal(*key, bytes_of("secret"), "identity", random));

    identity_public_key a;
    identity_public_key b;
    for (std::size_t i = 0; i < 32; ++i) {
        a.bytes[i] = static_cast<byte>(i);
        b.bytes[i] = static_cast<byte>(0x20 + i);
    }
    v["safety.number"] = *safety_number(a, "alice", b, "bob");

    // Drawn last from the same stream, so the vectors above do not move.
    group_id group;
    for (std::size_t i = 0; i < group.size(); ++i) {
        group.bytes[i] = static_cast<byte>(i);
    }
    auto sender = sender_key_sender::generate(group, random);
    const auto distribution = sender.distribution();
    const auto sender_state = sender.serialize();
    v["group.chain_key"] = to_hex(distribution.chain_key.view());
    v["group.signing_seed"] = to_hex(sender_state.view().subspan(1 + 16 + 4 + 4 + 32, 32));
    v["group.message_0"] = to_hex(sender.encrypt(hello, alice_id.public_key().view()));
    v["group.message_1"] = to_hex(sender.encrypt(hello, alice_id.public_key().view()));
    return v;
}

// Lines "name: value" between the markers in the document.
std::map<std::string, std::string> documented_vectors() {
    std::ifstream file(std::string(SOTTO_SOURCE_DIR) + "/docs/PROTOCOL.md");
    std::map<std::string, std::string> out;
    std::string line;
    bool inside = false;
    while (std::getline(file, line)) {
        if (line.find("<!-- vectors begin -->") != std::string::npos) {
            inside = true;
        } else if (line.find("<!-- vectors end -->") != std::string::npos) {
            inside = false;
        } else if (inside) {
            const auto colon = line.find(": ");
            if (colon != std::string::npos) {
                out[line.substr(0, colon)] = line.substr(colon + 2);
            }
        }
    }
    return out;
}

} // namespace

TEST_CASE("the test vectors in docs/PROTOCOL.md are what the code produces", "[crypto][vectors]") {
    const auto generated = generate_vectors();
    const auto documented = documented_vectors();
    REQUIRE(documented.size() == generated.size());
    for (const auto& [name, value] : generated) {
        INFO(name << ": " << value);
        REQUIRE(documented.count(name) == 1);
        CHECK(documented.at(name) == value);
    }
}

TEST_CASE("print the protocol test vectors", "[.print-vectors]") {
    for (const auto& [name, value] : generate_vectors()) {
        std::printf("%s: %s\n", name.c_str(), value.c_str());
    }
}
