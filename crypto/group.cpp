#include "crypto/group.h"

#include "crypto/codec.h"
#include "crypto/handshake.h"

#include <algorithm>

namespace sotto::crypto {

namespace {

constexpr byte change_version = 1;
constexpr byte state_version = 1;
constexpr std::string_view change_label = "sotto/v1/group change";
constexpr std::uint8_t admin_flag = 1;
constexpr std::size_t max_string_bytes = std::max(max_username_size, max_group_name_bytes);

bool valid_username(std::string_view name) {
    return !name.empty() && name.size() <= max_username_size;
}

// Strictly ascending valid usernames: sorted and unique, as the encoding requires.
template <typename Range, typename Name>
bool strictly_sorted_names(const Range& range, Name name) {
    for (std::size_t i = 0; i < range.size(); ++i) {
        if (!valid_username(name(range[i])) || (i > 0 && !(name(range[i - 1]) < name(range[i])))) {
            return false;
        }
    }
    return true;
}

bool valid_state(const group_state& state) {
    return state.version >= 1 && state.name.size() <= max_group_name_bytes &&
           state.members.size() <= max_group_members &&
           strictly_sorted_names(
               state.members, [](const group_member& m) -> std::string_view { return m.username; });
}

bool valid_subjects(const std::vector<std::string>& subjects) {
    return subjects.size() <= max_group_members &&
           strictly_sorted_names(subjects,
                                 [](const std::string& s) -> std::string_view { return s; });
}

void write_string(byte_writer& writer, std::string_view text) {
    writer.u16(static_cast<std::uint16_t>(text.size()));
    writer.text(text);
}

std::string read_string(byte_reader& reader) {
    const std::uint16_t size = reader.u16();
    if (size > max_string_bytes) {
        static_cast<void>(reader.raw(reader.remaining() + 1)); // marks the reader failed
        return {};
    }
    const bytes_view raw = reader.raw(size);
    return {raw.begin(), raw.end()};
}

void write_state(byte_writer& writer, const group_state& state) {
    writer.raw(state.id.view());
    writer.u64(state.version);
    write_string(writer, state.name);
    writer.u16(static_cast<std::uint16_t>(state.members.size()));
    for (const auto& member : state.members) {
        write_string(writer, member.username);
        writer.raw(member.identity.view());
        writer.u8(member.admin ? admin_flag : 0);
    }
}

std::optional<group_state> read_state(byte_reader& reader) {
    group_state state;
    state.id = reader.fixed<group_id>();
    state.version = reader.u64();
    state.name = read_string(reader);
    const std::uint16_t count = reader.u16();
    if (!reader.ok() || count > max_group_members) {
        return std::nullopt;
    }
    state.members.reserve(count);
    for (std::uint16_t i = 0; i < count && reader.ok(); ++i) {
        group_member member;
        member.username = read_string(reader);
        member.identity = reader.fixed<identity_public_key>();
        const std::uint8_t flags = reader.u8();
        if (flags > admin_flag) {
            return std::nullopt;
        }
        member.admin = flags == admin_flag;
        state.members.push_back(std::move(member));
    }
    if (!reader.ok() || !valid_state(state)) {
        return std::nullopt;
    }
    return state;
}

// The encoding of everything but the signature (PROTOCOL.md 2.9).
std::vector<byte> change_body(const group_change& change) {
    std::vector<byte> out;
    byte_writer writer(out);
    writer.u8(change_version);
    writer.u8(static_cast<std::uint8_t>(change.kind));
    write_string(writer, change.author);
    writer.u16(static_cast<std::uint16_t>(change.subjects.size()));
    for (const auto& subject : change.subjects) {
        write_string(writer, subject);
    }
    writer.u64(static_cast<std::uint64_t>(change.timestamp_ms));
    write_state(writer, change.result);
    return out;
}

// `members` without the usernames in `removed` (both sorted).
std::vector<group_member> without(const std::vector<group_member>& members,
                                  const std::vector<std::string>& removed) {
    std::vector<group_member> out;
    for (const auto& member : members) {
        if (!std::binary_search(removed.begin(), removed.end(), member.username)) {
            out.push_back(member);
        }
    }
    return out;
}

bool same_except_members(const group_state& a, const group_state& b) {
    return a.id == b.id && a.name == b.name;
}

// The checks shared by every kind once the author is known to be allowed: the author's key in
// the state it is judged by is the pinned one, and the signature verifies under it.
std::optional<group_change_error> check_signature(const group_member& author,
                                                  const group_change& change,
                                                  const identity_public_key& author_identity) {
    if (author.identity != author_identity ||
        !verify(author_identity, change.signed_bytes(), change.sig)) {
        return group_change_error::bad_signature;
    }
    return std::nullopt;
}

std::variant<group_state, group_change_error>
apply_without_state(const group_change& change, const identity_public_key& author_identity) {
    const group_state& result = change.result;
    if (change.kind != group_change_kind::create && change.kind != group_change_kind::add) {
        return group_change_error::wrong_group; // a group this receiver does not know
    }
    const group_member* author = result.find(change.author);
    if (author == nullptr || !author->admin) {
        return group_change_error::not_authorized;
    }
    if (const auto error = check_signature(*author, change, author_identity)) {
        return *error;
    }
    if (change.kind == group_change_kind::create) {
        if (result.version != 1 || result.members.size() != change.subjects.size() + 1) {
            return group_change_error::inconsistent;
        }
        for (const auto& member : result.members) {
            const bool is_author = member.username == change.author;
            if (member.admin != is_author ||
                (!is_author && !std::binary_search(change.subjects.begin(), change.subjects.end(),
                                                   member.username))) {
                return group_change_error::inconsistent;
            }
        }
        return result;
    }
    // A welcome: an add seen by a member that did not know the group.
    if (result.version < 2 || change.subjects.empty()) {
        return group_change_error::inconsistent;
    }
    for (const auto& subject : change.subjects) {
        if (result.find(subject) == nullptr) {
            return group_change_error::inconsistent;
        }
    }
    return result;
}

} // namespace

std::string_view to_string(group_change_kind kind) noexcept {
    switch (kind) {
    case group_change_kind::create:
        return "create";
    case group_change_kind::add:
        return "add";
    case group_change_kind::remove:
        return "remove";
    case group_change_kind::leave:
        return "leave";
    case group_change_kind::rename:
        return "rename";
    }
    return "unknown";
}

std::string_view to_string(group_change_error error) noexcept {
    switch (error) {
    case group_change_error::malformed:
        return "malformed";
    case group_change_error::wrong_group:
        return "wrong group";
    case group_change_error::stale:
        return "stale";
    case group_change_error::gap:
        return "an earlier change is missing";
    case group_change_error::not_authorized:
        return "not authorized";
    case group_change_error::bad_signature:
        return "bad signature";
    case group_change_error::inconsistent:
        return "inconsistent";
    }
    return "unknown";
}

const group_member* group_state::find(std::string_view username) const noexcept {
    const auto it = std::lower_bound(members.begin(), members.end(), username,
                                     [](const group_member& member, std::string_view wanted) {
                                         return member.username < wanted;
                                     });
    if (it == members.end() || it->username != username) {
        return nullptr;
    }
    return &*it;
}

bool group_state::is_admin(std::string_view username) const noexcept {
    const group_member* member = find(username);
    return member != nullptr && member->admin;
}

std::vector<byte> group_change::signed_bytes() const {
    std::vector<byte> out;
    byte_writer writer(out);
    writer.text(change_label);
    writer.raw(change_body(*this));
    return out;
}

std::vector<byte> group_change::serialize() const {
    auto out = change_body(*this);
    byte_writer writer(out);
    writer.raw(sig.view());
    return out;
}

std::optional<group_change> group_change::deserialize(bytes_view bytes) {
    byte_reader reader(bytes);
    if (reader.u8() != change_version) {
        return std::nullopt;
    }
    group_change change;
    const std::uint8_t kind = reader.u8();
    if (kind > static_cast<std::uint8_t>(group_change_kind::rename)) {
        return std::nullopt;
    }
    change.kind = static_cast<group_change_kind>(kind);
    change.author = read_string(reader);
    const std::uint16_t subjects = reader.u16();
    if (!reader.ok() || subjects > max_group_members) {
        return std::nullopt;
    }
    for (std::uint16_t i = 0; i < subjects && reader.ok(); ++i) {
        change.subjects.push_back(read_string(reader));
    }
    change.timestamp_ms = static_cast<std::int64_t>(reader.u64());
    auto result = read_state(reader);
    if (!result) {
        return std::nullopt;
    }
    change.result = std::move(*result);
    change.sig = reader.fixed<signature>();
    if (!reader.done() || !valid_username(change.author) || !valid_subjects(change.subjects)) {
        return std::nullopt;
    }
    return change;
}

group_change make_group_change(group_change_kind kind, const identity_key_pair& author_key,
                               std::string author, std::vector<std::string> subjects,
                               std::int64_t timestamp_ms, group_state next) {
    std::sort(subjects.begin(), subjects.end());
    subjects.erase(std::unique(subjects.begin(), subjects.end()), subjects.end());
    std::sort(next.members.begin(), next.members.end(),
              [](const group_member& a, const group_member& b) { return a.username < b.username; });
    group_change change{kind,         std::move(author), std::move(subjects),
                        timestamp_ms, std::move(next),   {}};
    change.sig = author_key.sign(change.signed_bytes());
    return change;
}

std::variant<group_state, group_change_error>
apply_group_change(const std::optional<group_state>& current, const group_change& change,
                   const identity_public_key& author_identity) {
    const group_state& result = change.result;
    if (!valid_state(result) || !valid_subjects(change.subjects) ||
        !valid_username(change.author) || change.kind > group_change_kind::rename) {
        return group_change_error::malformed;
    }
    if (!current) {
        return apply_without_state(change, author_identity);
    }
    if (result.id != current->id) {
        return group_change_error::wrong_group;
    }
    if (result.version <= current->version) {
        return group_change_error::stale;
    }
    if (result.version - current->version > 1) {
        return group_change_error::gap;
    }
    const group_member* author = current->find(change.author);
    if (change.kind == group_change_kind::leave) {
        if (author == nullptr || change.subjects.size() != 1 ||
            change.subjects.front() != change.author) {
            return group_change_error::not_authorized;
        }
    } else if (author == nullptr || !author->admin) {
        return group_change_error::not_authorized;
    }
    if (const auto error = check_signature(*author, change, author_identity)) {
        return *error;
    }
    if (!same_except_members(*current, result) && change.kind != group_change_kind::rename) {
        return group_change_error::inconsistent;
    }
    const auto& subjects = change.subjects;
    switch (change.kind) {
    case group_change_kind::create:
        return group_change_error::inconsistent; // the group exists already
    case group_change_kind::add: {
        if (subjects.empty()) {
            return group_change_error::inconsistent;
        }
        std::vector<group_member> expected = current->members;
        for (const auto& subject : subjects) {
            const group_member* added = result.find(subject);
            if (added == nullptr || current->find(subject) != nullptr) {
                return group_change_error::inconsistent;
            }
            expected.push_back(*added);
        }
        std::sort(
            expected.begin(), expected.end(),
            [](const group_member& a, const group_member& b) { return a.username < b.username; });
        if (expected != result.members) {
            return group_change_error::inconsistent;
        }
        return result;
    }
    case group_change_kind::remove:
    case group_change_kind::leave: {
        if (subjects.empty()) {
            return group_change_error::inconsistent;
        }
        const bool removes_author =
            std::binary_search(subjects.begin(), subjects.end(), change.author);
        if (change.kind == group_change_kind::remove && removes_author) {
            return group_change_error::inconsistent; // an admin leaves with `leave`
        }
        for (const auto& subject : subjects) {
            if (current->find(subject) == nullptr) {
                return group_change_error::inconsistent;
            }
        }
        if (without(current->members, subjects) != result.members) {
            return group_change_error::inconsistent;
        }
        return result;
    }
    case group_change_kind::rename:
        if (!subjects.empty() || result.members != current->members) {
            return group_change_error::inconsistent;
        }
        return result;
    }
    return group_change_error::malformed;
}

std::vector<byte> serialize(const group_state& state) {
    std::vector<byte> out;
    byte_writer writer(out);
    writer.u8(state_version);
    write_state(writer, state);
    return out;
}

std::optional<group_state> deserialize_group_state(bytes_view bytes) {
    byte_reader reader(bytes);
    if (reader.u8() != state_version) {
        return std::nullopt;
    }
    auto state = read_state(reader);
    if (!state || !reader.done()) {
        return std::nullopt;
    }
    return state;
}

} // namespace sotto::crypto
