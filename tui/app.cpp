#include "tui/app.h"

#include "crypto/seal.h"
#include "store/client_store.h"
#include "tui/commands.h"
#include "tui/controller.h"
#include "tui/frame.h"
#include "tui/members.h"
#include "tui/setup_form.h"
#include "tui/terminal_io.h"
#include "tui/text_width.h"
#include "tui/window.h"

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <sys/ioctl.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <ctime>
#include <iostream>
#include <memory>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace sotto::tui {

namespace {

constexpr std::size_t page_messages = 200;
constexpr std::size_t max_open_on_start = 9;
constexpr std::size_t max_search_scan = 100'000;
constexpr std::size_t max_search_results = 500;
constexpr auto escape_delay = std::chrono::milliseconds(30);
constexpr int contacts_width = 16;

delivery_state delivery_of(store::message_status status) noexcept {
    switch (status) {
    case store::message_status::queued:
        return delivery_state::queued;
    case store::message_status::sent:
        return delivery_state::sent;
    case store::message_status::delivered:
        return delivery_state::delivered;
    case store::message_status::read:
        return delivery_state::read;
    }
    return delivery_state::sent;
}

handshake_state state_of(crypto::handshake_state state) noexcept {
    switch (state) {
    case crypto::handshake_state::no_session:
        return handshake_state::no_session;
    case crypto::handshake_state::offering:
        return handshake_state::offering;
    case crypto::handshake_state::confirming:
        return handshake_state::confirming;
    case crypto::handshake_state::established:
        return handshake_state::established;
    case crypto::handshake_state::key_changed:
        return handshake_state::key_changed;
    }
    return handshake_state::no_session;
}

std::chrono::seconds local_utc_offset() {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    ::localtime_r(&now, &local);
    return std::chrono::seconds(local.tm_gmtoff);
}

std::chrono::sys_seconds seconds_of(std::int64_t unix_ms) {
    return std::chrono::sys_seconds(std::chrono::seconds(unix_ms / 1000));
}

std::string lowercase(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

template <typename T>
const client::command_error* failed(const client::result<T>& result) {
    return std::get_if<client::command_error>(&result);
}

struct conversation {
    std::string peer;  // the user of a direct conversation; empty for a group
    std::string group; // the group id of a group conversation; empty for a direct one
    std::vector<message_view> messages; // the loaded window, oldest first
    std::vector<std::string> ids;       // same index as messages
    bool all_loaded = false;
    std::size_t unread = 0;

    [[nodiscard]] bool is_group() const noexcept { return !group.empty(); }
};

// "not_authorized" -> "not authorized".
std::string reason_words(std::string reason) {
    std::replace(reason.begin(), reason.end(), '_', ' ');
    return reason;
}

enum class phase { form, unlocking, confirm_relay, running, failed };

class app {
  public:
    app(asio::io_context& io, app_options options)
        : io_(io), options_(std::move(options)), keyboard_(io), escape_timer_(io), tick_timer_(io),
          signals_(io, SIGINT, SIGTERM, SIGHUP), resize_signal_(io, SIGWINCH),
          utc_offset_(local_utc_offset()) {}

    int run(bool colors) {
        colors_ = colors ? color_support::colors : color_support::monochrome;
        marks_ = colors ? mark_set::unicode : mark_set::ascii;
        keyboard_.assign(::dup(STDIN_FILENO));
        set_nonblocking_keyboard();
        enable_mouse_wheel();
        wait_keyboard();
        wait_signals();
        wait_resize();
        tick();
        begin();
        mark_dirty();
        io_.run();
        return exit_code_;
    }

    // Called once the io_context has stopped: the engine goes while the terminal is still ours.
    void shut_down() {
        if (engine_) {
            engine_->stop();
            engine_.reset();
        }
    }

  private:
    // ---- phases before the client runs --------------------------------------------------

    void begin() {
        bool exists = false;
        try {
            auto store = store::client_store::open(options_.engine.profile_directory);
            exists = store->kdf_header().has_value();
        } catch (const std::exception& error) {
            return fail_with(error.what());
        }
        if (options_.passphrase && (exists || !options_.engine.username.empty())) {
            kept_passphrase_ = crypto::make_passphrase(*options_.passphrase);
            start_engine();
            return;
        }
        if (exists) {
            form_.emplace(form_mode::unlock, options_.engine.relay_address,
                          options_.engine.username);
        } else {
            form_.emplace(form_mode::create_profile,
                          options_.engine.relay_address.empty() ? options_.default_relay
                                                                : options_.engine.relay_address,
                          options_.engine.username);
        }
        phase_ = phase::form;
    }

    void form_input(const input_event& event) {
        auto answers = form_->handle(event);
        if (form_->cancelled()) {
            return quit(0);
        }
        if (!answers) {
            return;
        }
        if (!answers->username.empty()) {
            options_.engine.username = answers->username;
        }
        if (!answers->relay.empty()) {
            options_.engine.relay_address = answers->relay;
        }
        kept_passphrase_ = crypto::make_passphrase(answers->passphrase);
        std::fill(answers->passphrase.begin(), answers->passphrase.end(), '\0');
        start_engine();
    }

    void start_engine() {
        phase_ = phase::unlocking;
        engine_ = std::make_unique<client::engine>(io_, options_.engine,
                                                   [this](const client::event& e) { on_event(e); });
        engine_->on_group_event([this](const client::group_event& e) { on_group_event(e); });
        const crypto::bytes_view kept(kept_passphrase_.data(), kept_passphrase_.size());
        engine_->start(crypto::secret_buffer(kept));
        mark_dirty();
    }

    // The engine cannot be destroyed from inside its own callback.
    void drop_engine_later() {
        asio::post(io_, [this] {
            if (engine_) {
                engine_->stop();
                engine_.reset();
            }
        });
    }

    void fail_with(std::string message) {
        phase_ = phase::failed;
        failure_ = sanitize(message);
        exit_code_ = 1;
        mark_dirty();
    }

    void on_fatal(const client::events::error& error) {
        drop_engine_later();
        if (error.code == "wrong_passphrase" && !options_.passphrase) {
            form_.emplace(form_mode::unlock, options_.engine.relay_address,
                          options_.engine.username);
            form_->fail("wrong passphrase - try again (Ctrl+C quits)");
            phase_ = phase::form;
            return;
        }
        if (error.code == "relay_not_pinned") {
            // "... shows the certificate fingerprint <fp>; pin it with ..."
            const std::string_view marker = "certificate fingerprint ";
            const auto at = error.message.find(marker);
            if (at != std::string::npos) {
                const auto begin = at + marker.size();
                const auto end = error.message.find(';', begin);
                relay_fingerprint_ =
                    error.message.substr(begin, end == std::string::npos ? end : end - begin);
                phase_ = phase::confirm_relay;
                return;
            }
        }
        fail_with(error.message);
    }

    void confirm_input(const input_event& event) {
        const auto* pressed = std::get_if<key>(&event);
        if (pressed == nullptr || pressed->function || pressed->alt) {
            return;
        }
        if (pressed->code == 'y' || pressed->code == 'Y') {
            options_.engine.relay_fingerprint = relay_fingerprint_;
            reset_conversations();
            start_engine();
        } else if (pressed->code == 'n' || pressed->code == 'N' || pressed->code == 3) {
            quit(1);
        }
    }

    // ---- engine events --------------------------------------------------------------------

    void on_event(const client::event& event) {
        std::visit([this](const auto& e) { handle(e); }, event);
        mark_dirty();
    }

    void handle(const client::events::ready& ready) {
        phase_ = phase::running;
        own_name_ = ready.user;
        title_ = ready.user + "@" + ready.relay;
        form_.reset();
        refresh_groups();
        open_recent_conversations();
        refresh_contacts();
    }

    void handle(const client::events::handshake& h) {
        if (h.state == crypto::handshake_state::established && h.with == current_peer()) {
            ui_.set_notice("");
        }
        refresh_contacts();
    }

    void handle(const client::events::message& m) {
        const bool current = current_peer() == m.from;
        if (add_incoming(conversation_for(m.from, false), m, current) && current) {
            mark_read_later(m.from);
        }
        refresh_contacts();
    }

    // Appends an incoming message (direct or group) unless the pane has it already: opening the
    // conversation may have loaded this very message from the store. One not on screen counts
    // as unread and rings the bell. False when it was there already.
    template <typename Message>
    bool add_incoming(conversation& c, const Message& m, bool on_screen) {
        if (std::find(c.ids.rbegin(), c.ids.rend(), m.id) != c.ids.rend()) {
            return false;
        }
        c.messages.push_back({seconds_of(m.ts), m.from, m.text, delivery_state::incoming});
        c.ids.push_back(m.id);
        if (!on_screen) {
            ++c.unread;
            if (options_.bell) {
                ring_bell();
            }
        }
        return true;
    }

    void handle(const client::events::receipt& r) {
        if (auto* c = find_conversation(r.with)) {
            update_mark(*c, r.id, r.status);
        }
    }

    static void update_mark(conversation& c, const std::string& id, store::message_status status) {
        for (std::size_t i = c.ids.size(); i-- > 0;) {
            if (c.ids[i] == id) {
                const auto state = delivery_of(status);
                // Receipts can arrive out of order: a mark never goes back.
                if (c.messages[i].delivery == delivery_state::queued ||
                    c.messages[i].delivery < state) {
                    c.messages[i].delivery = state;
                }
                break;
            }
        }
    }

    void handle(const client::events::presence&) { refresh_contacts(); }

    // A first message from someone new: not shown until accepted, but new all the same.
    void handle(const client::events::request& r) {
        ui_.set_notice(r.from + " wants to talk to you: /accept " + r.from);
        if (options_.bell) {
            ring_bell();
        }
        refresh_contacts();
    }

    void handle(const client::events::connection& c) {
        switch (c.state) {
        case client::events::link_state::connecting:
            link_notice_ = "connecting to the relay...";
            break;
        case client::events::link_state::connected:
            link_notice_.clear();
            break;
        case client::events::link_state::disconnected:
            link_notice_ =
                "relay unreachable" + (c.reason.empty() ? std::string{} : " (" + c.reason + ")") +
                (c.retry_ms ? ", retrying in " +
                                  format_wait(static_cast<unsigned>((*c.retry_ms + 999) / 1000))
                            : std::string{});
            break;
        }
    }

    void handle(const client::events::error& e) {
        if (e.fatal) {
            return on_fatal(e);
        }
        ui_.set_notice(e.message);
    }

    // ---- group events ---------------------------------------------------------------------

    void on_group_event(const client::group_event& event) {
        std::visit([this](const auto& e) { handle(e); }, event);
        mark_dirty();
    }

    // An accepted membership change: the engine wrote it to the group's history, so the
    // conversation (opened when it is new here) shows it as a system line.
    void handle(const client::events::group& g) {
        refresh_groups();
        const bool added =
            std::find(g.subjects.begin(), g.subjects.end(), own_name_) != g.subjects.end();
        if (g.by != own_name_ && (g.change == "create" || (g.change == "add" && added))) {
            ui_.set_notice(g.by + " added you to #" + g.name);
        } else if (g.change == "remove" && added) {
            ui_.set_notice(g.by + " removed you from #" + g.name);
        }
        show_group_lines(g.group);
    }

    // A refused change: in the group's history when the group is known here.
    void handle(const client::events::group_rejected& r) {
        if (find_group(r.group) == nullptr) {
            ui_.set_notice("refused a group change from " + r.from + " (" + reason_words(r.reason) +
                           ")");
            return;
        }
        show_group_lines(r.group);
    }

    void handle(const client::events::group_message& m) {
        add_incoming(group_conversation_for(m.group, false), m, current_group() == m.group);
        refresh_contacts();
    }

    void handle(const client::events::group_receipt& r) {
        if (auto* c = find_group_conversation(r.group)) {
            update_mark(*c, r.id, r.status);
        }
    }

    // Opens the group's conversation or appends what its history has that the pane lacks.
    void show_group_lines(const std::string& group) {
        const bool open = find_group_conversation(group) != nullptr;
        auto& c = group_conversation_for(group, false);
        const auto before = c.messages.size();
        if (open) {
            append_newest(c);
        }
        if (current_group() != group) {
            c.unread += open ? c.messages.size() - before : 1;
        }
        refresh_contacts();
    }

    // What shows in the current conversation counts as read: the peer gets a read receipt.
    // Posted, because the engine may be in the middle of emitting an event.
    void mark_read_later(const std::string& peer) {
        if (peer.empty()) {
            return;
        }
        asio::post(io_, [this, peer] {
            if (engine_ && phase_ == phase::running && current_peer() == peer) {
                (void)engine_->mark_read(peer);
            }
        });
    }

    // ---- conversations --------------------------------------------------------------------

    conversation* find_conversation(const std::string& peer) {
        for (auto& c : conversations_) {
            if (!c.is_group() && c.peer == peer) {
                return &c;
            }
        }
        return nullptr;
    }

    conversation* find_group_conversation(const std::string& group) {
        for (auto& c : conversations_) {
            if (c.group == group) {
                return &c;
            }
        }
        return nullptr;
    }

    const client::group_summary* find_group(const std::string& group) const {
        for (const auto& g : groups_) {
            if (g.id == group) {
                return &g;
            }
        }
        return nullptr;
    }

    void refresh_groups() {
        if (engine_) {
            groups_ = engine_->groups();
        }
    }

    // The group's name as tabs and the contacts pane show it (without '#').
    std::string group_name(const std::string& group) const {
        const auto* g = find_group(group);
        return g != nullptr ? g->name : "?";
    }

    // The current group's id, or empty in a direct conversation or none.
    std::string current_group() const {
        const auto index = ui_.current_conversation();
        return index < conversations_.size() ? conversations_[index].group : std::string{};
    }

    conversation_kind current_kind() const {
        const auto index = ui_.current_conversation();
        if (index >= conversations_.size()) {
            return conversation_kind::none;
        }
        return conversations_[index].is_group() ? conversation_kind::group
                                                : conversation_kind::direct;
    }

    std::string current_peer() const {
        const auto index = ui_.current_conversation();
        return index < conversations_.size() ? conversations_[index].peer : std::string{};
    }

    conversation* current_conversation() {
        const auto index = ui_.current_conversation();
        return index < conversations_.size() ? &conversations_[index] : nullptr;
    }

    // The conversation with `peer`, opened (with its newest page from the store) when missing.
    conversation& conversation_for(const std::string& peer, bool focus) {
        auto* found = find_conversation(peer);
        if (found == nullptr) {
            conversations_.push_back({peer, {}, {}, {}, false, 0});
            found = &conversations_.back();
            load_older(*found, page_messages);
        }
        if (focus) {
            focus_on(*found);
        }
        return *found;
    }

    // The conversation of `group`, opened (with its newest page) when missing.
    conversation& group_conversation_for(const std::string& group, bool focus) {
        auto* found = find_group_conversation(group);
        if (found == nullptr) {
            conversations_.push_back({{}, group, {}, {}, false, 0});
            found = &conversations_.back();
            load_older(*found, page_messages);
        }
        if (focus) {
            focus_on(*found);
        }
        return *found;
    }

    void focus_on(conversation& c) {
        ui_.set_current_conversation(static_cast<std::size_t>(&c - conversations_.data()));
        c.unread = 0;
        mark_read_later(c.peer);
    }

    // Prepends up to `count` older messages from the store.
    void load_older(conversation& c, std::size_t count) {
        if (c.all_loaded || !engine_) {
            return;
        }
        std::optional<std::string> before;
        if (!c.ids.empty()) {
            before = c.ids.front();
        }
        std::vector<message_view> views;
        std::vector<std::string> ids;
        const auto got = c.is_group() ? group_page(c.group, before, count, views, ids)
                                      : direct_page(c.peer, before, count, views, ids);
        if (!got) {
            c.all_loaded = true;
            return;
        }
        if (*got < count) {
            c.all_loaded = true;
        }
        views.reserve(views.size() + c.messages.size());
        views.insert(views.end(), std::make_move_iterator(c.messages.begin()),
                     std::make_move_iterator(c.messages.end()));
        ids.insert(ids.end(), std::make_move_iterator(c.ids.begin()),
                   std::make_move_iterator(c.ids.end()));
        c.messages = std::move(views);
        c.ids = std::move(ids);
    }

    // Up to `count` messages with `peer` before `before`, oldest first, appended to views and
    // ids; how many, or nullopt (and a notice) on an error.
    std::optional<std::size_t> direct_page(const std::string& peer,
                                           const std::optional<std::string>& before,
                                           std::size_t count, std::vector<message_view>& views,
                                           std::vector<std::string>& ids) {
        auto loaded = engine_->history(peer, before, count);
        if (const auto* error = failed(loaded)) {
            if (error->code != "unknown_user") {
                ui_.set_notice(error->message);
            }
            return std::nullopt;
        }
        auto& entries = std::get<std::vector<client::history_entry>>(loaded);
        for (auto& entry : entries) {
            views.push_back(
                {seconds_of(entry.ts), entry.outgoing ? own_name_ : entry.with,
                 std::move(entry.text),
                 entry.outgoing ? delivery_of(entry.status) : delivery_state::incoming});
            ids.push_back(std::move(entry.id));
        }
        return entries.size();
    }

    // As direct_page for a group; membership events become system lines.
    std::optional<std::size_t> group_page(const std::string& group,
                                          const std::optional<std::string>& before,
                                          std::size_t count, std::vector<message_view>& views,
                                          std::vector<std::string>& ids) {
        auto loaded = engine_->group_history(group, before, count);
        if (const auto* error = failed(loaded)) {
            ui_.set_notice(error->message);
            return std::nullopt;
        }
        auto& entries = std::get<std::vector<client::group_history_entry>>(loaded);
        for (auto& entry : entries) {
            message_view view{seconds_of(entry.ts), entry.outgoing ? own_name_ : entry.from,
                              std::move(entry.text),
                              entry.outgoing && !entry.event ? delivery_of(entry.status)
                                                             : delivery_state::incoming};
            view.system = entry.event;
            views.push_back(std::move(view));
            ids.push_back(std::move(entry.id));
        }
        return entries.size();
    }

    // Appends the newest history entries of a group conversation that it does not show yet
    // (a membership event, a refused change).
    void append_newest(conversation& c) {
        std::vector<message_view> views;
        std::vector<std::string> ids;
        if (!group_page(c.group, std::nullopt, 50, views, ids)) {
            return;
        }
        for (std::size_t i = 0; i < views.size(); ++i) {
            if (std::find(c.ids.begin(), c.ids.end(), ids[i]) == c.ids.end()) {
                c.messages.push_back(std::move(views[i]));
                c.ids.push_back(std::move(ids[i]));
            }
        }
    }

    void open_recent_conversations() {
        const auto contacts = engine_->contacts();
        // (last activity, is a group, user or group id)
        std::vector<std::tuple<std::int64_t, bool, std::string>> recent;
        for (const auto& contact : contacts) {
            if (contact.request == store::request_state::pending) {
                continue;
            }
            auto last = engine_->history(contact.user, std::nullopt, 1);
            if (const auto* entries = std::get_if<std::vector<client::history_entry>>(&last);
                entries != nullptr && !entries->empty()) {
                recent.emplace_back(entries->back().received_at, false, contact.user);
            }
        }
        for (const auto& group : groups_) {
            auto last = engine_->group_history(group.id, std::nullopt, 1);
            if (const auto* entries = std::get_if<std::vector<client::group_history_entry>>(&last);
                entries != nullptr && !entries->empty()) {
                recent.emplace_back(entries->back().received_at, true, group.id);
            }
        }
        std::sort(recent.begin(), recent.end(), std::greater<>());
        if (recent.size() > max_open_on_start) {
            recent.resize(max_open_on_start);
        }
        for (const auto& [when, group, key] : recent) {
            if (group) {
                group_conversation_for(key, false);
            } else {
                conversation_for(key, false);
            }
        }
        if (!conversations_.empty()) {
            ui_.set_current_conversation(0);
            focus_on(conversations_[0]);
        }
    }

    void reset_conversations() {
        conversations_.clear();
        contacts_.clear();
        contact_keys_.clear();
        ui_.set_current_conversation(0);
    }

    void refresh_contacts() {
        if (!engine_ || phase_ != phase::running) {
            return;
        }
        contacts_.clear();
        contact_keys_.clear();
        user_names_.clear();
        group_names_.clear();
        for (const auto& summary : engine_->contacts()) {
            contact_view view;
            view.name = summary.user;
            view.online = summary.online;
            view.verified = summary.verified;
            view.key_changed = summary.keys == store::key_state::changed;
            view.message_request = summary.request == store::request_state::pending;
            const auto* open = find_conversation(summary.user);
            view.unread =
                open != nullptr ? open->unread : (view.message_request ? summary.unread : 0);
            contacts_.push_back(std::move(view));
            contact_keys_.push_back(summary.user);
            user_names_.push_back(summary.user);
        }
        for (const auto& c : conversations_) {
            if (!c.is_group() &&
                std::find(user_names_.begin(), user_names_.end(), c.peer) == user_names_.end()) {
                contact_view view;
                view.name = c.peer;
                view.unread = c.unread;
                contacts_.push_back(std::move(view));
                contact_keys_.push_back(c.peer);
                user_names_.push_back(c.peer);
            }
        }
        // Groups after the people: the ones I am in, and any whose tab is open.
        for (const auto& group : groups_) {
            const auto* open = find_group_conversation(group.id);
            if (!group.member && open == nullptr) {
                continue;
            }
            contact_view view;
            view.name = group.name;
            view.group = true;
            view.unread = open != nullptr ? open->unread : 0;
            group_names_.push_back(group.name);
            contacts_.push_back(std::move(view));
            contact_keys_.push_back(group.id);
        }
    }

    // The current group as the status line and /members show it.
    group_status_view current_group_status() {
        group_status_view view;
        const auto* group = find_group(current_group());
        if (group == nullptr || !engine_) {
            return view;
        }
        view.name = group->name;
        view.member = group->member;
        const auto contacts = engine_->contacts();
        for (const auto& m : group->members) {
            group_member_view member;
            member.name = m.user;
            member.admin = m.admin;
            member.you = m.user == own_name_;
            const auto found =
                std::find_if(contacts.begin(), contacts.end(),
                             [&](const client::contact_summary& c) { return c.user == m.user; });
            if (!member.you && found != contacts.end()) {
                member.state = found->keys == store::key_state::changed
                                   ? handshake_state::key_changed
                                   : state_of(found->handshake);
                member.online = found->online;
                member.verified = found->verified;
            }
            view.members.push_back(std::move(member));
        }
        return view;
    }

    status_view current_status() {
        status_view view;
        view.peer = current_peer();
        if (view.peer.empty() || !engine_) {
            return view;
        }
        const auto status = engine_->status(view.peer);
        if (!status) {
            return view;
        }
        view.state = state_of(status->state);
        if (status->keys == store::key_state::changed) {
            view.state = handshake_state::key_changed;
        }
        view.peer_online = status->peer_online;
        view.resend_count = status->resend_count;
        view.verified = status->verified;
        if (status->next_resend) {
            const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now());
            const auto left = std::max<std::int64_t>(0, (*status->next_resend - now).count());
            view.seconds_to_next_resend = static_cast<unsigned>((left + 999) / 1000);
        }
        if (view.state == handshake_state::established) {
            view.ratchet_message_number = status->ratchet_number;
        }
        return view;
    }

    // ---- keyboard ---------------------------------------------------------------------------

    void wait_keyboard() {
        keyboard_.async_wait(asio::posix::stream_descriptor::wait_read,
                             [this](const std::error_code& error) {
                                 if (error) {
                                     return;
                                 }
                                 // Readable with nothing to read several times running: end of
                                 // file, the terminal went away (once can be ncurses having
                                 // taken the bytes of a key it completes later).
                                 if (read_keys() || !hung_up()) {
                                     empty_wakeups_ = 0;
                                 } else if (++empty_wakeups_ >= 3) {
                                     return quit(0);
                                 }
                                 if (!stopping_) {
                                     wait_keyboard();
                                 }
                             });
    }

    bool hung_up() {
        int waiting = 0;
        return ::ioctl(keyboard_.native_handle(), FIONREAD, &waiting) != 0 || waiting == 0;
    }

    bool read_keys() {
        bool any = false;
        while (auto raw = read_key()) {
            any = true;
            if (raw->function && raw->code == 0) {
                continue; // a mouse event other than the wheel
            }
            if (raw->function && raw->code == key_code::resize) {
                resized();
                continue;
            }
            if (auto event = reader_.feed(raw->code, raw->function)) {
                on_input(*event);
            }
            if (stopping_) {
                return true;
            }
        }
        if (reader_.pending()) {
            escape_timer_.expires_after(escape_delay);
            escape_timer_.async_wait([this](const std::error_code& error) {
                if (error || !reader_.pending()) {
                    return;
                }
                if (auto event = reader_.flush()) {
                    on_input(*event);
                }
                mark_dirty();
            });
        }
        mark_dirty();
        return any;
    }

    void on_input(const input_event& event) {
        switch (phase_) {
        case phase::form:
            return form_input(event);
        case phase::confirm_relay:
            return confirm_input(event);
        case phase::unlocking: {
            const auto* pressed = std::get_if<key>(&event);
            if (pressed != nullptr && !pressed->function && pressed->code == 3) {
                quit(0);
            }
            return;
        }
        case phase::failed:
            return quit(exit_code_);
        case phase::running:
            return running_input(event);
        }
    }

    void running_input(const input_event& event) {
        if (const auto* pressed = std::get_if<key>(&event);
            pressed != nullptr && !verify_pending_.empty() && !ui_.overlay().empty() &&
            !pressed->function && !pressed->alt && (pressed->code == 'y' || pressed->code == 'Y')) {
            auto marked = engine_->verify(verify_pending_, true);
            ui_.set_notice(failed(marked) != nullptr ? failed(marked)->message
                                                     : verify_pending_ + " is marked as verified");
            verify_pending_.clear();
            ui_.show_overlay({});
            refresh_contacts();
            return;
        }
        const auto layout = current_layout();
        controller_context context;
        context.user_names = user_names_;
        context.group_names = group_names_;
        context.conversations = conversations_.size();
        context.message_rows = message_rows(layout);
        context.page_rows = static_cast<std::size_t>(std::max(1, layout.messages.height));
        const bool overlay_was_open = !ui_.overlay().empty();
        for (auto& effect : ui_.handle(event, context)) {
            std::visit([this](auto& e) { apply(e); }, effect);
            if (stopping_) {
                return;
            }
        }
        if (overlay_was_open && ui_.overlay().empty()) {
            verify_pending_.clear();
        }
    }

    // ---- effects of keys --------------------------------------------------------------------

    void apply(send_effect& e) {
        auto* c = current_conversation();
        if (c == nullptr) {
            ui_.set_notice("no conversation is open: /msg NAME TEXT starts one");
            return;
        }
        send_to(*c, e.text);
    }

    void send_to(conversation& c, const std::string& text) {
        auto sent = c.is_group() ? engine_->send_group(c.group, text) : engine_->send(c.peer, text);
        if (const auto* error = failed(sent)) {
            ui_.set_notice(error->message);
            return;
        }
        const auto now =
            std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
        c.messages.push_back({now, own_name_, text, delivery_state::queued});
        c.ids.push_back(std::get<client::message_id_hex>(sent));
        refresh_contacts();
    }

    void apply(command_effect& e) {
        if (auto error = check_conversation(e.command, current_kind())) {
            ui_.set_notice(error->message);
            return;
        }
        std::visit([this](auto& command) { run_command(command); }, e.command);
    }

    void apply(switch_effect& e) {
        if (e.conversation < conversations_.size()) {
            conversations_[e.conversation].unread = 0;
            mark_read_later(conversations_[e.conversation].peer);
            refresh_contacts();
        }
    }

    void apply(load_older_effect&) {
        if (auto* c = current_conversation()) {
            load_older(*c, page_messages);
        }
    }

    void apply(redraw_effect&) { invalidate_screen(); }
    void apply(quit_effect&) { quit(0); }

    // ---- commands ---------------------------------------------------------------------------

    void run_command(msg_command& command) {
        if (command.group) {
            return open_group(command);
        }
        if (command.user == own_name_) {
            ui_.set_notice("that is you; /msg someone else");
            return;
        }
        auto& c = conversation_for(command.user, true);
        if (!command.text.empty()) {
            send_to(c, command.text);
        } else if (!engine_->status(command.user)) {
            // Opening a conversation starts the handshake: the engine offers a key on send only, so
            // an empty /msg shows the conversation and waits for the first text.
            ui_.set_notice("type a message to start a secure session with " + command.user);
        }
        refresh_contacts();
    }

    // "/msg #team [TEXT]": the group I am in by that name, else one I was in.
    void open_group(const msg_command& command) {
        const client::group_summary* found = nullptr;
        for (const auto& group : groups_) {
            if (group.name == command.user &&
                (found == nullptr || (group.member && !found->member))) {
                found = &group;
            }
        }
        if (found == nullptr) {
            ui_.set_notice("no group #" + command.user + " - /group create " + command.user +
                           " MEMBER... makes one");
            return;
        }
        auto& c = group_conversation_for(found->id, true);
        if (!command.text.empty()) {
            send_to(c, command.text);
        }
        refresh_contacts();
    }

    void run_command(users_command&) {
        engine_->users([this](client::result<std::vector<std::string>> listed) {
            if (const auto* error = failed(listed)) {
                ui_.set_notice(error->message);
            } else {
                const auto& names = std::get<std::vector<std::string>>(listed);
                std::vector<std::string> lines{
                    "Online now (" + std::to_string(names.size()) + "), Esc closes:", ""};
                for (const auto& name : names) {
                    lines.push_back("  " + name + (name == own_name_ ? " (you)" : ""));
                }
                ui_.show_overlay(std::move(lines));
            }
            mark_dirty();
        });
    }

    void run_command(history_command& command) {
        auto* c = current_conversation();
        if (c == nullptr) {
            ui_.set_notice("no conversation is open");
            return;
        }
        const auto before = c->messages.size();
        load_older(*c, command.count.value_or(page_messages));
        ui_.set_notice("loaded " + std::to_string(c->messages.size() - before) + " older messages" +
                       (c->all_loaded ? " (that is all)" : ""));
    }

    void run_command(verify_command& command) {
        auto verified = engine_->verify(command.user, false);
        if (const auto* error = failed(verified)) {
            ui_.set_notice(error->message);
            return;
        }
        const auto& v = std::get<client::verification>(verified);
        std::vector<std::string> lines{"Safety number with " + command.user + ":", ""};
        std::string row;
        std::size_t groups = 0;
        for (std::size_t i = 0; i < v.safety_number.size(); i += 5) {
            row += (row.empty() ? "  " : " ") + v.safety_number.substr(i, 5);
            if (++groups % 4 == 0) {
                lines.push_back(row);
                row.clear();
            }
        }
        if (!row.empty()) {
            lines.push_back(row);
        }
        lines.push_back("");
        lines.push_back(command.user + "'s key fingerprint: " + v.fingerprint);
        lines.push_back("");
        lines.push_back("Compare the number with " + command.user + " in person or on a call.");
        lines.push_back("Press y if it matches to mark " + command.user +
                        " as verified; Esc closes.");
        ui_.show_overlay(std::move(lines));
        verify_pending_ = command.user;
    }

    void run_command(accept_command& command) {
        auto accepted = engine_->accept(command.user);
        if (const auto* error = failed(accepted)) {
            ui_.set_notice(error->message);
            return;
        }
        // accept() emits the waiting messages while it runs; reload the newest page from the
        // store so the pane shows them in the store's order and paging continues from there.
        auto& c = conversation_for(command.user, true);
        c.messages.clear();
        c.ids.clear();
        c.all_loaded = false;
        load_older(c, page_messages);
        ui_.set_notice("accepted " + command.user);
        refresh_contacts();
    }

    void run_command(reset_command& command) {
        auto reset = engine_->reset(command.user);
        ui_.set_notice(failed(reset) != nullptr
                           ? failed(reset)->message
                           : "restarting the secure session with " + command.user);
    }

    void run_command(close_command&) {
        const auto index = ui_.current_conversation();
        if (index >= conversations_.size()) {
            ui_.set_notice("no conversation is open");
            return;
        }
        conversations_.erase(conversations_.begin() + static_cast<std::ptrdiff_t>(index));
        ui_.set_current_conversation(index > 0 ? index - 1 : 0);
        if (auto* c = current_conversation()) {
            c->unread = 0;
        }
        refresh_contacts();
    }

    void run_command(export_command& command) {
        auto* c = current_conversation();
        if (c == nullptr) {
            ui_.set_notice("no conversation is open");
            return;
        }
        const bool json = command.format == export_format::json;
        std::filesystem::path path = command.file;
        if (path.empty()) {
            const std::time_t now = std::time(nullptr);
            std::tm local{};
            ::localtime_r(&now, &local);
            char stamp[32];
            std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
            path = "sotto-" + c->peer + "-" + stamp + (json ? ".json" : ".md");
        }
        ui_.set_notice("exporting to " + path.string() + "...");
        engine_->export_conversation(
            c->peer, json ? client::export_format::json : client::export_format::markdown, path,
            [this, path](client::result<std::size_t> exported) {
                ui_.set_notice(failed(exported) != nullptr
                                   ? failed(exported)->message
                                   : "exported " + std::to_string(std::get<std::size_t>(exported)) +
                                         " messages to " + path.string());
                mark_dirty();
            });
    }

    void run_command(search_command& command) {
        auto* c = current_conversation();
        if (c == nullptr) {
            ui_.set_notice("no conversation is open");
            return;
        }
        // From the store, newest first, not only what is loaded.
        const auto needle = lowercase(command.text);
        std::vector<std::string> found;
        std::optional<std::string> before;
        std::size_t scanned = 0;
        constexpr std::size_t search_page = 1000;
        while (scanned < max_search_scan && found.size() < max_search_results) {
            std::vector<message_view> views;
            std::vector<std::string> ids;
            const auto got = c->is_group() ? group_page(c->group, before, search_page, views, ids)
                                           : direct_page(c->peer, before, search_page, views, ids);
            if (!got || views.empty()) {
                break;
            }
            for (std::size_t i = views.size(); i-- > 0 && found.size() < max_search_results;) {
                const auto& view = views[i];
                if (lowercase(view.text).find(needle) != std::string::npos) {
                    found.push_back(format_day(view.time, utc_offset_) + " " +
                                    format_clock(view.time, utc_offset_) + " " +
                                    (view.system ? std::string(system_sender) : view.sender) +
                                    ": " + view.text);
                }
            }
            scanned += views.size();
            if (views.size() < search_page) {
                break;
            }
            before = ids.front();
        }
        std::vector<std::string> lines{std::to_string(found.size()) + " messages with \"" +
                                           command.text + "\" (newest first, Esc closes):",
                                       ""};
        lines.insert(lines.end(), found.begin(), found.end());
        ui_.show_overlay(std::move(lines));
    }

    void run_command(clear_command&) {
        if (auto* c = current_conversation()) {
            c->messages.clear();
            c->ids.clear();
            c->all_loaded = true; // /history or a restart brings them back
        }
    }

    void run_command(group_create_command& command) {
        if (std::find(command.members.begin(), command.members.end(), own_name_) !=
            command.members.end()) {
            ui_.set_notice("/group: you are in it anyway; name the others");
            return;
        }
        ui_.set_notice("creating #" + command.name + "...");
        engine_->create_group(
            command.name, command.members,
            [this, name = command.name](const client::result<client::group_id_hex>& created) {
                if (const auto* error = failed(created)) {
                    ui_.set_notice(error->message);
                } else {
                    refresh_groups();
                    group_conversation_for(std::get<client::group_id_hex>(created), true);
                    ui_.set_notice("created #" + name + " - /members shows who is secure yet");
                    refresh_contacts();
                }
                mark_dirty();
            });
    }

    void run_command(invite_command& command) {
        engine_->invite(current_group(), {command.user},
                        [this, user = command.user](const client::result<bool>& invited) {
                            ui_.set_notice(failed(invited) != nullptr ? failed(invited)->message
                                                                      : "added " + user);
                            mark_dirty();
                        });
    }

    void run_command(remove_command& command) {
        auto removed = engine_->remove_members(current_group(), {command.user});
        ui_.set_notice(failed(removed) != nullptr ? failed(removed)->message
                                                  : "removed " + command.user);
    }

    void run_command(leave_command&) {
        const auto group = current_group();
        auto left = engine_->leave_group(group);
        ui_.set_notice(failed(left) != nullptr
                           ? failed(left)->message
                           : "you left #" + group_name(group) + "; /close closes the tab");
    }

    void run_command(rename_command& command) {
        auto renamed = engine_->rename_group(current_group(), command.name);
        ui_.set_notice(failed(renamed) != nullptr ? failed(renamed)->message
                                                  : "renamed to #" + command.name);
    }

    void run_command(members_command&) { ui_.show_overlay(member_lines(current_group_status())); }
    void run_command(quit_command&) { quit(0); }
    void run_command(help_command&) {}
    void run_command(send_text& text) {
        send_effect e{text.text};
        apply(e);
    }
    void run_command(blank_line&) {}
    void run_command(command_error& error) { ui_.set_notice(error.message); }

    // ---- signals, timers, painting -----------------------------------------------------------

    void wait_signals() {
        signals_.async_wait([this](const std::error_code& error, int) {
            if (!error) {
                quit(0);
            }
        });
    }

    void wait_resize() {
        resize_signal_.async_wait([this](const std::error_code& error, int) {
            if (error) {
                return;
            }
            resized();
            wait_resize();
        });
    }

    void resized() {
        refresh_terminal_size();
        invalidate_screen();
        mark_dirty();
    }

    // Once a second: the status line's "next in 16s" counts down while a handshake is pending.
    void tick() {
        tick_timer_.expires_after(std::chrono::seconds(1));
        tick_timer_.async_wait([this](const std::error_code& error) {
            if (error) {
                return;
            }
            if (phase_ == phase::running) {
                const auto state = current_status().state;
                if (state == handshake_state::offering || state == handshake_state::confirming) {
                    mark_dirty();
                }
            }
            tick();
        });
    }

    void quit(int code) {
        if (stopping_) {
            return;
        }
        stopping_ = true;
        exit_code_ = code;
        if (engine_) {
            engine_->stop();
        }
        std::error_code ignored;
        keyboard_.cancel(ignored);
        signals_.cancel(ignored);
        resize_signal_.cancel(ignored);
        escape_timer_.cancel();
        tick_timer_.cancel();
        io_.stop();
    }

    void mark_dirty() {
        if (dirty_ || stopping_) {
            return;
        }
        dirty_ = true;
        asio::post(io_, [this] { paint(); });
    }

    static screen_layout current_layout() {
        return compute_layout(terminal_session::size_request(true, contacts_width));
    }

    pane_options message_options(const screen_layout& layout) const {
        pane_options options;
        options.width = static_cast<std::size_t>(std::max(0, layout.messages.width));
        std::size_t widest = display_width(own_name_);
        if (const auto* group = find_group(current_group())) {
            for (const auto& member : group->members) {
                widest = std::max(widest, display_width(member.user));
            }
        }
        options.sender_columns = std::clamp<std::size_t>(widest, 6, 12);
        options.utc_offset = utc_offset_;
        options.marks = marks_;
        return options;
    }

    std::size_t message_rows(const screen_layout& layout) {
        const auto* c = current_conversation();
        if (c == nullptr) {
            return 0;
        }
        return layout_messages(c->messages, message_options(layout)).size();
    }

    void paint() {
        dirty_ = false;
        if (stopping_) {
            return;
        }
        const auto request = terminal_session::size_request(true, contacts_width);
        const auto layout = compute_layout(request);
        frame f;
        if (phase_ == phase::running) {
            std::vector<tab_view> tabs;
            for (const auto& c : conversations_) {
                tabs.push_back(
                    {c.is_group() ? group_name(c.group) : c.peer, c.is_group(), c.unread > 0});
            }
            screen_model model;
            model.title = title_;
            model.contacts = contacts_;
            const auto group = current_group();
            const auto key = group.empty() ? current_peer() : group;
            for (std::size_t i = 0; i < contacts_.size() && i < contact_keys_.size(); ++i) {
                if (!key.empty() && contacts_[i].group == !group.empty() &&
                    contact_keys_[i] == key) {
                    model.current_contact = i;
                }
            }
            model.tabs = tabs;
            model.current_tab = ui_.current_conversation();
            if (const auto* c = current_conversation()) {
                model.messages = c->messages;
            }
            model.scroll_offset = ui_.scroll_offset();
            model.own_name = own_name_;
            model.message_options = message_options(layout);
            model.status = current_status();
            if (!group.empty()) {
                model.group_status = current_group_status();
            }
            model.notice = !ui_.notice().empty() ? ui_.notice() : link_notice_;
            model.input_text = ui_.input().text();
            model.input = ui_.input().view(input_columns(layout));
            model.overlay = ui_.overlay();
            model.overlay_scroll = ui_.overlay_scroll();
            f = compose(model, layout, request.columns, request.rows);
        } else {
            f = text_screen(request.columns, request.rows);
        }
        screen_.paint(f, colors_);
        update_screen();
    }

    // The screens before the client runs: plain lines under a title.
    frame text_screen(int columns, int rows) const {
        std::vector<std::pair<std::string, style_role>> lines;
        std::optional<std::size_t> cursor_line;
        std::size_t cursor_column = 0;
        lines.emplace_back(" sotto", style_role::title_bar);
        lines.emplace_back("", style_role::text);
        switch (phase_) {
        case phase::form:
            for (const auto& line : form_->lines()) {
                if (line.current) {
                    cursor_line = lines.size();
                    cursor_column = display_width(line.text) + 2;
                }
                lines.emplace_back("  " + line.text,
                                   line.error
                                       ? style_role::status_danger
                                       : (line.current ? style_role::input : style_role::text));
            }
            break;
        case phase::unlocking:
            lines.emplace_back("  Unlocking the profile (deriving the key from the passphrase)...",
                               style_role::text);
            break;
        case phase::confirm_relay:
            lines.emplace_back("  The relay " + options_.engine.relay_address +
                                   " shows this certificate fingerprint:",
                               style_role::text);
            lines.emplace_back("", style_role::text);
            lines.emplace_back("    " + relay_fingerprint_, style_role::status_pending);
            lines.emplace_back("", style_role::text);
            lines.emplace_back(
                "  Compare it with what the relay's operator published (a local relay prints it",
                style_role::text);
            lines.emplace_back("  when it starts). Trust this relay and pin it? (y/n)",
                               style_role::text);
            break;
        case phase::failed:
            lines.emplace_back("  " + failure_, style_role::status_danger);
            lines.emplace_back("", style_role::text);
            lines.emplace_back("  Press any key to quit.", style_role::text);
            break;
        case phase::running:
            break;
        }
        frame f;
        const auto width = static_cast<std::size_t>(std::max(0, columns));
        for (int row = 0; row < rows; ++row) {
            const auto index = static_cast<std::size_t>(row);
            std::vector<styled_span> spans;
            if (index < lines.size()) {
                spans.push_back(
                    {pad_to_width(sanitize(lines[index].first), width), lines[index].second});
            } else {
                spans.push_back({std::string(width, ' '), style_role::text});
            }
            f.rows.push_back(std::move(spans));
        }
        if (cursor_line && static_cast<int>(*cursor_line) < rows) {
            f.cursor = screen_position{
                static_cast<int>(*cursor_line),
                static_cast<int>(std::min(cursor_column, width > 0 ? width - 1 : 0))};
        }
        return f;
    }

  public:
    window screen_{};

  private:
    asio::io_context& io_;
    app_options options_;
    asio::posix::stream_descriptor keyboard_;
    asio::steady_timer escape_timer_;
    asio::steady_timer tick_timer_;
    asio::signal_set signals_;
    asio::signal_set resize_signal_;
    std::chrono::seconds utc_offset_;
    color_support colors_ = color_support::colors;
    mark_set marks_ = mark_set::unicode;

    phase phase_ = phase::form;
    std::optional<setup_form> form_;
    crypto::secret_buffer kept_passphrase_;
    std::string relay_fingerprint_;
    std::string failure_;
    std::unique_ptr<client::engine> engine_;

    key_reader reader_;
    controller ui_;
    std::string own_name_;
    std::string title_;
    std::string link_notice_;
    std::string verify_pending_;
    std::vector<conversation> conversations_;
    std::vector<contact_view> contacts_;
    std::vector<std::string> contact_keys_; // per contact row: the user, or a group's id
    std::vector<std::string> user_names_;
    std::vector<std::string> group_names_; // for completion of "/msg #team"
    std::vector<client::group_summary> groups_;

    int empty_wakeups_ = 0;
    bool dirty_ = false;
    bool stopping_ = false;
    int exit_code_ = 0;
};

} // namespace

int run_app(app_options options) {
    if (::isatty(STDIN_FILENO) == 0 || ::isatty(STDOUT_FILENO) == 0) {
        std::cerr << "sotto: the full-screen client needs a terminal; --batch is for scripts\n";
        return 1;
    }
    auto session = terminal_session::start();
    if (!session) {
        std::cerr << "sotto: cannot use this terminal (is TERM set and is this a tty?)\n";
        return 1;
    }
    install_crash_handlers();
    int code = 0;
    {
        asio::io_context io(1);
        app client(io, std::move(options));
        client.screen_ = window{standard_screen()};
        try {
            code = client.run(session->has_colors());
        } catch (...) {
            (void)client.screen_.release();
            client.shut_down();
            throw;
        }
        (void)client.screen_.release();
        client.shut_down();
    }
    return code;
}

} // namespace sotto::tui
