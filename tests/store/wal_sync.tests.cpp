#include "store/wal_sync.h"

#include "tests/support/temporary_directory.h"

#include <SQLiteCpp/Database.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>

namespace store = sotto::store;

namespace {

// The "caller's thread": completions are posted into a queue this test thread runs.
struct caller_thread {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<std::function<void()>> queue;

    store::wal_sync::poster poster() {
        return [this](std::function<void()> work) {
            {
                std::lock_guard lock(mutex);
                queue.push_back(std::move(work));
            }
            ready.notify_one();
        };
    }
    // Runs posted work until `done` holds (or fails after 10 s).
    void run_until(const std::function<bool()>& done) {
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!done()) {
            std::function<void()> work;
            {
                std::unique_lock lock(mutex);
                REQUIRE(ready.wait_until(lock, give_up, [&] { return !queue.empty(); }));
                work = std::move(queue.front());
                queue.pop_front();
            }
            work();
        }
    }
};

// A WAL database written the way a deferred client store writes it, and the watch on it.
struct deferred_writer {
    SQLite::Database database;
    store::wal_watch content;

    explicit deferred_writer(const std::filesystem::path& file,
                             std::uint64_t limit = store::wal_watch::default_limit)
        : database(open(file)), content(database.getHandle(), limit) {}

    static SQLite::Database open(const std::filesystem::path& file) {
        SQLite::Database database(file, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        database.exec("PRAGMA journal_mode=WAL");
        database.exec("PRAGMA synchronous=NORMAL");
        database.exec("CREATE TABLE t (v BLOB)");
        return database;
    }
};

// A deferred writer, its sync worker and the caller's thread.
struct synced_writer {
    deferred_writer writer;
    caller_thread caller;
    std::uint64_t synced = 0;
    std::uint64_t mark = 0;
    store::wal_sync sync;

    // Checkpoints past 1 MiB unless `options` says otherwise.
    synced_writer(const std::filesystem::path& file, std::uint64_t limit,
                  store::wal_sync_options options = megabyte_checkpoints())
        : writer(file, limit),
          sync(
              file, writer.content, caller.poster(),
              [this](std::uint64_t done, const std::string&) { synced = done; },
              std::move(options)) {}
    static store::wal_sync_options megabyte_checkpoints() {
        store::wal_sync_options options;
        options.checkpoint_bytes = 1024 * 1024;
        return options;
    }
    // Returns once every commit made so far is on disk.
    void durable() {
        sync.request(++mark);
        caller.run_until([&] { return synced == mark; });
    }
};

void write_blob(SQLite::Database& database, std::size_t size) {
    SQLite::Statement insert(database, "INSERT INTO t VALUES (zeroblob(?))");
    insert.bind(1, static_cast<std::int64_t>(size));
    insert.exec();
}

} // namespace

TEST_CASE("a sync request is answered on the caller's thread with its mark", "[store][wal_sync]") {
    sotto::testing::temporary_directory dir("sotto-ws");
    deferred_writer writer(dir / "x.db");
    caller_thread caller;
    std::uint64_t synced = 0;
    std::string error = "none yet";
    const auto thread = std::this_thread::get_id();
    std::thread::id answered_on;
    store::wal_sync sync(dir / "x.db", writer.content, caller.poster(),
                         [&](std::uint64_t mark, const std::string& why) {
                             synced = mark;
                             error = why;
                             answered_on = std::this_thread::get_id();
                         });
    write_blob(writer.database, 100);
    sync.request(7);
    caller.run_until([&] { return synced == 7; });
    CHECK(error.empty());
    CHECK(answered_on == thread);
    CHECK(sync.syncs() == 1);
}

TEST_CASE("requests made while a sync runs share the next one", "[store][wal_sync]") {
    sotto::testing::temporary_directory dir("sotto-ws");
    deferred_writer writer(dir / "x.db");
    caller_thread caller;
    std::promise<void> first_started;
    std::promise<void> release;
    auto released = release.get_future().share();
    int calls = 0;
    store::wal_sync_options options;
    options.before_sync = [&] {
        if (calls++ == 0) {
            first_started.set_value();
            released.wait();
        }
    };
    std::vector<std::uint64_t> answers;
    store::wal_sync sync(
        dir / "x.db", writer.content, caller.poster(),
        [&](std::uint64_t mark, const std::string&) { answers.push_back(mark); }, options);
    sync.request(1);
    first_started.get_future().wait();
    for (std::uint64_t mark = 2; mark <= 100; ++mark) {
        write_blob(writer.database, 10);
        sync.request(mark);
    }
    release.set_value();
    caller.run_until([&] { return !answers.empty() && answers.back() == 100; });
    CHECK(answers == std::vector<std::uint64_t>{1, 100});
    CHECK(sync.syncs() == 2);
}

TEST_CASE("the worker's checkpoints keep the WAL bounded when the writer never checkpoints",
          "[store][wal_sync]") {
    sotto::testing::temporary_directory dir("sotto-ws");
    constexpr std::size_t blob = 100 * 1024;
    constexpr int bursts = 20;
    constexpr int writes = 5;                 // per burst
    constexpr std::size_t total = 10'000'000; // bytes in all
    {
        // Without the worker the WAL holds every write (the watch replaced SQLite's automatic
        // checkpoint), and the watch counts them.
        deferred_writer alone(dir / "alone.db");
        for (int i = 0; i < bursts * writes; ++i) {
            write_blob(alone.database, blob);
        }
        CHECK(std::filesystem::file_size(dir / "alone.db-wal") > total);
        CHECK(alone.content.bytes() > total);
    }
    synced_writer w(dir / "x.db", store::wal_watch::default_limit);
    auto& writer = w.writer;
    // Bursts of commits, each waiting for its sync as the engine's frames do, and a moment of
    // quiet between bursts (one more sync: the worker is then past the checkpoint that may
    // follow the last one), in which SQLite can start the WAL over.
    for (int b = 0; b < bursts; ++b) {
        for (int i = 0; i < writes; ++i) {
            write_blob(writer.database, blob);
            w.durable();
        }
        w.durable();
    }
    CHECK(std::filesystem::file_size(dir / "x.db-wal") < 3 * 1024 * 1024);
    CHECK(writer.content.bytes() < 3 * 1024 * 1024);
    CHECK(writer.database.execAndGet("SELECT count(*) FROM t").getInt() == bursts * writes);
    // About one checkpoint per megabyte written, not one per sync once the WAL was large.
    CHECK(w.sync.checkpoints() >= 5);
    CHECK(w.sync.checkpoints() <= 20);
    CHECK(writer.content.writer_checkpoints() == 0); // the worker did all of them
}

TEST_CASE(
    "a writer whose commits the worker never gets to checkpoint has its WAL bounded all the same",
    "[store][wal_sync]") {
    sotto::testing::temporary_directory dir("sotto-ws");
    constexpr std::size_t blob = 100 * 1024;
    constexpr int writes = 200; // 20 MB
    constexpr std::uint64_t limit = 3 * 1024 * 1024;
    // As when every checkpoint of the worker's raced a commit: it never gets the WAL to start
    // over, so here it does not checkpoint at all.
    store::wal_sync_options options;
    options.checkpoint_bytes = UINT64_MAX;
    synced_writer w(dir / "x.db", limit, options);
    auto& writer = w.writer;
    for (int i = 0; i < writes; ++i) {
        write_blob(writer.database, blob);
        w.durable();
    }
    CHECK(std::filesystem::file_size(dir / "x.db-wal") < limit + 4 * blob); // and a commit or so
    CHECK(writer.content.writer_checkpoints() >= 1);
    CHECK(writer.content.writer_checkpoints() <= writes / 10);
    CHECK(writer.database.execAndGet("SELECT count(*) FROM t").getInt() == writes);
}

TEST_CASE("a WAL that cannot be synced is reported, never taken as durable", "[store][wal_sync]") {
    sotto::testing::temporary_directory dir("sotto-ws");
    caller_thread caller;
    std::uint64_t synced = 0;
    std::string error;
    deferred_writer writer(dir / "elsewhere.db");
    store::wal_sync sync(dir / "missing.db", writer.content, caller.poster(),
                         [&](std::uint64_t mark, const std::string& why) {
                             synced = mark;
                             error = why;
                         });
    sync.request(3);
    caller.run_until([&] { return synced == 3; });
    CHECK_THAT(error, Catch::Contains("cannot open") && Catch::Contains("missing.db-wal"));
}
