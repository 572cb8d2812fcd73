#include "client/batch.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/read_until.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cerrno>

namespace sotto::client {

namespace {

using json = nlohmann::json;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t max_line_size = 1 << 20;

std::string_view key_state_name(store::key_state state) {
    return state == store::key_state::changed ? "changed" : "trusted";
}

std::string_view request_name(store::request_state state) {
    switch (state) {
    case store::request_state::none:
        return "none";
    case store::request_state::pending:
        return "pending";
    case store::request_state::declined:
        return "declined";
    }
    return "none";
}

json event_json(const event& e) {
    return std::visit(
        [](const auto& value) -> json {
            using type = std::decay_t<decltype(value)>;
            if constexpr (std::is_same_v<type, events::ready>) {
                return {{"event", "ready"},
                        {"user", value.user},
                        {"relay", value.relay},
                        {"fingerprint", value.fingerprint},
                        {"relay_fingerprint", value.relay_fingerprint}};
            } else if constexpr (std::is_same_v<type, events::handshake>) {
                json out{{"event", "handshake"},
                         {"with", value.with},
                         {"state", state_name(value.state)},
                         {"resent", value.resent}};
                if (value.next_retry_ms) {
                    out["next_retry_ms"] = *value.next_retry_ms;
                }
                return out;
            } else if constexpr (std::is_same_v<type, events::message>) {
                return {{"event", "message"},
                        {"from", value.from},
                        {"text", value.text},
                        {"id", value.id},
                        {"ts", value.ts}};
            } else if constexpr (std::is_same_v<type, events::receipt>) {
                return {{"event", "receipt"},
                        {"with", value.with},
                        {"id", value.id},
                        {"status", to_string(value.status)}};
            } else if constexpr (std::is_same_v<type, events::presence>) {
                return {{"event", "presence"}, {"user", value.user}, {"online", value.online}};
            } else if constexpr (std::is_same_v<type, events::request>) {
                return {{"event", "request"}, {"from", value.from}};
            } else if constexpr (std::is_same_v<type, events::connection>) {
                json out{{"event", "connection"}, {"state", to_string(value.state)}};
                if (value.retry_ms) {
                    out["retry_ms"] = *value.retry_ms;
                }
                if (!value.reason.empty()) {
                    out["reason"] = value.reason;
                }
                return out;
            } else {
                return {{"event", "error"}, {"code", value.code}, {"message", value.message}};
            }
        },
        e);
}

json group_event_json(const group_event& e) {
    return std::visit(
        [](const auto& value) -> json {
            using type = std::decay_t<decltype(value)>;
            if constexpr (std::is_same_v<type, events::group>) {
                return {{"event", "group"},         {"group", value.group},
                        {"name", value.name},       {"change", value.change},
                        {"by", value.by},           {"subjects", value.subjects},
                        {"members", value.members}, {"member", value.member}};
            } else if constexpr (std::is_same_v<type, events::group_rejected>) {
                return {{"event", "group_rejected"},
                        {"group", value.group},
                        {"from", value.from},
                        {"reason", value.reason}};
            } else if constexpr (std::is_same_v<type, events::group_message>) {
                return {{"event", "message"}, {"group", value.group}, {"from", value.from},
                        {"text", value.text}, {"id", value.id},       {"ts", value.ts}};
            } else {
                return {{"event", "receipt"},
                        {"group", value.group},
                        {"id", value.id},
                        {"status", to_string(value.status)}};
            }
        },
        e);
}

json group_json(const group_summary& group) {
    json members = json::array();
    for (const auto& m : group.members) {
        members.push_back({{"user", m.user}, {"admin", m.admin}});
    }
    return {{"group", group.id},
            {"name", group.name},
            {"member", group.member},
            {"version", group.version},
            {"members", members}};
}

class batch_session {
  public:
    batch_session(asio::io_context& io, engine_options options, int input_fd, int output_fd)
        : io_(io), input_(io, ::dup(input_fd)), output_fd_(output_fd),
          signals_(io, SIGINT, SIGTERM),
          engine_(io, std::move(options), [this](const event& e) { on_event(e); }) {
        engine_.on_group_event([this](const group_event& e) { write(group_event_json(e)); });
    }

    int run(crypto::secret_buffer passphrase) {
        signals_.async_wait([this](std::error_code error, int) {
            if (!error) {
                finish(0);
            }
        });
        engine_.start(std::move(passphrase));
        io_.run();
        return exit_code_;
    }

  private:
    void write(const json& line) {
        std::string text = line.dump(-1, ' ', false, json::error_handler_t::replace);
        text += '\n';
        std::size_t written = 0;
        while (written < text.size()) {
            const auto n = ::write(output_fd_, text.data() + written, text.size() - written);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return; // the reader went away; nothing to report to
            }
            written += static_cast<std::size_t>(n);
        }
    }

    void on_event(const event& e) {
        write(event_json(e));
        if (const auto* ready = std::get_if<events::ready>(&e)) {
            own_user_ = ready->user;
        }
        if (std::holds_alternative<events::ready>(e) && !reading_) {
            reading_ = true;
            asio::co_spawn(io_, read_loop(), asio::detached);
        }
        if (const auto* error = std::get_if<events::error>(&e); error && error->fatal) {
            finish(1);
        }
    }

    void error(const std::string& code, const std::string& message, const json& tag) {
        json out{{"event", "error"}, {"code", code}, {"message", message}};
        if (!tag.is_null()) {
            out["tag"] = tag;
        }
        write(out);
    }

    void answer(const std::string& cmd, const json& tag, json fields) {
        json out{{"event", "result"}, {"cmd", cmd}};
        if (!tag.is_null()) {
            out["tag"] = tag;
        }
        for (auto& [key, value] : fields.items()) {
            out[key] = std::move(value);
        }
        write(out);
    }

    asio::awaitable<void> read_loop() {
        std::string buffer;
        for (;;) {
            auto [error, length] = co_await asio::async_read_until(
                input_, asio::dynamic_buffer(buffer, max_line_size), '\n', use_tuple);
            if (error == asio::error::not_found) {
                this->error("bad_json", "an input line is longer than 1 MiB", nullptr);
                buffer.clear();
                continue;
            }
            if (error) {
                if (!buffer.empty()) {
                    handle_line(buffer);
                }
                co_await quit();
                co_return;
            }
            std::string line = buffer.substr(0, length - 1);
            buffer.erase(0, length);
            if (handle_line(line)) {
                co_await quit();
                co_return;
            }
        }
    }

    // Lets a running export finish (its result is the answer the script waits for) and waits a
    // moment for the relay to acknowledge what was handed to it, then stops.
    asio::awaitable<void> quit() {
        asio::steady_timer wait(io_);
        for (int i = 0;
             engine_.exporting() || (i < 30 && engine_.connected() && engine_.unacknowledged() > 0);
             ++i) {
            wait.expires_after(std::chrono::milliseconds(100));
            co_await wait.async_wait(use_tuple);
        }
        finish(0);
    }

    void finish(int code) {
        if (finished_) {
            return;
        }
        finished_ = true;
        exit_code_ = code;
        engine_.stop();
        signals_.cancel();
        std::error_code ignored;
        input_.cancel(ignored);
        input_.close(ignored);
    }

    template <typename T>
    static bool failed(const result<T>& outcome) {
        return std::holds_alternative<command_error>(outcome);
    }

    void report(const command_error& failure, const json& tag) {
        error(failure.code, failure.message, tag);
    }

    // True when the line asks to quit.
    bool handle_line(const std::string& line) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) {
            return false;
        }
        const json command = json::parse(line, nullptr, false);
        if (command.is_discarded() || !command.is_object()) {
            error("bad_json", "not a JSON object", nullptr);
            return false;
        }
        const json tag = command.contains("tag") ? command["tag"] : json();
        if (!command.contains("cmd") || !command["cmd"].is_string()) {
            error("bad_command", "a command needs a string field 'cmd'", tag);
            return false;
        }
        const std::string cmd = command["cmd"].get<std::string>();
        auto text_field = [&](const char* name) -> std::optional<std::string> {
            const auto found = command.find(name);
            if (found == command.end() || !found->is_string()) {
                error("bad_command", "'" + cmd + "' needs a string field '" + name + "'", tag);
                return std::nullopt;
            }
            return found->get<std::string>();
        };
        try {
            if (cmd == "quit") {
                return true;
            }
            auto names_field = [&](const char* name) -> std::optional<std::vector<std::string>> {
                const auto found = command.find(name);
                bool valid = found != command.end() && found->is_array();
                if (valid) {
                    for (const auto& item : *found) {
                        valid = valid && item.is_string();
                    }
                }
                if (!valid) {
                    error("bad_command",
                          "'" + cmd + "' needs a field '" + name + "' with a list of usernames",
                          tag);
                    return std::nullopt;
                }
                return found->get<std::vector<std::string>>();
            };
            if (cmd.rfind("group", 0) == 0 || (cmd == "send" && command.contains("group")) ||
                (cmd == "history" && command.contains("group"))) {
                handle_group(cmd, command, tag, text_field, names_field);
                return false;
            }
            if (cmd == "send") {
                const auto to = text_field("to");
                const auto text = to ? text_field("text") : std::nullopt;
                if (!to || !text) {
                    return false;
                }
                const auto outcome = engine_.send(*to, *text);
                if (failed(outcome)) {
                    report(std::get<command_error>(outcome), tag);
                } else {
                    answer(cmd, tag, {{"id", std::get<message_id_hex>(outcome)}, {"to", *to}});
                }
            } else if (cmd == "contacts") {
                json list = json::array();
                for (const auto& contact : engine_.contacts()) {
                    list.push_back({{"user", contact.user},
                                    {"online", contact.online},
                                    {"verified", contact.verified},
                                    {"key_state", key_state_name(contact.keys)},
                                    {"request", request_name(contact.request)},
                                    {"unread", contact.unread},
                                    {"handshake", state_name(contact.handshake)}});
                }
                answer(cmd, tag, {{"contacts", list}});
            } else if (cmd == "history") {
                const auto with = text_field("with");
                if (!with) {
                    return false;
                }
                std::size_t limit = 50;
                if (command.contains("limit")) {
                    if (!command["limit"].is_number_integer() ||
                        command["limit"].get<std::int64_t>() < 1 ||
                        command["limit"].get<std::int64_t>() > 1000) {
                        error("bad_command", "'limit' must be an integer from 1 to 1000", tag);
                        return false;
                    }
                    limit = command["limit"].get<std::size_t>();
                }
                std::optional<std::string> before;
                if (command.contains("before")) {
                    if (!command["before"].is_string()) {
                        error("bad_command", "'before' must be a message id", tag);
                        return false;
                    }
                    before = command["before"].get<std::string>();
                }
                const auto outcome = engine_.history(*with, before, limit);
                if (failed(outcome)) {
                    report(std::get<command_error>(outcome), tag);
                    return false;
                }
                json messages = json::array();
                for (const auto& m : std::get<std::vector<history_entry>>(outcome)) {
                    messages.push_back({{"from", m.outgoing ? own_user_ : m.with},
                                        {"with", m.with},
                                        {"text", m.text},
                                        {"id", m.id},
                                        {"ts", m.ts},
                                        {"received_at", m.received_at},
                                        {"direction", m.outgoing ? "out" : "in"},
                                        {"status", to_string(m.status)}});
                }
                answer(cmd, tag, {{"with", *with}, {"messages", messages}});
            } else if (cmd == "verify") {
                const auto with = text_field("with");
                if (!with) {
                    return false;
                }
                const bool mark = command.contains("mark") && command["mark"].is_boolean() &&
                                  command["mark"].get<bool>();
                const auto outcome = engine_.verify(*with, mark);
                if (failed(outcome)) {
                    report(std::get<command_error>(outcome), tag);
                } else {
                    const auto& v = std::get<verification>(outcome);
                    answer(cmd, tag,
                           {{"with", *with},
                            {"safety_number", v.safety_number},
                            {"fingerprint", v.fingerprint},
                            {"verified", mark}});
                }
            } else if (cmd == "accept" || cmd == "decline" || cmd == "reset" || cmd == "close") {
                const auto with = text_field("with");
                if (!with) {
                    return false;
                }
                result<bool> outcome = cmd == "accept"    ? engine_.accept(*with)
                                       : cmd == "decline" ? engine_.decline(*with)
                                       : cmd == "reset"   ? engine_.reset(*with)
                                                          : engine_.close(*with);
                if (failed(outcome)) {
                    report(std::get<command_error>(outcome), tag);
                } else {
                    answer(cmd, tag, {{"with", *with}, {"changed", std::get<bool>(outcome)}});
                }
            } else if (cmd == "read") {
                const auto with = text_field("with");
                if (!with) {
                    return false;
                }
                const auto outcome = engine_.mark_read(*with);
                if (failed(outcome)) {
                    report(std::get<command_error>(outcome), tag);
                } else {
                    answer(cmd, tag, {{"with", *with}, {"count", std::get<std::size_t>(outcome)}});
                }
            } else if (cmd == "users") {
                engine_.users([this, tag](result<std::vector<std::string>> outcome) {
                    if (failed(outcome)) {
                        report(std::get<command_error>(outcome), tag);
                    } else {
                        answer("users", tag,
                               {{"users", std::get<std::vector<std::string>>(outcome)}});
                    }
                });
            } else if (cmd == "status") {
                const auto with = text_field("with");
                if (!with) {
                    return false;
                }
                const auto status = engine_.status(*with);
                if (!status) {
                    error("unknown_user", "no conversation with '" + *with + "'", tag);
                    return false;
                }
                json out{{"with", *with},
                         {"state", state_name(status->state)},
                         {"resent", status->resend_count},
                         {"online", status->peer_online},
                         {"verified", status->verified},
                         {"key_state", key_state_name(status->keys)},
                         {"request", request_name(status->request)},
                         {"ratchet", status->ratchet_number},
                         {"queued", status->queued}};
                if (status->next_resend) {
                    out["next_retry_ms"] = std::max<std::int64_t>(
                        0, (*status->next_resend - std::chrono::floor<std::chrono::milliseconds>(
                                                       std::chrono::system_clock::now()))
                               .count());
                }
                answer(cmd, tag, out);
            } else if (cmd == "export") {
                const auto with = text_field("with");
                const auto format = with ? text_field("format") : std::nullopt;
                const auto path = format ? text_field("path") : std::nullopt;
                if (!path) {
                    return false;
                }
                if (*format != "md" && *format != "json") {
                    error("bad_command", "'format' is md or json", tag);
                    return false;
                }
                engine_.export_conversation(
                    *with, *format == "md" ? export_format::markdown : export_format::json, *path,
                    [this, tag, with = *with, path = *path](result<std::size_t> outcome) {
                        if (failed(outcome)) {
                            report(std::get<command_error>(outcome), tag);
                        } else {
                            answer("export", tag,
                                   {{"with", with},
                                    {"path", path},
                                    {"count", std::get<std::size_t>(outcome)}});
                        }
                    });
            } else {
                error("unknown_command", "unknown command '" + cmd + "'", tag);
            }
        } catch (const std::exception& failure) {
            error("io", failure.what(), tag);
        }
        return false;
    }

    // Group commands (docs/BATCH.md "Groups").
    template <typename TextField, typename NamesField>
    void handle_group(const std::string& cmd, const json& command, const json& tag,
                      TextField& text_field, NamesField& names_field) {
        auto bool_answer = [this, cmd, tag](const std::string& group, const result<bool>& outcome) {
            if (failed(outcome)) {
                report(std::get<command_error>(outcome), tag);
            } else {
                answer(cmd, tag, {{"group", group}, {"changed", std::get<bool>(outcome)}});
            }
        };
        if (cmd == "groups") {
            json list = json::array();
            for (const auto& group : engine_.groups()) {
                list.push_back(group_json(group));
            }
            answer(cmd, tag, {{"groups", list}});
            return;
        }
        if (cmd == "group_create") {
            const auto name = text_field("name");
            const auto members = name ? names_field("members") : std::nullopt;
            if (!members) {
                return;
            }
            engine_.create_group(
                *name, *members, [this, cmd, tag, name = *name](result<group_id_hex> outcome) {
                    if (failed(outcome)) {
                        report(std::get<command_error>(outcome), tag);
                    } else {
                        answer(cmd, tag,
                               {{"group", std::get<group_id_hex>(outcome)}, {"name", name}});
                    }
                });
            return;
        }
        const auto group = text_field("group");
        if (!group) {
            return;
        }
        if (cmd == "send") {
            const auto text = text_field("text");
            if (!text) {
                return;
            }
            const auto outcome = engine_.send_group(*group, *text);
            if (failed(outcome)) {
                report(std::get<command_error>(outcome), tag);
            } else {
                answer(cmd, tag, {{"id", std::get<message_id_hex>(outcome)}, {"group", *group}});
            }
        } else if (cmd == "history") {
            std::size_t limit = 50;
            if (command.contains("limit")) {
                if (!command["limit"].is_number_integer() ||
                    command["limit"].get<std::int64_t>() < 1 ||
                    command["limit"].get<std::int64_t>() > 1000) {
                    error("bad_command", "'limit' must be an integer from 1 to 1000", tag);
                    return;
                }
                limit = command["limit"].get<std::size_t>();
            }
            std::optional<std::string> before;
            if (command.contains("before")) {
                if (!command["before"].is_string()) {
                    error("bad_command", "'before' must be a message id", tag);
                    return;
                }
                before = command["before"].get<std::string>();
            }
            const auto outcome = engine_.group_history(*group, before, limit);
            if (failed(outcome)) {
                report(std::get<command_error>(outcome), tag);
                return;
            }
            json messages = json::array();
            for (const auto& m : std::get<std::vector<group_history_entry>>(outcome)) {
                messages.push_back({{"from", m.from},
                                    {"group", *group},
                                    {"text", m.text},
                                    {"id", m.id},
                                    {"ts", m.ts},
                                    {"kind", m.event ? "event" : "text"},
                                    {"direction", m.outgoing ? "out" : "in"},
                                    {"status", to_string(m.status)}});
            }
            answer(cmd, tag, {{"group", *group}, {"messages", messages}});
        } else if (cmd == "group_invite") {
            const auto members = names_field("members");
            if (!members) {
                return;
            }
            engine_.invite(*group, *members, [bool_answer, group = *group](result<bool> outcome) {
                bool_answer(group, outcome);
            });
        } else if (cmd == "group_remove") {
            const auto members = names_field("members");
            if (!members) {
                return;
            }
            bool_answer(*group, engine_.remove_members(*group, *members));
        } else if (cmd == "group_leave") {
            bool_answer(*group, engine_.leave_group(*group));
        } else if (cmd == "group_rename") {
            const auto name = text_field("name");
            if (!name) {
                return;
            }
            bool_answer(*group, engine_.rename_group(*group, *name));
        } else {
            error("unknown_command", "unknown command '" + cmd + "'", tag);
        }
    }

  public:
    std::string own_user_;

  private:
    asio::io_context& io_;
    asio::posix::stream_descriptor input_;
    int output_fd_;
    asio::signal_set signals_;
    engine engine_;
    bool reading_ = false;
    bool finished_ = false;
    int exit_code_ = 0;
};

} // namespace

int run_batch(engine_options options, crypto::secret_buffer passphrase, int input_fd,
              int output_fd) {
    asio::io_context io(1);
    batch_session session(io, std::move(options), input_fd, output_fd);
    return session.run(std::move(passphrase));
}

} // namespace sotto::client
