#include "store/sqlite_util.h"

#include "store/relay_store.h"
#include "tests/support/temporary_directory.h"

#include <SQLiteCpp/Statement.h>
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <array>
#include <cstdlib>

namespace store = sotto::store;
namespace sqlite = sotto::store::sqlite;

namespace {

using sotto::testing::temporary_directory;

sqlite::open_options test_options() {
    sqlite::open_options options;
    options.application_id = 0x74657374;
    options.what = "test database";
    return options;
}

int count_rows(SQLite::Database& database, const char* table) {
    return database.execAndGet(std::string("SELECT count(*) FROM ") + table).getInt();
}

constexpr std::array<sqlite::migration, 2> two_steps{{
    {"notes", "CREATE TABLE notes (text TEXT NOT NULL)"},
    {"notes get a time", "ALTER TABLE notes ADD COLUMN time INTEGER NOT NULL DEFAULT 0;"
                         "INSERT INTO notes (text) VALUES ('migrated')"},
}};

} // namespace

TEST_CASE("migrations run once each in order and a second open applies nothing",
          "[store][sqlite_util]") {
    temporary_directory directory;
    const auto file = directory.path() / "test.db";
    {
        auto database = sqlite::open_private_database(file, test_options());
        sqlite::migrate(database, std::span(two_steps).first(1), "test database");
        CHECK(sqlite::schema_version(database) == 1);
        sqlite::migrate(database, two_steps, "test database");
        CHECK(sqlite::schema_version(database) == 2);
        CHECK(count_rows(database, "notes") == 1);
    }
    auto database = sqlite::open_private_database(file, test_options());
    sqlite::migrate(database, two_steps, "test database");
    CHECK(sqlite::schema_version(database) == 2);
    CHECK(count_rows(database, "notes") == 1); // step 2 did not run again
    CHECK(database.execAndGet("PRAGMA journal_mode").getString() == "wal");
    CHECK(database.execAndGet("PRAGMA synchronous").getInt() == 2); // FULL
    CHECK(database.execAndGet("PRAGMA foreign_keys").getInt() == 1);
    CHECK(database.execAndGet("PRAGMA secure_delete").getInt() == 2); // FAST
}

TEST_CASE("a failing migration step leaves the database at the previous version",
          "[store][sqlite_util]") {
    temporary_directory directory;
    const auto file = directory.path() / "test.db";
    auto database = sqlite::open_private_database(file, test_options());
    constexpr std::array<sqlite::migration, 2> broken{{
        two_steps[0],
        {"half done", "CREATE TABLE half (x INTEGER); INSERT INTO missing_table VALUES (1)"},
    }};
    CHECK_THROWS_AS(sqlite::migrate(database, broken, "test database"), store::store_error);
    CHECK(sqlite::schema_version(database) == 1);
    CHECK_FALSE(database.tableExists("half"));
}

TEST_CASE("a database from a newer schema is refused by the migration runner",
          "[store][sqlite_util]") {
    temporary_directory directory;
    auto database = sqlite::open_private_database(directory.path() / "test.db", test_options());
    sqlite::migrate(database, two_steps, "test database");
    CHECK_THROWS_WITH(sqlite::migrate(database, std::span(two_steps).first(1), "test database"),
                      Catch::Contains("newer"));
}

TEST_CASE("a symbolic link in place of the database file is refused", "[store][sqlite_util]") {
    temporary_directory directory;
    const auto target = directory.path() / "elsewhere.db";
    { (void)sqlite::open_private_database(target, test_options()); }
    std::filesystem::create_symlink(target, directory.path() / "test.db");
    CHECK_THROWS_WITH(sqlite::open_private_database(directory.path() / "test.db", test_options()),
                      Catch::Contains("not a regular file"));
}

TEST_CASE("an existing directory keeps its mode and a file in its place is an error",
          "[store][sqlite_util]") {
    temporary_directory directory;
    const auto shared = directory.path() / "shared";
    std::filesystem::create_directory(shared);
    REQUIRE(::chmod(shared.c_str(), 0755) == 0);
    sqlite::ensure_private_directory(shared);
    struct stat status {};
    REQUIRE(::stat(shared.c_str(), &status) == 0);
    CHECK((status.st_mode & 0777U) == 0755);

    const auto file = directory.path() / "file";
    { (void)sqlite::open_private_database(file, test_options()); }
    CHECK_THROWS_WITH(sqlite::ensure_private_directory(file), Catch::Contains("not a directory"));
}
