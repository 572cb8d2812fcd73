#include "store/client_store.h"

#include <SQLiteCpp/Database.h>
#include <catch2/catch.hpp>
#include <sys/stat.h>

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
        std::string pattern = (std::filesystem::temp_directory_path() / "sotto-cs-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
};

crypto::sealing_key derive(std::string_view passphrase, const crypto::seal_salt& salt) {
    auto key = crypto::sealing_key::derive(crypto::make_passphrase(passphrase),
                                           crypto::kdf_params::cheap(), salt);
    REQUIRE(key);
    return std::move(*key);
}

crypto::sealing_key fresh_key(std::string_view passphrase, crypto::random_source& random) {
    auto key = crypto::sealing_key::derive(crypto::make_passphrase(passphrase),
                                           crypto::kdf_params::cheap(), random);
    REQUIRE(key);
    return std::move(*key);
}

store::message_id make_id(std::uint8_t n) {
    store::message_id id{};
    id[0] = 0xA5;
    id[15] = n;
    return id;
}

crypto::bytes_view bytes(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string read_all(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct profile_fixture {
    crypto::seeded_random random{42};
    crypto::identity_key_pair identity = crypto::identity_key_pair::generate(random);
    void create(store::client_store& db, std::string_view passphrase = "correct horse") {
        db.create_profile(fresh_key(passphrase, random), {"alice", "127.0.0.1:7717", ""}, identity,
                          random);
    }
};

} // namespace

TEST_CASE("a created profile unlocks with its passphrase and gives back the identity",
          "[store][client_store]") {
    temp_dir dir;
    profile_fixture fixture;
    {
        auto db = store::client_store::open(dir.path);
        CHECK_FALSE(db->kdf_header());
        fixture.create(*db);
        CHECK(db->unlocked());
    }
    auto db = store::client_store::open(dir.path);
    const auto header = db->kdf_header();
    REQUIRE(header);
    CHECK(header->params == crypto::kdf_params::cheap());
    REQUIRE(db->unlock(derive("correct horse", header->salt)) == store::unlock_result::unlocked);
    CHECK(db->identity().public_key() == fixture.identity.public_key());
    CHECK(db->profile().username == "alice");
    CHECK(db->profile().relay_address == "127.0.0.1:7717");
}

TEST_CASE("a wrong passphrase is refused and changes nothing", "[store][client_store]") {
    temp_dir dir;
    profile_fixture fixture;
    {
        auto db = store::client_store::open(dir.path);
        fixture.create(*db);
        db->ensure_contact("bob");
    }
    const auto before = read_all(dir.path / "sotto.db") + read_all(dir.path / "sotto.db-wal");
    {
        auto db = store::client_store::open(dir.path);
        const auto header = db->kdf_header();
        REQUIRE(header);
        CHECK(db->unlock(derive("wrong horse", header->salt)) ==
              store::unlock_result::wrong_passphrase);
        CHECK_FALSE(db->unlocked());
        CHECK_THROWS_AS(db->contacts(), std::logic_error);
    }
    CHECK(read_all(dir.path / "sotto.db") + read_all(dir.path / "sotto.db-wal") == before);
    auto db = store::client_store::open(dir.path);
    REQUIRE(db->unlock(derive("correct horse", db->kdf_header()->salt)) ==
            store::unlock_result::unlocked);
    CHECK(db->find_contact("bob"));
}

TEST_CASE("a profile database others can read is refused with the fix in the message",
          "[store][client_store]") {
    temp_dir dir;
    profile_fixture fixture;
    {
        auto db = store::client_store::open(dir.path);
        fixture.create(*db);
    }
    REQUIRE(::chmod((dir.path / "sotto.db").c_str(), 0644) == 0);
    try {
        (void)store::client_store::open(dir.path);
        FAIL("opened a world-readable database");
    } catch (const store::store_error& error) {
        CHECK_THAT(error.what(), Catch::Contains("chmod 600"));
    }
}

TEST_CASE("a new profile directory is private", "[store][client_store]") {
    temp_dir dir;
    const auto profile = dir.path / "p";
    (void)store::client_store::open(profile);
    struct stat status {};
    REQUIRE(::stat(profile.c_str(), &status) == 0);
    CHECK((status.st_mode & 0777U) == 0700U);
    REQUIRE(::stat((profile / "sotto.db").c_str(), &status) == 0);
    CHECK((status.st_mode & 0777U) == 0600U);
}

TEST_CASE("sealed columns hold no plaintext of names, bodies or states", "[store][client_store]") {
    temp_dir dir;
    profile_fixture fixture;
    {
        auto db = store::client_store::open(dir.path);
        fixture.create(*db);
        const auto bob = db->ensure_contact("bobthebuilder");
        db->save_session(bob.id, bytes("HANDSHAKE-STATE-MARKER"), bytes("RATCHET-STATE-MARKER"));
        db->queue_outgoing(bob.id, make_id(1), "the eagle lands at midnight", 1,
                           bytes("OUTBOX-CONTENT-MARKER"));
        CHECK(db->commit_received(bob.id, make_id(2), std::string("meet me by the old oak"), 2, 3,
                                  bytes("RATCHET-STATE-MARKER-2")));
    }
    const auto raw = read_all(dir.path / "sotto.db") + read_all(dir.path / "sotto.db-wal");
    REQUIRE_FALSE(raw.empty());
    for (const char* secret : {"bobthebuilder", "eagle lands", "old oak", "HANDSHAKE-STATE",
                               "RATCHET-STATE", "OUTBOX-CONTENT"}) {
        INFO(secret);
        CHECK(raw.find(secret) == std::string::npos);
    }
    const auto secret_key = fixture.identity.secret_key().view();
    CHECK(raw.find(std::string(reinterpret_cast<const char*>(secret_key.data()), 32)) ==
          std::string::npos);

    auto db = store::client_store::open(dir.path);
    REQUIRE(db->unlock(derive("correct horse", db->kdf_header()->salt)) ==
            store::unlock_result::unlocked);
    const auto bob = db->find_contact("bobthebuilder");
    REQUIRE(bob);
    const auto session = db->session(bob->id);
    REQUIRE(session.ratchet);
    CHECK(std::string(reinterpret_cast<const char*>(session.ratchet->data()),
                      session.ratchet->size()) == "RATCHET-STATE-MARKER-2");
    const auto messages = db->history(bob->id, std::nullopt, 10);
    REQUIRE(messages.size() == 2);
    CHECK(messages[0].text == "the eagle lands at midnight");
    CHECK(messages[1].text == "meet me by the old oak");
}

TEST_CASE("history pages backwards from an id without skipping or repeating",
          "[store][client_store]") {
    auto db = store::client_store::open_in_memory();
    profile_fixture fixture;
    fixture.create(*db);
    const auto bob = db->ensure_contact("bob");
    const auto carol = db->ensure_contact("carol");
    db->save_session(bob.id, bytes("h"), bytes("r"));
    for (std::uint8_t i = 0; i < 25; ++i) {
        db->queue_outgoing(bob.id, make_id(i), "message " + std::to_string(i), i, bytes("c"));
        db->queue_outgoing(carol.id, make_id(static_cast<std::uint8_t>(100 + i)), "other", i,
                           bytes("c"));
    }
    const auto newest = db->history(bob.id, std::nullopt, 10);
    REQUIRE(newest.size() == 10);
    CHECK(newest.front().text == "message 15");
    CHECK(newest.back().text == "message 24");
    const auto middle = db->history(bob.id, newest.front().id, 10);
    REQUIRE(middle.size() == 10);
    CHECK(middle.front().text == "message 5");
    CHECK(middle.back().text == "message 14");
    const auto oldest = db->history(bob.id, middle.front().id, 10);
    REQUIRE(oldest.size() == 5);
    CHECK(oldest.front().text == "message 0");
    CHECK(oldest.back().text == "message 4");
    CHECK(db->history(bob.id, oldest.front().id, 10).empty());
}

TEST_CASE("history pages forwards from an id without skipping or repeating",
          "[store][client_store]") {
    auto db = store::client_store::open_in_memory();
    profile_fixture fixture;
    fixture.create(*db);
    const auto bob = db->ensure_contact("bob");
    const auto carol = db->ensure_contact("carol");
    db->save_session(bob.id, bytes("h"), bytes("r"));
    for (std::uint8_t i = 0; i < 25; ++i) {
        db->queue_outgoing(bob.id, make_id(i), "message " + std::to_string(i), i, bytes("c"));
        db->queue_outgoing(carol.id, make_id(static_cast<std::uint8_t>(100 + i)), "other", i,
                           bytes("c"));
    }
    std::vector<std::string> seen;
    std::optional<store::message_id> after;
    for (;;) {
        const auto page = db->history_after(bob.id, after, 10);
        if (page.empty()) {
            break;
        }
        CHECK(page.size() <= 10);
        for (const auto& message : page) {
            seen.push_back(message.text);
        }
        after = page.back().id;
    }
    REQUIRE(seen.size() == 25);
    for (std::size_t i = 0; i < seen.size(); ++i) {
        CHECK(seen[i] == "message " + std::to_string(i));
    }
}

TEST_CASE("a received message and its ratchet state are written in one transaction",
          "[store][client_store]") {
    temp_dir dir;
    profile_fixture fixture;
    auto db = store::client_store::open(dir.path);
    fixture.create(*db);
    const auto bob = db->ensure_contact("bob");
    db->save_session(bob.id, bytes("h"), bytes("ratchet-1"));

    SECTION("a failure writing the message leaves the ratchet state unchanged") {
        {
            SQLite::Database raw(dir.path / "sotto.db", SQLite::OPEN_READWRITE);
            raw.exec("CREATE TRIGGER fail_insert BEFORE INSERT ON messages BEGIN SELECT "
                     "RAISE(ABORT, 'disk on fire'); END");
        }
        CHECK_THROWS_AS(
            db->commit_received(bob.id, make_id(1), std::string("hello"), 1, 2, bytes("ratchet-2")),
            store::store_error);
        const auto session = db->session(bob.id);
        REQUIRE(session.ratchet);
        CHECK(std::string(reinterpret_cast<const char*>(session.ratchet->data()),
                          session.ratchet->size()) == "ratchet-1");
        CHECK_FALSE(db->seen(bob.id, make_id(1)));
    }
    SECTION("a failure writing the ratchet state records no message") {
        {
            SQLite::Database raw(dir.path / "sotto.db", SQLite::OPEN_READWRITE);
            raw.exec("CREATE TRIGGER fail_update BEFORE UPDATE ON sessions BEGIN SELECT "
                     "RAISE(ABORT, 'disk on fire'); END");
        }
        CHECK_THROWS_AS(
            db->commit_received(bob.id, make_id(1), std::string("hello"), 1, 2, bytes("ratchet-2")),
            store::store_error);
        CHECK(db->history(bob.id, std::nullopt, 10).empty());
        CHECK_FALSE(db->seen(bob.id, make_id(1)));
    }
    SECTION("a duplicate id writes nothing") {
        CHECK(db->commit_received(bob.id, make_id(1), std::string("hello"), 1, 2,
                                  bytes("ratchet-2")));
        CHECK_FALSE(db->commit_received(bob.id, make_id(1), std::string("hello"), 1, 2,
                                        bytes("ratchet-3")));
        CHECK(db->history(bob.id, std::nullopt, 10).size() == 1);
        const auto session = db->session(bob.id);
        CHECK(std::string(reinterpret_cast<const char*>(session.ratchet->data()),
                          session.ratchet->size()) == "ratchet-2");
    }
}

TEST_CASE("the outbox keeps content until encrypted and the ciphertext until acknowledged",
          "[store][client_store]") {
    auto db = store::client_store::open_in_memory();
    profile_fixture fixture;
    fixture.create(*db);
    const auto bob = db->ensure_contact("bob");
    db->save_session(bob.id, bytes("h"), bytes("r0"));
    db->queue_outgoing(bob.id, make_id(1), "one", 1, bytes("content-1"));
    db->queue_outgoing(bob.id, make_id(2), "two", 2, bytes("content-2"));
    auto entries = db->outbox(bob.id);
    REQUIRE(entries.size() == 2);
    CHECK_FALSE(entries[0].ciphertext);
    db->commit_encrypted(entries[0].sequence, bytes("cipher-1"), bob.id, bytes("r1"));
    entries = db->outbox();
    REQUIRE(entries[0].ciphertext);
    CHECK(entries[0].ciphertext->size() == 8);
    db->outbox_acknowledged(make_id(1));
    entries = db->outbox();
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].id == make_id(2));
    auto history = db->history(bob.id, std::nullopt, 10);
    CHECK(history[0].status == store::message_status::sent);
    CHECK(history[1].status == store::message_status::queued);
    CHECK(db->advance_status(bob.id, make_id(1), store::message_status::delivered));
    CHECK_FALSE(db->advance_status(bob.id, make_id(1), store::message_status::sent));
    CHECK(db->history(bob.id, std::nullopt, 10)[0].status == store::message_status::delivered);
}

TEST_CASE("contacts keep pinned keys, key changes and request states", "[store][client_store]") {
    auto db = store::client_store::open_in_memory();
    profile_fixture fixture;
    fixture.create(*db);
    crypto::seeded_random random(7);
    const auto old_key = crypto::identity_key_pair::generate(random).public_key();
    const auto new_key = crypto::identity_key_pair::generate(random).public_key();
    const auto bob = db->ensure_contact("bob", store::request_state::pending);
    db->set_pinned_key(bob.id, old_key);
    db->set_verified(bob.id, true);
    db->set_key_changed(bob.id, new_key);
    auto found = db->find_contact("bob");
    REQUIRE(found);
    CHECK(found->request == store::request_state::pending);
    CHECK(found->keys == store::key_state::changed);
    CHECK(found->pinned_key == old_key);
    CHECK(found->changed_key == new_key);
    db->accept_changed_key(bob.id);
    found = db->find_contact("bob");
    CHECK(found->keys == store::key_state::trusted);
    CHECK(found->pinned_key == new_key);
    CHECK_FALSE(found->verified);
    CHECK_FALSE(db->find_contact("carol"));
    CHECK(db->contacts().size() == 1);
}

TEST_CASE("marking incoming messages read returns each id once", "[store][client_store]") {
    auto db = store::client_store::open_in_memory();
    profile_fixture fixture;
    fixture.create(*db);
    const auto bob = db->ensure_contact("bob");
    db->save_session(bob.id, bytes("h"), bytes("r"));
    CHECK(db->commit_received(bob.id, make_id(1), std::string("one"), 1, 1, bytes("r1")));
    CHECK(db->commit_received(bob.id, make_id(2), std::string("two"), 2, 2, bytes("r2")));
    db->queue_outgoing(bob.id, make_id(3), "mine", 3, bytes("c"));
    const auto first = db->mark_incoming_read(bob.id);
    REQUIRE(first.size() == 2);
    CHECK(first[0] == make_id(1));
    CHECK(first[1] == make_id(2));
    CHECK(db->mark_incoming_read(bob.id).empty());
    const auto history = db->history(bob.id, std::nullopt, 10);
    CHECK(history[0].status == store::message_status::read);
    CHECK(history[2].status == store::message_status::queued);
}

TEST_CASE("the write mark grows with every write, and a deferred store still keeps what it "
          "committed across a reopen",
          "[store][client_store]") {
    temp_dir dir;
    profile_fixture fixture;
    {
        auto db = store::client_store::open(dir.path);
        REQUIRE(db->file() == dir.path / "sotto.db");
        fixture.create(*db);
        db->defer_durability();
        const auto before = db->write_mark();
        const auto bob = db->ensure_contact("bob");
        const auto after_contact = db->write_mark();
        CHECK(after_contact > before);
        db->queue_outgoing(bob.id, make_id(1), "hello", 1, bytes("content"));
        CHECK(db->write_mark() > after_contact);
        const auto settled = db->write_mark();
        CHECK(db->history(bob.id, std::nullopt, 10).size() == 1); // a read writes nothing
        CHECK(db->write_mark() == settled);
    }
    auto db = store::client_store::open(dir.path);
    REQUIRE(db->unlock(derive("correct horse", db->kdf_header()->salt)) ==
            store::unlock_result::unlocked);
    const auto bob = db->find_contact("bob");
    REQUIRE(bob);
    CHECK(db->history(bob->id, std::nullopt, 10).at(0).text == "hello");
    CHECK_FALSE(store::client_store::open_in_memory()->file());
}
