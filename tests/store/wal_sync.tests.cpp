#include "store/wal_sync.h"

#include "tests/support/temporary_directory.h"

#include <SQLiteCpp/Database.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <string>

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

// A WAL database written the way a deferred client store writes it.
SQLite::Database deferred_database(const std::filesystem::path& file) {
    SQLite::Database database(file, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    database.exec("PRAGMA journal_mode=WAL");
    database.exec("PRAGMA synchronous=NORMAL");
    database.exec("PRAGMA wal_autocheckpoint=0");
    database.exec("PRAGMA journal_size_limit=0");
    database.exec("CREATE TABLE t (v BLOB)");
    return database;
}

void write_blob(SQLite::Database& database, std::size_t size) {
    SQLite::Statement insert(database, "INSERT INTO t VALUES (zeroblob(?))");
    insert.bind(1, static_cast<std::int64_t>(size));
    insert.exec();
}

} // namespace

TEST_CASE("a sync request is answered on the caller's thread with its mark", "[store][wal_sync]") {
    sotto::testing::temporary_directory dir("sotto-ws");
    auto database = deferred_database(dir / "x.db");
    caller_thread caller;
    std::uint64_t synced = 0;
    std::string error = "none yet";
    const auto thread = std::this_thread::get_id();
    std::thread::id answered_on;
    store::wal_sync sync(dir / "x.db", caller.poster(),
                         [&](std::uint64_t mark, const std::string& why) {
                             synced = mark;
                             error = why;
                             answered_on = std::this_thread::get_id();
                         });
    write_blob(database, 100);
    sync.request(7);
    caller.run_until([&] { return synced == 7; });
    CHECK(error.empty());
    CHECK(answered_on == thread);
    CHECK(sync.syncs() == 1);
}

TEST_CASE("requests made while a sync runs share the next one", "[store][wal_sync]") {
    sotto::testing::temporary_directory dir("sotto-ws");
    auto database = deferred_database(dir / "x.db");
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
        dir / "x.db", caller.poster(),
        [&](std::uint64_t mark, const std::string&) { answers.push_back(mark); }, options);
    sync.request(1);
    first_started.get_future().wait();
    for (std::uint64_t mark = 2; mark <= 100; ++mark) {
        write_blob(database, 10);
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
    constexpr int writes = 100; // 10 MB in all
    {
        // Without the worker the WAL holds every write.
        auto database = deferred_database(dir / "alone.db");
        for (int i = 0; i < writes; ++i) {
            write_blob(database, blob);
        }
        CHECK(std::filesystem::file_size(dir / "alone.db-wal") > writes * blob);
    }
    auto database = deferred_database(dir / "x.db");
    caller_thread caller;
    std::uint64_t synced = 0;
    store::wal_sync_options options;
    options.checkpoint_bytes = 1024 * 1024;
    store::wal_sync sync(
        dir / "x.db", caller.poster(),
        [&](std::uint64_t mark, const std::string&) { synced = mark; }, options);
    for (int i = 1; i <= writes; ++i) {
        write_blob(database, blob);
        sync.request(static_cast<std::uint64_t>(i));
        caller.run_until([&] { return synced == static_cast<std::uint64_t>(i); });
    }
    CHECK(std::filesystem::file_size(dir / "x.db-wal") < 3 * 1024 * 1024);
    CHECK(database.execAndGet("SELECT count(*) FROM t").getInt() == writes);
    // About one checkpoint per megabyte written: the writer empties the WAL when it starts it
    // over (journal_size_limit=0), so a sync after a checkpoint does not find it large again.
    CHECK(sync.checkpoints() >= 5);
    CHECK(sync.checkpoints() <= 20);
}

TEST_CASE("a WAL that cannot be synced is reported, never taken as durable", "[store][wal_sync]") {
    sotto::testing::temporary_directory dir("sotto-ws");
    caller_thread caller;
    std::uint64_t synced = 0;
    std::string error;
    store::wal_sync sync(dir / "missing.db", caller.poster(),
                         [&](std::uint64_t mark, const std::string& why) {
                             synced = mark;
                             error = why;
                         });
    sync.request(3);
    caller.run_until([&] { return synced == 3; });
    CHECK_THAT(error, Catch::Contains("cannot open") && Catch::Contains("missing.db-wal"));
}
