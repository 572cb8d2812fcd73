#include "crypto/group.h"

#include "tests/crypto/test_support.h"

#include <catch2/catch.hpp>

#include <map>

using namespace sotto::crypto;
using namespace sotto::crypto::testing;
// Spelled in full below: glibc's <unistd.h> declares a function ::group_member.

namespace {

struct people {
    seeded_random random{7};
    std::map<std::string, identity_key_pair> keys;

    people() {
        for (const char* name : {"alice", "bob", "carol", "dave", "eve", "mallory"}) {
            keys.emplace(name, identity_key_pair::generate(random));
        }
    }
    const identity_key_pair& key(const std::string& name) const { return keys.at(name); }
    const identity_public_key& pub(const std::string& name) const {
        return keys.at(name).public_key();
    }
    sotto::crypto::group_member member(const std::string& name, bool admin = false) const {
        return {name, pub(name), admin};
    }
};

group_id test_group() {
    group_id id;
    id.bytes.fill(0x42);
    return id;
}

group_state initial(const people& p) {
    group_state state;
    state.id = test_group();
    state.version = 1;
    state.name = "friends";
    state.members = {p.member("alice", true), p.member("bob"), p.member("carol")};
    return state;
}

group_change create_change(const people& p) {
    return make_group_change(group_change_kind::create, p.key("alice"), "alice", {"bob", "carol"},
                             1000, initial(p));
}

// `current` with the next version and `edit` applied.
template <typename Edit>
group_state next_of(const group_state& current, Edit edit) {
    group_state next = current;
    ++next.version;
    edit(next);
    return next;
}

std::optional<group_change_error>
error_of(const std::variant<group_state, group_change_error>& result) {
    if (const auto* error = std::get_if<group_change_error>(&result)) {
        return *error;
    }
    return std::nullopt;
}

group_state state_of(const std::variant<group_state, group_change_error>& result) {
    REQUIRE(std::holds_alternative<group_state>(result));
    return std::get<group_state>(result);
}

// Applies `change` after a round trip through its encoding, as a receiver does.
std::variant<group_state, group_change_error> receive(const std::optional<group_state>& current,
                                                      const group_change& change,
                                                      const identity_public_key& author) {
    const auto parsed = group_change::deserialize(change.serialize());
    REQUIRE(parsed);
    CHECK(parsed->serialize() == change.serialize());
    return apply_group_change(current, *parsed, author);
}

void erase_member(group_state& state, const std::string& name) {
    std::erase_if(state.members,
                  [&](const sotto::crypto::group_member& m) { return m.username == name; });
}

} // namespace

TEST_CASE("a chain of create, add, rename, remove and leave applies change by change",
          "[crypto][group]") {
    const people p;
    const auto created = receive(std::nullopt, create_change(p), p.pub("alice"));
    const group_state v1 = state_of(created);
    CHECK(v1 == initial(p));
    CHECK(v1.is_admin("alice"));
    CHECK_FALSE(v1.is_admin("bob"));
    REQUIRE(v1.find("carol") != nullptr);
    CHECK(v1.find("carol")->identity == p.pub("carol"));
    CHECK(v1.find("zed") == nullptr);

    const auto add = make_group_change(
        group_change_kind::add, p.key("alice"), "alice", {"dave"}, 2000,
        next_of(v1, [&](group_state& s) { s.members.push_back(p.member("dave")); }));
    const group_state v2 = state_of(receive(v1, add, p.pub("alice")));
    CHECK(v2.version == 2);
    CHECK(v2.members.size() == 4);
    CHECK(v2.members[3].username == "dave"); // make_group_change sorted them

    const auto rename =
        make_group_change(group_change_kind::rename, p.key("alice"), "alice", {}, 3000,
                          next_of(v2, [](group_state& s) { s.name = "pals"; }));
    const group_state v3 = state_of(receive(v2, rename, p.pub("alice")));
    CHECK(v3.name == "pals");

    const auto remove =
        make_group_change(group_change_kind::remove, p.key("alice"), "alice", {"carol"}, 4000,
                          next_of(v3, [](group_state& s) { erase_member(s, "carol"); }));
    const group_state v4 = state_of(receive(v3, remove, p.pub("alice")));
    CHECK(v4.find("carol") == nullptr);

    const auto leave =
        make_group_change(group_change_kind::leave, p.key("bob"), "bob", {"bob"}, 5000,
                          next_of(v4, [](group_state& s) { erase_member(s, "bob"); }));
    const group_state v5 = state_of(receive(v4, leave, p.pub("bob")));
    CHECK(v5.version == 5);
    CHECK(v5.members ==
          std::vector<sotto::crypto::group_member>{p.member("alice", true), p.member("dave")});
    CHECK(to_string(group_change_kind::leave) == "leave");
}

TEST_CASE("an admin may add another admin, who may then change the group", "[crypto][group]") {
    const people p;
    const group_state v1 = initial(p);
    const auto add = make_group_change(
        group_change_kind::add, p.key("alice"), "alice", {"dave"}, 2000,
        next_of(v1, [&](group_state& s) { s.members.push_back(p.member("dave", true)); }));
    const group_state v2 = state_of(apply_group_change(v1, add, p.pub("alice")));
    CHECK(v2.is_admin("dave"));
    const auto remove =
        make_group_change(group_change_kind::remove, p.key("dave"), "dave", {"alice"}, 3000,
                          next_of(v2, [](group_state& s) { erase_member(s, "alice"); }));
    CHECK(state_of(apply_group_change(v2, remove, p.pub("dave"))).find("alice") == nullptr);
}

TEST_CASE("a change by a member who is not an admin is not authorized", "[crypto][group]") {
    const people p;
    const group_state v1 = initial(p);
    const auto add = make_group_change(
        group_change_kind::add, p.key("bob"), "bob", {"eve"}, 2000,
        next_of(v1, [&](group_state& s) { s.members.push_back(p.member("eve")); }));
    CHECK(error_of(apply_group_change(v1, add, p.pub("bob"))) ==
          group_change_error::not_authorized);
    const auto by_outsider =
        make_group_change(group_change_kind::rename, p.key("eve"), "eve", {}, 2000,
                          next_of(v1, [](group_state& s) { s.name = "eve's"; }));
    CHECK(error_of(apply_group_change(v1, by_outsider, p.pub("eve"))) ==
          group_change_error::not_authorized);
    // Leaving on someone else's behalf, or as a non-member.
    const auto leave_for_carol =
        make_group_change(group_change_kind::leave, p.key("bob"), "bob", {"carol"}, 2000,
                          next_of(v1, [](group_state& s) { erase_member(s, "carol"); }));
    CHECK(error_of(apply_group_change(v1, leave_for_carol, p.pub("bob"))) ==
          group_change_error::not_authorized);
    const auto leave_as_outsider =
        make_group_change(group_change_kind::leave, p.key("eve"), "eve", {"eve"}, 2000,
                          next_of(v1, [](group_state&) {}));
    CHECK(error_of(apply_group_change(v1, leave_as_outsider, p.pub("eve"))) ==
          group_change_error::not_authorized);
    CHECK(to_string(group_change_error::not_authorized) == "not authorized");
}

TEST_CASE("a change with any field tampered after signing has a bad signature", "[crypto][group]") {
    const people p;
    const group_state v1 = initial(p);
    const auto add = make_group_change(
        group_change_kind::add, p.key("alice"), "alice", {"dave"}, 2000,
        next_of(v1, [&](group_state& s) { s.members.push_back(p.member("dave")); }));
    REQUIRE(state_of(apply_group_change(v1, add, p.pub("alice"))).version == 2);

    SECTION("the added member's key swapped for mallory's (the relay wants to listen in)") {
        auto tampered = add;
        tampered.result.members[3].identity = p.pub("mallory");
        CHECK(error_of(apply_group_change(v1, tampered, p.pub("alice"))) ==
              group_change_error::bad_signature);
    }
    SECTION("the timestamp") {
        auto tampered = add;
        ++tampered.timestamp_ms;
        CHECK(error_of(apply_group_change(v1, tampered, p.pub("alice"))) ==
              group_change_error::bad_signature);
    }
    SECTION("every bit of the encoding") {
        const auto bytes = add.serialize();
        for (std::size_t bit = 0; bit < bytes.size() * 8; ++bit) {
            auto flipped = bytes;
            flipped[bit / 8] ^= static_cast<byte>(1U << (bit % 8));
            const auto parsed = group_change::deserialize(flipped);
            if (parsed) {
                const auto result = apply_group_change(v1, *parsed, p.pub("alice"));
                REQUIRE(error_of(result).has_value());
            }
        }
    }
}

TEST_CASE("a change signed by another key than the author's pinned one is refused",
          "[crypto][group]") {
    const people p;
    const group_state v1 = initial(p);
    const auto next =
        next_of(v1, [&](group_state& s) { s.members.push_back(p.member("mallory")); });
    SECTION("the relay signs in alice's name with its own key") {
        const auto forged = make_group_change(group_change_kind::add, p.key("mallory"), "alice",
                                              {"mallory"}, 2000, next);
        CHECK(error_of(apply_group_change(v1, forged, p.pub("alice"))) ==
              group_change_error::bad_signature);
        // ... and claims it came over mallory's session.
        CHECK(error_of(apply_group_change(v1, forged, p.pub("mallory"))) ==
              group_change_error::bad_signature);
    }
    SECTION("a genuine change arriving over another member's session") {
        const auto genuine = make_group_change(group_change_kind::add, p.key("alice"), "alice",
                                               {"mallory"}, 2000, next);
        CHECK(error_of(apply_group_change(v1, genuine, p.pub("bob"))) ==
              group_change_error::bad_signature);
    }
    SECTION("a welcome whose author key is not the pinned one") {
        const auto genuine = make_group_change(group_change_kind::add, p.key("alice"), "alice",
                                               {"mallory"}, 2000, next);
        CHECK(error_of(apply_group_change(std::nullopt, genuine, p.pub("bob"))) ==
              group_change_error::bad_signature);
    }
}

TEST_CASE("a replayed old change is stale and a skipped version is a gap", "[crypto][group]") {
    const people p;
    const group_state v1 = initial(p);
    const auto rename2 =
        make_group_change(group_change_kind::rename, p.key("alice"), "alice", {}, 2000,
                          next_of(v1, [](group_state& s) { s.name = "two"; }));
    const group_state v2 = state_of(apply_group_change(v1, rename2, p.pub("alice")));
    CHECK(error_of(apply_group_change(v2, rename2, p.pub("alice"))) == group_change_error::stale);
    CHECK(error_of(apply_group_change(v2, create_change(p), p.pub("alice"))) ==
          group_change_error::stale);
    const auto rename3 =
        make_group_change(group_change_kind::rename, p.key("alice"), "alice", {}, 3000,
                          next_of(v2, [](group_state& s) { s.name = "three"; }));
    CHECK(error_of(apply_group_change(v1, rename3, p.pub("alice"))) == group_change_error::gap);
    CHECK(state_of(apply_group_change(v2, rename3, p.pub("alice"))).name == "three");
}

TEST_CASE("a change of another group is refused as wrong_group", "[crypto][group]") {
    const people p;
    const group_state v1 = initial(p);
    auto other = next_of(v1, [](group_state& s) { s.name = "other"; });
    other.id.bytes[0] ^= 1;
    const auto change =
        make_group_change(group_change_kind::rename, p.key("alice"), "alice", {}, 2000, other);
    CHECK(error_of(apply_group_change(v1, change, p.pub("alice"))) ==
          group_change_error::wrong_group);
    // Only a create or a welcome can be applied without a state.
    CHECK(error_of(apply_group_change(std::nullopt, change, p.pub("alice"))) ==
          group_change_error::wrong_group);
}

TEST_CASE("a signed change whose result does not follow from its kind is inconsistent",
          "[crypto][group]") {
    const people p;
    const group_state v1 = initial(p);
    const auto refused = [&](group_change_kind kind, std::vector<std::string> subjects,
                             const group_state& next, const std::string& author = "alice") {
        const auto change =
            make_group_change(kind, p.key(author), author, std::move(subjects), 2000, next);
        return error_of(apply_group_change(v1, change, p.pub(author)));
    };
    const auto inconsistent = std::optional(group_change_error::inconsistent);
    // add
    CHECK(refused(group_change_kind::add, {"dave"}, next_of(v1, [&](group_state& s) {
                      s.members.push_back(p.member("dave"));
                      s.name = "renamed too";
                  })) == inconsistent);
    CHECK(refused(group_change_kind::add, {"dave"}, next_of(v1, [&](group_state& s) {
                      s.members.push_back(p.member("dave"));
                      s.members[1].identity = p.pub("mallory"); // bob's key replaced
                  })) == inconsistent);
    CHECK(refused(group_change_kind::add, {"dave"}, next_of(v1, [&](group_state& s) {
                      s.members.push_back(p.member("dave"));
                      s.members.push_back(p.member("eve")); // not listed as added
                  })) == inconsistent);
    CHECK(refused(group_change_kind::add, {"dave"}, next_of(v1, [](group_state&) {})) ==
          inconsistent);
    CHECK(refused(group_change_kind::add, {"bob"}, next_of(v1, [](group_state&) {})) ==
          inconsistent);
    CHECK(refused(group_change_kind::add, {}, next_of(v1, [](group_state&) {})) == inconsistent);
    CHECK(refused(group_change_kind::add, {"dave"}, next_of(v1, [&](group_state& s) {
                      s.members.push_back(p.member("dave"));
                      s.members[1].admin = true; // bob promoted on the side
                  })) == inconsistent);
    // remove
    CHECK(refused(group_change_kind::remove, {"carol"}, next_of(v1, [](group_state&) {})) ==
          inconsistent);
    CHECK(refused(group_change_kind::remove, {"carol"}, next_of(v1, [](group_state& s) {
                      erase_member(s, "carol");
                      erase_member(s, "bob");
                  })) == inconsistent);
    CHECK(refused(group_change_kind::remove, {"alice"},
                  next_of(v1, [](group_state& s) { erase_member(s, "alice"); })) == inconsistent);
    CHECK(refused(group_change_kind::remove, {"eve"}, next_of(v1, [](group_state&) {})) ==
          inconsistent);
    CHECK(refused(group_change_kind::remove, {}, next_of(v1, [](group_state&) {})) == inconsistent);
    // leave: the member leaving must be absent from the result
    CHECK(refused(group_change_kind::leave, {"bob"}, next_of(v1, [](group_state&) {}), "bob") ==
          inconsistent);
    CHECK(refused(group_change_kind::leave, {"bob"},
                  next_of(v1,
                          [](group_state& s) {
                              erase_member(s, "bob");
                              s.name = "bob's parting gift";
                          }),
                  "bob") == inconsistent);
    // rename
    CHECK(refused(group_change_kind::rename, {}, next_of(v1, [](group_state& s) {
                      s.name = "x";
                      erase_member(s, "carol");
                  })) == inconsistent);
    CHECK(refused(group_change_kind::rename, {"bob"},
                  next_of(v1, [](group_state& s) { s.name = "x"; })) == inconsistent);
    // create on a group that exists
    CHECK(refused(group_change_kind::create, {"bob", "carol"}, next_of(v1, [](group_state&) {})) ==
          inconsistent);
}

TEST_CASE("a create is accepted only with version 1 and its author as the only admin",
          "[crypto][group]") {
    const people p;
    const auto create = [&](const group_state& state, std::vector<std::string> subjects,
                            const std::string& author = "alice") {
        return apply_group_change(std::nullopt,
                                  make_group_change(group_change_kind::create, p.key(author),
                                                    author, std::move(subjects), 1000, state),
                                  p.pub(author));
    };
    CHECK(state_of(create(initial(p), {"bob", "carol"})) == initial(p));
    auto two_admins = initial(p);
    two_admins.members[1].admin = true;
    CHECK(error_of(create(two_admins, {"bob", "carol"})) == group_change_error::inconsistent);
    auto version_two = initial(p);
    version_two.version = 2;
    CHECK(error_of(create(version_two, {"bob", "carol"})) == group_change_error::inconsistent);
    CHECK(error_of(create(initial(p), {"bob"})) == group_change_error::inconsistent);
    CHECK(error_of(create(initial(p), {"bob", "dave"})) == group_change_error::inconsistent);
    CHECK(error_of(create(initial(p), {"alice", "carol"}, "bob")) ==
          group_change_error::not_authorized);
    CHECK(error_of(create(initial(p), {"bob", "carol"}, "dave")) ==
          group_change_error::not_authorized);
}

TEST_CASE("a member added late is welcomed by the add that lists it", "[crypto][group]") {
    const people p;
    group_state state = initial(p);
    for (const char* name : {"b2", "b3"}) {
        const auto rename =
            make_group_change(group_change_kind::rename, p.key("alice"), "alice", {}, 0,
                              next_of(state, [&](group_state& s) { s.name = name; }));
        state = state_of(apply_group_change(state, rename, p.pub("alice")));
    }
    const auto welcome = make_group_change(
        group_change_kind::add, p.key("alice"), "alice", {"dave"}, 4000,
        next_of(state, [&](group_state& s) { s.members.push_back(p.member("dave")); }));
    // dave knows nothing of the group yet; he pinned alice's key for their pairwise session.
    const group_state seen_by_dave = state_of(receive(std::nullopt, welcome, p.pub("alice")));
    CHECK(seen_by_dave.version == 4);
    CHECK(seen_by_dave.name == "b3");
    CHECK(seen_by_dave.find("dave") != nullptr);
    // The existing members apply the same change normally and agree with dave.
    CHECK(state_of(apply_group_change(state, welcome, p.pub("alice"))) == seen_by_dave);

    SECTION("a welcome by a non-admin is not authorized") {
        const auto by_bob = make_group_change(
            group_change_kind::add, p.key("bob"), "bob", {"dave"}, 4000,
            next_of(state, [&](group_state& s) { s.members.push_back(p.member("dave")); }));
        CHECK(error_of(apply_group_change(std::nullopt, by_bob, p.pub("bob"))) ==
              group_change_error::not_authorized);
    }
    SECTION("a welcome not listing its subjects in the result is inconsistent") {
        const auto missing = make_group_change(group_change_kind::add, p.key("alice"), "alice",
                                               {"dave"}, 4000, next_of(state, [](group_state&) {}));
        CHECK(error_of(apply_group_change(std::nullopt, missing, p.pub("alice"))) ==
              group_change_error::inconsistent);
    }
}

TEST_CASE("malformed changes are refused by deserialize and by apply", "[crypto][group]") {
    const people p;
    const group_state v1 = initial(p);
    const auto add = make_group_change(
        group_change_kind::add, p.key("alice"), "alice", {"dave"}, 2000,
        next_of(v1, [&](group_state& s) { s.members.push_back(p.member("dave")); }));
    const auto bytes = add.serialize();

    SECTION("every truncation and a trailing byte") {
        for (std::size_t size = 0; size < bytes.size(); ++size) {
            CHECK_FALSE(group_change::deserialize(bytes_view(bytes).first(size)));
        }
        auto longer = bytes;
        longer.push_back(0);
        CHECK_FALSE(group_change::deserialize(longer));
    }
    SECTION("an unknown version or kind") {
        auto copy = bytes;
        copy[0] = 2;
        CHECK_FALSE(group_change::deserialize(copy));
        copy = bytes;
        copy[1] = 5;
        CHECK_FALSE(group_change::deserialize(copy));
    }
    SECTION("over the limits") {
        auto big = add;
        big.result.members.clear();
        for (std::size_t i = 0; i <= max_group_members; ++i) {
            big.result.members.push_back({"m" + std::to_string(1000 + i), p.pub("bob"), false});
        }
        CHECK_FALSE(group_change::deserialize(big.serialize()));
        CHECK(error_of(apply_group_change(v1, big, p.pub("alice"))) ==
              group_change_error::malformed);
        big.result.members.resize(max_group_members);
        CHECK(group_change::deserialize(big.serialize()));

        auto long_name = add;
        long_name.result.name = std::string(max_group_name_bytes + 1, 'n');
        CHECK_FALSE(group_change::deserialize(long_name.serialize()));
        long_name.result.name.pop_back();
        CHECK(group_change::deserialize(long_name.serialize()));

        auto long_user = add;
        long_user.author = std::string(max_username_size + 1, 'u');
        CHECK_FALSE(group_change::deserialize(long_user.serialize()));
    }
    SECTION("unsorted, duplicate or empty usernames, unknown flags, version 0") {
        auto unsorted = add;
        std::swap(unsorted.result.members[0], unsorted.result.members[1]);
        CHECK_FALSE(group_change::deserialize(unsorted.serialize()));
        CHECK(error_of(apply_group_change(v1, unsorted, p.pub("alice"))) ==
              group_change_error::malformed);

        auto duplicate = add;
        duplicate.result.members[1] = duplicate.result.members[0];
        CHECK_FALSE(group_change::deserialize(duplicate.serialize()));
        CHECK(error_of(apply_group_change(v1, duplicate, p.pub("alice"))) ==
              group_change_error::malformed);

        auto duplicate_subject = add;
        duplicate_subject.subjects = {"dave", "dave"};
        CHECK_FALSE(group_change::deserialize(duplicate_subject.serialize()));
        CHECK(error_of(apply_group_change(v1, duplicate_subject, p.pub("alice"))) ==
              group_change_error::malformed);

        auto empty_author = add;
        empty_author.author.clear();
        CHECK_FALSE(group_change::deserialize(empty_author.serialize()));

        auto version_zero = add;
        version_zero.result.version = 0;
        CHECK_FALSE(group_change::deserialize(version_zero.serialize()));

        // The last member's flags byte sits just before the signature.
        auto flags = bytes;
        flags[flags.size() - signature_size - 1] = 2;
        CHECK_FALSE(group_change::deserialize(flags));
    }
    SECTION("random garbage never crashes") {
        seeded_random garbage(5);
        for (int i = 0; i < 2000; ++i) {
            std::vector<byte> noise(garbage.uniform(300));
            garbage.fill(noise);
            if (!noise.empty()) {
                noise[0] = 1;
            }
            if (const auto parsed = group_change::deserialize(noise)) {
                CHECK(error_of(apply_group_change(v1, *parsed, p.pub("alice"))).has_value());
            }
            static_cast<void>(deserialize_group_state(noise));
        }
    }
}

TEST_CASE("a group state survives serialization and garbage states are refused",
          "[crypto][group]") {
    const people p;
    const group_state v1 = initial(p);
    const auto bytes = serialize(v1);
    const auto loaded = deserialize_group_state(bytes);
    REQUIRE(loaded);
    CHECK(*loaded == v1);
    for (std::size_t size = 0; size < bytes.size(); ++size) {
        CHECK_FALSE(deserialize_group_state(bytes_view(bytes).first(size)));
    }
    auto longer = bytes;
    longer.push_back(0);
    CHECK_FALSE(deserialize_group_state(longer));
    auto other_version = bytes;
    other_version[0] = 9;
    CHECK_FALSE(deserialize_group_state(other_version));
    auto unsorted = v1;
    std::swap(unsorted.members[1], unsorted.members[2]);
    CHECK_FALSE(deserialize_group_state(serialize(unsorted)));
    group_state empty = v1;
    empty.members.clear();
    CHECK(deserialize_group_state(serialize(empty)) == empty);
}

TEST_CASE("after the last admin leaves nobody can change the membership but members can leave",
          "[crypto][group]") {
    const people p;
    const group_state v1 = initial(p);
    const auto alice_leaves =
        make_group_change(group_change_kind::leave, p.key("alice"), "alice", {"alice"}, 2000,
                          next_of(v1, [](group_state& s) { erase_member(s, "alice"); }));
    const group_state v2 = state_of(apply_group_change(v1, alice_leaves, p.pub("alice")));
    CHECK(v2.members.size() == 2);
    const auto bob_renames =
        make_group_change(group_change_kind::rename, p.key("bob"), "bob", {}, 3000,
                          next_of(v2, [](group_state& s) { s.name = "b"; }));
    CHECK(error_of(apply_group_change(v2, bob_renames, p.pub("bob"))) ==
          group_change_error::not_authorized);
    const auto carol_leaves =
        make_group_change(group_change_kind::leave, p.key("carol"), "carol", {"carol"}, 3000,
                          next_of(v2, [](group_state& s) { erase_member(s, "carol"); }));
    CHECK(state_of(apply_group_change(v2, carol_leaves, p.pub("carol"))).members ==
          std::vector<sotto::crypto::group_member>{p.member("bob")});
}
