#pragma once
// Pieces every sotto SQLite database shares (the relay's relay.db and the client's sotto.db):
// opening a private file with the durability pragmas, refusing files others can read, and
// running ordered schema migrations. Internal to store/: other modules see only the stores.

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace sotto::store::sqlite {

struct open_options {
    // Written to PRAGMA application_id on creation; a database carrying another non-zero id is
    // refused, so pointing sotto at some other SQLite file fails clearly instead of migrating it.
    std::int32_t application_id = 0;
    int busy_timeout_ms = 5000;
    // WAL pages before a commit also checkpoints (SQLite's default 1000). Larger means fewer
    // rewrites of hot pages but a longer stall on the commit that checkpoints.
    int wal_autocheckpoint_pages = 1000;
    int cache_size_kib = 2000;     // page cache per connection (SQLite's default 2000)
    std::string what = "database"; // how messages name the file, e.g. "relay database"
};

// Creates `directory` with mode 0700 when missing (an existing directory keeps its mode: the
// operator or systemd chose it). Throws store_error when it cannot be created or is not a
// directory.
void ensure_private_directory(const std::filesystem::path& directory);

// Throws store_error when `file` exists and is not a regular file owned by this user with no
// group or other permission bits. Message names the file, its mode and the chmod that fixes it.
void require_private_file(const std::filesystem::path& file, std::string_view what);

// Opens (creating with mode 0600 when missing) a database file and applies journal_mode=WAL,
// synchronous=FULL, foreign_keys=ON, secure_delete=FAST, the cache and checkpoint sizes and the
// busy timeout; the -wal and -shm files SQLite creates inherit the 0600 mode. Symbolic links are
// refused. Throws store_error with a clear message when the file is not private, not a SQLite
// database, corrupted, or another application's database.
[[nodiscard]] SQLite::Database open_private_database(const std::filesystem::path& file,
                                                     const open_options& options);

// One schema step; step i (0-based) upgrades user_version i to i + 1.
struct migration {
    std::string_view description;
    std::string_view sql; // one or more statements
    // When set, runs instead of `sql` (inside the same transaction), for a step that must look
    // at the database first.
    void (*apply)(SQLite::Database& database) = nullptr;
};

// Applies the steps the database has not seen yet, each in its own IMMEDIATE transaction
// together with the new PRAGMA user_version (so two processes opening a fresh database at once
// do not both migrate). Throws store_error when the database's version is newer than
// `steps.size()` (written by a newer sotto) or a step fails.
void migrate(SQLite::Database& database, std::span<const migration> steps, std::string_view what);

// PRAGMA user_version.
[[nodiscard]] int schema_version(SQLite::Database& database);

} // namespace sotto::store::sqlite
