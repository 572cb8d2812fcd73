#pragma once
// Makes a WAL database's commits durable on a worker thread, so the thread that commits never
// waits for the disk. The database runs with synchronous=NORMAL and no automatic checkpoint
// (client_store::defer_durability): a commit only writes the WAL (into the page cache), which
// already survives a crash of the process. For a power loss, request(mark) asks the worker to
// fdatasync the WAL; once done(mark) arrives every commit made before the request is on disk,
// exactly as synchronous=FULL would have it, and the caller may let the world see it (send the
// frame, acknowledge the delivery). Requests made while a sync runs share the next one (group
// commit). After a sync, and after its completion was posted, once the writer's commits have put
// more than `checkpoint_bytes` into the WAL since SQLite last started it over (a wal_watch on the
// writer counts them), the worker also checkpoints it through its own connection (PASSIVE: never
// blocks the writer). The writer's next commit then starts the WAL over from its beginning,
// which keeps it bounded; the file keeps its size, so a sync writes data blocks only. A commit
// made while the checkpoint runs keeps the WAL from starting over (later tries copy what came
// since); a writer that never pauses long enough gets to wal_watch's limit, and there checkpoints
// the little the worker left itself, which lets its next commit start the WAL over.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;

namespace sotto::store {

// How much the commits of one connection (the writer) put into its WAL since SQLite last started
// the WAL over: SQLite's commit hook reports the WAL's length in frames after every commit.
// Past `limit_bytes` the hook checkpoints on the writer's thread (PASSIVE, as SQLite's automatic
// checkpoint would, which the hook replaces): the frames a wal_sync copied already are not
// copied again, but the database file is synced there, a stall the writer takes only when its
// commits never paused for the worker's checkpoints to finish. Made and destroyed on the
// writer's thread; bytes() from any thread.
class wal_watch {
  public:
    static constexpr std::uint64_t default_limit = 16 * 1024 * 1024;
    explicit wal_watch(sqlite3* writer, std::uint64_t limit_bytes = default_limit);
    ~wal_watch();
    wal_watch(const wal_watch&) = delete;
    wal_watch& operator=(const wal_watch&) = delete;

    [[nodiscard]] std::uint64_t bytes() const noexcept;
    // Checkpoints the writer ran itself (tests).
    [[nodiscard]] std::uint64_t writer_checkpoints() const noexcept;

  private:
    static int committed(void* self, sqlite3* database, const char* name, int frames);

    sqlite3* const writer_;
    const std::uint64_t limit_bytes_;
    std::uint64_t frame_bytes_ = 0; // a page and its 24-byte frame header
    std::atomic<std::uint64_t> frames_{0};
    std::atomic<std::uint64_t> writer_checkpoints_{0};
};

struct wal_sync_options {
    std::uint64_t checkpoint_bytes = 4 * 1024 * 1024;
    // Tests: runs on the worker before each sync (to hold one back).
    std::function<void()> before_sync;
};

class wal_sync {
  public:
    // Hands a function to the caller's thread (e.g. asio::post onto its io_context).
    using poster = std::function<void(std::function<void()>)>;
    // On the caller's thread: every commit made before request(mark) is durable, or `error`
    // (not empty) says why it may not be; the request is then to be made again.
    using completion = std::function<void(std::uint64_t mark, const std::string& error)>;

    // `database` is the database file; the writer's connection, and `content` watching it, stay
    // open while this exists. A -wal file that cannot be synced is reported through `done`.
    wal_sync(std::filesystem::path database, const wal_watch& content, poster post, completion done,
             wal_sync_options options = {});
    // Finishes the sync under way (its completion is still posted) and stops.
    ~wal_sync();
    wal_sync(const wal_sync&) = delete;
    wal_sync& operator=(const wal_sync&) = delete;

    // Makes every commit made before this call durable, then done(mark); marks only grow.
    void request(std::uint64_t mark);

    // Syncs and checkpoints performed so far (tests).
    [[nodiscard]] std::uint64_t syncs() const;
    [[nodiscard]] std::uint64_t checkpoints() const;

  private:
    void run();

    const std::filesystem::path database_;
    const std::filesystem::path wal_;
    const wal_watch& content_;
    const poster post_;
    const completion done_;
    const wal_sync_options options_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::uint64_t requested_ = 0;
    std::uint64_t syncs_ = 0;
    std::uint64_t checkpoints_ = 0;
    bool has_request_ = false;
    bool stopping_ = false;
    std::thread worker_; // last: starts once everything above exists
};

} // namespace sotto::store
