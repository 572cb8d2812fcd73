#include "store/sqlite_util.h"

#include "store/relay_store.h" // store_error

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace sotto::store::sqlite {

namespace {

// std::strerror is not thread safe; the generic category's message is.
std::string errno_message(int error) {
    return std::error_code(error, std::generic_category()).message();
}

std::string octal_mode(mode_t mode) {
    return fmt::format("{:04o}", static_cast<unsigned>(mode & 07777U));
}

// Creates `file` with mode 0600 unless it exists. Done before SQLite opens it because SQLite
// creates files 0644 (minus umask) and gives its -wal and -shm files the main file's mode.
void create_private_file(const std::filesystem::path& file, std::string_view what) {
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::close(fd);
        return;
    }
    const int error = errno;
    if (error == EEXIST) {
        return;
    }
    throw store_error(
        fmt::format("cannot create the {} {}: {}", what, file.string(), errno_message(error)));
}

} // namespace

void ensure_private_directory(const std::filesystem::path& directory) {
    if (::mkdir(directory.c_str(), 0700) == 0) {
        return;
    }
    if (errno == ENOENT) {
        // Parents missing: create them with the default mode, then the directory itself 0700.
        std::error_code error;
        std::filesystem::create_directories(directory.parent_path(), error);
        if (error) {
            throw store_error(fmt::format("cannot create the directory {}: {}",
                                          directory.parent_path().string(), error.message()));
        }
        if (::mkdir(directory.c_str(), 0700) == 0) {
            return;
        }
    }
    if (const int error = errno; error != EEXIST) {
        throw store_error(fmt::format("cannot create the directory {}: {}", directory.string(),
                                      errno_message(error)));
    }
    struct stat status {};
    if (::stat(directory.c_str(), &status) != 0 || !S_ISDIR(status.st_mode)) {
        throw store_error(fmt::format("{} exists and is not a directory", directory.string()));
    }
}

void require_private_file(const std::filesystem::path& file, std::string_view what) {
    struct stat status {};
    if (::lstat(file.c_str(), &status) != 0) {
        const int error = errno;
        if (error == ENOENT) {
            return;
        }
        throw store_error(
            fmt::format("cannot inspect the {} {}: {}", what, file.string(), errno_message(error)));
    }
    if (!S_ISREG(status.st_mode)) {
        throw store_error(
            fmt::format("the {} {} is not a regular file (a symbolic link or special file "
                        "is refused)",
                        what, file.string()));
    }
    if (status.st_uid != ::geteuid()) {
        throw store_error(fmt::format(
            "the {} {} belongs to uid {}, not to this user (uid {}); refusing to use it", what,
            file.string(), status.st_uid, ::geteuid()));
    }
    if ((status.st_mode & 077U) != 0) {
        throw store_error(fmt::format("the {} {} has mode {} and can be read by other users; "
                                      "fix it with: chmod 600 '{}'",
                                      what, file.string(), octal_mode(status.st_mode),
                                      file.string()));
    }
}

int schema_version(SQLite::Database& database) {
    return database.execAndGet("PRAGMA user_version").getInt();
}

SQLite::Database open_private_database(const std::filesystem::path& file,
                                       const open_options& options) {
    create_private_file(file, options.what);
    for (const char* suffix : {"", "-wal", "-shm"}) {
        require_private_file(file.string() + suffix, options.what);
    }
    try {
        SQLite::Database database(
            file, SQLite::OPEN_READWRITE | SQLite::OPEN_NOFOLLOW | SQLite::OPEN_NOMUTEX,
            options.busy_timeout_ms);
        // The first statement reads the header: garbage fails here with "file is not a database".
        const int application_id = database.execAndGet("PRAGMA application_id").getInt();
        if (application_id != 0 && application_id != options.application_id) {
            throw store_error(fmt::format(
                "{} is not a sotto {} (it belongs to another application, "
                "application_id {:#x})",
                file.string(), options.what, static_cast<std::uint32_t>(application_id)));
        }
        if (application_id == 0) {
            const int tables = database.execAndGet("SELECT count(*) FROM sqlite_schema").getInt();
            if (tables != 0 && schema_version(database) == 0) {
                throw store_error(
                    fmt::format("{} is a SQLite database of some other program, not a sotto {}",
                                file.string(), options.what));
            }
        }
        const std::string journal_mode = database.execAndGet("PRAGMA journal_mode=WAL").getString();
        if (journal_mode != "wal") {
            throw store_error(
                fmt::format("cannot put the {} {} in WAL mode (got '{}'); is the file system "
                            "a network file system?",
                            options.what, file.string(), journal_mode));
        }
        database.exec("PRAGMA synchronous=FULL");
        // Deleted content (a delivered ciphertext) is zeroed within its page instead of lingering
        // in free space; FAST skips only freelist pages, so it adds no I/O (same bytes written,
        // measured).
        database.exec("PRAGMA secure_delete=FAST");
        database.exec(
            fmt::format("PRAGMA wal_autocheckpoint={}", options.wal_autocheckpoint_pages));
        database.exec(fmt::format("PRAGMA cache_size=-{}", options.cache_size_kib));
        database.exec("PRAGMA foreign_keys=ON");
        if (application_id == 0) {
            database.exec(fmt::format("PRAGMA application_id={}", options.application_id));
        }
        return database;
    } catch (const SQLite::Exception& error) {
        throw store_error(
            fmt::format("cannot open the {} {}: {} (is it corrupted or not a sotto database?)",
                        options.what, file.string(), error.what()));
    }
}

void migrate(SQLite::Database& database, std::span<const migration> steps, std::string_view what) {
    const auto target = static_cast<int>(steps.size());
    try {
        for (;;) {
            SQLite::Transaction transaction(database, SQLite::TransactionBehavior::IMMEDIATE);
            // Read inside the write lock: another process may have migrated meanwhile.
            const int version = schema_version(database);
            if (version > target) {
                throw store_error(
                    fmt::format("the {} has schema version {}, newer than this sotto understands "
                                "({}): it was written by a newer sotto; upgrade sotto",
                                what, version, target));
            }
            if (version < 0) {
                throw store_error(
                    fmt::format("the {} has an invalid schema version {}", what, version));
            }
            if (version == target) {
                return;
            }
            const auto& step = steps[static_cast<std::size_t>(version)];
            if (step.apply != nullptr) {
                step.apply(database);
            } else {
                database.exec(std::string(step.sql));
            }
            database.exec(fmt::format("PRAGMA user_version={}", version + 1));
            transaction.commit();
        }
    } catch (const SQLite::Exception& error) {
        throw store_error(fmt::format("cannot migrate the {}: {}", what, error.what()));
    }
}

} // namespace sotto::store::sqlite
