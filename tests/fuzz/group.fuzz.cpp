// Fuzzes the group layer's parsers and checks (docs/PROTOCOL.md 2.9). The first byte picks a
// mode; everything is deterministic (seeded_random), so a crashing input replays exactly.
//   0: raw bytes as a group change, applied to each known state (and to none) under each
//      pinned author key.
//   1: raw bytes as a group message, decrypted by receivers in several states.
//   2: the next byte picks a type (distribution, sender, receiver, group state); the rest is
//      parsed as its serialization and the result used.
//   3: the next byte picks a genuine change or message; the rest are patches (u16 position,
//      value) applied to it before modes 0/1.
// Invariants: a parsed input re-serializes to the same bytes (the encodings are canonical); a
// change is accepted only when it is one the fixture signed; a message decrypts only when it is
// one the fixture sent, to its plaintext; a refused message leaves the receiver byte-identical.
//
// The seed corpus in tests/fuzz/corpus/group/ holds the fixture's genuine inputs; rebuild it
// with: c++ -std=c++20 -I. -DSOTTO_GROUP_FUZZ_DUMP tests/fuzz/group.fuzz.cpp
//       build/ci/crypto/libsotto_crypto.a -lsodium -o /tmp/dump && /tmp/dump
//       tests/fuzz/corpus/group
#include "crypto/group.h"

#include "crypto/sender_key.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>

using namespace sotto::crypto;

namespace {

const wall_time t0{std::chrono::milliseconds(1'700'000'000'000)};

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "group fuzz invariant broken: %s\n", what);
    std::abort();
}

std::vector<byte> copy_of(const secret_buffer& buffer) {
    return {buffer.view().begin(), buffer.view().end()};
}

struct fixture {
    seeded_random random{1};
    identity_key_pair alice = identity_key_pair::generate(random);
    identity_key_pair bob = identity_key_pair::generate(random);
    identity_key_pair dave = identity_key_pair::generate(random);
    std::vector<std::optional<group_state>> states; // none, v1, v2
    std::vector<group_change> changes;              // create, add dave, rename
    std::vector<group_state> results;               // what each change leads to
    std::vector<std::vector<byte>> encoded_changes;

    sender_key_sender sender = sender_key_sender::generate(group_id{}, random);
    std::vector<std::vector<byte>> messages;
    std::vector<std::vector<byte>> plaintexts;
    std::vector<std::vector<byte>> receiver_states; // fresh, after message 1
    std::vector<byte> sender_state;
    std::vector<byte> distribution;

    fixture() {
        group_state v1;
        v1.id.bytes.fill(7);
        v1.version = 1;
        v1.name = "fuzz";
        v1.members = {{"alice", alice.public_key(), true}, {"bob", bob.public_key(), false}};
        group_state v2 = v1;
        v2.version = 2;
        v2.members.push_back({"dave", dave.public_key(), false});
        group_state v3 = v2;
        v3.version = 3;
        v3.name = "renamed";
        changes.push_back(
            make_group_change(group_change_kind::create, alice, "alice", {"bob"}, 1, v1));
        changes.push_back(
            make_group_change(group_change_kind::add, alice, "alice", {"dave"}, 2, v2));
        changes.push_back(make_group_change(group_change_kind::rename, alice, "alice", {}, 3, v3));
        results = {v1, v2, v3};
        states = {std::nullopt, v1, v2};
        for (const auto& change : changes) {
            encoded_changes.push_back(change.serialize());
        }

        sender = sender_key_sender::generate(v1.id, random);
        distribution = copy_of(sender.distribution().serialize());
        auto receiver = sender_key_receiver::from_distribution(sender.distribution());
        receiver_states.push_back(copy_of(receiver.serialize()));
        for (int i = 0; i < 4; ++i) {
            const std::string text = "message " + std::to_string(i);
            plaintexts.emplace_back(text.begin(), text.end());
            messages.push_back(sender.encrypt(plaintexts.back(), alice.public_key().view()));
        }
        if (std::holds_alternative<sender_key_error>(
                receiver.decrypt(messages[1], alice.public_key().view(), t0))) {
            fail("fixture message does not decrypt");
        }
        receiver_states.push_back(copy_of(receiver.serialize()));
        sender_state = copy_of(sender.serialize());
    }
};

const fixture& shared() {
    static const fixture f;
    return f;
}

void fuzz_change(const fixture& f, bytes_view input) {
    const auto change = group_change::deserialize(input);
    if (!change) {
        return;
    }
    const auto encoded = change->serialize();
    if (!std::equal(encoded.begin(), encoded.end(), input.begin(), input.end())) {
        fail("a parsed change does not re-serialize to its input");
    }
    const auto genuine = std::find(f.encoded_changes.begin(), f.encoded_changes.end(), encoded);
    for (const auto& state : f.states) {
        for (const auto* key : {&f.alice.public_key(), &f.bob.public_key()}) {
            const auto result = apply_group_change(state, *change, *key);
            if (const auto* next = std::get_if<group_state>(&result)) {
                if (genuine == f.encoded_changes.end()) {
                    fail("a change the fixture did not sign was accepted");
                }
                const auto index = static_cast<std::size_t>(genuine - f.encoded_changes.begin());
                if (*next != f.results[index]) {
                    fail("an accepted change led to another state than it carries");
                }
            }
            if (const auto* error = std::get_if<group_change_error>(&result)) {
                static_cast<void>(to_string(*error));
            }
        }
    }
}

void fuzz_message(const fixture& f, bytes_view input) {
    static_cast<void>(parse_group_message_header(input));
    for (const auto& saved : f.receiver_states) {
        auto receiver = sender_key_receiver::deserialize(saved);
        if (!receiver) {
            fail("fixture receiver state does not load");
        }
        const auto result = receiver->decrypt(input, f.alice.public_key().view(), t0);
        if (const auto* error = std::get_if<sender_key_error>(&result)) {
            static_cast<void>(to_string(*error));
            if (copy_of(receiver->serialize()) != saved) {
                fail("a refused message changed the receiver");
            }
            if (*error == sender_key_error::bad_signature && receiver->chain_steps() != 0) {
                fail("a badly signed message derived keys");
            }
            continue;
        }
        const auto genuine = std::find_if(f.messages.begin(), f.messages.end(), [&](const auto& m) {
            return std::equal(m.begin(), m.end(), input.begin(), input.end());
        });
        if (genuine == f.messages.end()) {
            fail("a message the fixture did not send decrypted");
        }
        const auto& plaintext = std::get<secret_buffer>(result);
        const auto& expected = f.plaintexts[static_cast<std::size_t>(genuine - f.messages.begin())];
        if (!std::equal(expected.begin(), expected.end(), plaintext.view().begin(),
                        plaintext.view().end())) {
            fail("a genuine message decrypted to another plaintext");
        }
        if (!std::holds_alternative<sender_key_error>(
                receiver->decrypt(input, f.alice.public_key().view(), t0))) {
            fail("a message decrypted twice");
        }
    }
}

template <typename Loaded>
void require_canonical(const Loaded& loaded, bytes_view input) {
    const auto encoded = loaded.serialize();
    if (!std::equal(encoded.view().begin(), encoded.view().end(), input.begin(), input.end())) {
        fail("a parsed state does not re-serialize to its input");
    }
}

void fuzz_state(const fixture& f, byte type, bytes_view input) {
    const bytes_view ad = f.alice.public_key().view();
    switch (type % 4) {
    case 0:
        if (const auto distribution = sender_key_distribution::deserialize(input)) {
            require_canonical(*distribution, input);
            auto receiver = sender_key_receiver::from_distribution(*distribution);
            for (const auto& message : f.messages) {
                static_cast<void>(receiver.decrypt(message, ad, t0));
            }
        }
        break;
    case 1:
        if (auto sender = sender_key_sender::deserialize(input)) {
            require_canonical(*sender, input);
            if (sender->iteration() == std::numeric_limits<std::uint32_t>::max()) {
                break;
            }
            auto receiver = sender_key_receiver::from_distribution(sender->distribution());
            const std::vector<byte> text{1, 2, 3};
            if (!std::holds_alternative<secret_buffer>(
                    receiver.decrypt(sender->encrypt(text, ad), ad, t0))) {
                fail("a loaded sender's message does not decrypt with its distribution");
            }
        }
        break;
    case 2:
        if (auto receiver = sender_key_receiver::deserialize(input)) {
            require_canonical(*receiver, input);
            for (const auto& message : f.messages) {
                static_cast<void>(receiver->decrypt(message, ad, t0));
            }
            receiver->expire_skipped(t0);
        }
        break;
    default:
        if (const auto state = deserialize_group_state(input)) {
            const auto encoded = serialize(*state);
            if (!std::equal(encoded.begin(), encoded.end(), input.begin(), input.end())) {
                fail("a parsed group state does not re-serialize to its input");
            }
            for (const auto& change : f.changes) {
                static_cast<void>(apply_group_change(state, change, f.alice.public_key()));
            }
        }
        break;
    }
}

void fuzz_patched(const fixture& f, bytes_view input) {
    if (input.empty()) {
        return;
    }
    const std::size_t pick = input[0] % (f.encoded_changes.size() + f.messages.size());
    const bool is_change = pick < f.encoded_changes.size();
    std::vector<byte> target =
        is_change ? f.encoded_changes[pick] : f.messages[pick - f.encoded_changes.size()];
    for (std::size_t i = 1; i + 2 < input.size() && !target.empty(); i += 3) {
        const std::size_t position = ((std::size_t{input[i]} << 8U) | input[i + 1]) % target.size();
        target[position] = input[i + 2];
    }
    if (is_change) {
        fuzz_change(f, target);
    } else {
        fuzz_message(f, target);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const fixture& f = shared();
    const bytes_view input(data + 1, size - 1);
    switch (data[0] % 4) {
    case 0:
        fuzz_change(f, input);
        break;
    case 1:
        fuzz_message(f, input);
        break;
    case 2:
        if (!input.empty()) {
            fuzz_state(f, input[0], input.subspan(1));
        }
        break;
    default:
        fuzz_patched(f, input);
        break;
    }
    return 0;
}

#ifdef SOTTO_GROUP_FUZZ_DUMP
#include <fstream>

int main(int argc, char** argv) {
    if (argc != 2) {
        return 2;
    }
    const fixture& f = shared();
    const auto write = [&](const std::string& name, byte mode, std::vector<byte> prefix,
                           bytes_view body) {
        std::ofstream out(std::string(argv[1]) + "/" + name, std::ios::binary);
        out.put(static_cast<char>(mode));
        for (const byte b : prefix) {
            out.put(static_cast<char>(b));
        }
        out.write(reinterpret_cast<const char*>(body.data()),
                  static_cast<std::streamsize>(body.size()));
    };
    const char* change_names[] = {"change-create", "change-add", "change-rename"};
    for (std::size_t i = 0; i < f.encoded_changes.size(); ++i) {
        write(change_names[i], 0, {}, f.encoded_changes[i]);
    }
    for (std::size_t i = 0; i < f.messages.size(); ++i) {
        write("message-" + std::to_string(i), 1, {}, f.messages[i]);
    }
    write("state-distribution", 2, {0}, f.distribution);
    write("state-sender", 2, {1}, f.sender_state);
    write("state-receiver", 2, {2}, f.receiver_states[1]);
    write("state-group", 2, {3}, serialize(*f.states[2]));
    for (byte pick = 0; pick < 7; ++pick) {
        write("patched-" + std::to_string(pick), 3, {pick, 0, 5, 0xff}, {});
    }
    return 0;
}
#endif
