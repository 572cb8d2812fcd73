// Group conversations end to end: a real `sotto --relay` and real `sotto --batch` members on
// loopback, driven through JSON lines (docs/BATCH.md "Groups").
#include "crypto/identity.h"
#include "crypto/sender_key.h"
#include "e2e_support.h"
#include "store/relay_store.h"

#include <algorithm>
#include <map>
#include <set>

using namespace sotto::testing;

namespace {

auto group_message(std::string group, std::string from = {}) {
    return [group = std::move(group), from = std::move(from)](const json& e) {
        return e["event"] == "message" && e.value("group", std::string()) == group &&
               (from.empty() || e["from"] == from);
    };
}

auto group_change(std::string group, std::string change) {
    return [group = std::move(group), change = std::move(change)](const json& e) {
        return e["event"] == "group" && e["group"] == group && e["change"] == change;
    };
}

std::vector<std::string> texts_of(const std::vector<json>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) {
        out.push_back(e["text"].get<std::string>());
    }
    return out;
}

std::string create_group(batch_client& admin, const std::string& name,
                         const std::vector<std::string>& members) {
    const auto answer =
        admin.command({{"cmd", "group_create"}, {"name", name}, {"members", members}});
    INFO(answer.dump() << "\n" << admin.tail());
    REQUIRE(answer["event"] == "result");
    return answer["group"].get<std::string>();
}

std::string send_group(batch_client& client, const std::string& group, const std::string& text) {
    const auto answer = client.command({{"cmd", "send"}, {"group", group}, {"text", text}});
    INFO(answer.dump());
    REQUIRE(answer["event"] == "result");
    return answer["id"].get<std::string>();
}

std::vector<json> group_history(batch_client& client, const std::string& group, int limit = 1000) {
    const auto answer = client.command({{"cmd", "history"}, {"group", group}, {"limit", limit}});
    INFO(answer.dump());
    REQUIRE(answer["event"] == "result");
    return answer["messages"].get<std::vector<json>>();
}

std::vector<std::string> history_texts(batch_client& client, const std::string& group,
                                       const std::string& kind = "text") {
    std::vector<std::string> out;
    for (const auto& m : group_history(client, group)) {
        if (m["kind"] == kind) {
            out.push_back(m["text"].get<std::string>());
        }
    }
    return out;
}

struct group_fixture {
    e2e_directory dir;
    relay_process relay;
    std::map<std::string, std::unique_ptr<batch_client>> clients;

    explicit group_fixture(std::vector<std::string> relay_arguments = {})
        : relay(dir.path / "relay", free_port(), std::move(relay_arguments)) {}

    batch_client& start(const std::string& name, std::map<std::string, std::string> env = {}) {
        auto& slot = clients[name];
        slot = std::make_unique<batch_client>(name, dir.path / name, relay, "pass-phrase", true,
                                              batch_client::pin_mode::fingerprint, std::move(env));
        // Connected means registered: the others can look its key up from now on.
        slot->wait_for(
            [](const json& e) { return e["event"] == "connection" && e["state"] == "connected"; },
            20s, "the connection");
        return *slot;
    }
    batch_client& operator[](const std::string& name) { return *clients.at(name); }
};

} // namespace

TEST_CASE("a group of three: every member reads every other member's messages once, in order",
          "[e2e][group]") {
    group_fixture f;
    auto& alice = f.start("alice");
    auto& bob = f.start("bob");
    auto& carol = f.start("carol");
    const auto group = create_group(alice, "team", {"bob", "carol"});
    bob.wait_for(group_change(group, "create"), 30s, "the group");
    carol.wait_for(group_change(group, "create"), 30s, "the group");
    const auto first = send_group(alice, group, "alice 1");
    send_group(bob, group, "bob 1");
    send_group(carol, group, "carol 1");
    send_group(alice, group, "alice 2");
    alice.wait_for(
        [&](const json& e) {
            return e["event"] == "receipt" && e["id"] == first && e["status"] == "sent";
        },
        20s, "the sent receipt");
    bob.wait_count(group_message(group), 3, 30s, "group messages");
    carol.wait_count(group_message(group), 3, 30s, "group messages");
    alice.wait_count(group_message(group), 2, 30s, "group messages");
    bob.drain(500ms);
    CHECK(texts_of(bob.matching(group_message(group, "alice"))) ==
          std::vector<std::string>{"alice 1", "alice 2"});
    CHECK(texts_of(bob.matching(group_message(group, "carol"))) ==
          std::vector<std::string>{"carol 1"});
    CHECK(texts_of(carol.matching(group_message(group))).size() == 3);

    const auto listed = bob.command({{"cmd", "groups"}});
    REQUIRE(listed["groups"].size() == 1);
    CHECK(listed["groups"][0]["name"] == "team");
    CHECK(listed["groups"][0]["members"].size() == 3);
    CHECK(listed["groups"][0]["members"][0]["user"] == "alice");
    CHECK(listed["groups"][0]["members"][0]["admin"] == true);

    // History pages a group like a conversation, with the creation as an event.
    const auto events = history_texts(bob, group, "event");
    REQUIRE_FALSE(events.empty());
    CHECK(events.front() == "alice created team with bob and carol");
    const auto newest = group_history(bob, group, 2);
    REQUIRE(newest.size() == 2);
    const auto older = bob.command(
        {{"cmd", "history"}, {"group", group}, {"before", newest[0]["id"]}, {"limit", 10}});
    CHECK(older["messages"].size() == 3); // the creation event and two texts
}

TEST_CASE("a 20-member group exchanges messages with no loss or duplicates", "[e2e][group][load]") {
    group_fixture f;
    std::vector<std::string> names;
    for (int i = 0; i < 20; ++i) {
        names.push_back("member" + std::to_string(100 + i));
    }
    for (const auto& name : names) {
        f.start(name);
    }
    const std::vector<std::string> others(names.begin() + 1, names.end());
    const auto group = create_group(f[names[0]], "twenty", others);
    for (const auto& name : others) {
        f[name].wait_for(group_change(group, "create"), 60s, "the group");
    }
    constexpr int per_member = 5;
    for (int i = 0; i < per_member; ++i) {
        for (const auto& name : names) {
            f[name].write_raw(
                json{{"cmd", "send"}, {"group", group}, {"text", name + " " + std::to_string(i)}}
                    .dump());
        }
    }
    const std::size_t expected = (names.size() - 1) * per_member;
    for (const auto& name : names) {
        f[name].wait_count(group_message(group), expected, 120s, "group messages");
    }
    for (const auto& name : names) {
        auto& client = f[name];
        client.drain(100ms);
        const auto got = client.matching(group_message(group));
        CHECK(got.size() == expected);
        std::set<std::string> unique;
        for (const auto& m : got) {
            CHECK(m["from"] != name);
            unique.insert(m["text"].get<std::string>());
        }
        CHECK(unique.size() == expected);
        // Per sender, in the order sent.
        for (const auto& sender : names) {
            if (sender == name) {
                continue;
            }
            std::vector<std::string> want;
            for (int i = 0; i < per_member; ++i) {
                want.push_back(sender + " " + std::to_string(i));
            }
            CHECK(texts_of(client.matching(group_message(group, sender))) == want);
        }
    }
}

TEST_CASE("a member added late reads only what is sent after it joined", "[e2e][group]") {
    group_fixture f;
    auto& alice = f.start("alice");
    auto& bob = f.start("bob");
    auto& carol = f.start("carol");
    const auto group = create_group(alice, "team", {"bob"});
    bob.wait_for(group_change(group, "create"), 30s, "the group");
    send_group(alice, group, "before alice");
    send_group(bob, group, "before bob");
    bob.wait_count(group_message(group), 1);
    alice.wait_count(group_message(group), 1);

    const auto invited =
        alice.command({{"cmd", "group_invite"}, {"group", group}, {"members", {"carol"}}});
    REQUIRE(invited["event"] == "result");
    const auto joined = carol.wait_for(group_change(group, "add"), 30s, "the invitation");
    CHECK(joined["by"] == "alice");
    CHECK(joined["members"] == json({"alice", "bob", "carol"}));
    bob.wait_for(group_change(group, "add"), 30s, "the add");
    // Sent at once: bob's sender key for carol may still be on its way (held as pending).
    send_group(bob, group, "after bob");
    send_group(alice, group, "after alice");
    carol.wait_count(group_message(group), 2, 30s, "the messages after joining");
    send_group(carol, group, "hello from carol");
    alice.wait_count(group_message(group, "carol"), 1);
    bob.wait_count(group_message(group, "carol"), 1);
    carol.drain(1s);
    std::multiset<std::string> seen;
    for (const auto& text : texts_of(carol.matching(group_message(group)))) {
        seen.insert(text);
    }
    CHECK(seen == std::multiset<std::string>{"after alice", "after bob"});
    const auto stored = history_texts(carol, group);
    CHECK(std::find(stored.begin(), stored.end(), "before alice") == stored.end());
    CHECK(std::find(stored.begin(), stored.end(), "before bob") == stored.end());
    CHECK(history_texts(carol, group, "event") == std::vector<std::string>{"alice added carol"});
    CHECK(history_texts(bob, group, "event").back() == "alice added carol");
}

TEST_CASE("a removed member reads nothing sent after the removal, even when the relay withholds "
          "the removal and hands it the new messages",
          "[e2e][group]") {
    group_fixture f;
    auto& alice = f.start("alice");
    auto& bob = f.start("bob");
    f.start("carol");
    const auto group = create_group(alice, "team", {"bob", "carol"});
    f["carol"].wait_for(group_change(group, "create"), 30s, "the group");
    bob.wait_for(group_change(group, "create"), 30s, "the group");
    send_group(alice, group, "for all three");
    f["carol"].wait_count(group_message(group), 1, 30s, "the first message");
    CHECK(f["carol"].quit() == 0);

    REQUIRE(alice.command(
                {{"cmd", "group_remove"}, {"group", group}, {"members", {"carol"}}})["event"] ==
            "result");
    const auto removed = bob.wait_for(group_change(group, "remove"), 30s, "the removal");
    CHECK(removed["members"] == json({"alice", "bob"}));
    // Both have rotated when bob has applied the removal; bob goes offline so alice's next
    // message waits in his queue on the relay.
    CHECK(bob.quit() == 0);
    const auto secret_id = send_group(alice, group, "after carol left");
    alice.wait_for(
        [&](const json& e) {
            return e["event"] == "receipt" && e["id"] == secret_id && e["status"] == "sent";
        },
        20s, "the sent receipt");

    // A hostile relay: it drops everything queued for carol (the removal among it) and gives her
    // a copy of alice's new group message.
    f.relay.stop();
    {
        auto relay_store = sotto::store::open_existing_relay_store(f.relay.data);
        std::vector<std::pair<std::string, sotto::store::message_id>> carol_queue;
        for (const auto& envelope : relay_store->pending("carol", 0, 1000)) {
            carol_queue.emplace_back(envelope.sender, envelope.id);
        }
        REQUIRE_FALSE(carol_queue.empty()); // the removal notice, at least
        relay_store->acknowledge("carol", carol_queue, 0);
        std::vector<sotto::store::envelope> copies;
        for (auto envelope : relay_store->pending("bob", 0, 1000)) {
            if (envelope.sender == "alice" && sotto::crypto::to_hex(envelope.id) == secret_id) {
                envelope.recipient = "carol";
                envelope.queued_at = 0;
                copies.push_back(envelope);
            }
        }
        REQUIRE(copies.size() == 1);
        const auto results = relay_store->enqueue(copies, {});
        REQUIRE(results[0] == sotto::store::enqueue_result::queued);
    }
    f.relay.start();
    auto& carol = f.start("carol");
    carol.drain(3s);
    CHECK(carol.matching(group_message(group)).empty()); // nothing new decrypted
    const auto stored = history_texts(carol, group);
    CHECK(stored == std::vector<std::string>{"for all three"});

    // bob, back, reads it: the message was fine, only carol cannot read it.
    auto& back = f.start("bob");
    back.wait_count(group_message(group, "alice"), 1, 30s, "alice's message");
    CHECK(back.matching(group_message(group, "alice"))[0]["text"] == "after carol left");
}

TEST_CASE("a removed member that hears of its removal sees it and reads nothing afterwards",
          "[e2e][group]") {
    group_fixture f;
    auto& alice = f.start("alice");
    auto& bob = f.start("bob");
    auto& carol = f.start("carol");
    const auto group = create_group(alice, "team", {"bob", "carol"});
    carol.wait_for(group_change(group, "create"), 30s, "the group");
    bob.wait_for(group_change(group, "create"), 30s, "the group");
    REQUIRE(alice.command(
                {{"cmd", "group_remove"}, {"group", group}, {"members", {"carol"}}})["event"] ==
            "result");
    const auto removed = carol.wait_for(group_change(group, "remove"), 30s, "the removal");
    CHECK(removed["member"] == false);
    bob.wait_for(group_change(group, "remove"), 30s, "the removal");
    send_group(alice, group, "without carol");
    send_group(bob, group, "also without carol");
    bob.wait_count(group_message(group, "alice"), 1);
    alice.wait_count(group_message(group, "bob"), 1);
    carol.drain(1500ms);
    CHECK(carol.matching(group_message(group)).empty());
    CHECK(history_texts(carol, group).empty());
    CHECK(history_texts(carol, group, "event").back() == "alice removed carol");
    const auto refused = carol.command({{"cmd", "send"}, {"group", group}, {"text", "let me in"}});
    CHECK(refused["code"] == "not_member");
    const auto listed = carol.command({{"cmd", "groups"}});
    REQUIRE(listed["groups"].size() == 1);
    CHECK(listed["groups"][0]["member"] == false);
}

TEST_CASE("a membership change a member may not make, or with a bad signature, is rejected and "
          "shown as attempted",
          "[e2e][group]") {
    group_fixture f;
    auto& alice = f.start("alice");
    auto& bob = f.start("bob");
    // carol's client signs changes without asking whether she may (a test knob).
    auto& carol = f.start("carol", {{"SOTTO_TEST_GROUP_FORGERY", "unauthorized"}});
    const auto group = create_group(alice, "team", {"bob", "carol"});
    bob.wait_for(group_change(group, "create"), 30s, "the group");
    carol.wait_for(group_change(group, "create"), 30s, "the group");

    SECTION("a member who is not an admin removes another") {
        REQUIRE(carol.command(
                    {{"cmd", "group_remove"}, {"group", group}, {"members", {"bob"}}})["event"] ==
                "result");
        for (auto* client : {&bob, &alice}) {
            const auto rejected = client->wait_for(is_event("group_rejected"), 30s, "the refusal");
            CHECK(rejected["group"] == group);
            CHECK(rejected["from"] == "carol");
            CHECK(rejected["reason"] == "not_authorized");
            const auto shown = history_texts(*client, group, "event");
            REQUIRE_FALSE(shown.empty());
            CHECK(shown.back() ==
                  "carol tried to remove members (carol removed bob): rejected, not authorized");
        }
        // Nothing changed: bob is still a member and reads the group.
        send_group(alice, group, "still here?");
        bob.wait_count(group_message(group, "alice"), 1);
        const auto listed = bob.command({{"cmd", "groups"}});
        CHECK(listed["groups"][0]["members"].size() == 3);
        CHECK(bob.matching(group_change(group, "remove")).empty());
    }
    SECTION("an admin's change whose signature does not verify") {
        // dave's client corrupts the signature of every change it makes (a test knob).
        auto& dave = f.start("dave", {{"SOTTO_TEST_GROUP_FORGERY", "bad_signature"}});
        const auto fake = create_group(dave, "fake", {"bob"});
        const auto rejected = bob.wait_for(is_event("group_rejected"), 30s, "the refusal");
        CHECK(rejected["group"] == fake);
        CHECK(rejected["from"] == "dave");
        CHECK(rejected["reason"] == "bad_signature");
        const auto listed = bob.command({{"cmd", "groups"}});
        REQUIRE(listed["groups"].size() == 1);
        CHECK(listed["groups"][0]["group"] == group);
        CHECK(bob.command({{"cmd", "history"}, {"group", fake}})["code"] == "unknown_group");
    }
}

TEST_CASE("members offline during a rotation catch up when they return", "[e2e][group]") {
    group_fixture f;
    auto& alice = f.start("alice");
    auto& bob = f.start("bob");
    f.start("carol");
    f.start("dave");
    const auto group = create_group(alice, "team", {"bob", "carol", "dave"});
    for (const auto* name : {"bob", "carol", "dave"}) {
        f[name].wait_for(group_change(group, "create"), 30s, "the group");
    }
    send_group(f["dave"], group, "dave before");
    for (const auto* name : {"alice", "bob", "carol"}) {
        f[name].wait_count(group_message(group, "dave"), 1);
    }
    CHECK(f["dave"].quit() == 0);

    REQUIRE(alice.command(
                {{"cmd", "group_remove"}, {"group", group}, {"members", {"carol"}}})["event"] ==
            "result");
    bob.wait_for(group_change(group, "remove"), 30s, "the removal");
    send_group(alice, group, "alice after rotation");
    send_group(bob, group, "bob after rotation");
    bob.wait_count(group_message(group, "alice"), 1);
    alice.drain(1s); // several resend periods with dave away

    auto& dave = f.start("dave");
    dave.wait_for(group_change(group, "remove"), 30s, "the removal");
    dave.wait_count(group_message(group), 2, 30s, "the messages sent while away");
    std::multiset<std::string> got;
    for (const auto& text : texts_of(dave.matching(group_message(group)))) {
        got.insert(text);
    }
    CHECK(got == std::multiset<std::string>{"alice after rotation", "bob after rotation"});
    // dave rotated too, and the others read him under his new key.
    send_group(dave, group, "dave after rotation");
    alice.wait_count(group_message(group, "dave"), 2);
    bob.wait_count(group_message(group, "dave"), 2);
    dave.drain(500ms);
    CHECK(dave.matching(group_message(group)).size() == 2);
    CHECK(f["carol"].matching(group_message(group, "dave")).size() == 1); // only "dave before"
}

TEST_CASE("a relay that refuses the group message to one member does not break the others",
          "[e2e][group]") {
    group_fixture f({"--max-queue", "4"});
    auto& alice = f.start("alice");
    auto& bob = f.start("bob");
    f.start("carol");
    const auto group = create_group(alice, "team", {"bob", "carol"});
    f["carol"].wait_for(group_change(group, "create"), 30s, "the group");
    bob.wait_for(group_change(group, "create"), 30s, "the group");
    send_group(alice, group, "warm up");
    send_group(bob, group, "warm up bob");
    f["carol"].wait_count(group_message(group), 2, 30s, "both sender keys");
    alice.wait_count(group_message(group), 1);
    CHECK(f["carol"].quit() == 0);

    std::vector<std::string> sent;
    for (int i = 0; i < 10; ++i) {
        sent.push_back("burst " + std::to_string(i));
        send_group(alice, group, sent.back());
    }
    // carol's queue holds 4: the relay refuses her the rest while bob gets everything.
    alice.wait_for([](const json& e) { return e["event"] == "error" && e["code"] == "queue_full"; },
                   20s, "a queue_full error");
    bob.wait_count(group_message(group, "alice"), 1 + sent.size(), 30s, "the burst");
    std::vector<std::string> want{"warm up"};
    want.insert(want.end(), sent.begin(), sent.end());
    // Each once. Not necessarily in order: bob's deliveries were seen reordered (4 before 3)
    // while the relay refused carol; the receiver's skipped keys decrypt them either way.
    const auto bob_got = texts_of(bob.matching(group_message(group, "alice")));
    CHECK(std::multiset<std::string>(bob_got.begin(), bob_got.end()) ==
          std::multiset<std::string>(want.begin(), want.end()));
    send_group(bob, group, "bob during the outage");
    alice.wait_count(group_message(group, "bob"), 2);

    // carol returns: she reads what was queued, then the refused messages as they are retried,
    // and what comes later.
    auto& carol = f.start("carol");
    carol.wait_count(group_message(group, "alice"), sent.size(), 60s, "the burst");
    send_group(alice, group, "later");
    carol.wait_count(group_message(group, "alice"), sent.size() + 1, 30s, "the later message");
    carol.wait_count(group_message(group, "bob"), 1, 30s, "bob's message");
    carol.drain(500ms);
    std::multiset<std::string> got;
    for (const auto& text : texts_of(carol.matching(group_message(group, "alice")))) {
        got.insert(text);
    }
    std::multiset<std::string> expected(sent.begin(), sent.end());
    expected.insert("later");
    CHECK(got == expected); // each once
    bob.drain(200ms);
    CHECK(bob.matching(group_message(group, "alice")).size() == want.size() + 1);
}

TEST_CASE("a member offline since before the group was created reads what waited for it",
          "[e2e][group]") {
    group_fixture f;
    auto& alice = f.start("alice");
    auto& bob = f.start("bob");
    CHECK(f.start("carol").quit() == 0); // registered, never talked to anyone, now away
    const auto group = create_group(alice, "team", {"bob", "carol"});
    bob.wait_for(group_change(group, "create"), 30s, "the group");
    send_group(alice, group, "while carol is away");
    send_group(bob, group, "bob too");
    alice.wait_count(group_message(group, "bob"), 1);
    alice.drain(1s); // several handshake resend periods with nobody answering
    // Her first handshakes complete when she returns; the group change, both sender keys and
    // the two messages (held as pending until their keys came) all reach her.
    auto& carol = f.start("carol");
    carol.wait_for(group_change(group, "create"), 30s, "the group");
    carol.wait_count(group_message(group), 2, 30s, "the waiting messages");
    carol.drain(500ms);
    std::multiset<std::string> got;
    for (const auto& text : texts_of(carol.matching(group_message(group)))) {
        got.insert(text);
    }
    CHECK(got == std::multiset<std::string>{"while carol is away", "bob too"});
    send_group(carol, group, "back");
    alice.wait_count(group_message(group, "carol"), 1);
    bob.wait_count(group_message(group, "carol"), 1);
}

namespace {

// The `group` body of a serialized sotto.e2e.Envelope (field 4, length-delimited), read by hand
// so the test does not depend on the client's generated code.
std::vector<std::uint8_t> group_body(const std::vector<std::uint8_t>& envelope) {
    REQUIRE(envelope.size() > 2);
    REQUIRE(envelope[0] == 0x22);
    std::size_t length = 0;
    std::size_t at = 1;
    for (unsigned shift = 0; at < envelope.size(); shift += 7) {
        const auto byte = envelope[at++];
        length |= static_cast<std::size_t>(byte & 0x7FU) << shift;
        if ((byte & 0x80U) == 0) {
            break;
        }
    }
    REQUIRE(at + length == envelope.size());
    return {envelope.begin() + static_cast<std::ptrdiff_t>(at), envelope.end()};
}

} // namespace

TEST_CASE("group messages a relay replays under new ids or tampers with are not shown",
          "[e2e][group]") {
    group_fixture f;
    auto& alice = f.start("alice");
    f.start("bob");
    const auto group = create_group(alice, "team", {"bob"});
    f["bob"].wait_for(group_change(group, "create"), 30s, "the group");
    send_group(alice, group, "warm up");
    f["bob"].wait_count(group_message(group, "alice"), 1);
    CHECK(f["bob"].quit() == 0);
    const auto first = send_group(alice, group, "first");
    const auto second = send_group(alice, group, "second");
    for (const auto& id : {first, second}) {
        alice.wait_for(
            [&](const json& e) {
                return e["event"] == "receipt" && e["id"] == id && e["status"] == "sent";
            },
            20s, "the sent receipt");
    }
    f.relay.stop();
    {
        auto relay_store = sotto::store::open_existing_relay_store(f.relay.data);
        std::vector<sotto::store::envelope> forged;
        for (auto envelope : relay_store->pending("bob", 0, 1000)) {
            if (envelope.sender != "alice") {
                continue;
            }
            const auto hex = sotto::crypto::to_hex(envelope.id);
            if (hex != first && hex != second) {
                continue;
            }
            // The header parses: it is a real group message of this group.
            const auto header =
                sotto::crypto::parse_group_message_header(group_body(envelope.ciphertext));
            REQUIRE(header);
            CHECK(sotto::crypto::to_hex(header->group.view()) == group);
            auto copy = envelope;
            copy.id[0] ^= 0xFF; // a new relay id, so neither the relay nor bob's id check stops it
            copy.queued_at = 0;
            if (hex == second) {
                copy.ciphertext[copy.ciphertext.size() / 2] ^= 0x01; // and tampered with
            }
            forged.push_back(copy);
        }
        REQUIRE(forged.size() == 2);
        for (const auto result : relay_store->enqueue(forged, {})) {
            REQUIRE(result == sotto::store::enqueue_result::queued);
        }
    }
    f.relay.start();
    auto& bob = f.start("bob");
    bob.wait_count(group_message(group, "alice"), 2, 30s, "the two genuine messages");
    bob.drain(1500ms);
    CHECK(texts_of(bob.matching(group_message(group, "alice"))) ==
          std::vector<std::string>{"first", "second"});
    std::vector<std::string> stored = history_texts(bob, group);
    CHECK(stored == std::vector<std::string>{"warm up", "first", "second"});
}

TEST_CASE("group commands refuse what they cannot do with error events", "[e2e][group]") {
    group_fixture f;
    auto& alice = f.start("alice");
    auto& bob = f.start("bob");
    f.start("carol");
    const auto code = [](batch_client& client, json request) {
        const auto answer = client.command(std::move(request));
        CHECK(answer["event"] == "error");
        return answer.value("code", std::string());
    };
    CHECK(code(alice, {{"cmd", "group_create"}, {"name", "team"}, {"members", {"nobody"}}}) ==
          "unknown_user");
    CHECK(code(alice, {{"cmd", "group_create"}, {"name", "team"}, {"members", {"alice"}}}) ==
          "unknown_user");
    CHECK(code(alice, {{"cmd", "group_create"}, {"name", ""}, {"members", {"bob"}}}) ==
          "bad_command");
    CHECK(code(alice, {{"cmd", "group_create"}, {"name", "team"}, {"members", "bob"}}) ==
          "bad_command");
    CHECK(code(alice,
               {{"cmd", "send"}, {"group", "00112233445566778899aabbccddeeff"}, {"text", "x"}}) ==
          "unknown_group");
    CHECK(code(alice, {{"cmd", "history"}, {"group", "not hex"}}) == "bad_command");
    CHECK(code(alice, {{"cmd", "group_leave"}}) == "bad_command");
    const auto group = create_group(alice, "team", {"bob"});
    bob.wait_for(group_change(group, "create"), 30s, "the group");
    CHECK(code(bob, {{"cmd", "group_invite"}, {"group", group}, {"members", {"carol"}}}) ==
          "not_admin");
    CHECK(code(bob, {{"cmd", "group_remove"}, {"group", group}, {"members", {"alice"}}}) ==
          "not_admin");
    CHECK(code(bob, {{"cmd", "group_rename"}, {"group", group}, {"name", "mine"}}) == "not_admin");
    CHECK(code(alice, {{"cmd", "group_remove"}, {"group", group}, {"members", {"carol"}}}) ==
          "not_member");
    CHECK(code(alice, {{"cmd", "group_invite"}, {"group", group}, {"members", {"bob"}}}) ==
          "bad_command");
    // A rename and a leave that are allowed.
    REQUIRE(alice.command({{"cmd", "group_rename"}, {"group", group}, {"name", "crew"}})["event"] ==
            "result");
    const auto renamed = bob.wait_for(group_change(group, "rename"), 30s, "the rename");
    CHECK(renamed["name"] == "crew");
    REQUIRE(bob.command({{"cmd", "group_leave"}, {"group", group}})["event"] == "result");
    const auto left = alice.wait_for(group_change(group, "leave"), 30s, "the leave");
    CHECK(left["by"] == "bob");
    CHECK(left["members"] == json({"alice"}));
    CHECK(code(bob, {{"cmd", "send"}, {"group", group}, {"text", "x"}}) == "not_member");
    CHECK(history_texts(alice, group, "event") ==
          std::vector<std::string>{"alice created team with bob", "alice renamed the group to crew",
                                   "bob left"});
}
