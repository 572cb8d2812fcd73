#include "store/relay_store.h"

#include "tests/support/temporary_directory.h"

#include <catch2/catch.hpp>
#include <sqlite3.h>
#include <sys/stat.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

namespace store = sotto::store;
using sotto::crypto::identity_public_key;

namespace {

using sotto::testing::temporary_directory;

// One store of either kind; the SQLite one lives in its own temporary directory.
struct store_under_test {
    std::unique_ptr<temporary_directory> directory;
    std::unique_ptr<store::relay_store> relay;

    static store_under_test make(const std::string& kind) {
        store_under_test made;
        if (kind == "sqlite") {
            made.directory = std::make_unique<temporary_directory>();
            made.relay = store::open_relay_store(made.directory->path() / "data");
        } else {
            made.relay = store::make_memory_relay_store();
        }
        return made;
    }
    store::relay_store* operator->() const { return relay.get(); }
};

identity_public_key key_of(std::uint8_t seed) {
    identity_public_key key;
    for (std::size_t i = 0; i < key.bytes.size(); ++i) {
        key.bytes[i] = static_cast<std::uint8_t>(seed + i);
    }
    return key;
}

store::message_id id_of(std::uint8_t n) {
    store::message_id id{};
    id.fill(n);
    id[0] = 0xA5;
    return id;
}

store::envelope envelope_of(const std::string& sender, const std::string& recipient,
                            std::uint8_t id, std::size_t size = 8, store::unix_seconds at = 1000) {
    store::envelope made;
    made.sender = sender;
    made.recipient = recipient;
    made.id = id_of(id);
    made.ciphertext.assign(size, static_cast<std::uint8_t>(id ^ 0x5AU));
    made.queued_at = at;
    return made;
}

void register_open(store::relay_store& relay, const std::string& name, std::uint8_t key_seed = 1) {
    REQUIRE(relay.register_account(name, key_of(key_seed), std::nullopt, false, 100) ==
            store::registration_result::registered);
}

std::vector<store::enqueue_result> enqueue_one(store::relay_store& relay, store::envelope item,
                                               const store::queue_limits& limits = {}) {
    std::vector<store::envelope> batch{std::move(item)};
    return relay.enqueue(batch, limits);
}

std::vector<std::uint64_t> sequences_of(const std::vector<store::envelope>& envelopes) {
    std::vector<std::uint64_t> out;
    out.reserve(envelopes.size());
    for (const auto& item : envelopes) {
        out.push_back(item.sequence);
    }
    return out;
}

mode_t mode_of(const std::filesystem::path& path) {
    struct stat status {};
    REQUIRE(::stat(path.c_str(), &status) == 0);
    return status.st_mode & 0777U;
}

// Opens relay.db with plain SQLite, as an attacker or a careless tool would.
void raw_sql(const std::filesystem::path& file, const char* sql) {
    sqlite3* handle = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &handle) == SQLITE_OK);
    const int result = sqlite3_exec(handle, sql, nullptr, nullptr, nullptr);
    sqlite3_close(handle);
    REQUIRE(result == SQLITE_OK);
}

using enum_result = store::enqueue_result;
using reg = store::registration_result;

} // namespace

TEST_CASE("usernames are 3 to 32 lowercase letters, digits, dot, dash or underscore starting with "
          "a letter",
          "[store][relay_store]") {
    for (const char* good :
         {"bob", "alice.smith", "a-b_c.d", "x12", "abcdefghijklmnopqrstuvwxyz012345"}) {
        INFO(good);
        CHECK(store::valid_username(good));
    }
    for (const char* bad :
         {"", "ab", "Bob", "1bob", "_bob", ".bob", "-bob", "bob smith", "bob@relay", "böb",
          "abcdefghijklmnopqrstuvwxyz0123456", "bob/..", "bob\n"}) {
        INFO(bad);
        CHECK_FALSE(store::valid_username(bad));
    }
    CHECK_FALSE(store::valid_username(std::string_view("bob\0x", 5)));
}

TEST_CASE(
    "registering the same name with the same key is idempotent and another key finds it taken",
    "[store][relay_store]") {
    const auto kind = GENERATE(as<std::string>{}, "sqlite", "memory");
    INFO(kind);
    auto relay = store_under_test::make(kind);

    CHECK(relay->register_account("alice", key_of(1), std::nullopt, false, 100) == reg::registered);
    CHECK(relay->register_account("alice", key_of(1), std::nullopt, false, 200) ==
          reg::already_registered);
    CHECK(relay->register_account("alice", key_of(2), std::nullopt, false, 300) == reg::name_taken);

    const auto found = relay->find_account("alice");
    REQUIRE(found);
    CHECK(found->username == "alice");
    CHECK(found->identity_key == key_of(1));
    CHECK(found->created_at == 100);
    CHECK_FALSE(relay->find_account("bob"));
    CHECK_FALSE(relay->find_account("Alice"));
}

TEST_CASE("invite-only registration needs a valid invite while open registration ignores codes",
          "[store][relay_store]") {
    const auto kind = GENERATE(as<std::string>{}, "sqlite", "memory");
    INFO(kind);
    auto relay = store_under_test::make(kind);

    CHECK(relay->register_account("alice", key_of(1), std::nullopt, true, 100) ==
          reg::invite_required);
    CHECK(relay->register_account("alice", key_of(1), std::string("nope"), true, 100) ==
          reg::invite_invalid);
    CHECK_FALSE(relay->find_account("alice"));

    CHECK(relay->register_account("alice", key_of(1), std::string("nope"), false, 100) ==
          reg::registered);
    CHECK(relay->find_account("alice"));
}

TEST_CASE("a single-use invite admits exactly one registration", "[store][relay_store]") {
    const auto kind = GENERATE(as<std::string>{}, "sqlite", "memory");
    INFO(kind);
    auto relay = store_under_test::make(kind);
    REQUIRE(relay->add_invite(store::invite{"one-shot", 1, 0}));

    CHECK(relay->register_account("alice", key_of(1), std::string("one-shot"), true, 100) ==
          reg::registered);
    CHECK(relay->register_account("bob", key_of(2), std::string("one-shot"), true, 100) ==
          reg::invite_invalid);
    CHECK_FALSE(relay->find_account("bob"));
    // Alice's retry after a lost answer is still recognised although the invite is used up.
    CHECK(relay->register_account("alice", key_of(1), std::string("one-shot"), true, 101) ==
          reg::already_registered);
}

TEST_CASE("a multi-use invite loses one use per successful registration and none for refusals",
          "[store][relay_store]") {
    const auto kind = GENERATE(as<std::string>{}, "sqlite", "memory");
    INFO(kind);
    auto relay = store_under_test::make(kind);
    REQUIRE(relay->add_invite(store::invite{"team", 2, 0}));

    CHECK(relay->register_account("alice", key_of(1), std::string("team"), true, 100) ==
          reg::registered);
    CHECK(relay->register_account("alice", key_of(1), std::string("team"), true, 100) ==
          reg::already_registered);
    CHECK(relay->register_account("alice", key_of(9), std::string("team"), true, 100) ==
          reg::name_taken);
    CHECK(relay->register_account("bob", key_of(2), std::string("team"), true, 100) ==
          reg::registered);
    CHECK(relay->register_account("carol", key_of(3), std::string("team"), true, 100) ==
          reg::invite_invalid);
    CHECK_FALSE(relay->find_account("carol"));
}

TEST_CASE("an invite is refused from its expiry time on and one without expiry lasts",
          "[store][relay_store]") {
    const auto kind = GENERATE(as<std::string>{}, "sqlite", "memory");
    INFO(kind);
    auto relay = store_under_test::make(kind);
    REQUIRE(relay->add_invite(store::invite{"soon", 5, 1000}));
    REQUIRE(relay->add_invite(store::invite{"forever", 5, 0}));

    CHECK(relay->register_account("alice", key_of(1), std::string("soon"), true, 999) ==
          reg::registered);
    CHECK(relay->register_account("bob", key_of(2), std::string("soon"), true, 1000) ==
          reg::invite_invalid);
    CHECK(relay->register_account("bob", key_of(2), std::string("forever"), true, 4'000'000'000) ==
          reg::registered);
}

TEST_CASE("an invite code cannot be added twice", "[store][relay_store]") {
    const auto kind = GENERATE(as<std::string>{}, "sqlite", "memory");
    INFO(kind);
    auto relay = store_under_test::make(kind);
    CHECK(relay->add_invite(store::invite{"code", 1, 0}));
    CHECK_FALSE(relay->add_invite(store::invite{"code", 9, 0}));
    // The first one stands: a single use.
    CHECK(relay->register_account("alice", key_of(1), std::string("code"), true, 1) ==
          reg::registered);
    CHECK(relay->register_account("bob", key_of(2), std::string("code"), true, 1) ==
          reg::invite_invalid);
}

TEST_CASE("enqueue numbers each recipient's envelopes upward and reports each one in batch order",
          "[store][relay_store]") {
    const auto kind = GENERATE(as<std::string>{}, "sqlite", "memory");
    INFO(kind);
    auto relay = store_under_test::make(kind);
    register_open(*relay.relay, "alice");
    register_open(*relay.relay, "bob", 2);
    register_open(*relay.relay, "carol", 3);

    std::vector<store::envelope> batch{
        envelope_of("alice", "bob", 1), envelope_of("alice", "carol", 2),
        envelope_of("alice", "mallory", 3), envelope_of("carol", "bob", 4)};
    const auto results = relay->enqueue(batch, {});
    CHECK(results == std::vector<enum_result>{enum_result::queued, enum_result::queued,
                                              enum_result::unknown_recipient, enum_result::queued});
    CHECK(batch[0].sequence == 1);
    CHECK(batch[1].sequence == 1);
    CHECK(batch[2].sequence == 0);
    CHECK(batch[3].sequence == 2);

    auto more = envelope_of("alice", "bob", 5);
    std::vector<store::envelope> second{more};
    CHECK(relay->enqueue(second, {}) == std::vector<enum_result>{enum_result::queued});
    CHECK(second[0].sequence == 3);

    const auto for_bob = relay->pending("bob", 0, 100);
    REQUIRE(for_bob.size() == 3);
    CHECK(sequences_of(for_bob) == std::vector<std::uint64_t>{1, 2, 3});
    CHECK(for_bob[0].sender == "alice");
    CHECK(for_bob[0].recipient == "bob");
    CHECK(for_bob[0].id == id_of(1));
    CHECK(for_bob[0].ciphertext == batch[0].ciphertext);
    CHECK(for_bob[0].queued_at == 1000);
    CHECK(for_bob[1].sender == "carol");
    CHECK(relay->pending("mallory", 0, 100).empty());
    CHECK(relay->enqueue({}, {}).empty());
}

TEST_CASE("a retried envelope still queued is reported duplicate and stored once",
          "[store][relay_store]") {
    const auto kind = GENERATE(as<std::string>{}, "sqlite", "memory");
    INFO(kind);
    auto relay = store_under_test::make(kind);
    register_open(*relay.relay, "alice");
    register_open(*relay.relay, "bob", 2);
    register_open(*relay.relay, "carol", 3);

    CHECK(enqueue_one(*relay.relay, envelope_of("alice", "bob", 7)) ==
          std::vector{enum_result::queued});
    CHECK(enqueue_one(*relay.relay, envelope_of("alice", "bob", 7)) ==
          std::vector{enum_result::duplicate});

    SECTION("within one batch too") {
        std::vector<store::envelope> batch{envelope_of("alice", "bob", 8),
                                           envelope_of("alice", "bob", 8)};
        CHECK(relay->enqueue(batch, {}) ==
              std::vector{enum_result::queued, enum_result::duplicate});
        CHECK(relay->pending("bob", 0, 100).size() == 2);
    }
    SECTION("the same id from another sender or to another recipient is a different message") {
        CHECK(enqueue_one(*relay.relay, envelope_of("carol", "bob", 7)) ==
              std::vector{enum_result::queued});
        CHECK(enqueue_one(*relay.relay, envelope_of("alice", "carol", 7)) ==
              std::vector{enum_result::queued});
        CHECK(relay->pending("bob", 0, 100).size() == 2);
        CHECK(relay->pending("carol", 0, 100).size() == 1);
    }
    SECTION("a duplicate is reported even when the queue is full") {
        store::queue_limits tight;
        tight.max_messages = 1;
        CHECK(enqueue_one(*relay.relay, envelope_of("alice", "bob", 7), tight) ==
              std::vector{enum_result::duplicate});
        CHECK(enqueue_one(*relay.relay, envelope_of("alice", "bob", 9), tight) ==
              std::vector{enum_result::queue_full_count});
    }
}

TEST_CASE("an acknowledged id is remembered for the dedup window and then forgotten",
          "[store][relay_store]") {
    const auto kind = GENERATE(as<std::string>{}, "sqlite", "memory");
    INFO(kind);
    auto relay = store_under_test::make(kind);
    register_open(*relay.relay, "alice");
    register_open(*relay.relay, "bob", 2);
    const auto window = static_cast<store::unix_seconds>(store::dedup_window.count());

    REQUIRE(enqueue_one(*relay.relay, envelope_of("alice", "bob", 7, 8, 1000)) ==
            std::vector{enum_result::queued});
    const std::vector<std::pair<std::string, store::message_id>> acked{{"alice", id_of(7)}};
    relay->acknowledge("bob", acked, 2000);
    CHECK(relay->pending("bob", 0, 100).empty());

    CHECK(enqueue_one(*relay.relay, envelope_of("alice", "bob", 7, 8, 2000 + window)) ==
          std::vector{enum_result::duplicate});
    SECTION("a retry after the window is a new message") {
        CHECK(enqueue_one(*relay.relay, envelope_of("alice", "bob", 7, 8, 2001 + window)) ==
              std::vector{enum_result::queued});
    }
    SECTION("expire forgets ids older than the window") {
        (void)relay->expire(2001 + window, {});
        CHECK(enqueue_one(*relay.relay, envelope_of("alice", "bob", 7, 8, 0)) ==
              std::vector{enum_result::queued});
    }
    SECTION("expire keeps ids inside the window") {
        (void)relay->expire(2000 + window, {});
        CHECK(enqueue_one(*relay.relay, envelope_of("alice", "bob", 7, 8, 0)) ==
              std::vector{enum_result::duplicate});
    }
}

TEST_CASE("a recipient's queue is capped by count and by bytes and acknowledging makes room",
          "[store][relay_store]") {
    const auto kind = GENERATE(as<std::string>{}, "sqlite", "memory");
    INFO(kind);
    auto relay = store_under_test::make(kind);
    register_open(*relay.relay, "alice");
    register_open(*relay.relay, "bob", 2);
    register_open(*relay.relay, "carol", 3);
    store::queue_limits limits;
    limits.max_messages = 3;
    limits.max_bytes = 100;

    std::vector<store::envelope> batch{
        envelope_of("alice", "bob", 1, 40), envelope_of("alice", "bob", 2, 40),
        envelope_of("alice", "bob", 3, 21), envelope_of("alice", "bob", 4, 20),
        envelope_of("alice", "bob", 5, 0),  envelope_of("alice", "carol", 6, 101)};
    CHECK(relay->enqueue(batch, limits) ==
          std::vector{enum_result::queued, enum_result::queued, enum_result::queue_full_bytes,
                      enum_result::queued, enum_result::queue_full_count,
                      enum_result::queue_full_bytes});
    CHECK(sequences_of(relay->pending("bob", 0, 100)) == std::vector<std::uint64_t>{1, 2, 3});
    CHECK(relay->pending("carol", 0, 100).empty());

    const std::vector<std::pair<std::string, store::message_id>> acked{{"alice", id_of(1)}};
    relay->acknowledge("bob", acked, 1500);
    std::vector<store::envelope> after{envelope_of("alice", "bob", 8, 41),
                                       envelope_of("alice", "bob", 9, 40)};
    CHECK(relay->enqueue(after, limits) ==
          std::vector{enum_result::queue_full_bytes, enum_result::queued});
    CHECK(after[1].sequence == 4);
}

TEST_CASE("pending pages oldest first after a sequence and sequences never go back",
          "[store][relay_store]") {
    const auto kind = GENERATE(as<std::string>{}, "sqlite", "memory");
    INFO(kind);
    auto relay = store_under_test::make(kind);
    register_open(*relay.relay, "alice");
    register_open(*relay.relay, "bob", 2);

    std::vector<store::envelope> batch;
    for (std::uint8_t i = 1; i <= 10; ++i) {
        batch.push_back(envelope_of("alice", "bob", i));
    }
    REQUIRE(std::ranges::count(relay->enqueue(batch, {}), enum_result::queued) == 10);

    CHECK(sequences_of(relay->pending("bob", 0, 4)) == std::vector<std::uint64_t>{1, 2, 3, 4});
    CHECK(sequences_of(relay->pending("bob", 4, 4)) == std::vector<std::uint64_t>{5, 6, 7, 8});
    CHECK(sequences_of(relay->pending("bob", 8, 4)) == std::vector<std::uint64_t>{9, 10});
    CHECK(relay->pending("bob", 10, 4).empty());
    CHECK(relay->pending("bob", 0, 0).empty());

    std::vector<std::pair<std::string, store::message_id>> all;
    for (std::uint8_t i = 1; i <= 10; ++i) {
        all.emplace_back("alice", id_of(i));
    }
    relay->acknowledge("bob", all, 2000);
    CHECK(relay->pending("bob", 0, 100).empty());
    auto next = envelope_of("alice", "bob", 11);
    std::vector<store::envelope> one{next};
    REQUIRE(relay->enqueue(one, {}) == std::vector{enum_result::queued});
    CHECK(one[0].sequence == 11);
}

TEST_CASE("acknowledge deletes only the recipient's own envelopes and ignores unknown ids",
          "[store][relay_store]") {
    const auto kind = GENERATE(as<std::string>{}, "sqlite", "memory");
    INFO(kind);
    auto relay = store_under_test::make(kind);
    register_open(*relay.relay, "alice");
    register_open(*relay.relay, "bob", 2);
    register_open(*relay.relay, "carol", 3);
    std::vector<store::envelope> batch{envelope_of("alice", "bob", 1),
                                       envelope_of("alice", "bob", 2),
                                       envelope_of("alice", "carol", 1)};
    REQUIRE(std::ranges::count(relay->enqueue(batch, {}), enum_result::queued) == 3);

    // Carol cannot acknowledge bob's envelope, and unknown or foreign ids change nothing.
    const std::vector<std::pair<std::string, store::message_id>> carol_acks{
        {"alice", id_of(1)}, {"alice", id_of(2)}, {"nobody", id_of(1)}};
    relay->acknowledge("carol", carol_acks, 2000);
    CHECK(relay->pending("carol", 0, 100).empty());
    CHECK(sequences_of(relay->pending("bob", 0, 100)) == std::vector<std::uint64_t>{1, 2});
    // Carol's acknowledgement of id 2 (which she never had) must not block a later id 2 to her.
    CHECK(enqueue_one(*relay.relay, envelope_of("alice", "carol", 2)) ==
          std::vector{enum_result::queued});

    const std::vector<std::pair<std::string, store::message_id>> bob_acks{{"alice", id_of(2)}};
    relay->acknowledge("bob", bob_acks, 2000);
    relay->acknowledge("bob", bob_acks, 2001);
    relay->acknowledge("nobody", bob_acks, 2001);
    const auto left = relay->pending("bob", 0, 100);
    REQUIRE(left.size() == 1);
    CHECK(left[0].id == id_of(1));
}

TEST_CASE(
    "acknowledging for several recipients at once deletes each one's envelopes and remembers them",
    "[store][relay_store]") {
    const auto kind = GENERATE(as<std::string>{}, "sqlite", "memory");
    INFO(kind);
    auto relay = store_under_test::make(kind);
    register_open(*relay.relay, "alice");
    register_open(*relay.relay, "bob", 2);
    register_open(*relay.relay, "carol", 3);
    store::queue_limits limits;
    limits.max_messages = 2;
    std::vector<store::envelope> batch{
        envelope_of("alice", "bob", 1), envelope_of("alice", "bob", 2),
        envelope_of("alice", "carol", 1), envelope_of("bob", "carol", 2)};
    REQUIRE(std::ranges::count(relay->enqueue(batch, limits), enum_result::queued) == 4);

    const std::vector<store::acknowledgement> acked{
        {"bob", "alice", id_of(2)},
        {"carol", "alice", id_of(1)},
        {"carol", "bob", id_of(2)},
        {"carol", "alice", id_of(2)}, // not carol's: ignored
        {"nobody", "alice", id_of(1)}};
    relay->acknowledge_batch(acked, 2000);
    const auto bob_left = relay->pending("bob", 0, 10);
    REQUIRE(bob_left.size() == 1);
    CHECK(bob_left[0].id == id_of(1));
    CHECK(relay->pending("carol", 0, 10).empty());

    // Remembered for dedup, and the counts went down with the deletions.
    CHECK(enqueue_one(*relay.relay, envelope_of("alice", "carol", 1), limits) ==
          std::vector{enum_result::duplicate});
    std::vector<store::envelope> refill{
        envelope_of("alice", "carol", 5), envelope_of("alice", "carol", 6),
        envelope_of("alice", "bob", 7), envelope_of("alice", "bob", 8)};
    CHECK(relay->enqueue(refill, limits) == std::vector{enum_result::queued, enum_result::queued,
                                                        enum_result::queued,
                                                        enum_result::queue_full_count});
}

TEST_CASE("expire removes envelopes past the maximum age and leaves notices for their senders",
          "[store][relay_store]") {
    const auto kind = GENERATE(as<std::string>{}, "sqlite", "memory");
    INFO(kind);
    auto relay = store_under_test::make(kind);
    register_open(*relay.relay, "alice");
    register_open(*relay.relay, "bob", 2);
    register_open(*relay.relay, "carol", 3);
    store::queue_limits limits;
    limits.max_age = std::chrono::seconds(100);
    limits.max_messages = 3;

    std::vector<store::envelope> batch{
        envelope_of("alice", "bob", 1, 8, 1000), envelope_of("carol", "bob", 2, 8, 1050),
        envelope_of("alice", "carol", 3, 8, 1000), envelope_of("alice", "bob", 4, 8, 1101)};
    REQUIRE(std::ranges::count(relay->enqueue(batch, limits), enum_result::queued) == 4);

    CHECK(relay->expire(1100, limits).empty()); // exactly max_age old: not yet
    const auto expired = relay->expire(1101, limits);
    REQUIRE(expired.size() == 2);
    CHECK(expired[0].sender == "alice");
    CHECK(expired[0].recipient == "bob");
    CHECK(expired[0].id == id_of(1));
    CHECK(expired[1].recipient == "carol");
    CHECK(expired[1].id == id_of(3));
    CHECK(sequences_of(relay->pending("bob", 0, 100)) == std::vector<std::uint64_t>{2, 3});
    CHECK(relay->pending("carol", 0, 100).empty());

    // The expired envelope no longer counts against bob's cap.
    CHECK(enqueue_one(*relay.relay, envelope_of("carol", "bob", 5, 8, 1102), limits) ==
          std::vector{enum_result::queued});

    const auto for_alice = relay->take_expiry_notices("alice");
    REQUIRE(for_alice.size() == 2);
    CHECK(for_alice[0].id == id_of(1));
    CHECK(for_alice[1].id == id_of(3));
    CHECK(relay->take_expiry_notices("alice").empty());
    CHECK(relay->take_expiry_notices("carol").empty());

    // Carol's envelope 2 (queued 1050) expires at 1151 and its notice waits for carol.
    REQUIRE(relay->expire(1160, limits).size() == 1);
    const auto has_id_2 = [](const std::vector<store::expiry_notice>& notices) {
        return std::ranges::any_of(notices,
                                   [](const auto& notice) { return notice.id == id_of(2); });
    };
    SECTION("notices nobody collects are dropped after the maximum age") {
        (void)relay->expire(1261, limits);
        CHECK_FALSE(has_id_2(relay->take_expiry_notices("carol")));
    }
    SECTION("notices are kept until collected within the maximum age") {
        (void)relay->expire(1260, limits);
        const auto for_carol = relay->take_expiry_notices("carol");
        REQUIRE_FALSE(for_carol.empty());
        CHECK(for_carol[0].recipient == "bob");
        CHECK(for_carol[0].id == id_of(2));
    }
}

TEST_CASE("the audit log returns events from a time on in the order they were written",
          "[store][relay_store]") {
    const auto kind = GENERATE(as<std::string>{}, "sqlite", "memory");
    INFO(kind);
    auto relay = store_under_test::make(kind);
    relay->audit({100, "register", "alice", "127.0.0.1", "open"});
    relay->audit({200, "login_failed", "bob", "10.0.0.2", "bad signature"});
    relay->audit({150, "limit", "", "10.0.0.3", "rate"});
    relay->audit({300, "login", "alice", "", ""});

    const auto all = relay->audit_since(0);
    REQUIRE(all.size() == 4);
    CHECK(all[0].kind == "register");
    CHECK(all[0].username == "alice");
    CHECK(all[0].address == "127.0.0.1");
    CHECK(all[0].detail == "open");
    CHECK(all[1].time == 200);
    CHECK(all[2].kind == "limit");

    const auto recent = relay->audit_since(150);
    REQUIRE(recent.size() == 3);
    CHECK(recent[0].kind == "login_failed");
    CHECK(recent[1].kind == "limit");
    CHECK(recent[2].kind == "login");
    CHECK(relay->audit_since(301).empty());
}

TEST_CASE("an empty ciphertext is stored and returned as empty", "[store][relay_store]") {
    const auto kind = GENERATE(as<std::string>{}, "sqlite", "memory");
    INFO(kind);
    auto relay = store_under_test::make(kind);
    register_open(*relay.relay, "bob", 2);
    CHECK(enqueue_one(*relay.relay, envelope_of("alice", "bob", 1, 0)) ==
          std::vector{enum_result::queued});
    const auto got = relay->pending("bob", 0, 10);
    REQUIRE(got.size() == 1);
    CHECK(got[0].ciphertext.empty());
}

TEST_CASE("everything written survives closing and reopening the data directory",
          "[store][relay_store]") {
    temporary_directory directory;
    const auto data = directory.path() / "data";
    std::vector<std::uint8_t> payload(300);
    for (std::size_t i = 0; i < payload.size(); ++i) {
        payload[i] = static_cast<std::uint8_t>(i * 7);
    }
    {
        auto relay = store::open_relay_store(data);
        register_open(*relay, "alice");
        register_open(*relay, "bob", 2);
        REQUIRE(relay->add_invite(store::invite{"later", 2, 5000}));
        REQUIRE(relay->register_account("carol", key_of(3), std::string("later"), true, 200) ==
                reg::registered);
        std::vector<store::envelope> batch{envelope_of("alice", "bob", 1),
                                           envelope_of("alice", "bob", 2),
                                           envelope_of("bob", "alice", 3)};
        REQUIRE(std::ranges::count(relay->enqueue(batch, {}), enum_result::queued) == 3);
        const std::vector<std::pair<std::string, store::message_id>> acked{{"alice", id_of(2)}};
        relay->acknowledge("bob", acked, 1200);
        store::queue_limits short_life;
        short_life.max_age = std::chrono::seconds(10);
        REQUIRE(relay->expire(1011, short_life).size() == 2); // bob's 1 and alice's 3
        auto kept = envelope_of("alice", "bob", 4, 8, 1300);
        kept.ciphertext = payload;
        REQUIRE(enqueue_one(*relay, kept) == std::vector{enum_result::queued});
        relay->audit({1300, "login", "alice", "127.0.0.1", ""});
    }
    auto relay = store::open_relay_store(data);
    const auto carol = relay->find_account("carol");
    REQUIRE(carol);
    CHECK(carol->identity_key == key_of(3));
    CHECK(carol->created_at == 200);
    // One use of "later" is left: dave gets in, erin does not.
    CHECK(relay->register_account("dave", key_of(4), std::string("later"), true, 300) ==
          reg::registered);
    CHECK(relay->register_account("erin", key_of(5), std::string("later"), true, 300) ==
          reg::invite_invalid);

    const auto pending = relay->pending("bob", 0, 10);
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].sequence == 3);
    CHECK(pending[0].id == id_of(4));
    CHECK(pending[0].queued_at == 1300);
    CHECK(pending[0].ciphertext == payload);
    // The acknowledged id is still remembered; sequences continue where they were.
    CHECK(enqueue_one(*relay, envelope_of("alice", "bob", 2, 8, 1400)) ==
          std::vector{enum_result::duplicate});
    auto next = envelope_of("alice", "bob", 5, 8, 1400);
    std::vector<store::envelope> one{next};
    REQUIRE(relay->enqueue(one, {}) == std::vector{enum_result::queued});
    CHECK(one[0].sequence == 4);
    CHECK(relay->take_expiry_notices("alice").size() == 1);
    CHECK(relay->take_expiry_notices("bob").size() == 1);

    // Byte totals survived too: bob's queue holds 300 + 8 bytes.
    store::queue_limits tight;
    tight.max_bytes = 309;
    CHECK(enqueue_one(*relay, envelope_of("alice", "bob", 6, 2, 1400), tight) ==
          std::vector{enum_result::queue_full_bytes});
    tight.max_bytes = 310;
    CHECK(enqueue_one(*relay, envelope_of("alice", "bob", 6, 2, 1400), tight) ==
          std::vector{enum_result::queued});

    const auto events = relay->audit_since(0);
    REQUIRE(events.size() == 1);
    CHECK(events[0].kind == "login");
}

TEST_CASE("a delivered ciphertext does not stay in the database file once the store is closed",
          "[store][relay_store]") {
    temporary_directory directory;
    const auto data = directory.path() / "data";
    auto marked = envelope_of("alice", "bob", 1);
    marked.ciphertext.clear();
    for (std::size_t i = 0; i < 200; ++i) {
        marked.ciphertext.push_back(static_cast<std::uint8_t>("SECRET-CIPHERTEXT-"[i % 18]));
    }
    const std::string needle(marked.ciphertext.begin(), marked.ciphertext.end());
    const auto file_holds_needle = [&] {
        std::ifstream in(data / "relay.db", std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
        return bytes.find(needle) != std::string::npos;
    };
    {
        auto relay = store::open_relay_store(data);
        register_open(*relay, "bob", 2);
        REQUIRE(enqueue_one(*relay, marked) == std::vector{enum_result::queued});
    }
    CHECK(file_holds_needle()); // while queued it is there, so the search below can fail
    {
        auto relay = store::open_relay_store(data);
        const std::vector<std::pair<std::string, store::message_id>> acked{{"alice", id_of(1)}};
        relay->acknowledge("bob", acked, 2000);
    }
    CHECK_FALSE(std::filesystem::exists(data / "relay.db-wal"));
    CHECK_FALSE(file_holds_needle());
}

TEST_CASE("the data directory is created 0700 and the database files 0600",
          "[store][relay_store]") {
    temporary_directory directory;
    const auto data = directory.path() / "nested" / "data";
    auto relay = store::open_relay_store(data);
    register_open(*relay, "bob", 2);
    REQUIRE(enqueue_one(*relay, envelope_of("alice", "bob", 1)) ==
            std::vector{enum_result::queued});

    CHECK(mode_of(data) == 0700);
    CHECK(mode_of(data / "relay.db") == 0600);
    REQUIRE(std::filesystem::exists(data / "relay.db-wal"));
    CHECK(mode_of(data / "relay.db-wal") == 0600);
    REQUIRE(std::filesystem::exists(data / "relay.db-shm"));
    CHECK(mode_of(data / "relay.db-shm") == 0600);
}

TEST_CASE("a database file other users can read is refused with the chmod that fixes it",
          "[store][relay_store]") {
    temporary_directory directory;
    const auto data = directory.path() / "data";
    { (void)store::open_relay_store(data); }
    REQUIRE(::chmod((data / "relay.db").c_str(), 0644) == 0);
    try {
        (void)store::open_relay_store(data);
        FAIL("a world-readable relay.db was accepted");
    } catch (const store::store_error& error) {
        const std::string message = error.what();
        CHECK_THAT(message, Catch::Contains("0644") && Catch::Contains("chmod 600"));
    }
    REQUIRE(::chmod((data / "relay.db").c_str(), 0600) == 0);
    CHECK_NOTHROW(store::open_relay_store(data));
}

TEST_CASE("a relay.db holding garbage is a clear error and not a crash", "[store][relay_store]") {
    temporary_directory directory;
    const auto data = directory.path() / "data";
    std::filesystem::create_directories(data);
    const auto file = data / "relay.db";
    const auto content = GENERATE(std::string(4096, 'x'), std::string("not a database\n"),
                                  std::string("SQLite format 3\0", 16) + std::string(4000, '\xff'));
    {
        std::ofstream out(file, std::ios::binary);
        out << content;
    }
    REQUIRE(::chmod(file.c_str(), 0600) == 0);
    try {
        (void)store::open_relay_store(data);
        FAIL("garbage was opened as a relay database");
    } catch (const store::store_error& error) {
        CHECK_THAT(std::string(error.what()), Catch::Contains("relay.db"));
    }
}

TEST_CASE("a database written by a newer sotto is refused", "[store][relay_store]") {
    temporary_directory directory;
    const auto data = directory.path() / "data";
    {
        auto relay = store::open_relay_store(data);
        register_open(*relay, "alice");
    }
    raw_sql(data / "relay.db", "PRAGMA user_version = 99");
    try {
        (void)store::open_relay_store(data);
        FAIL("a newer schema was accepted");
    } catch (const store::store_error& error) {
        const std::string message = error.what();
        CHECK_THAT(message, Catch::Contains("99") && Catch::Contains("newer"));
    }
}

TEST_CASE("another program's SQLite database is not taken for a relay database",
          "[store][relay_store]") {
    temporary_directory directory;
    const auto data = directory.path() / "data";
    std::filesystem::create_directories(data);
    const auto file = data / "relay.db";
    raw_sql(file, "CREATE TABLE photos (name TEXT)");
    REQUIRE(::chmod(file.c_str(), 0600) == 0);
    CHECK_THROWS_AS(store::open_relay_store(data), store::store_error);

    raw_sql(file, "PRAGMA application_id = 1234");
    CHECK_THROWS_WITH(store::open_relay_store(data), Catch::Contains("another application"));
}

TEST_CASE("the memory store writes nothing to the working directory", "[store][relay_store]") {
    temporary_directory directory;
    const auto previous = std::filesystem::current_path();
    std::filesystem::current_path(directory.path());
    {
        auto relay = store::make_memory_relay_store();
        register_open(*relay, "bob", 2);
        REQUIRE(enqueue_one(*relay, envelope_of("alice", "bob", 1)) ==
                std::vector{enum_result::queued});
        relay->audit({1, "login", "bob", "", ""});
    }
    std::filesystem::current_path(previous);
    CHECK(std::filesystem::is_empty(directory.path()));
}

TEST_CASE("a batch that fails part way stores nothing and the store keeps working",
          "[store][relay_store]") {
    temporary_directory directory;
    const auto data = directory.path() / "data";
    {
        auto relay = store::open_relay_store(data);
        register_open(*relay, "bob", 2);
    }
    // A failure injected inside the transaction, as a full disk would fail the third insert.
    raw_sql(data / "relay.db",
            "CREATE TRIGGER fail_for_mallory BEFORE INSERT ON queue "
            "WHEN NEW.sender = 'mallory' BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
    auto relay = store::open_relay_store(data);
    std::vector<store::envelope> batch{envelope_of("alice", "bob", 1),
                                       envelope_of("carol", "bob", 2),
                                       envelope_of("mallory", "bob", 3)};
    CHECK_THROWS_MATCHES(
        relay->enqueue(batch, {}), store::store_error,
        Catch::Matchers::Predicate<store::store_error>([](const store::store_error& error) {
            return std::string(error.what()).find("injected failure") != std::string::npos;
        }));
    CHECK(relay->pending("bob", 0, 10).empty());

    std::vector<store::envelope> retry{envelope_of("alice", "bob", 1),
                                       envelope_of("carol", "bob", 2)};
    CHECK(relay->enqueue(retry, {}) == std::vector{enum_result::queued, enum_result::queued});
    CHECK(sequences_of(relay->pending("bob", 0, 10)) == std::vector<std::uint64_t>{1, 2});
}

TEST_CASE("envelopes whose dedup keys collide are still told apart by sender, id and recipient",
          "[store][relay_store]") {
    temporary_directory directory;
    const auto data = directory.path() / "data";
    {
        auto relay = store::open_relay_store(data);
        register_open(*relay, "bob", 2);
        std::vector<store::envelope> batch{envelope_of("alice", "bob", 1),
                                           envelope_of("carol", "bob", 2)};
        REQUIRE(relay->enqueue(batch, {}) == std::vector{enum_result::queued, enum_result::queued});
    }
    // Give carol's envelope the key of alice's, as a hash collision (or a hostile id) would.
    raw_sql(data / "relay.db", "UPDATE queue SET message_key = "
                               "(SELECT message_key FROM queue WHERE sender = 'alice')");
    auto relay = store::open_relay_store(data);
    CHECK(enqueue_one(*relay, envelope_of("alice", "bob", 1)) ==
          std::vector{enum_result::duplicate});
    const std::vector<std::pair<std::string, store::message_id>> acked{{"alice", id_of(1)}};
    relay->acknowledge("bob", acked, 2000);
    const auto left = relay->pending("bob", 0, 10);
    REQUIRE(left.size() == 1);
    CHECK(left[0].sender == "carol");
    CHECK(left[0].id == id_of(2));
}

TEST_CASE("an operator command on a data directory without a relay database creates nothing",
          "[store][relay_store]") {
    temporary_directory directory;
    const auto data = directory.path() / "data";
    CHECK_THROWS_WITH(store::open_existing_relay_store(data), Catch::Contains("no relay database"));
    CHECK_FALSE(std::filesystem::exists(data));

    { (void)store::open_relay_store(data)->add_invite(store::invite{"code", 1, 0}); }
    auto relay = store::open_existing_relay_store(data);
    CHECK_FALSE(relay->add_invite(store::invite{"code", 1, 0})); // it is the same database
}

TEST_CASE("an operator command can add an invite while the relay has the database open",
          "[store][relay_store]") {
    temporary_directory directory;
    const auto data = directory.path() / "data";
    auto running_relay = store::open_relay_store(data);
    running_relay->audit({100, "start", "", "", ""});
    {
        auto operator_command = store::open_existing_relay_store(data);
        REQUIRE(operator_command->add_invite(store::invite{"fresh", 1, 0}));
        const auto events = operator_command->audit_since(0);
        REQUIRE(events.size() == 1);
        CHECK(events[0].kind == "start");
    }
    CHECK(running_relay->register_account("alice", key_of(1), std::string("fresh"), true, 200) ==
          reg::registered);
}

namespace {

// The relay schema of version 1 (commit 7e86dd7), frozen here to test the upgrade from it.
constexpr const char* relay_schema_v1 = R"sql(
CREATE TABLE accounts (
    username      TEXT PRIMARY KEY NOT NULL,
    identity_key  BLOB NOT NULL CHECK (length(identity_key) = 32),
    created_at    INTEGER NOT NULL,
    -- Per-recipient queue state, kept here so enqueue checks its caps without scanning.
    last_sequence INTEGER NOT NULL DEFAULT 0,
    queued_count  INTEGER NOT NULL DEFAULT 0,
    queued_bytes  INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE invites (
    code       TEXT PRIMARY KEY NOT NULL,
    uses_left  INTEGER NOT NULL CHECK (uses_left >= 0),
    expires_at INTEGER NOT NULL
);
CREATE TABLE queue (
    recipient  TEXT NOT NULL REFERENCES accounts (username),
    sequence   INTEGER NOT NULL,
    sender     TEXT NOT NULL,
    id         BLOB NOT NULL CHECK (length(id) = 16),
    ciphertext BLOB NOT NULL,
    queued_at  INTEGER NOT NULL,
    PRIMARY KEY (recipient, sequence),
    UNIQUE (sender, id, recipient)
);
CREATE INDEX queue_by_age ON queue (queued_at);
CREATE TABLE delivered_ids (
    sender    TEXT NOT NULL,
    id        BLOB NOT NULL,
    recipient TEXT NOT NULL,
    acked_at  INTEGER NOT NULL,
    PRIMARY KEY (sender, id, recipient)
) WITHOUT ROWID;
CREATE INDEX delivered_ids_by_age ON delivered_ids (acked_at);
CREATE TABLE expiry_notices (
    number     INTEGER PRIMARY KEY,
    sender     TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    id         BLOB NOT NULL,
    expired_at INTEGER NOT NULL
);
CREATE INDEX expiry_notices_by_sender ON expiry_notices (sender, number);
CREATE INDEX expiry_notices_by_age ON expiry_notices (expired_at);
CREATE TABLE audit (
    number   INTEGER PRIMARY KEY,
    time     INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    username TEXT NOT NULL,
    address  TEXT NOT NULL,
    detail   TEXT NOT NULL
);
CREATE INDEX audit_by_time ON audit (time);
)sql";

} // namespace

TEST_CASE("a version 1 relay database is upgraded with its queue, delivered ids and sequences",
          "[store][relay_store]") {
    temporary_directory directory;
    const auto data = directory.path() / "data";
    std::filesystem::create_directories(data);
    const auto file = data / "relay.db";
    raw_sql(file, relay_schema_v1);
    // alice -> bob: id 1 delivered at 1500, id 2 waiting as sequence 2 (8 bytes).
    raw_sql(file,
            "INSERT INTO accounts VALUES ('alice', zeroblob(32), 10, 0, 0, 0);"
            "INSERT INTO accounts VALUES ('bob', zeroblob(32), 10, 2, 1, 8);"
            "INSERT INTO queue VALUES ('bob', 2, 'alice', X'A5020202020202020202020202020202', "
            "X'5858585858585858', 1000);"
            "INSERT INTO delivered_ids VALUES "
            "('alice', X'A5010101010101010101010101010101', 'bob', 1500);"
            "INSERT INTO audit VALUES (1, 900, 'register', 'bob', '', '');"
            "PRAGMA application_id = 1936684114; PRAGMA user_version = 1;");
    REQUIRE(::chmod(file.c_str(), 0600) == 0);

    auto relay = store::open_relay_store(data);
    const auto waiting = relay->pending("bob", 0, 10);
    REQUIRE(waiting.size() == 1);
    CHECK(waiting[0].sequence == 2);
    CHECK(waiting[0].id == id_of(2));
    CHECK(waiting[0].ciphertext == std::vector<std::uint8_t>(8, 0x58));
    // Both the delivered and the waiting id are still recognised as duplicates.
    std::vector<store::envelope> retries{envelope_of("alice", "bob", 1, 8, 1600),
                                         envelope_of("alice", "bob", 2, 8, 1600),
                                         envelope_of("alice", "bob", 3, 8, 1600)};
    CHECK(relay->enqueue(retries, {}) ==
          std::vector{enum_result::duplicate, enum_result::duplicate, enum_result::queued});
    CHECK(retries[2].sequence == 3);
    const std::vector<std::pair<std::string, store::message_id>> acked{{"alice", id_of(2)}};
    relay->acknowledge("bob", acked, 1700);
    CHECK(sequences_of(relay->pending("bob", 0, 10)) == std::vector<std::uint64_t>{3});
    CHECK(relay->audit_since(0).size() == 1);
}

namespace {

// The other version 1 (b992397..286529b, merged into main): delivered ids already kept as
// ciphertext-less queue rows, no message_key yet.
constexpr const char* relay_schema_v1_delivered_rows = R"sql(
CREATE TABLE accounts (
    username      TEXT PRIMARY KEY NOT NULL,
    identity_key  BLOB NOT NULL CHECK (length(identity_key) = 32),
    created_at    INTEGER NOT NULL,
    -- Per-recipient queue state, kept here so enqueue checks its caps without scanning.
    last_sequence INTEGER NOT NULL DEFAULT 0,
    queued_count  INTEGER NOT NULL DEFAULT 0,
    queued_bytes  INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE invites (
    code       TEXT PRIMARY KEY NOT NULL,
    uses_left  INTEGER NOT NULL CHECK (uses_left >= 0),
    expires_at INTEGER NOT NULL
);
CREATE TABLE queue (
    number     INTEGER PRIMARY KEY,
    recipient  TEXT NOT NULL REFERENCES accounts (username),
    sequence   INTEGER NOT NULL,
    sender     TEXT NOT NULL,
    id         BLOB NOT NULL CHECK (length(id) = 16),
    ciphertext BLOB,    -- NULL once delivered
    queued_at  INTEGER NOT NULL,
    acked_at   INTEGER  -- NULL while waiting for delivery
);
CREATE UNIQUE INDEX queue_by_message ON queue (sender, id, recipient);
CREATE UNIQUE INDEX queue_waiting ON queue (recipient, sequence) WHERE acked_at IS NULL;
CREATE INDEX queue_waiting_by_age ON queue (queued_at) WHERE acked_at IS NULL;
CREATE INDEX queue_delivered_by_age ON queue (acked_at) WHERE acked_at IS NOT NULL;
CREATE TABLE expiry_notices (
    number     INTEGER PRIMARY KEY,
    sender     TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    id         BLOB NOT NULL,
    expired_at INTEGER NOT NULL
);
CREATE INDEX expiry_notices_by_sender ON expiry_notices (sender, number);
CREATE INDEX expiry_notices_by_age ON expiry_notices (expired_at);
CREATE TABLE audit (
    number   INTEGER PRIMARY KEY,
    time     INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    username TEXT NOT NULL,
    address  TEXT NOT NULL,
    detail   TEXT NOT NULL
);
CREATE INDEX audit_by_time ON audit (time);
)sql";

} // namespace

TEST_CASE("a version 1 relay database that keeps delivered rows gains its message keys on upgrade",
          "[store][relay_store]") {
    temporary_directory directory;
    const auto data = directory.path() / "data";
    std::filesystem::create_directories(data);
    const auto file = data / "relay.db";
    raw_sql(file, relay_schema_v1_delivered_rows);
    raw_sql(file,
            "INSERT INTO accounts VALUES ('alice', zeroblob(32), 10, 0, 0, 0);"
            "INSERT INTO accounts VALUES ('bob', zeroblob(32), 10, 2, 1, 8);"
            "INSERT INTO queue (recipient, sequence, sender, id, ciphertext, queued_at, acked_at) "
            "VALUES ('bob', 1, 'alice', X'A5010101010101010101010101010101', NULL, 900, 1500),"
            "('bob', 2, 'alice', X'A5020202020202020202020202020202', X'5858585858585858', 1000, "
            "NULL);"
            "PRAGMA application_id = 1936684114; PRAGMA user_version = 1;");
    REQUIRE(::chmod(file.c_str(), 0600) == 0);

    auto relay = store::open_relay_store(data);
    CHECK(sequences_of(relay->pending("bob", 0, 10)) == std::vector<std::uint64_t>{2});
    std::vector<store::envelope> retries{envelope_of("alice", "bob", 1, 8, 1600),
                                         envelope_of("alice", "bob", 2, 8, 1600),
                                         envelope_of("alice", "bob", 3, 8, 1600)};
    CHECK(relay->enqueue(retries, {}) ==
          std::vector{enum_result::duplicate, enum_result::duplicate, enum_result::queued});
    CHECK(retries[2].sequence == 3);
    const std::vector<std::pair<std::string, store::message_id>> acked{{"alice", id_of(2)}};
    relay->acknowledge("bob", acked, 1700);
    CHECK(sequences_of(relay->pending("bob", 0, 10)) == std::vector<std::uint64_t>{3});
}

TEST_CASE("an envelope acknowledged before its commit is kept only as a delivered id",
          "[store][relay_store]") {
    const auto kind = GENERATE(as<std::string>{}, "sqlite", "memory");
    INFO(kind);
    auto relay = store_under_test::make(kind);
    register_open(*relay.relay, "bob");
    store::queue_limits tight;
    tight.max_messages = 1; // a full queue does not refuse what waits for nothing
    REQUIRE(enqueue_one(*relay.relay, envelope_of("alice", "bob", 1), tight) ==
            std::vector{enum_result::queued});
    auto acked = envelope_of("alice", "bob", 2);
    acked.acked_at = 1001;
    std::vector<store::envelope> batch{acked};
    REQUIRE(relay->enqueue(batch, tight) == std::vector{enum_result::queued});
    CHECK(batch[0].sequence == 2);
    // Not pending, not counted, and a retry of it is a duplicate.
    const auto waiting = relay->pending("bob", 0, 10);
    REQUIRE(waiting.size() == 1);
    CHECK(waiting[0].id == id_of(1));
    CHECK(enqueue_one(*relay.relay, envelope_of("alice", "bob", 2, 8, 1002)) ==
          std::vector{enum_result::duplicate});
    const std::pair<std::string, store::message_id> first{"alice", id_of(1)};
    relay->acknowledge("bob", std::span(&first, 1), 1003);
    CHECK(enqueue_one(*relay.relay, envelope_of("alice", "bob", 3), tight) ==
          std::vector{enum_result::queued});
}
