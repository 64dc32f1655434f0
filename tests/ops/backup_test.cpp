// `sesami backup` and the copy before a start-up migration (issue #21, docs/storage.md "Backup and
// restore"): consistent while a server ingests, owner-only, never half-written.
#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "../server/support.hpp"
#include "ops.hpp"
#include "store/sqlite/migrations.hpp"

using namespace sesami::test;
namespace json = boost::json;

namespace {
struct db_handle {
  sqlite3* db = nullptr;
  explicit db_handle(const fs::path& p, int flags = SQLITE_OPEN_READONLY) {
    REQUIRE(sqlite3_open_v2(p.c_str(), &db, flags, nullptr) == SQLITE_OK);
  }
  ~db_handle() { sqlite3_close(db); }
  std::vector<std::string> column(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    std::vector<std::string> out;
    while (sqlite3_step(st) == SQLITE_ROW) {
      const auto* t = sqlite3_column_text(st, 0);
      out.emplace_back(t ? reinterpret_cast<const char*>(t) : "");
    }
    sqlite3_finalize(st);
    return out;
  }
  void exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    INFO((err ? err : ""));
    sqlite3_free(err);
    REQUIRE(rc == SQLITE_OK);
  }
};
unsigned mode_of(const fs::path& p) {
  struct stat sb {};
  REQUIRE(::stat(p.c_str(), &sb) == 0);
  return sb.st_mode & 0777;
}
int user_version(const fs::path& p) {
  db_handle h(p);
  return std::stoi(h.column("PRAGMA user_version").at(0));
}
std::vector<fs::path> backups_of(const fs::path& db) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(db.parent_path()))
    if (e.path().filename().string().rfind(db.filename().string() + ".pre-v", 0) == 0)
      out.push_back(e.path());
  return out;
}
}  // namespace

TEST_CASE("backup: a consistent copy while the server ingests holds every acknowledged event",
          "[backup]") {
  temp_dir dir;
  const auto db = dir.path / "sesami.db";
  auto made = run_sesami({"workspace", "create", "acme", "--db", db.string(), "--json"});
  REQUIRE(made.status == 0);
  const auto o = json::parse(made.out);
  const std::string token = s(o.at("ingestToken")), secret = s(o.at("ingestSecret"));
  REQUIRE(run_sesami({"workspace", "connect-account", "acme", "123456789012", "--db", db.string()})
              .status == 0);
  server_process srv(dir.path);
  const std::string tmpl =
      read_file(std::string(SESAMI_FIXTURES_DIR) + "/eventbridge/event-delivery.json");
  const auto at = tmpl.find("\"messageId\"");
  REQUIRE(at != std::string::npos);
  std::mutex mu;
  std::vector<std::string> acked;  // message ids the server answered 200 for, in order
  std::atomic<bool> go{true};
  std::vector<std::thread> senders;
  for (int k = 0; k < 4; ++k)
    senders.emplace_back([&, k] {
      http_client c(srv.port());
      for (int i = 0; go && i < 100000; ++i) {
        std::string body = tmpl;
        const auto q1 = body.find('"', body.find(':', at) + 1);
        const auto q2 = body.find('"', q1 + 1);
        const std::string id = "backup-" + std::to_string(k) + "-" + std::to_string(i);
        body.replace(q1 + 1, q2 - q1 - 1, id);
        auto r =
            c.request("POST", "/ingest/eventbridge/" + token, body, {{"X-Sesami-Secret", secret}});
        if (r.status == 200) {
          std::lock_guard lock(mu);
          acked.push_back(id);
        }
      }
    });
  auto acked_count = [&] {
    std::lock_guard lock(mu);
    return acked.size();
  };
  const auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (acked_count() < 300 && std::chrono::steady_clock::now() < guard)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::vector<std::string> before;
  {
    std::lock_guard lock(mu);
    before = acked;
  }
  const auto copy = dir.path / "copy.db";
  const auto backup = run_sesami({"backup", "--db", db.string(), "--to", copy.string()});
  // Ingestion goes on during and after the backup (a guard, not a timing assertion).
  const std::size_t after_backup = acked_count();
  while (acked_count() < after_backup + 100 && std::chrono::steady_clock::now() < guard)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  go = false;
  for (auto& t : senders) t.join();
  REQUIRE(before.size() >= 300);
  CHECK(acked_count() >= after_backup + 100);  // the server kept acknowledging meanwhile
  REQUIRE(backup.status == 0);
  CHECK(mode_of(copy) == 0600);
  CHECK_FALSE(fs::exists(copy.string() + "-wal"));  // one self-contained file
  db_handle h(copy);
  CHECK(h.column("PRAGMA integrity_check") == std::vector<std::string>{"ok"});
  const auto ids = h.column("SELECT message_id FROM events");
  const std::set<std::string> in_copy(ids.begin(), ids.end());
  std::size_t missing = 0;
  for (const auto& id : before) missing += in_copy.count(id) == 0;
  CHECK(missing == 0);
  CHECK(in_copy.size() >= before.size());
  CHECK(in_copy.size() < acked_count() + 4);  // a snapshot, not the end state
  // The copy is a working database: sesami reads it.
  CHECK(run_sesami({"events", "--db", copy.string(), "-w", "acme", "--limit", "1"}).status == 0);
}

TEST_CASE("backup: refuses to overwrite, and points PostgreSQL to pg_dump", "[backup]") {
  temp_dir dir;
  const auto db = dir.path / "sesami.db";
  REQUIRE(run_sesami({"workspace", "create", "acme", "--db", db.string()}).status == 0);
  const auto copy = dir.path / "copy.db";
  write_file(copy, "keep me");
  auto r = spawn_and_wait({SESAMI_BIN, "backup", "--db", db.string(), "--to", copy.string()});
  CHECK(r.status == 2);
  CHECK(r.err.find("exists") != std::string::npos);
  CHECK(read_file(copy) == "keep me");
  auto pg = spawn_and_wait(
      {SESAMI_BIN, "backup", "--db", "postgresql://u:secret@127.0.0.1/x", "--to", "y.dump"});
  CHECK(pg.status == 2);
  CHECK(pg.err.find("pg_dump") != std::string::npos);
  CHECK(pg.err.find("secret") == std::string::npos);
  auto none =
      spawn_and_wait({SESAMI_BIN, "backup", "--db", (dir.path / "no.db").string(), "--to", "z.db"});
  CHECK(none.status == 2);
  CHECK_FALSE(fs::exists(dir.path / "no.db"));
  std::size_t leftovers = 0;  // no temporary file stays behind after a refusal
  for (const auto& e : fs::directory_iterator(dir.path))
    leftovers += e.path().filename().string().find(".tmp-") != std::string::npos;
  CHECK(leftovers == 0);
}

TEST_CASE(
    "serve: a pending migration runs after an automatic backup, and a newer database is refused",
    "[backup][migrations]") {
  using sesami::store::sqlite::latest_version;
  using sesami::store::sqlite::migrations;
  temp_dir dir;
  const auto db = dir.path / "sesami.db";
  {  // A database as the previous sesami left it: every migration but the last.
    db_handle h(db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    for (const auto& m : migrations) {
      if (m.version == latest_version) break;
      h.exec("BEGIN; " + std::string(m.sql) +
             "; PRAGMA user_version = " + std::to_string(m.version) + "; COMMIT;");
    }
    h.exec("INSERT INTO workspaces (id, name, created_at) VALUES ('old', 'Old', 1)");
  }
  REQUIRE(user_version(db) == latest_version - 1);
  {
    server_process srv(dir.path);
    CHECK(srv.stop() == 0);
  }
  const auto saved = backups_of(db);
  REQUIRE(saved.size() == 1);
  CHECK(saved[0].filename().string().rfind(
            "sesami.db.pre-v" + std::to_string(latest_version - 1) + "-", 0) == 0);
  CHECK(mode_of(saved[0]) == 0600);
  CHECK(user_version(saved[0]) == latest_version - 1);  // the copy is the old schema, untouched
  CHECK(user_version(db) == latest_version);
  {
    db_handle h(saved[0]);
    CHECK(h.column("SELECT name FROM workspaces WHERE id = 'old'") ==
          std::vector<std::string>{"Old"});
    CHECK(h.column("PRAGMA integrity_check") == std::vector<std::string>{"ok"});
  }
  {  // Nothing pending: no second copy.
    server_process again(dir.path);
    CHECK(again.stop() == 0);
  }
  CHECK(backups_of(db).size() == 1);
  {  // Written by a newer sesami: refused with a clear message, unchanged, no copy made.
    db_handle h(db, SQLITE_OPEN_READWRITE);
    h.exec("PRAGMA user_version = " + std::to_string(latest_version + 1));
  }
  auto r = spawn_and_wait({SESAMI_BIN, "serve", "--db", db.string(), "--port", "0"});
  CHECK(r.status == 2);
  CHECK(r.err.find("newer than this sesami understands") != std::string::npos);
  CHECK(user_version(db) == latest_version + 1);
  CHECK(backups_of(db).size() == 1);
}
