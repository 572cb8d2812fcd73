// Real `sotto --relay` and `sotto --batch` processes on loopback, driven through JSON lines.
#include "e2e_support.h"

#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <set>

using namespace sotto::testing;

namespace {

std::string read_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string read_directory(const std::filesystem::path& directory) {
    std::string all;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(directory)) {
        if (entry.is_regular_file()) {
            all += read_file(entry.path());
        }
    }
    return all;
}

std::vector<std::string> texts(const std::vector<json>& messages) {
    std::vector<std::string> out;
    for (const auto& m : messages) {
        out.push_back(m["text"].get<std::string>());
    }
    return out;
}

std::vector<std::string> numbered(const std::string& prefix, int count, int first = 0) {
    std::vector<std::string> out;
    for (int i = first; i < first + count; ++i) {
        out.push_back(prefix + " " + std::to_string(i));
    }
    return out;
}

// Alice and bob with an established session (one message each way).
struct pair_fixture {
    e2e_directory dir;
    relay_process relay{dir.path / "relay", free_port()};
    std::unique_ptr<batch_client> alice =
        std::make_unique<batch_client>("alice", dir.path / "alice", relay);
    std::unique_ptr<batch_client> bob =
        std::make_unique<batch_client>("bob", dir.path / "bob", relay);

    void establish() {
        alice->send("bob", "hello bob");
        bob->wait_for(is_event("request"), 20s, "the request");
        REQUIRE(bob->command({{"cmd", "accept"}, {"with", "alice"}})["event"] == "result");
        bob->wait_messages("alice", 1);
        bob->send("alice", "hello alice");
        alice->wait_messages("bob", 1);
    }
};

} // namespace

TEST_CASE("alice messages bob before bob ever registered; bob later gets everything in order, once",
          "[e2e]") {
    e2e_directory dir;
    relay_process relay(dir.path / "relay", free_port());
    batch_client alice("alice", dir.path / "alice", relay);
    const auto sent = numbered("secret early note", 5);
    std::vector<std::string> ids;
    for (const auto& text : sent) {
        ids.push_back(alice.send("bob", text));
    }
    alice.wait_for(handshake_with("bob", "offering"));
    // Several resend periods pass with nobody to talk to.
    alice.wait_for(
        [](const json& e) { return e["event"] == "handshake" && e.value("resent", 0) >= 2; }, 20s,
        "two resends");

    batch_client bob("bob", dir.path / "bob", relay);
    bob.wait_for(is_event("request"), 20s, "the message request");
    CHECK(bob.messages_from("alice").empty()); // a request waits for accept
    REQUIRE(bob.command({{"cmd", "accept"}, {"with", "alice"}})["event"] == "result");
    bob.wait_messages("alice", sent.size());
    CHECK(texts(bob.messages_from("alice")) == sent);
    for (const auto& id : ids) {
        alice.wait_for(receipt_for(id, "delivered"), 20s, "a delivered receipt");
    }
    bob.drain(500ms);
    CHECK(bob.messages_from("alice").size() == sent.size());

    const auto history = bob.command({{"cmd", "history"}, {"with", "alice"}, {"limit", 3}});
    REQUIRE(history["messages"].size() == 3);
    CHECK(history["messages"][2]["text"] == sent.back());
    const auto older = bob.command(
        {{"cmd", "history"}, {"with", "alice"}, {"before", history["messages"][0]["id"]}});
    REQUIRE(older["messages"].size() == 2);
    CHECK(older["messages"][0]["text"] == sent.front());

    SECTION("the relay's files hold no plaintext") {
        CHECK(alice.quit() == 0);
        CHECK(bob.quit() == 0);
        relay.stop();
        const auto raw = read_directory(relay.data);
        REQUIRE_FALSE(raw.empty());
        CHECK(raw.find("secret early note") == std::string::npos);
        const auto profiles = read_directory(dir.path / "alice") + read_directory(dir.path / "bob");
        CHECK(profiles.find("secret early note") == std::string::npos);
    }
}

TEST_CASE("two clients that start at the same moment and write at once converge", "[e2e]") {
    e2e_directory dir;
    relay_process relay(dir.path / "relay", free_port());
    batch_client alice("alice", dir.path / "alice", relay, "pass-phrase", false);
    batch_client bob("bob", dir.path / "bob", relay, "pass-phrase", false);
    alice.wait_for(is_event("ready"));
    bob.wait_for(is_event("ready"));
    alice.send("bob", "from alice");
    bob.send("alice", "from bob");
    alice.wait_messages("bob", 1);
    bob.wait_messages("alice", 1);
    alice.wait_for(handshake_with("bob", "established"));
    bob.wait_for(handshake_with("alice", "established"));
    alice.drain(500ms);
    bob.drain(100ms);
    CHECK(texts(alice.messages_from("bob")) == std::vector<std::string>{"from bob"});
    CHECK(texts(bob.messages_from("alice")) == std::vector<std::string>{"from alice"});
}

TEST_CASE("bob offline for many resend periods gets every message once when he returns", "[e2e]") {
    pair_fixture f;
    f.establish();
    CHECK(f.bob->quit() == 0);
    const auto sent = numbered("while away", 10);
    for (const auto& text : sent) {
        f.alice->send("bob", text);
    }
    f.alice->drain(3s); // about 15 resend periods of the test setting
    f.bob = std::make_unique<batch_client>("bob", f.dir.path / "bob", f.relay);
    f.bob->wait_messages("alice", sent.size());
    CHECK(texts(f.bob->messages_from("alice")) == sent);
    f.bob->drain(500ms);
    CHECK(f.bob->messages_from("alice").size() == sent.size());
}

TEST_CASE("a fresh handshake with an offline peer completes when the peer returns", "[e2e]") {
    e2e_directory dir;
    relay_process relay(dir.path / "relay", free_port());
    {
        batch_client bob("bob", dir.path / "bob", relay);
        CHECK(bob.quit() == 0); // registered, then gone
    }
    batch_client alice("alice", dir.path / "alice", relay);
    const auto id = alice.send("bob", "are you there");
    alice.wait_for(
        [](const json& e) { return e["event"] == "handshake" && e.value("resent", 0) >= 4; }, 20s,
        "four resends");
    batch_client bob("bob", dir.path / "bob", relay);
    bob.wait_for(is_event("request"));
    bob.command({{"cmd", "accept"}, {"with", "alice"}});
    bob.wait_messages("alice", 1);
    alice.wait_for(receipt_for(id, "delivered"));
}

TEST_CASE("alice killed with SIGKILL right after sending: bob gets every message exactly once",
          "[e2e]") {
    pair_fixture f;
    f.establish();
    const auto sent = numbered("before the crash", 20);
    for (const auto& text : sent) {
        f.alice->send("bob", text);
    }
    f.alice->kill_hard();
    f.alice = std::make_unique<batch_client>("alice", f.dir.path / "alice", f.relay);
    f.bob->wait_messages("alice", 1 + sent.size());
    f.bob->drain(1s);
    auto got = texts(f.bob->messages_from("alice"));
    REQUIRE(got.size() == 1 + sent.size());
    CHECK(std::vector<std::string>(got.begin() + 1, got.end()) == sent);
    std::set<std::string> ids;
    for (const auto& m : f.bob->messages_from("alice")) {
        ids.insert(m["id"].get<std::string>());
    }
    CHECK(ids.size() == got.size());
}

TEST_CASE("the relay restarted mid-conversation loses nothing", "[e2e]") {
    pair_fixture f;
    f.establish();
    f.relay.kill_hard();
    const auto sent = numbered("during the outage", 5);
    for (const auto& text : sent) {
        f.alice->send("bob", text);
    }
    f.relay.start();
    f.bob->wait_messages("alice", 1 + sent.size(), 30s);
    auto got = texts(f.bob->messages_from("alice"));
    CHECK(std::vector<std::string>(got.begin() + 1, got.end()) == sent);
    f.bob->send("alice", "back again");
    f.alice->wait_messages("bob", 2);
}

TEST_CASE("the relay restarted mid-handshake: the handshake still completes", "[e2e]") {
    e2e_directory dir;
    relay_process relay(dir.path / "relay", free_port());
    batch_client alice("alice", dir.path / "alice", relay);
    batch_client bob("bob", dir.path / "bob", relay);
    relay.kill_hard();
    alice.send("bob", "across a relay restart");
    alice.wait_for(handshake_with("bob", "offering"));
    relay.start();
    bob.wait_for(is_event("request"), 30s);
    bob.command({{"cmd", "accept"}, {"with", "alice"}});
    bob.wait_messages("alice", 1, 30s);
}

TEST_CASE("bob's identity replaced: alice sees key_changed and cannot send until she accepts",
          "[e2e]") {
    pair_fixture f;
    f.establish();
    CHECK(f.bob->quit() == 0);
    // The relay forgets its accounts (the certificate stays), so a new bob can take the name.
    f.relay.stop();
    for (const auto& entry : std::filesystem::directory_iterator(f.relay.data)) {
        if (entry.path().extension() != ".pem") {
            std::filesystem::remove_all(entry.path());
        }
    }
    f.relay.start();
    f.bob = std::make_unique<batch_client>("bob", f.dir.path / "bob-new", f.relay);
    f.bob->send("alice", "I am the new bob");
    f.alice->wait_for(handshake_with("bob", "key_changed"), 30s, "key_changed");
    const auto refused =
        f.alice->command({{"cmd", "send"}, {"to", "bob"}, {"text", "should not go"}});
    CHECK(refused["event"] == "error");
    CHECK(refused["code"] == "key_changed");
    const auto contacts = f.alice->command({{"cmd", "contacts"}});
    REQUIRE(contacts["contacts"].size() == 1);
    CHECK(contacts["contacts"][0]["key_state"] == "changed");
    REQUIRE(f.alice->command({{"cmd", "accept"}, {"with", "bob"}})["event"] == "result");
    f.alice->wait_messages("bob", 2, 30s);
    CHECK(f.alice->messages_from("bob").back()["text"] == "I am the new bob");
    f.alice->send("bob", "welcome back");
    f.bob->wait_messages("alice", 1);
    CHECK(f.bob->messages_from("alice")[0]["text"] == "welcome back");
    // The old key's history stays readable.
    const auto history = f.alice->command({{"cmd", "history"}, {"with", "bob"}});
    CHECK(history["messages"][0]["text"] == "hello bob");
}

TEST_CASE("a wrong passphrase is an error, exit status 1, and changes nothing", "[e2e]") {
    e2e_directory dir;
    relay_process relay(dir.path / "relay", free_port());
    {
        batch_client alice("alice", dir.path / "alice", relay);
        CHECK(alice.quit() == 0);
    }
    const auto before = read_directory(dir.path / "alice");
    batch_client wrong("alice", dir.path / "alice", relay, "not the passphrase", false);
    const auto error = wrong.wait_for(is_event("error"));
    CHECK(error["code"] == "wrong_passphrase");
    CHECK(wrong.wait_exit(10s) == 1);
    CHECK(read_directory(dir.path / "alice") == before);
    batch_client right("alice", dir.path / "alice", relay);
    CHECK(right.quit() == 0);
}

TEST_CASE("a profile copied with world-readable permissions is refused", "[e2e]") {
    e2e_directory dir;
    relay_process relay(dir.path / "relay", free_port());
    {
        batch_client alice("alice", dir.path / "alice", relay);
        CHECK(alice.quit() == 0);
    }
    std::filesystem::copy(dir.path / "alice", dir.path / "copy",
                          std::filesystem::copy_options::recursive);
    REQUIRE(::chmod((dir.path / "copy" / "sotto.db").c_str(), 0644) == 0);
    batch_client copy("alice", dir.path / "copy", relay, "pass-phrase", false);
    const auto error = copy.wait_for(is_event("error"));
    CHECK(error["code"] == "profile_unsafe");
    CHECK(error["message"].get<std::string>().find("chmod 600") != std::string::npos);
    CHECK(copy.wait_exit(10s) == 1);
}

TEST_CASE("bad JSON and unknown commands are errors and the client keeps running", "[e2e]") {
    e2e_directory dir;
    relay_process relay(dir.path / "relay", free_port());
    batch_client alice("alice", dir.path / "alice", relay);
    alice.write_raw("this is not json");
    CHECK(alice.wait_for(is_event("error"))["code"] == "bad_json");
    CHECK(alice.command({{"cmd", "fly"}})["code"] == "unknown_command");
    CHECK(alice.command({{"cmd", "send"}, {"to", 5}})["code"] == "bad_command");
    CHECK(alice.command({{"nocmd", true}})["code"] == "bad_command");
    CHECK(alice.command({{"cmd", "send"}, {"to", "alice"}, {"text", "me"}})["code"] ==
          "unknown_user");
    alice.wait_for(
        [](const json& e) { return e["event"] == "connection" && e["state"] == "connected"; });
    const auto users = alice.command({{"cmd", "users"}});
    CHECK(users["event"] == "result");
    CHECK(alice.quit() == 0);
}

TEST_CASE("5 clients in 10 conversations exchange 1,000 messages with none lost or duplicated",
          "[e2e][load]") {
    e2e_directory dir;
    relay_process relay(dir.path / "relay", free_port());
    const std::vector<std::string> names{"ann", "ben", "cat", "dan", "eve"};
    std::vector<std::unique_ptr<batch_client>> clients;
    for (const auto& name : names) {
        clients.push_back(std::make_unique<batch_client>(name, dir.path / name, relay));
    }
    // Every pair is a conversation; the lower name opens it and the other accepts.
    for (std::size_t a = 0; a < names.size(); ++a) {
        for (std::size_t b = a + 1; b < names.size(); ++b) {
            clients[a]->send(names[b], "open " + names[a]);
        }
    }
    for (std::size_t b = 1; b < names.size(); ++b) {
        for (std::size_t a = 0; a < b; ++a) {
            clients[b]->wait_for(
                [&](const json& e) { return e["event"] == "request" && e["from"] == names[a]; });
            clients[b]->command({{"cmd", "accept"}, {"with", names[a]}});
        }
    }
    // Each of the 20 directions carries 50 messages; the opener's first one went already.
    for (int i = 0; i < 50; ++i) {
        for (std::size_t a = 0; a < names.size(); ++a) {
            for (std::size_t b = 0; b < names.size(); ++b) {
                if (a == b || (a < b && i == 49)) {
                    continue;
                }
                clients[a]->write_raw(
                    json{{"cmd", "send"},
                         {"to", names[b]},
                         {"text", names[a] + ">" + names[b] + " " + std::to_string(i)}}
                        .dump());
            }
        }
    }
    std::size_t total = 0;
    for (std::size_t b = 0; b < names.size(); ++b) {
        for (std::size_t a = 0; a < names.size(); ++a) {
            if (a == b) {
                continue;
            }
            clients[b]->wait_messages(names[a], 50, 60s);
        }
    }
    for (std::size_t b = 0; b < names.size(); ++b) {
        clients[b]->drain(200ms);
        for (std::size_t a = 0; a < names.size(); ++a) {
            if (a == b) {
                continue;
            }
            const auto got = clients[b]->messages_from(names[a]);
            CHECK(got.size() == 50);
            std::set<std::string> unique;
            for (const auto& m : got) {
                unique.insert(m["text"].get<std::string>());
            }
            CHECK(unique.size() == got.size());
            total += got.size();
        }
    }
    CHECK(total == 1000);
}

TEST_CASE("verify gives the same safety number on both sides and export writes the history",
          "[e2e]") {
    pair_fixture f;
    f.establish();
    const auto on_alice = f.alice->command({{"cmd", "verify"}, {"with", "bob"}, {"mark", true}});
    const auto on_bob = f.bob->command({{"cmd", "verify"}, {"with", "alice"}});
    REQUIRE(on_alice["event"] == "result");
    CHECK(on_alice["safety_number"].get<std::string>().size() == 71); // 60 digits and 11 spaces
    CHECK(on_alice["safety_number"] == on_bob["safety_number"]);
    const auto contacts = f.alice->command({{"cmd", "contacts"}});
    CHECK(contacts["contacts"][0]["verified"] == true);
    CHECK(contacts["contacts"][0]["handshake"] == "established");
    const auto status = f.alice->command({{"cmd", "status"}, {"with", "bob"}});
    CHECK(status["state"] == "established");
    CHECK(status["ratchet"].get<int>() >= 2);

    const auto json_path = (f.dir.path / "export.json").string();
    const auto exported = f.alice->command(
        {{"cmd", "export"}, {"with", "bob"}, {"format", "json"}, {"path", json_path}});
    REQUIRE(exported["event"] == "result");
    CHECK(exported["count"] == 2);
    const auto document = json::parse(read_file(json_path));
    CHECK(document["messages"][0]["text"] == "hello bob");
    CHECK(document["messages"][1]["text"] == "hello alice");
    struct stat status_bits {};
    REQUIRE(::stat(json_path.c_str(), &status_bits) == 0);
    CHECK((status_bits.st_mode & 0777U) == 0600U);
    const auto md_path = (f.dir.path / "export.md").string();
    f.alice->command({{"cmd", "export"}, {"with", "bob"}, {"format", "md"}, {"path", md_path}});
    CHECK(read_file(md_path).find("**bob**: hello alice") != std::string::npos);
}

TEST_CASE("close discards the session and the next message starts a new one", "[e2e]") {
    pair_fixture f;
    f.establish();
    REQUIRE(f.alice->command({{"cmd", "close"}, {"with", "bob"}})["event"] == "result");
    CHECK(f.alice->command({{"cmd", "status"}, {"with", "bob"}})["state"] == "none");
    f.alice->send("bob", "after close");
    f.bob->wait_messages("alice", 2);
    CHECK(f.bob->messages_from("alice").back()["text"] == "after close");
    REQUIRE(f.bob->command({{"cmd", "reset"}, {"with", "alice"}})["event"] == "result");
    f.bob->send("alice", "after reset");
    f.alice->wait_messages("bob", 2);
}

TEST_CASE("a declined request shows nothing and later messages from that user are ignored",
          "[e2e]") {
    e2e_directory dir;
    relay_process relay(dir.path / "relay", free_port());
    batch_client mallory("mallory", dir.path / "mallory", relay);
    batch_client bob("bob", dir.path / "bob", relay);
    mallory.send("bob", "buy my stuff");
    bob.wait_for(is_event("request"));
    REQUIRE(bob.command({{"cmd", "decline"}, {"with", "mallory"}})["event"] == "result");
    mallory.send("bob", "really, buy it");
    bob.drain(1500ms);
    CHECK(bob.messages_from("mallory").empty());
    CHECK(bob.command({{"cmd", "history"}, {"with", "mallory"}})["messages"].empty());
}

TEST_CASE("an unpinned relay is refused with its fingerprint; trust on first use pins it",
          "[e2e]") {
    e2e_directory dir;
    relay_process relay(dir.path / "relay", free_port());
    {
        batch_client alice("alice", dir.path / "alice", relay, "pass-phrase", true,
                           batch_client::pin_mode::none);
        const auto error = alice.wait_for(is_event("error"));
        CHECK(error["code"] == "relay_not_pinned");
        CHECK(error["message"].get<std::string>().find(relay.fingerprint) != std::string::npos);
        CHECK(alice.wait_exit(10s) == 1);
    }
    batch_client alice("alice", dir.path / "alice", relay, "pass-phrase", true,
                       batch_client::pin_mode::trust_on_first_use);
    alice.wait_for(
        [](const json& e) { return e["event"] == "connection" && e["state"] == "connected"; });
    CHECK(alice.quit() == 0);
    // Pinned now: the next start needs neither flag.
    batch_client again("alice", dir.path / "alice", relay, "pass-phrase", true,
                       batch_client::pin_mode::none);
    CHECK(again.events.front()["relay_fingerprint"] == relay.fingerprint);
    again.wait_for(
        [](const json& e) { return e["event"] == "connection" && e["state"] == "connected"; });
    CHECK(again.quit() == 0);
}

TEST_CASE("bob killed with SIGKILL while receiving: every message is stored and shown once",
          "[e2e]") {
    pair_fixture f;
    f.establish();
    const auto sent = numbered("burst", 200);
    for (const auto& text : sent) {
        f.alice->write_raw(json{{"cmd", "send"}, {"to", "bob"}, {"text", text}}.dump());
    }
    f.bob->wait_messages("alice", 1 + 20); // well into the burst
    f.bob->kill_hard();
    auto shown = texts(f.bob->messages_from("alice"));
    f.bob = std::make_unique<batch_client>("bob", f.dir.path / "bob", f.relay);
    std::multiset<std::string> stored;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto history =
            f.bob->command({{"cmd", "history"}, {"with", "alice"}, {"limit", 1000}});
        stored.clear();
        for (const auto& m : history["messages"]) {
            if (m["direction"] == "in") {
                stored.insert(m["text"].get<std::string>());
            }
        }
        if (stored.size() >= 1 + sent.size()) {
            break;
        }
        f.bob->drain(300ms);
    }
    f.bob->drain(500ms);
    for (auto& text : texts(f.bob->messages_from("alice"))) {
        shown.push_back(text);
    }
    const std::multiset<std::string> shown_once(shown.begin() + 1, shown.end());
    for (const auto& text : sent) {
        INFO(text);
        CHECK(stored.count(text) == 1);     // stored exactly once
        CHECK(shown_once.count(text) <= 1); // never shown twice
    }
    CHECK(stored.size() == 1 + sent.size());
    // Only a kill between a commit and its event line can hide one (microseconds).
    CHECK(shown_once.size() + 1 >= sent.size());
}

TEST_CASE("a read command sends a read receipt for what was shown", "[e2e]") {
    pair_fixture f;
    f.establish();
    const auto id = f.alice->send("bob", "please read this");
    f.bob->wait_messages("alice", 2);
    f.alice->wait_for(receipt_for(id, "delivered"));
    const auto read = f.bob->command({{"cmd", "read"}, {"with", "alice"}});
    REQUIRE(read["event"] == "result");
    CHECK(read["count"] == 2);
    f.alice->wait_for(receipt_for(id, "read"));
    const auto history = f.alice->command({{"cmd", "history"}, {"with", "bob"}});
    CHECK(history["messages"].back()["status"] == "read");
    CHECK(f.bob->command({{"cmd", "read"}, {"with", "alice"}})["count"] == 0);
}

TEST_CASE("bob registers an hour later by the clock and gets everything in order, each once",
          "[e2e]") {
    e2e_directory dir;
    simulated_clock clock(dir.path / "faketime");
    relay_process relay(dir.path / "relay", free_port(), {}, clock.environment());
    batch_client alice("alice", dir.path / "alice", relay, "pass-phrase", true,
                       batch_client::pin_mode::fingerprint, clock.environment());
    const auto sent = numbered("a note from an hour ago", 5);
    std::vector<std::string> ids;
    for (const auto& text : sent) {
        ids.push_back(alice.send("bob", text));
    }
    alice.wait_for(handshake_with("bob", "offering"));
    const auto sent_before = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count() +
                             1'000;

    clock.set("+1h"); // the relay's and alice's wall clocks move an hour on; bob starts then
    batch_client bob("bob", dir.path / "bob", relay, "pass-phrase", true,
                     batch_client::pin_mode::fingerprint, clock.environment());
    bob.wait_for(is_event("request"), 20s, "the message request");
    REQUIRE(bob.command({{"cmd", "accept"}, {"with", "alice"}})["event"] == "result");
    bob.wait_messages("alice", sent.size());
    CHECK(texts(bob.messages_from("alice")) == sent);
    for (const auto& id : ids) {
        alice.wait_for(receipt_for(id, "delivered"), 20s, "a delivered receipt");
    }
    bob.drain(500ms);
    CHECK(bob.messages_from("alice").size() == sent.size());

    // The messages carry alice's clock from before the hour; bob stored them an hour later.
    const auto history = bob.command({{"cmd", "history"}, {"with", "alice"}});
    REQUIRE(history["messages"].size() == sent.size());
    for (const auto& m : history["messages"]) {
        CHECK(m["ts"].get<std::int64_t>() < sent_before);
        CHECK(m["received_at"].get<std::int64_t>() - m["ts"].get<std::int64_t>() >= 3'599'000);
    }
    // And the session works both ways afterwards.
    bob.send("alice", "got them, an hour late");
    alice.wait_messages("bob", 1);
}

TEST_CASE("what crosses the wire is TLS and holds no plaintext of the messages", "[e2e]") {
    e2e_directory dir;
    relay_process relay(dir.path / "relay", free_port());
    tcp_recorder wire(relay.port);
    batch_client alice("alice", dir.path / "alice", relay, "pass-phrase", true,
                       batch_client::pin_mode::fingerprint, {}, wire.address());
    batch_client bob("bob", dir.path / "bob", relay, "pass-phrase", true,
                     batch_client::pin_mode::fingerprint, {}, wire.address());
    const auto sent = numbered("wiretap canary", 10);
    for (const auto& text : sent) {
        alice.send("bob", text);
    }
    bob.wait_for(is_event("request"), 20s, "the message request");
    REQUIRE(bob.command({{"cmd", "accept"}, {"with", "alice"}})["event"] == "result");
    bob.wait_messages("alice", sent.size());
    bob.send("alice", "wiretap canary reply");
    alice.wait_messages("bob", 1);
    CHECK(alice.quit() == 0);
    CHECK(bob.quit() == 0);

    CHECK(wire.connections() >= 2);
    const auto up = wire.client_to_target();
    const auto down = wire.target_to_client();
    // Both directions start with a TLS handshake record and carry only TLS records.
    REQUIRE(up.size() > 5);
    REQUIRE(down.size() > 5);
    CHECK(up[0] == '\x16');
    CHECK(down[0] == '\x16');
    CHECK(up.find("\x17\x03\x03") != std::string::npos); // application data
    for (const auto* text : {"wiretap canary", "wiretap", "alice", "hello"}) {
        INFO(text);
        CHECK(up.find(text) == std::string::npos);
        CHECK(down.find(text) == std::string::npos);
    }
}
