#include "client/engine.h"

#include "tests/net/relay_fixture.h"

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <stdlib.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>

namespace client = sotto::client;
namespace crypto = sotto::crypto;
using namespace std::chrono_literals;

namespace {

struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "sotto-engine-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
};

client::engine_options options_for(const std::filesystem::path& profile, crypto::kdf_params kdf) {
    client::engine_options options;
    options.profile_directory = profile;
    options.username = "alice";
    options.relay_address = "127.0.0.1:9"; // nothing listens: the engine keeps reconnecting
    options.trust_on_first_use = true;
    options.kdf = kdf;
    return options;
}

// Runs `io` until `done` or the timeout; returns whether `done` became true.
bool run_until(asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        io.run_for(10ms);
        if (io.stopped()) {
            io.restart();
        }
    }
    return done();
}

// Ticks a 5 ms timer on `io` and records the longest gap between ticks: how long the engine's
// thread was kept from running.
class tick_watch {
  public:
    explicit tick_watch(asio::io_context& io) : timer_(io) { tick(); }
    ~tick_watch() { timer_.cancel(); }
    [[nodiscard]] int ticks() const { return ticks_; }
    [[nodiscard]] std::chrono::steady_clock::duration longest_gap() const { return longest_; }

  private:
    void tick() {
        timer_.expires_after(5ms);
        timer_.async_wait([this](std::error_code error) {
            if (error) {
                return;
            }
            const auto now = std::chrono::steady_clock::now();
            longest_ = std::max(longest_, now - last_);
            last_ = now;
            ++ticks_;
            tick();
        });
    }
    asio::steady_timer timer_;
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::duration longest_{};
    int ticks_ = 0;
};

// Starts `engine` and runs `io` until it is unlocked.
void start_and_wait(asio::io_context& io, client::engine& engine, std::string_view passphrase) {
    engine.start(crypto::make_passphrase(passphrase));
    REQUIRE(run_until(
        io, [&] { return engine.started(); }, 10s));
}

} // namespace

TEST_CASE("the Argon2id unlock runs aside: the io_context keeps ticking meanwhile",
          "[client][engine]") {
    temp_dir dir;
    asio::io_context io;
    std::vector<client::event> events;
    client::engine engine(io, options_for(dir.path / "p", crypto::kdf_params::interactive()),
                          [&](const client::event& e) { events.push_back(e); });
    const auto started = std::chrono::steady_clock::now();
    engine.start(crypto::make_passphrase("correct horse"));
    tick_watch watch(io);
    REQUIRE(run_until(
        io, [&] { return engine.started(); }, 30s));
    const auto unlock_time = std::chrono::steady_clock::now() - started;
    INFO(
        "unlock took " << std::chrono::duration_cast<std::chrono::milliseconds>(unlock_time).count()
                       << " ms");
    CHECK(unlock_time >
          20ms); // Argon2id at 64 MiB is not instant, so the check below means something
    CHECK(watch.ticks() > 2);
    CHECK(watch.longest_gap() < unlock_time / 2);
    REQUIRE_FALSE(events.empty());
    CHECK(std::holds_alternative<client::events::ready>(events.front()));
    engine.stop();
}

TEST_CASE("the engine refuses a wrong passphrase with a fatal error and stays locked",
          "[client][engine]") {
    temp_dir dir;
    {
        asio::io_context io;
        client::engine engine(io, options_for(dir.path / "p", crypto::kdf_params::cheap()),
                              [](const client::event&) {});
        start_and_wait(io, engine, "right");
        CHECK(std::holds_alternative<std::string>(engine.send("bob", "queued while offline")));
        engine.stop();
    }
    asio::io_context io;
    std::vector<client::event> events;
    client::engine engine(io, options_for(dir.path / "p", crypto::kdf_params::cheap()),
                          [&](const client::event& e) { events.push_back(e); });
    engine.start(crypto::make_passphrase("wrong"));
    REQUIRE(run_until(
        io, [&] { return !events.empty(); }, 10s));
    const auto* error = std::get_if<client::events::error>(&events.front());
    REQUIRE(error);
    CHECK(error->code == "wrong_passphrase");
    CHECK(error->fatal);
    CHECK_FALSE(engine.started());
    const auto refused = engine.send("bob", "x");
    REQUIRE(std::holds_alternative<client::command_error>(refused));
    CHECK(std::get<client::command_error>(refused).code == "not_ready");
}

TEST_CASE("texts sent while offline wait in the outbox with status queued", "[client][engine]") {
    temp_dir dir;
    asio::io_context io;
    client::engine engine(io, options_for(dir.path / "p", crypto::kdf_params::cheap()),
                          [](const client::event&) {});
    start_and_wait(io, engine, "pw");
    for (int i = 0; i < 3; ++i) {
        REQUIRE(
            std::holds_alternative<std::string>(engine.send("bob", "note " + std::to_string(i))));
    }
    const auto status = engine.status("bob");
    REQUIRE(status);
    CHECK(status->state == crypto::handshake_state::offering);
    CHECK(status->queued == 3);
    CHECK_FALSE(status->peer_online);
    const auto history = engine.history("bob", std::nullopt, 2);
    REQUIRE(std::holds_alternative<std::vector<client::history_entry>>(history));
    const auto& entries = std::get<std::vector<client::history_entry>>(history);
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].text == "note 1");
    CHECK(entries[1].status == sotto::store::message_status::queued);
    CHECK(std::get<client::command_error>(engine.send("alice", "me")).code == "unknown_user");
    CHECK(std::get<client::command_error>(engine.verify("bob", false)).code == "no_key");
    engine.stop();
}

namespace {

// Holds the store's sync worker while `hold` is set.
struct sync_gate {
    std::mutex mutex;
    std::condition_variable changed;
    bool hold = false;
    int waiting = 0;

    std::function<void()> hook() {
        return [this] {
            std::unique_lock lock(mutex);
            ++waiting;
            changed.notify_all();
            changed.wait(lock, [&] { return !hold; });
            --waiting;
        };
    }
    void set(bool value) {
        std::lock_guard lock(mutex);
        hold = value;
        changed.notify_all();
    }
    bool worker_waiting() {
        std::lock_guard lock(mutex);
        return waiting > 0;
    }
};

struct relay_user {
    std::vector<std::string> texts; // received, in order
    std::unique_ptr<client::engine> engine;
};

} // namespace

TEST_CASE("a message goes to the relay only once its commit is on disk, and the engine's thread "
          "never waits for the disk",
          "[client][engine]") {
    sotto::testing::test_relay relay;
    temp_dir dir;
    asio::io_context io;
    sync_gate gate;
    auto start = [&](relay_user& user, const std::string& name, bool gated) {
        auto options = options_for(dir.path / name, crypto::kdf_params::cheap());
        options.username = name;
        options.relay_address = "127.0.0.1:" + std::to_string(relay.server->port());
        options.relay_fingerprint = relay.fingerprint;
        if (gated) {
            options.before_durable_sync = gate.hook();
        }
        user.engine =
            std::make_unique<client::engine>(io, options, [&user](const client::event& e) {
                if (const auto* message = std::get_if<client::events::message>(&e)) {
                    user.texts.push_back(message->text);
                }
            });
        user.engine->start(crypto::make_passphrase("pw"));
    };
    relay_user alice;
    relay_user bob;
    start(alice, "alice", true);
    start(bob, "bob", false);
    REQUIRE(run_until(
        io, [&] { return alice.engine->started() && bob.engine->started(); }, 10s));
    REQUIRE(std::holds_alternative<std::string>(alice.engine->send("bob", "hello bob")));
    REQUIRE(std::holds_alternative<std::string>(bob.engine->send("alice", "hello alice")));
    REQUIRE(run_until(
        io, [&] { return !alice.texts.empty() && !bob.texts.empty(); }, 20s));

    gate.set(true);
    REQUIRE(std::holds_alternative<std::string>(alice.engine->send("bob", "after the commit")));
    // The engine's thread keeps running (a timer ticks on time) while the disk "hangs".
    tick_watch watch(io);
    REQUIRE(run_until(
        io, [&] { return gate.worker_waiting(); }, 5s));
    run_until(
        io, [] { return false; }, 500ms);
    CHECK(bob.texts.size() == 1); // not sent while its commit was not on disk
    CHECK(watch.longest_gap() < 100ms);
    const auto history = alice.engine->history("bob", std::nullopt, 10);
    REQUIRE(std::holds_alternative<std::vector<client::history_entry>>(history));
    CHECK(std::get<std::vector<client::history_entry>>(history).back().text == "after the commit");

    gate.set(false);
    REQUIRE(run_until(
        io, [&] { return bob.texts.size() == 2; }, 10s));
    CHECK(bob.texts.back() == "after the commit");
    alice.engine->stop();
    bob.engine->stop();
    run_until(
        io, [] { return false; }, 50ms);
}

TEST_CASE("an export is written on a worker: the engine answers meanwhile, one export runs at a "
          "time, and the file appears only complete",
          "[client][engine]") {
    temp_dir dir;
    asio::io_context io;
    client::engine engine(io, options_for(dir.path / "p", crypto::kdf_params::cheap()),
                          [](const client::event&) {});
    start_and_wait(io, engine, "pw");
    constexpr std::size_t sent = 1200;
    for (std::size_t i = 0; i < sent; ++i) {
        REQUIRE(
            std::holds_alternative<std::string>(engine.send("bob", "line " + std::to_string(i))));
    }
    const auto path = dir.path / "bob.json";
    std::optional<client::result<std::size_t>> outcome;
    engine.export_conversation("bob", client::export_format::json, path,
                               [&](client::result<std::size_t> done) { outcome = done; });
    CHECK_FALSE(outcome); // not on this thread
    CHECK(engine.exporting());
    std::optional<client::result<std::size_t>> second;
    engine.export_conversation("bob", client::export_format::markdown, dir.path / "bob.md",
                               [&](client::result<std::size_t> done) { second = done; });
    REQUIRE(second);
    REQUIRE(std::holds_alternative<client::command_error>(*second));
    CHECK(std::get<client::command_error>(*second).code == "busy");
    // The engine's thread is free meanwhile: the history answers from the store at once.
    const auto page = engine.history("bob", std::nullopt, 5);
    REQUIRE(std::holds_alternative<std::vector<client::history_entry>>(page));
    CHECK(std::get<std::vector<client::history_entry>>(page).back().text == "line 1199");

    REQUIRE(run_until(
        io, [&] { return outcome.has_value(); }, 20s));
    REQUIRE(std::holds_alternative<std::size_t>(*outcome));
    CHECK(std::get<std::size_t>(*outcome) == sent);
    CHECK_FALSE(engine.exporting());
    CHECK_FALSE(std::filesystem::exists(path.string() + ".partial"));
    std::ifstream in(path);
    const auto exported = nlohmann::json::parse(in);
    REQUIRE(exported["messages"].size() == sent);
    CHECK(exported["messages"][0]["text"] == "line 0");
    CHECK(exported["messages"][sent - 1]["text"] == "line 1199");
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
    engine.stop();
}

TEST_CASE("an export never writes through a link or an old file left at its .partial name",
          "[client][engine]") {
    temp_dir dir;
    asio::io_context io;
    client::engine engine(io, options_for(dir.path / "p", crypto::kdf_params::cheap()),
                          [](const client::event&) {});
    start_and_wait(io, engine, "pw");
    REQUIRE(std::holds_alternative<std::string>(engine.send("bob", "secret")));
    const auto victim = dir.path / "victim";
    std::ofstream(victim) << "keep";
    std::filesystem::create_symlink(victim, dir.path / "bob.json.partial");
    std::ofstream(dir.path / "bob.md.partial") << "old";
    std::filesystem::permissions(
        dir.path / "bob.md.partial",
        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
            std::filesystem::perms::group_read | std::filesystem::perms::others_read);
    const auto exported = [&](client::export_format format, const std::filesystem::path& path) {
        std::optional<client::result<std::size_t>> outcome;
        engine.export_conversation("bob", format, path,
                                   [&](client::result<std::size_t> done) { outcome = done; });
        REQUIRE(run_until(
            io, [&] { return outcome.has_value(); }, 10s));
        REQUIRE(std::holds_alternative<std::size_t>(*outcome));
        CHECK(std::get<std::size_t>(*outcome) == 1);
        struct stat info {};
        REQUIRE(::lstat(path.c_str(), &info) == 0);
        CHECK(S_ISREG(info.st_mode));
        CHECK((info.st_mode & 0777) == 0600);
    };
    exported(client::export_format::json, dir.path / "bob.json");
    exported(client::export_format::markdown, dir.path / "bob.md");
    std::ifstream in(victim);
    CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == "keep");
    CHECK_FALSE(std::filesystem::exists(dir.path / "bob.json.partial"));
    CHECK_FALSE(std::filesystem::exists(dir.path / "bob.md.partial"));
    engine.stop();
}
