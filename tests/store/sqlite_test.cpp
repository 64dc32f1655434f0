// What is specific to the SQLite backend: migrations, WAL, clear errors for read-only, corrupt
// and full storage — and that a failed write leaves nothing half-done.
#include "store/sqlite/migrations.hpp"

#include <sys/resource.h>

#include <csignal>
#include <fstream>

#include "helpers.hpp"
#include "store/sqlite/connection.hpp"

using namespace store_test;
using sesami::event_type;
using sesami::store::errc;

namespace {
void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  if (rc != SQLITE_OK) FAIL(msg);
}
sesami::store::result<std::unique_ptr<sesami::store::store>> try_open(const std::string& path) {
  sesami::store::open_options opt;
  opt.path = path;
  return sesami::store::open_sqlite(opt);
}
}  // namespace

TEST_CASE("migrations upgrade an old database and refuse a newer one", "[sqlite][migrations]") {
  using sesami::store::sqlite::migrations;
  temp_dir dir;
  const auto path = dir.file("m.db");
  REQUIRE(std::size(migrations) >= 3);
  for (std::size_t i = 1; i < std::size(migrations); ++i)
    CHECK(migrations[i].version == migrations[i - 1].version + 1);  // appended in order

  SECTION("a version-1 database with data upgrades and keeps its data") {
    raw_exec(
        path,
        std::string(migrations[0].sql) + "PRAGMA user_version = 1;" +
            "INSERT INTO workspaces VALUES ('default', 'default', 0, 0);"
            "INSERT INTO recipient_status (workspace, message_id, recipient, status, first_seen, "
            "last_seen) VALUES ('default', 'm', 'a@x.com', 5, 0, 0);");
    auto s = try_open(path);
    REQUIRE(s);
    CHECK((*s)->schema_version() == sesami::store::sqlite::latest_version);
    CHECK(sql_int(path, "PRAGMA user_version") == sesami::store::sqlite::latest_version);
    // Migration 3 counted the statuses that existed before it.
    auto counts = (*s)->status_counts("default");
    REQUIRE(counts);
    REQUIRE(counts->size() == 1);
    CHECK((*counts)[0].first == sesami::delivery_status::bounced);
    CHECK(sql_int(path, "SELECT count(*) FROM suppressions") == 0);  // migration 2's table exists
  }
  SECTION("opening twice is a no-op") {
    { auto s = open(path); }
    auto s = try_open(path);
    REQUIRE(s);
    CHECK(sql_int(path, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'") ==
          1);
  }
  SECTION("a database from a newer sesami is refused, untouched") {
    { auto s = open(path); }
    raw_exec(path, "PRAGMA user_version = 999");
    auto s = try_open(path);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == errc::schema_too_new);
    CHECK(s.error().message.find("999") != std::string::npos);
    CHECK(sql_int(path, "PRAGMA user_version") == 999);
  }
  SECTION("a failing migration leaves the previous version") {
    raw_exec(path, std::string(migrations[0].sql) + "PRAGMA user_version = 1;" +
                       "CREATE TABLE suppressions (x);");  // collides with migration 2
    auto s = try_open(path);
    REQUIRE_FALSE(s);
    CHECK(s.error().message.find("migration 2") != std::string::npos);
    CHECK(sql_int(path, "PRAGMA user_version") == 1);
  }
}

TEST_CASE("the database runs in WAL mode", "[sqlite]") {
  temp_dir dir;
  const auto path = dir.file("wal.db");
  auto s = open(path);
  ingest(*s, {make_event("m", event_type::send, "a@x.com", t0)});
  CHECK(std::filesystem::exists(path + "-wal"));
}

TEST_CASE("unusable storage gives a clear error and no partial data", "[sqlite][errors]") {
  temp_dir dir;
  const auto path = dir.file("e.db");

  SECTION("a file that is not a database") {
    std::ofstream(path)
        << "this is not a database, just some text that is long enough to look like a header......";
    auto s = try_open(path);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == errc::corrupt);
    CHECK(s.error().message.find(path) != std::string::npos);
  }
  SECTION("a path that is a directory") {
    auto s = try_open(dir.path.string());
    REQUIRE_FALSE(s);
    CHECK(s.error().code == errc::bad_input);
  }
  SECTION("a read-only database file (checked as an unprivileged user)") {
    {
      auto s = open(path);
      ingest(*s, {make_event("m", event_type::send, "a@x.com", t0)});
    }
    std::filesystem::permissions(dir.path, std::filesystem::perms::all);
    std::filesystem::permissions(path, std::filesystem::perms::owner_read |
                                           std::filesystem::perms::group_read |
                                           std::filesystem::perms::others_read);
    const int rc = in_child(
        [&] {
          auto s = try_open(path);
          if (s) return 1;
          if (s.error().code != errc::read_only) return 2;
          return s.error().message.find("read-only") != std::string::npos ? 0 : 3;
        },
        true);
    CHECK(rc == 0);
    CHECK(sql_int(path, "SELECT count(*) FROM events") == 1);
  }
  SECTION("a read-only directory (checked as an unprivileged user)") {
    std::filesystem::permissions(
        dir.path, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                      std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                      std::filesystem::perms::others_exec);
    const int rc = in_child(
        [&] {
          auto s = try_open(path);
          if (s) return 1;
          return s.error().code == errc::read_only ? 0 : 2;
        },
        true);
    CHECK(rc == 0);
    CHECK_FALSE(std::filesystem::exists(path));
  }
  SECTION("a full disk fails the whole batch: nothing of it is stored") {
    {
      auto s = open(path);
      ingest(*s, {make_event("m", event_type::send, "a@x.com", t0)});
    }
    const auto before = sql_int(path, "SELECT count(*) FROM events");
    const int rc = in_child(
        [&] {
          auto s = try_open(path);
          if (!s) return 3;
          (void)(*s)->ensure_workspace("default");
          std::signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead
          rlimit lim{};
          lim.rlim_cur = lim.rlim_max =
              static_cast<rlim_t>(std::filesystem::file_size(path) + 64 * 1024);
          ::setrlimit(RLIMIT_FSIZE, &lim);
          std::vector<sesami::event> many;
          for (int i = 0; i < 20000; ++i)
            many.push_back(
                make_event("big" + std::to_string(i), event_type::send, "a@x.com", t0 + i));
          auto items = sesami::app::prepare(many);
          auto r = (*s)->ingest("default", items, t0);
          if (r) return 1;
          return r.error().code == errc::unavailable ? 0 : 2;
        },
        false);
    CHECK(rc == 0);
    CHECK(sql_int(path, "SELECT count(*) FROM events") == before);
    auto s = open(path);  // and the database is still healthy
    CHECK(ingest(*s, {make_event("m2", event_type::send, "b@x.com", t0)}).stored == 1);
  }
}
