// The group tables of the client store (migration 3): group state and sending chain, received
// sender chains, group history paging, the group outbox and pending group messages.
#include "store/client_store.h"

#include <SQLiteCpp/Database.h>
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace crypto = sotto::crypto;
namespace store = sotto::store;

namespace {

struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "sotto-cg-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
};

crypto::bytes_view bytes(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string text_of(const crypto::secret_buffer& buffer) {
    return {reinterpret_cast<const char*>(buffer.data()), buffer.size()};
}

store::message_id make_id(std::uint8_t n) {
    store::message_id id{};
    id[0] = 0x5A;
    id[15] = n;
    return id;
}

store::group_key make_group(std::uint8_t n) {
    store::group_key id{};
    id[0] = 0x77;
    id[15] = n;
    return id;
}

std::unique_ptr<store::client_store> unlocked_store(const std::filesystem::path* directory) {
    auto db =
        directory ? store::client_store::open(*directory) : store::client_store::open_in_memory();
    crypto::seeded_random random(11);
    auto key = crypto::sealing_key::derive(crypto::make_passphrase("group pass"),
                                           crypto::kdf_params::cheap(), random);
    REQUIRE(key);
    db->create_profile(std::move(*key), {"alice", "127.0.0.1:7717", ""},
                       crypto::identity_key_pair::generate(random), random);
    return db;
}

store::group_entry text_entry(std::uint8_t n, std::string sender, std::string text,
                              store::direction way = store::direction::incoming) {
    store::group_entry entry;
    entry.id = make_id(n);
    entry.sender = std::move(sender);
    entry.way = way;
    entry.text = std::move(text);
    entry.sent_at = n;
    entry.received_at = n;
    return entry;
}

} // namespace

TEST_CASE("a group keeps its state and sending chain, and an empty chain means not a member",
          "[store][client_store][groups]") {
    auto db = unlocked_store(nullptr);
    CHECK_FALSE(db->find_group(make_group(1)));
    store::group_entry created = text_entry(1, "alice", "alice created team");
    created.kind = store::group_entry_kind::event;
    const auto ref = db->save_group(make_group(1), bytes("state-1"), bytes("sender-1"), created);
    auto found = db->find_group(make_group(1));
    REQUIRE(found);
    CHECK(found->ref == ref);
    CHECK(text_of(found->state) == "state-1");
    REQUIRE(found->sender);
    CHECK(text_of(*found->sender) == "sender-1");
    // An update keeps the ref and, with nullopt, the chain.
    CHECK(db->save_group(make_group(1), bytes("state-2"), std::nullopt) == ref);
    found = db->get_group(ref);
    CHECK(text_of(found->state) == "state-2");
    CHECK(text_of(*found->sender) == "sender-1");
    db->save_group(make_group(1), bytes("state-3"), crypto::bytes_view{});
    CHECK_FALSE(db->get_group(ref)->sender);
    db->save_group(make_group(2), bytes("other"), bytes("s"));
    CHECK(db->groups().size() == 2);
    const auto history = db->group_history(ref, std::nullopt, 10);
    REQUIRE(history.size() == 1);
    CHECK(history[0].kind == store::group_entry_kind::event);
    CHECK(history[0].text == "alice created team");
}

TEST_CASE("a received group message and its chain state are one transaction, once per id",
          "[store][client_store][groups]") {
    temp_dir dir;
    auto db = unlocked_store(&dir.path);
    const auto bob = db->ensure_contact("bob");
    const auto ref = db->save_group(make_group(1), bytes("state"), bytes("sender"));
    CHECK(db->add_group_chain(make_group(1), bob.id, 7, bytes("chain-0"), 4));
    // A repeated distribution does not rewind the chain.
    CHECK_FALSE(db->add_group_chain(make_group(1), bob.id, 7, bytes("chain-again"), 4));
    CHECK(text_of(*db->group_chain(make_group(1), bob.id, 7)) == "chain-0");
    CHECK_FALSE(db->group_chain(make_group(1), bob.id, 8));

    SECTION("a duplicate writes nothing") {
        CHECK(db->commit_group_received(ref, text_entry(1, "bob", "hi"), make_group(1), bob.id, 7,
                                        bytes("chain-1")));
        CHECK_FALSE(db->commit_group_received(ref, text_entry(1, "bob", "hi"), make_group(1),
                                              bob.id, 7, bytes("chain-2")));
        CHECK(text_of(*db->group_chain(make_group(1), bob.id, 7)) == "chain-1");
        CHECK(db->group_history(ref, std::nullopt, 10).size() == 1);
        // The same id from another sender is another message.
        CHECK(db->add_group_chain(make_group(1), db->ensure_contact("carol").id, 1, bytes("c"), 4));
        CHECK(db->commit_group_received(ref, text_entry(1, "carol", "hi"), make_group(1),
                                        db->ensure_contact("carol").id, 1, bytes("c1")));
    }
    SECTION("a failure writing the chain state records no message") {
        {
            SQLite::Database raw(dir.path / "sotto.db", SQLite::OPEN_READWRITE);
            raw.exec("CREATE TRIGGER fail_update BEFORE UPDATE ON group_chains BEGIN SELECT "
                     "RAISE(ABORT, 'disk on fire'); END");
        }
        CHECK_THROWS_AS(db->commit_group_received(ref, text_entry(1, "bob", "hi"), make_group(1),
                                                  bob.id, 7, bytes("chain-1")),
                        store::store_error);
        CHECK(db->group_history(ref, std::nullopt, 10).empty());
        CHECK(text_of(*db->group_chain(make_group(1), bob.id, 7)) == "chain-0");
    }
    SECTION("a message for a chain that is not there is refused whole") {
        CHECK_THROWS_AS(db->commit_group_received(ref, text_entry(2, "bob", "x"), make_group(1),
                                                  bob.id, 99, bytes("chain")),
                        store::store_error);
        CHECK(db->group_history(ref, std::nullopt, 10).empty());
    }
}

TEST_CASE("received sender chains are bounded per member and can be discarded",
          "[store][client_store][groups]") {
    auto db = unlocked_store(nullptr);
    const auto bob = db->ensure_contact("bob");
    const auto carol = db->ensure_contact("carol");
    for (std::uint32_t chain = 1; chain <= 5; ++chain) {
        CHECK(db->add_group_chain(make_group(1), bob.id, chain, bytes("b"), 3));
    }
    CHECK(db->add_group_chain(make_group(1), carol.id, 1, bytes("c"), 3));
    CHECK_FALSE(db->group_chain(make_group(1), bob.id, 1));
    CHECK_FALSE(db->group_chain(make_group(1), bob.id, 2));
    CHECK(db->group_chain(make_group(1), bob.id, 3));
    CHECK(db->group_chain(make_group(1), bob.id, 5));
    db->delete_group_chains(make_group(1), bob.id);
    CHECK_FALSE(db->group_chain(make_group(1), bob.id, 5));
    CHECK(db->group_chain(make_group(1), carol.id, 1));
    db->delete_group_chains(make_group(1), std::nullopt);
    CHECK_FALSE(db->group_chain(make_group(1), carol.id, 1));
}

TEST_CASE("group history pages backwards like a pairwise conversation",
          "[store][client_store][groups]") {
    auto db = unlocked_store(nullptr);
    const auto team = db->save_group(make_group(1), bytes("s"), bytes("k"));
    const auto other = db->save_group(make_group(2), bytes("s"), bytes("k"));
    for (std::uint8_t i = 0; i < 25; ++i) {
        db->queue_group_outgoing(
            team,
            text_entry(i, "alice", "message " + std::to_string(i), store::direction::outgoing),
            bytes("cipher"), {"bob"}, bytes("k"));
        db->add_group_entry(other, text_entry(static_cast<std::uint8_t>(100 + i), "bob", "x"));
    }
    const auto newest = db->group_history(team, std::nullopt, 10);
    REQUIRE(newest.size() == 10);
    CHECK(newest.front().text == "message 15");
    CHECK(newest.back().text == "message 24");
    const auto middle = db->group_history(team, newest.front().id, 10);
    REQUIRE(middle.size() == 10);
    CHECK(middle.front().text == "message 5");
    const auto oldest = db->group_history(team, middle.front().id, 10);
    REQUIRE(oldest.size() == 5);
    CHECK(oldest.front().text == "message 0");
    CHECK(db->group_history(team, oldest.front().id, 10).empty());
}

TEST_CASE("the group outbox keeps the ciphertext and recipients until the relay stored it",
          "[store][client_store][groups]") {
    auto db = unlocked_store(nullptr);
    const auto team = db->save_group(make_group(1), bytes("s"), bytes("k0"));
    db->queue_group_outgoing(team, text_entry(1, "alice", "one", store::direction::outgoing),
                             bytes("cipher-1"), {"bob", "carol"}, bytes("k1"));
    db->queue_group_outgoing(team, text_entry(2, "alice", "two", store::direction::outgoing),
                             bytes("cipher-2"), {"bob"}, bytes("k2"));
    CHECK(text_of(*db->get_group(team)->sender) == "k2");
    auto entries = db->group_outbox();
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].recipients == std::vector<std::string>{"bob", "carol"});
    CHECK(entries[0].ciphertext.size() == 8);
    CHECK(entries[1].recipients == std::vector<std::string>{"bob"});
    CHECK(db->group_outbox_acknowledged(make_id(1)) == team);
    CHECK_FALSE(db->group_outbox_acknowledged(make_id(1)));
    entries = db->group_outbox();
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].id == make_id(2));
    const auto history = db->group_history(team, std::nullopt, 10);
    CHECK(history[0].status == store::message_status::sent);
    CHECK(history[1].status == store::message_status::queued);
}

TEST_CASE("pending group messages are kept per sender and bounded per group",
          "[store][client_store][groups]") {
    auto db = unlocked_store(nullptr);
    for (std::uint8_t i = 0; i < 5; ++i) {
        db->add_group_pending(make_group(1), i % 2 == 0 ? "bob" : "carol", make_id(i), bytes("m"),
                              4);
    }
    db->add_group_pending(make_group(1), "bob", make_id(0), bytes("dup"), 4); // a redelivery
    db->add_group_pending(make_group(2), "bob", make_id(9), bytes("m"), 4);
    const auto bob = db->group_pending_for(make_group(1), "bob");
    REQUIRE(bob.size() == 2); // 0 and 2; 4 was over the bound
    CHECK(bob[0].id == make_id(0));
    CHECK(bob[1].id == make_id(2));
    CHECK(db->group_pending_for(make_group(1), "carol").size() == 2);
    db->remove_group_pending(bob[0].sequence);
    CHECK(db->group_pending_for(make_group(1), "bob").size() == 1);
    CHECK(db->group_pending_for(make_group(2), "bob").size() == 1);
}

TEST_CASE("group names and message bodies are sealed in the database file",
          "[store][client_store][groups]") {
    temp_dir dir;
    {
        auto db = unlocked_store(&dir.path);
        const auto team = db->save_group(make_group(1), bytes("plain group state"), bytes("k"));
        db->add_group_entry(team, text_entry(1, "zebediah", "a very secret group note"));
    }
    std::string all;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path)) {
        std::ifstream in(entry.path(), std::ios::binary);
        all += std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    CHECK(all.find("a very secret group note") == std::string::npos);
    CHECK(all.find("zebediah") == std::string::npos);
    CHECK(all.find("plain group state") == std::string::npos);
}
