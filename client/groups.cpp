#include "client/groups.h"

#include "crypto/identity.h"
#include "crypto/padding.h"

#include <algorithm>
#include <chrono>

namespace sotto::client {

namespace {

constexpr std::size_t max_group_text_size = 16'000;
constexpr std::size_t max_pending_per_group = 1000;
constexpr std::size_t max_chains_per_member = 16;

crypto::wall_time wall_now() {
    return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::int64_t now_ms() {
    return wall_now().time_since_epoch().count();
}

store::group_key key_of(const crypto::group_id& id) {
    store::group_key out{};
    std::copy(id.bytes.begin(), id.bytes.end(), out.begin());
    return out;
}

std::string hex_of(const crypto::group_id& id) {
    return crypto::to_hex(id.view());
}

std::optional<crypto::group_id> parse_group(std::string_view text) {
    const auto bytes = crypto::from_hex(text);
    crypto::group_id id;
    if (!bytes || !crypto::group_id::from(*bytes, id)) {
        return std::nullopt;
    }
    return id;
}

std::optional<store::message_id> parse_message_id(std::string_view text) {
    const auto bytes = crypto::from_hex(text);
    store::message_id id{};
    if (!bytes || bytes->size() != id.size()) {
        return std::nullopt;
    }
    std::copy(bytes->begin(), bytes->end(), id.begin());
    return id;
}

std::string as_string(crypto::bytes_view bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

crypto::bytes_view view_of(const std::string& text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) {
            out += i + 1 == names.size() ? " and " : ", ";
        }
        out += names[i];
    }
    return out;
}

std::string_view verb(crypto::group_change_kind kind) {
    switch (kind) {
    case crypto::group_change_kind::create:
        return "create the group";
    case crypto::group_change_kind::add:
        return "add members";
    case crypto::group_change_kind::remove:
        return "remove members";
    case crypto::group_change_kind::leave:
        return "leave";
    case crypto::group_change_kind::rename:
        return "rename the group";
    }
    return "change the group";
}

// The machine-readable reason of a refused change (events::group_rejected, docs/BATCH.md).
std::string_view reason_code(crypto::group_change_error error) {
    switch (error) {
    case crypto::group_change_error::malformed:
        return "malformed";
    case crypto::group_change_error::wrong_group:
        return "wrong_group";
    case crypto::group_change_error::stale:
        return "stale";
    case crypto::group_change_error::gap:
        return "gap";
    case crypto::group_change_error::not_authorized:
        return "not_authorized";
    case crypto::group_change_error::bad_signature:
        return "bad_signature";
    case crypto::group_change_error::inconsistent:
        return "inconsistent";
    }
    return "malformed";
}

command_error unknown_group(const std::string& group) {
    return {"unknown_group", "no group '" + group + "'"};
}

void sort_members(crypto::group_state& state) {
    std::sort(state.members.begin(), state.members.end(),
              [](const auto& a, const auto& b) { return a.username < b.username; });
}

store::group_entry event_entry(crypto::random_source& random, const std::string& author,
                               std::string text, std::int64_t sent_at) {
    store::group_entry entry;
    random.fill(entry.id);
    entry.sender = author;
    entry.kind = store::group_entry_kind::event;
    entry.text = std::move(text);
    entry.sent_at = sent_at;
    entry.received_at = now_ms();
    entry.status = store::message_status::delivered;
    return entry;
}

} // namespace

std::string describe(const crypto::group_change& change) {
    const auto& who = change.author;
    switch (change.kind) {
    case crypto::group_change_kind::create:
        return who + " created " + change.result.name + " with " + join(change.subjects);
    case crypto::group_change_kind::add:
        return who + " added " + join(change.subjects);
    case crypto::group_change_kind::remove:
        return who + " removed " + join(change.subjects);
    case crypto::group_change_kind::leave:
        return who + " left";
    case crypto::group_change_kind::rename:
        return who + " renamed the group to " + change.result.name;
    }
    return who + " changed the group";
}

// ---- helpers ---------------------------------------------------------------------------------

bool group_manager::is_member(const crypto::group_state& state) const {
    return state.find(host_.group_username()) != nullptr;
}

std::vector<std::string> group_manager::others(const crypto::group_state& state) const {
    std::vector<std::string> out;
    for (const auto& member : state.members) {
        if (member.username != host_.group_username()) {
            out.push_back(member.username);
        }
    }
    return out;
}

std::optional<group_manager::loaded> group_manager::load(const crypto::group_id& id) {
    auto record = host_.group_store().find_group(key_of(id));
    if (!record) {
        return std::nullopt;
    }
    auto state = crypto::deserialize_group_state(record->state.view());
    if (!state) {
        return std::nullopt;
    }
    return loaded{std::move(*record), std::move(*state)};
}

result<group_manager::loaded> group_manager::load_for_command(const group_id_hex& group) {
    const auto id = parse_group(group);
    if (!id) {
        return command_error{"bad_command", "a group id is 32 hex digits"};
    }
    auto found = load(*id);
    if (!found) {
        return unknown_group(group);
    }
    if (!is_member(found->state) || !found->record.sender) {
        return command_error{"not_member", "you are not a member of '" + found->state.name + "'"};
    }
    return std::move(*found);
}

group_summary group_manager::summary(const crypto::group_state& state, bool member) const {
    group_summary out;
    out.id = hex_of(state.id);
    out.name = state.name;
    out.member = member;
    out.version = state.version;
    for (const auto& m : state.members) {
        out.members.push_back({m.username, m.admin});
    }
    return out;
}

void group_manager::emit_change(const crypto::group_change& change,
                                const crypto::group_state& next) {
    events::group e;
    e.group = hex_of(next.id);
    e.name = next.name;
    e.change = std::string(crypto::to_string(change.kind));
    e.by = change.author;
    e.subjects = change.subjects;
    for (const auto& m : next.members) {
        e.members.push_back(m.username);
    }
    e.member = is_member(next);
    host_.emit_group(std::move(e));
}

void group_manager::send_distribution(const crypto::sender_key_sender& sender,
                                      const std::vector<std::string>& to) {
    if (to.empty()) {
        return;
    }
    const auto distribution = sender.distribution().serialize();
    for (const auto& name : to) {
        e2e::Content content;
        content.set_sender_key(as_string(distribution.view()));
        host_.queue_pairwise(name, std::move(content));
    }
}

// The group state introduces its members: their keys are pinned for the pairwise sessions that
// carry the sender keys (unless a key is pinned already), and a pending message request from a
// member is accepted, since joining the group accepted them.
void group_manager::pin_members(const crypto::group_state& state) {
    auto& db = host_.group_store();
    for (const auto& member : state.members) {
        if (member.username == host_.group_username()) {
            continue;
        }
        const auto contact = db.ensure_contact(member.username);
        if (!contact.pinned_key) {
            db.set_pinned_key(contact.id, member.identity);
        }
        if (contact.request == store::request_state::pending) {
            db.set_request_state(contact.id, store::request_state::none);
        }
    }
}

// ---- changes ---------------------------------------------------------------------------------

result<crypto::group_change>
group_manager::sign_and_send(crypto::group_change_kind kind, const loaded& current,
                             std::vector<std::string> subjects, crypto::group_state next,
                             const std::vector<std::string>& recipients) {
    next.version = current.state.version + 1;
    sort_members(next);
    auto change = crypto::make_group_change(kind, host_.group_identity(), host_.group_username(),
                                            std::move(subjects), now_ms(), std::move(next));
    if (forgery_ == group_forgery::none) {
        const auto checked =
            crypto::apply_group_change(current.state, change, host_.group_identity().public_key());
        if (const auto* error = std::get_if<crypto::group_change_error>(&checked)) {
            return command_error{"bad_command", "the change is not valid: " +
                                                    std::string(crypto::to_string(*error))};
        }
    } else if (forgery_ == group_forgery::bad_signature) {
        change.sig.bytes[0] ^= 0x01;
    }
    const auto bytes = change.serialize();
    for (const auto& name : recipients) {
        e2e::Content content;
        content.set_group_change(as_string(bytes));
        host_.queue_pairwise(name, std::move(content));
    }
    return change;
}

result<group_id_hex> group_manager::create(const std::string& name,
                                           std::vector<crypto::group_member> members) {
    if (name.empty() || name.size() > crypto::max_group_name_bytes) {
        return command_error{"bad_command", "a group name has 1 to 64 bytes"};
    }
    if (members.empty() || members.size() + 1 > crypto::max_group_members) {
        return command_error{"bad_command", "a group has 1 to 255 members besides you"};
    }
    crypto::group_state state;
    host_.group_random().fill(state.id.mutable_view());
    state.version = 1;
    state.name = name;
    std::vector<std::string> subjects;
    for (auto& member : members) {
        member.admin = false;
        subjects.push_back(member.username);
        state.members.push_back(std::move(member));
    }
    state.members.push_back({host_.group_username(), host_.group_identity().public_key(), true});
    sort_members(state);
    std::sort(subjects.begin(), subjects.end());
    auto change =
        crypto::make_group_change(crypto::group_change_kind::create, host_.group_identity(),
                                  host_.group_username(), subjects, now_ms(), state);
    if (forgery_ == group_forgery::bad_signature) {
        change.sig.bytes[0] ^= 0x01;
    } else {
        const auto checked =
            crypto::apply_group_change(std::nullopt, change, host_.group_identity().public_key());
        if (const auto* error = std::get_if<crypto::group_change_error>(&checked)) {
            return command_error{"bad_command", "the group is not valid: " +
                                                    std::string(crypto::to_string(*error))};
        }
    }
    pin_members(state);
    const auto bytes = change.serialize();
    for (const auto& member : subjects) {
        e2e::Content content;
        content.set_group_change(as_string(bytes));
        host_.queue_pairwise(member, std::move(content));
    }
    if (forgery_ == group_forgery::none) {
        apply(nullptr, change, change.result);
    }
    return hex_of(state.id);
}

std::optional<command_error> group_manager::check_invite(const group_id_hex& group,
                                                         const std::vector<std::string>& names) {
    auto current = load_for_command(group);
    if (auto* error = std::get_if<command_error>(&current)) {
        return *error;
    }
    const auto& state = std::get<loaded>(current).state;
    if (forgery_ == group_forgery::none && !state.is_admin(host_.group_username())) {
        return command_error{"not_admin", "only an admin of '" + state.name + "' can add members"};
    }
    if (names.empty()) {
        return command_error{"bad_command", "name at least one member"};
    }
    for (const auto& name : names) {
        if (state.find(name)) {
            return command_error{"bad_command", "'" + name + "' is a member already"};
        }
    }
    if (state.members.size() + names.size() > crypto::max_group_members) {
        return command_error{"bad_command", "a group has at most 256 members"};
    }
    return std::nullopt;
}

result<bool> group_manager::add(const group_id_hex& group,
                                std::vector<crypto::group_member> members) {
    std::vector<std::string> names;
    for (const auto& m : members) {
        names.push_back(m.username);
    }
    if (auto error = check_invite(group, names)) {
        return *error;
    }
    auto current = std::get<loaded>(load_for_command(group));
    auto next = current.state;
    for (auto& member : members) {
        member.admin = false;
        next.members.push_back(std::move(member));
    }
    std::sort(names.begin(), names.end());
    std::vector<std::string> recipients;
    for (const auto& m : next.members) {
        if (m.username != host_.group_username()) {
            recipients.push_back(m.username);
        }
    }
    pin_members(next);
    auto change =
        sign_and_send(crypto::group_change_kind::add, current, names, std::move(next), recipients);
    if (auto* error = std::get_if<command_error>(&change)) {
        return *error;
    }
    if (forgery_ == group_forgery::none) {
        const auto& signed_change = std::get<crypto::group_change>(change);
        apply(&current, signed_change, signed_change.result);
    }
    return true;
}

result<bool> group_manager::remove(const group_id_hex& group,
                                   const std::vector<std::string>& names) {
    auto loaded_group = load_for_command(group);
    if (auto* error = std::get_if<command_error>(&loaded_group)) {
        return *error;
    }
    auto& current = std::get<loaded>(loaded_group);
    if (forgery_ == group_forgery::none && !current.state.is_admin(host_.group_username())) {
        return command_error{"not_admin",
                             "only an admin of '" + current.state.name + "' can remove members"};
    }
    if (names.empty()) {
        return command_error{"bad_command", "name at least one member"};
    }
    auto next = current.state;
    for (const auto& name : names) {
        if (name == host_.group_username()) {
            return command_error{"bad_command", "use group_leave to leave a group"};
        }
        const auto found = std::find_if(next.members.begin(), next.members.end(),
                                        [&](const auto& m) { return m.username == name; });
        if (found == next.members.end()) {
            return command_error{"not_member", "'" + name + "' is not a member"};
        }
        next.members.erase(found);
    }
    auto subjects = names;
    std::sort(subjects.begin(), subjects.end());
    subjects.erase(std::unique(subjects.begin(), subjects.end()), subjects.end());
    // The removed members hear of it too, so their conversation shows it.
    auto change = sign_and_send(crypto::group_change_kind::remove, current, subjects,
                                std::move(next), others(current.state));
    if (auto* error = std::get_if<command_error>(&change)) {
        return *error;
    }
    if (forgery_ == group_forgery::none) {
        const auto& signed_change = std::get<crypto::group_change>(change);
        apply(&current, signed_change, signed_change.result);
    }
    return true;
}

result<bool> group_manager::leave(const group_id_hex& group) {
    auto loaded_group = load_for_command(group);
    if (auto* error = std::get_if<command_error>(&loaded_group)) {
        return *error;
    }
    auto& current = std::get<loaded>(loaded_group);
    auto next = current.state;
    std::erase_if(next.members,
                  [&](const auto& m) { return m.username == host_.group_username(); });
    auto change = sign_and_send(crypto::group_change_kind::leave, current, {host_.group_username()},
                                std::move(next), others(current.state));
    if (auto* error = std::get_if<command_error>(&change)) {
        return *error;
    }
    if (forgery_ == group_forgery::none) {
        const auto& signed_change = std::get<crypto::group_change>(change);
        apply(&current, signed_change, signed_change.result);
    }
    return true;
}

result<bool> group_manager::rename(const group_id_hex& group, const std::string& name) {
    auto loaded_group = load_for_command(group);
    if (auto* error = std::get_if<command_error>(&loaded_group)) {
        return *error;
    }
    auto& current = std::get<loaded>(loaded_group);
    if (forgery_ == group_forgery::none && !current.state.is_admin(host_.group_username())) {
        return command_error{"not_admin",
                             "only an admin of '" + current.state.name + "' can rename it"};
    }
    if (name.empty() || name.size() > crypto::max_group_name_bytes) {
        return command_error{"bad_command", "a group name has 1 to 64 bytes"};
    }
    auto next = current.state;
    next.name = name;
    auto change = sign_and_send(crypto::group_change_kind::rename, current, {}, std::move(next),
                                others(current.state));
    if (auto* error = std::get_if<command_error>(&change)) {
        return *error;
    }
    if (forgery_ == group_forgery::none) {
        const auto& signed_change = std::get<crypto::group_change>(change);
        apply(&current, signed_change, signed_change.result);
    }
    return true;
}

// After an accepted change (mine or received): store the new state with its history entry,
// then keep the sender keys right. A new member (create, or an add naming me) makes its chain
// and gives it to everyone; on an add the others give their current chains to the new members,
// so those read from now on only; on a remove or a leave every remaining member rotates and
// gives the new chain to the remaining members only.
void group_manager::apply(const loaded* current, const crypto::group_change& change,
                          const crypto::group_state& next) {
    auto& db = host_.group_store();
    const auto key = key_of(next.id);
    const auto entry =
        event_entry(host_.group_random(), change.author, describe(change), change.timestamp_ms);
    const auto state_bytes = crypto::serialize(next);
    const bool was_member = current && is_member(current->state) && current->record.sender;
    if (!is_member(next)) {
        db.save_group(key, state_bytes, crypto::bytes_view{}, entry);
        db.delete_group_chains(key, std::nullopt);
        emit_change(change, next);
        return;
    }
    pin_members(next);
    const auto kind = change.kind;
    if (!was_member || kind == crypto::group_change_kind::remove ||
        kind == crypto::group_change_kind::leave) {
        auto sender = crypto::sender_key_sender::generate(next.id, host_.group_random());
        const auto serialized = sender.serialize();
        db.save_group(key, state_bytes, serialized.view(), entry);
        if (was_member) {
            for (const auto& gone : change.subjects) {
                if (const auto contact = db.find_contact(gone)) {
                    db.delete_group_chains(key, contact->id);
                }
            }
        }
        send_distribution(sender, others(next));
    } else {
        db.save_group(key, state_bytes, std::nullopt, entry);
        if (kind == crypto::group_change_kind::add) {
            auto sender = crypto::sender_key_sender::deserialize(current->record.sender->view());
            if (sender) {
                std::vector<std::string> added;
                for (const auto& name : change.subjects) {
                    if (name != host_.group_username()) {
                        added.push_back(name);
                    }
                }
                send_distribution(*sender, added);
            }
        }
    }
    emit_change(change, next);
    // Messages of members this side did not know as members yet.
    const auto& waiting = was_member ? change.subjects : others(next);
    for (const auto& name : waiting) {
        if (next.find(name)) {
            retry_pending(next.id, name);
        }
    }
}

void group_manager::on_change(const std::string& from, const crypto::identity_public_key& from_key,
                              const std::string& bytes) {
    const auto change = crypto::group_change::deserialize(view_of(bytes));
    if (!change) {
        host_.emit_group(events::group_rejected{{}, from, "malformed"});
        return;
    }
    auto current = load(change->result.id);
    // A group I left or was removed from is new to me if I am added again.
    std::optional<crypto::group_state> base;
    if (current && is_member(current->state) && current->record.sender) {
        base = current->state;
    }
    // A redelivery of a change applied already (a crash before its pairwise commit) is not news.
    if (base && change->author == from && change->result == *base) {
        return;
    }
    std::variant<crypto::group_state, crypto::group_change_error> outcome =
        crypto::group_change_error::not_authorized;
    if (change->author == from) {
        outcome = crypto::apply_group_change(base, *change, from_key);
    }
    if (const auto* error = std::get_if<crypto::group_change_error>(&outcome)) {
        const std::string reason(reason_code(*error));
        if (current) {
            host_.group_store().add_group_entry(
                current->record.ref,
                event_entry(host_.group_random(), from,
                            from + " tried to " + std::string(verb(change->kind)) + " (" +
                                describe(*change) + "): rejected, " +
                                std::string(crypto::to_string(*error)),
                            change->timestamp_ms));
        }
        host_.emit_group(events::group_rejected{hex_of(change->result.id), from, reason});
        return;
    }
    const auto& next = std::get<crypto::group_state>(outcome);
    const auto& me = host_.group_username();
    const bool welcome =
        change->kind == crypto::group_change_kind::create ||
        std::find(change->subjects.begin(), change->subjects.end(), me) != change->subjects.end();
    if (!base && (!is_member(next) || !welcome)) {
        return; // a change of a group I am not in, or not in any more: nothing to show
    }
    apply(base ? &*current : nullptr, *change, next);
}

// ---- sender keys and group messages ------------------------------------------------------------

void group_manager::on_distribution(const std::string& from, store::contact_id from_contact,
                                    const std::string& bytes) {
    const auto distribution = crypto::sender_key_distribution::deserialize(view_of(bytes));
    if (!distribution) {
        return;
    }
    // Kept even when the group is not known yet: the member's distribution can overtake the
    // admin's change, which comes over another pairwise session. Only a member's messages are
    // ever decrypted with it.
    const auto receiver = crypto::sender_key_receiver::from_distribution(*distribution);
    const auto state = receiver.serialize();
    host_.group_store().add_group_chain(key_of(distribution->group), from_contact,
                                        distribution->chain_id, state.view(),
                                        max_chains_per_member);
    retry_pending(distribution->group, from);
}

void group_manager::on_group_message(const std::string& sender, const store::message_id& id,
                                     crypto::bytes_view message) {
    if (receive(sender, id, message) == receive_outcome::wait) {
        const auto header = crypto::parse_group_message_header(message);
        if (header) {
            host_.group_store().add_group_pending(key_of(header->group), sender, id, message,
                                                  max_pending_per_group);
        }
    }
}

void group_manager::retry_pending(const crypto::group_id& id, const std::string& sender) {
    auto& db = host_.group_store();
    for (const auto& pending : db.group_pending_for(key_of(id), sender)) {
        if (receive(sender, pending.id, pending.ciphertext) == receive_outcome::done) {
            db.remove_group_pending(pending.sequence);
        }
    }
}

group_manager::receive_outcome group_manager::receive(const std::string& sender,
                                                      const store::message_id& id,
                                                      crypto::bytes_view message) {
    const auto header = crypto::parse_group_message_header(message);
    if (!header) {
        return receive_outcome::done; // malformed: dropped
    }
    auto group = load(header->group);
    if (!group) {
        return receive_outcome::wait; // the change that makes me a member is on its way
    }
    if (!is_member(group->state) || !group->record.sender) {
        return receive_outcome::done; // not a member (any more): nothing is read
    }
    const auto* member = group->state.find(sender);
    if (!member) {
        return receive_outcome::wait; // maybe added by a change that has not reached me yet
    }
    auto& db = host_.group_store();
    const auto contact = db.find_contact(sender);
    if (!contact) {
        return receive_outcome::wait;
    }
    const auto chain = db.group_chain(key_of(header->group), contact->id, header->chain_id);
    if (!chain) {
        return receive_outcome::wait; // its distribution is still in the sender's outbox
    }
    auto receiver = crypto::sender_key_receiver::deserialize(chain->view());
    if (!receiver) {
        return receive_outcome::done;
    }
    auto decrypted = receiver->decrypt(message, member->identity.view(), wall_now());
    if (!std::holds_alternative<crypto::secret_buffer>(decrypted)) {
        return receive_outcome::done; // forged, replayed, too far ahead: dropped
    }
    const auto& plain = std::get<crypto::secret_buffer>(decrypted);
    const auto unpadded = crypto::unpad(plain.view());
    e2e::Content content;
    if (!unpadded ||
        !content.ParseFromArray(unpadded->data(), static_cast<int>(unpadded->size())) ||
        content.id() != as_string(id) || content.group() != as_string(header->group.view()) ||
        !content.has_text() || content.text().text().size() > max_group_text_size) {
        return receive_outcome::done;
    }
    store::group_entry entry;
    entry.id = id;
    entry.sender = sender;
    entry.way = store::direction::incoming;
    entry.text = content.text().text();
    entry.sent_at = content.text().sent_at();
    entry.received_at = now_ms();
    entry.status = store::message_status::delivered;
    const auto state = receiver->serialize();
    if (db.commit_group_received(group->record.ref, entry, key_of(header->group), contact->id,
                                 header->chain_id, state.view())) {
        host_.emit_group(events::group_message{hex_of(header->group), sender, entry.text,
                                               crypto::to_hex(id), entry.sent_at});
    }
    return receive_outcome::done;
}

result<message_id_hex> group_manager::send(const group_id_hex& group, const std::string& text) {
    if (text.size() > max_group_text_size) {
        return command_error{"bad_command", "the text is longer than 16000 bytes"};
    }
    auto loaded_group = load_for_command(group);
    if (auto* error = std::get_if<command_error>(&loaded_group)) {
        return *error;
    }
    auto& current = std::get<loaded>(loaded_group);
    auto sender = crypto::sender_key_sender::deserialize(current.record.sender->view());
    if (!sender) {
        return command_error{"io", "the stored sending chain of this group does not open"};
    }
    store::group_entry entry;
    host_.group_random().fill(entry.id);
    entry.sender = host_.group_username();
    entry.way = store::direction::outgoing;
    entry.text = text;
    entry.sent_at = now_ms();
    entry.received_at = entry.sent_at;
    e2e::Content content;
    content.set_id(as_string(entry.id));
    content.set_group(as_string(current.state.id.view()));
    content.mutable_text()->set_text(text);
    content.mutable_text()->set_sent_at(entry.sent_at);
    const auto plain = content.SerializeAsString();
    const auto padded = crypto::pad(view_of(plain));
    if (!padded) {
        return command_error{"bad_command", "the text is too long"};
    }
    const auto ciphertext = sender->encrypt(*padded, host_.group_identity().public_key().view());
    e2e::Envelope envelope;
    envelope.set_group(ciphertext.data(), ciphertext.size());
    const auto bytes = envelope.SerializeAsString();
    const auto recipients = others(current.state);
    const auto state = sender->serialize();
    host_.group_store().queue_group_outgoing(current.record.ref, entry, view_of(bytes), recipients,
                                             state.view());
    if (recipients.empty()) {
        host_.group_store().group_outbox_acknowledged(entry.id);
    } else {
        pump();
    }
    return crypto::to_hex(entry.id);
}

void group_manager::pump() {
    for (const auto& entry : host_.group_store().group_outbox()) {
        if (in_flight_.contains(entry.id)) {
            continue;
        }
        if (!host_.transmit_group(entry.id, entry.recipients, entry.ciphertext)) {
            return;
        }
        in_flight_.insert(entry.id);
    }
}

bool group_manager::on_send_result(const store::message_id& id, bool stored_for_everyone) {
    if (in_flight_.erase(id) == 0) {
        return false;
    }
    if (!stored_for_everyone) {
        // Resent whole after the retry period: the relay answers DUPLICATE for the recipients
        // that have it already, so nobody gets it twice.
        host_.arm_group_retry();
        return true;
    }
    auto& db = host_.group_store();
    if (const auto group = db.group_outbox_acknowledged(id)) {
        if (const auto record = db.get_group(*group)) {
            host_.emit_group(events::group_receipt{crypto::to_hex(record->id), crypto::to_hex(id),
                                                   store::message_status::sent});
        }
    }
    return true;
}

// ---- listing ---------------------------------------------------------------------------------

std::vector<group_summary> group_manager::list() {
    std::vector<group_summary> out;
    for (const auto& record : host_.group_store().groups()) {
        const auto state = crypto::deserialize_group_state(record.state.view());
        if (state) {
            out.push_back(summary(*state, is_member(*state) && record.sender.has_value()));
        }
    }
    return out;
}

result<std::vector<group_history_entry>>
group_manager::history(const group_id_hex& group, const std::optional<message_id_hex>& before,
                       std::size_t limit) {
    const auto id = parse_group(group);
    if (!id) {
        return command_error{"bad_command", "a group id is 32 hex digits"};
    }
    const auto record = host_.group_store().find_group(key_of(*id));
    if (!record) {
        return unknown_group(group);
    }
    std::optional<store::message_id> before_id;
    if (before) {
        before_id = parse_message_id(*before);
        if (!before_id) {
            return command_error{"bad_command", "'before' must be a message id (32 hex digits)"};
        }
    }
    std::vector<group_history_entry> out;
    for (const auto& entry : host_.group_store().group_history(record->ref, before_id, limit)) {
        out.push_back({crypto::to_hex(entry.id), entry.sender,
                       entry.way == store::direction::outgoing,
                       entry.kind == store::group_entry_kind::event, entry.text, entry.sent_at,
                       entry.received_at, entry.status});
    }
    return out;
}

} // namespace sotto::client
