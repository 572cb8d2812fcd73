#include "store/wal_sync.h"

#include <SQLiteCpp/Database.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <system_error>

namespace sotto::store {

namespace {

// The -wal file, kept open between syncs (a write-back error is reported to the descriptors open
// when it happened). When the file is new (first sync, or SQLite deleted and recreated it) its
// directory is synced too, after the file: the entry must survive a power loss as well.
class wal_file {
  public:
    explicit wal_file(std::filesystem::path path) : path_(std::move(path)) {}
    ~wal_file() { close(); }
    wal_file(const wal_file&) = delete;
    wal_file& operator=(const wal_file&) = delete;

    // fdatasync; an empty string, or why not.
    std::string sync() {
        struct stat now {};
        if (::stat(path_.c_str(), &now) != 0) {
            close();
            return fmt::format("cannot open {}: {}", path_.string(), std::strerror(errno));
        }
        if (fd_ < 0 || now.st_dev != device_ || now.st_ino != inode_) {
            close();
            fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd_ < 0) {
                return fmt::format("cannot open {}: {}", path_.string(), std::strerror(errno));
            }
            device_ = now.st_dev;
            inode_ = now.st_ino;
            directory_synced_ = false;
        }
        if (::fdatasync(fd_) != 0) {
            const int failure = errno;
            close(); // the next sync reopens; this error is not forgotten by reporting it
            return fmt::format("cannot sync {} to disk: {}", path_.string(),
                               std::strerror(failure));
        }
        if (!directory_synced_) {
            const auto directory =
                path_.parent_path().empty() ? std::filesystem::path(".") : path_.parent_path();
            const int dir = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (dir < 0 || ::fsync(dir) != 0) {
                const int failure = errno;
                if (dir >= 0) {
                    ::close(dir);
                }
                return fmt::format("cannot sync {} to disk: {}", directory.string(),
                                   std::strerror(failure));
            }
            ::close(dir);
            directory_synced_ = true;
        }
        return {};
    }

  private:
    void close() {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }
    std::filesystem::path path_;
    int fd_ = -1;
    dev_t device_ = 0;
    ino_t inode_ = 0;
    bool directory_synced_ = false;
};

} // namespace

wal_watch::wal_watch(sqlite3* writer, std::uint64_t limit_bytes)
    : writer_(writer), limit_bytes_(limit_bytes) {
    sqlite3_stmt* statement = nullptr;
    std::uint64_t page = 4096;
    if (sqlite3_prepare_v2(writer_, "PRAGMA page_size", -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
        page = static_cast<std::uint64_t>(sqlite3_column_int64(statement, 0));
    }
    sqlite3_finalize(statement);
    frame_bytes_ = page + 24;
    sqlite3_wal_hook(writer_, &wal_watch::committed, this);
}

wal_watch::~wal_watch() {
    sqlite3_wal_hook(writer_, nullptr, nullptr);
}

std::uint64_t wal_watch::bytes() const noexcept {
    return frames_.load(std::memory_order_relaxed) * frame_bytes_;
}

std::uint64_t wal_watch::writer_checkpoints() const noexcept {
    return writer_checkpoints_.load(std::memory_order_relaxed);
}

int wal_watch::committed(void* self, sqlite3* database, const char* name, int frames) {
    auto& watch = *static_cast<wal_watch*>(self);
    watch.frames_.store(static_cast<std::uint64_t>(frames), std::memory_order_relaxed);
    if (static_cast<std::uint64_t>(frames) * watch.frame_bytes_ > watch.limit_bytes_) {
        // As SQLite's own automatic checkpoint does it: errors (a busy database) are ignored,
        // the commit stands, and a later commit tries again.
        if (sqlite3_wal_checkpoint_v2(database, name, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                      nullptr) == SQLITE_OK) {
            watch.writer_checkpoints_.fetch_add(1, std::memory_order_relaxed);
        }
    }
    return SQLITE_OK;
}

wal_sync::wal_sync(std::filesystem::path database, const wal_watch& content, poster post,
                   completion done, wal_sync_options options)
    : database_(std::move(database)), wal_(database_.string() + "-wal"), content_(content),
      post_(std::move(post)), done_(std::move(done)), options_(std::move(options)),
      worker_([this] { run(); }) {}

wal_sync::~wal_sync() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    worker_.join();
}

void wal_sync::request(std::uint64_t mark) {
    {
        std::lock_guard lock(mutex_);
        requested_ = std::max(requested_, mark);
        has_request_ = true;
    }
    wake_.notify_one();
}

std::uint64_t wal_sync::syncs() const {
    std::lock_guard lock(mutex_);
    return syncs_;
}

std::uint64_t wal_sync::checkpoints() const {
    std::lock_guard lock(mutex_);
    return checkpoints_;
}

void wal_sync::run() {
    std::optional<SQLite::Database> checkpointer;
    wal_file wal(wal_);
    std::uint64_t last_try = 0; // the WAL's content at the last checkpoint
    for (;;) {
        std::uint64_t mark = 0;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || has_request_; });
            if (stopping_) {
                return;
            }
            mark = requested_;
            has_request_ = false;
        }
        if (options_.before_sync) {
            options_.before_sync();
        }
        std::string error = wal.sync();
        const bool synced = error.empty();
        {
            std::lock_guard lock(mutex_);
            ++syncs_;
        }
        post_([done = done_, mark, error = std::move(error)] { done(mark, error); });
        // After the completion: what waited on this sync goes out while the checkpoint runs.
        // SQLite starts the WAL over at the writer's first commit after a checkpoint that left
        // nothing behind; one that raced a commit leaves the WAL growing, and the next try waits
        // until another quarter of checkpoint_bytes came (one database fsync per try).
        const auto content = content_.bytes();
        if (content < last_try) {
            last_try = 0; // started over since
        }
        if (synced && content > options_.checkpoint_bytes &&
            content >= last_try + options_.checkpoint_bytes / 4) {
            last_try = content;
            try {
                if (!checkpointer) {
                    checkpointer.emplace(database_, SQLite::OPEN_READWRITE | SQLite::OPEN_NOFOLLOW);
                }
                // PASSIVE copies what no reader needs and never waits; a busy database is
                // checkpointed after a later sync.
                checkpointer->exec("PRAGMA wal_checkpoint(PASSIVE)");
            } catch (const SQLite::Exception&) {
                // The commits are durable all the same; the next sync tries again (and the
                // writer's close checkpoints whatever is left).
                checkpointer.reset();
            }
            std::lock_guard lock(mutex_);
            ++checkpoints_;
        }
    }
}

} // namespace sotto::store
