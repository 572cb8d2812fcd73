#include "store/wal_sync.h"

#include <SQLiteCpp/Database.h>
#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <system_error>

namespace sotto::store {

namespace {

// fdatasync of `file`; an empty string, or why not.
std::string sync_file(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return fmt::format("cannot open {}: {}", file.string(), std::strerror(errno));
    }
    std::string error;
    if (::fdatasync(fd) != 0) {
        error = fmt::format("cannot sync {} to disk: {}", file.string(), std::strerror(errno));
    }
    ::close(fd);
    return error;
}

} // namespace

wal_sync::wal_sync(std::filesystem::path database, poster post, completion done,
                   wal_sync_options options)
    : database_(std::move(database)), wal_(database_.string() + "-wal"), post_(std::move(post)),
      done_(std::move(done)), options_(std::move(options)), worker_([this] { run(); }) {}

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

void wal_sync::run() {
    std::optional<SQLite::Database> checkpointer;
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
        std::string error = sync_file(wal_);
        std::error_code size_error;
        const auto wal_size = std::filesystem::file_size(wal_, size_error);
        if (error.empty() && !size_error && wal_size > options_.checkpoint_bytes) {
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
        }
        {
            std::lock_guard lock(mutex_);
            ++syncs_;
        }
        post_([done = done_, mark, error = std::move(error)] { done(mark, error); });
    }
}

} // namespace sotto::store
