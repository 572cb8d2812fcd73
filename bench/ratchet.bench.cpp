// sotto's Double Ratchet against libolm's (the Matrix Double Ratchet in C), same run, same
// machine, 256-byte messages:
//   (a) chain:     one direction, encrypt + decrypt per message (symmetric ratchet only)
//   (b) ping-pong: strict alternation, so every message is a DH ratchet step
//   (c) floor:     raw XChaCha20-Poly1305 encrypt + decrypt with the same associated data size
// and the handshake (offer + confirm, both sides) against the sum of its primitives.
// Each figure is the median over several repetitions, in nanoseconds per message.
#include "crypto/ratchet.h"

#include "crypto/aead.h"
#include "crypto/hkdf.h"
#include "crypto/identity.h"
#include "crypto/x25519.h"
#include "tests/crypto/session_support.h"

#include <olm/olm.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace sotto::crypto;
using namespace sotto::crypto::testing;

namespace {

constexpr std::size_t message_size = 256;
constexpr int repetitions = 7;
const wall_time t0{std::chrono::milliseconds(1'700'000'000'000)};

// Median over `repetitions` of the time per operation of `run(count)`.
double median_ns(std::size_t count, const std::function<void(std::size_t)>& run) {
    run(std::max<std::size_t>(count / 10, 1)); // warm up
    std::vector<double> samples;
    for (int i = 0; i < repetitions; ++i) {
        const auto start = std::chrono::steady_clock::now();
        run(count);
        const auto stop = std::chrono::steady_clock::now();
        samples.push_back(std::chrono::duration<double, std::nano>(stop - start).count() /
                          static_cast<double>(count));
    }
    std::sort(samples.begin(), samples.end());
    return samples[samples.size() / 2];
}

void check(bool ok, const char* what) {
    if (!ok) {
        throw std::runtime_error(what);
    }
}

// ---- libolm ----------------------------------------------------------------------------

struct olm_side {
    std::vector<std::uint8_t> account_memory;
    std::vector<std::uint8_t> session_memory;
    OlmAccount* account = nullptr;
    OlmSession* session = nullptr;
};

std::string json_value_after(const std::string& json, const std::string& key) {
    const auto at = json.find("\"" + key + "\":\"");
    check(at != std::string::npos, "olm json");
    const auto start = at + key.size() + 4;
    return json.substr(start, json.find('"', start) - start);
}

struct olm_pair {
    olm_side alice;
    olm_side bob;
    system_random random;
    std::vector<std::uint8_t> random_buffer;
    std::vector<std::uint8_t> message;
    std::vector<std::uint8_t> scratch;
    std::vector<std::uint8_t> plaintext_out = std::vector<std::uint8_t>(4096);

    std::uint8_t* random_bytes(std::size_t size) {
        random_buffer.resize(std::max<std::size_t>(size, 1));
        random.fill({random_buffer.data(), size});
        return random_buffer.data();
    }

    olm_pair() {
        for (olm_side* side : {&alice, &bob}) {
            side->account_memory.resize(olm_account_size());
            side->session_memory.resize(olm_session_size());
            side->account = olm_account(side->account_memory.data());
            side->session = olm_session(side->session_memory.data());
            const std::size_t length = olm_create_account_random_length(side->account);
            check(olm_create_account(side->account, random_bytes(length), length) != olm_error(),
                  "olm account");
        }
        const std::size_t otk_random =
            olm_account_generate_one_time_keys_random_length(bob.account, 1);
        olm_account_generate_one_time_keys(bob.account, 1, random_bytes(otk_random), otk_random);
        std::string identity(olm_account_identity_keys_length(bob.account), '\0');
        olm_account_identity_keys(bob.account, identity.data(), identity.size());
        std::string one_time(olm_account_one_time_keys_length(bob.account), '\0');
        olm_account_one_time_keys(bob.account, one_time.data(), one_time.size());
        const std::string bob_curve = json_value_after(identity, "curve25519");
        const auto key_at = one_time.find("\":\"", one_time.find("curve25519") + 13);
        const std::string bob_otk =
            one_time.substr(key_at + 3, one_time.find('"', key_at + 3) - key_at - 3);
        olm_account_mark_keys_as_published(bob.account);
        const std::size_t session_random = olm_create_outbound_session_random_length(alice.session);
        check(olm_create_outbound_session(
                  alice.session, alice.account, bob_curve.data(), bob_curve.size(), bob_otk.data(),
                  bob_otk.size(), random_bytes(session_random), session_random) != olm_error(),
              "olm outbound session");
        // Alice's pre-key message creates Bob's session; Bob's reply ends the pre-key phase.
        std::vector<std::uint8_t> plain(message_size, 'x');
        encrypt(alice, plain);
        scratch = message;
        check(olm_create_inbound_session(bob.session, bob.account, scratch.data(),
                                         scratch.size()) != olm_error(),
              "olm inbound session");
        decrypt(bob, 0);
        const std::size_t type = encrypt(bob, plain);
        decrypt(alice, type);
        check(olm_encrypt_message_type(alice.session) == OLM_MESSAGE_TYPE_MESSAGE, "olm setup");
    }

    std::size_t encrypt(olm_side& from, const std::vector<std::uint8_t>& plain) {
        const std::size_t type = olm_encrypt_message_type(from.session);
        const std::size_t random_length = olm_encrypt_random_length(from.session);
        message.resize(olm_encrypt_message_length(from.session, plain.size()));
        check(olm_encrypt(from.session, plain.data(), plain.size(), random_bytes(random_length),
                          random_length, message.data(), message.size()) != olm_error(),
              "olm encrypt");
        return type;
    }

    void decrypt(olm_side& to, std::size_t type) {
        scratch = message; // olm decodes base64 in place
        const std::size_t length = olm_decrypt(to.session, type, scratch.data(), scratch.size(),
                                               plaintext_out.data(), plaintext_out.size());
        check(length == message_size, "olm decrypt");
    }
};

} // namespace

int main() {
    system_random random;
    const std::vector<byte> plaintext(message_size, 0x42);

    // (c) floor: raw AEAD, associated data as large as a ratchet message's.
    aead_key key;
    random.fill(key.mutable_view());
    aead_nonce nonce{};
    std::vector<byte> ad(ratchet_header_size + 64, 0x11);
    std::vector<byte> sealed(message_size + aead_tag_size);
    std::vector<byte> opened(message_size);
    const double floor_ns = median_ns(200000, [&](std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            static_cast<void>(aead_encrypt(key.view(), nonce, plaintext, ad, sealed));
            check(aead_decrypt(key.view(), nonce, sealed, ad, opened), "aead");
        }
    });

    // (a) ours, one direction.
    auto sessions = make_sessions(1, true);
    std::vector<byte> wire;
    std::vector<byte> received(message_size);
    const double ours_chain = median_ns(200000, [&](std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            sessions.alice->encrypt(plaintext, random, wire);
            check(!sessions.bob->decrypt(wire, t0, received), "ours chain");
        }
    });
    // (b) ours, ping-pong.
    const double ours_pingpong = median_ns(4000, [&](std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            ratchet& from = i % 2 == 0 ? *sessions.alice : *sessions.bob;
            ratchet& to = i % 2 == 0 ? *sessions.bob : *sessions.alice;
            from.encrypt(plaintext, random, wire);
            check(!to.decrypt(wire, t0, received), "ours ping-pong");
        }
    });

    // libolm.
    olm_pair olm;
    const std::vector<std::uint8_t> olm_plain(message_size, 0x42);
    const double olm_chain = median_ns(20000, [&](std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            const std::size_t type = olm.encrypt(olm.alice, olm_plain);
            olm.decrypt(olm.bob, type);
        }
    });
    const double olm_pingpong = median_ns(2000, [&](std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            olm_side& from = i % 2 == 0 ? olm.alice : olm.bob;
            olm_side& to = i % 2 == 0 ? olm.bob : olm.alice;
            const std::size_t type = olm.encrypt(from, olm_plain);
            olm.decrypt(to, type);
        }
    });

    // Handshake: offer + confirm on both sides, against the sum of its primitives.
    const auto alice_id = identity_key_pair::generate(random);
    const auto bob_id = identity_key_pair::generate(random);
    const double handshake_ns = median_ns(300, [&](std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            handshake alice(alice_id, "alice", "bob", std::nullopt);
            handshake bob(bob_id, "bob", "alice", std::nullopt);
            auto opened_offer = alice.open(t0, random);
            auto answer = bob.offer_received(take_bytes<handshake_action::send_offer>(opened_offer),
                                             t0, random);
            auto alice_answer =
                alice.offer_received(take_bytes<handshake_action::send_offer>(answer), t0, random);
            auto a = alice.confirm_received(take_bytes<handshake_action::send_confirm>(answer), t0);
            auto b =
                bob.confirm_received(take_bytes<handshake_action::send_confirm>(alice_answer), t0);
            check(a.size() == 1 && b.size() == 1, "handshake");
        }
    });
    const std::vector<byte> offer_like(220, 0x33);
    const auto sig = alice_id.sign(offer_like);
    const auto eph_a = x25519_key_pair::generate(random);
    const auto eph_b = x25519_key_pair::generate(random);
    std::array<byte, 96> okm{};
    std::array<byte, 32> mac{};
    std::array<byte, 32> shared{};
    const double keygen_ns = median_ns(2000, [&](std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            static_cast<void>(x25519_key_pair::generate(random));
        }
    });
    const double sign_ns = median_ns(2000, [&](std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            static_cast<void>(alice_id.sign(offer_like));
        }
    });
    const double verify_ns = median_ns(2000, [&](std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            check(verify(alice_id.public_key(), offer_like, sig), "verify");
        }
    });
    const double dh_ns = median_ns(2000, [&](std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            check(x25519(eph_a.secret_key, eph_b.public_key, shared), "dh");
        }
    });
    const double kdf_ns = median_ns(20000, [&](std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            static_cast<void>(sha256(offer_like));
            static_cast<void>(hkdf_sha256(shared, shared, offer_like, okm));
            static_cast<void>(hmac_sha256(shared, offer_like, mac));
            static_cast<void>(hmac_sha256(shared, offer_like, mac));
        }
    });
    // Per side: one key pair, one signature, one verification, one DH, one transcript hash,
    // one HKDF, two HMACs (make and check a confirm).
    const double primitives_ns = 2 * (keygen_ns + sign_ns + verify_ns + dh_ns + kdf_ns);

    std::printf("ratchet benchmark, %zu-byte messages, median of %d runs (ns per message)\n",
                message_size, repetitions);
    std::printf("  %-34s %10s %10s %8s\n", "", "sotto", "libolm", "ratio");
    std::printf("  %-34s %10.0f %10.0f %8.3f\n", "(a) chain encrypt+decrypt", ours_chain, olm_chain,
                ours_chain / olm_chain);
    std::printf("  %-34s %10.0f %10.0f %8.3f\n", "(b) ping-pong encrypt+decrypt", ours_pingpong,
                olm_pingpong, ours_pingpong / olm_pingpong);
    std::printf("  %-34s %10.0f %10s %8.3f  (ours / floor)\n", "(c) raw XChaCha20-Poly1305 floor",
                floor_ns, "-", ours_chain / floor_ns);
    std::printf(
        "  handshake, offer+confirm both sides: %.0f ns; sum of primitives %.0f ns "
        "(keygen %.0f, sign %.0f, verify %.0f, dh %.0f, hashes %.0f per side); ratio %.2f\n",
        handshake_ns, primitives_ns, keygen_ns, sign_ns, verify_ns, dh_ns, kdf_ns,
        handshake_ns / primitives_ns);
    std::printf("  goals: chain <= 0.125 of libolm and <= 3x floor; ping-pong <= 0.25 of libolm\n");
    std::printf("bench ratchet: chain ratio %.3f, pingpong ratio %.3f, floor ratio %.2f\n",
                ours_chain / olm_chain, ours_pingpong / olm_pingpong, ours_chain / floor_ns);
    return 0;
}
