#pragma once
// Test helpers for the store suite: temporary directories, events built by hand, raw SQL counts.
#include <libpq-fe.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <sesami/demo.hpp>
#include <sesami/event.hpp>
#include <sesami/parse.hpp>

#include "app/import.hpp"
#include "store/postgres/pg_store.hpp"
#include "store/store.hpp"

// Catch prints results through this (Boost's operator<< would require printable values).
namespace Catch {
template <class T, class E>
struct StringMaker<boost::system::result<T, E>> {
  static std::string convert(const boost::system::result<T, E>& r) {
    return r ? std::string("ok") : "error: " + std::string(r.error().message);
  }
};
}  // namespace Catch

namespace store_test {

/// A fresh directory under the system temp dir, removed at scope exit.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sesami-store-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~temp_dir();
  std::string file(const std::string& name) const { return (path / name).string(); }
};

// ---- the backend under test ---------------------------------------------------------------------
// The same suite runs against SQLite (default) and PostgreSQL (SESAMI_TEST_BACKEND=postgres, as
// ctest's store:pg:* entries set it). A test names its database by a file path; on PostgreSQL that
// path maps to a fresh schema of the test database (SESAMI_TEST_PG, default below), dropped with
// the test's temp_dir. When the server is unreachable the PostgreSQL tests fail — unless
// SESAMI_TEST_PG_OPTIONAL=1 (scripts/test --quick), where the binary exits 77: ctest's "skipped".
inline bool on_postgres() {
  const char* b = std::getenv("SESAMI_TEST_BACKEND");
  return b && std::string_view(b) == "postgres";
}
inline std::string pg_test_url() {
  const char* u = std::getenv("SESAMI_TEST_PG");
  return u && *u ? u : "postgresql://sesami:sesami@127.0.0.1:5432/sesami_test";
}
inline std::map<std::string, std::string>& pg_schemas() {  // database path → schema
  static std::map<std::string, std::string> m;
  return m;
}
/// Runs SQL on the test database as the test role (outside any store); returns the first value of
/// the first row ("" when none), or FAILs with the server's message.
inline std::string pg_admin(const std::string& sql, const std::string& url = pg_test_url()) {
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    PQfinish(c);
    const char* opt = std::getenv("SESAMI_TEST_PG_OPTIONAL");
    if (opt && std::string_view(opt) == "1") {
      std::cerr << "SKIPPED: PostgreSQL test database unreachable (SESAMI_TEST_PG_OPTIONAL=1): "
                << msg << "\n";
      std::exit(77);
    }
    FAIL(
        "PostgreSQL test database unreachable (start it: pg_ctlcluster 15 main start; "
        "scripts/test creates the role and database): "
        << msg);
  }
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
  PGresult* r = PQexec(c, sql.c_str());
  const auto st = PQresultStatus(r);
  std::string out, err = PQresultErrorMessage(r);
  if (st == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
  PQclear(r);
  PQfinish(c);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) FAIL("SQL failed: " << err << " in " << sql);
  return out;
}
/// The store URL for a database path: the test database with the path's schema first.
inline std::string pg_url_for(const std::string& path) {
  auto& m = pg_schemas();
  auto it = m.find(path);
  if (it == m.end()) {
    static int counter = 0;
    const std::string schema = "t" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    pg_admin("CREATE SCHEMA " + schema +
             // The suite's raw SQL is written once for both backends: SQLite's instr() here.
             "; CREATE FUNCTION " + schema +
             ".instr(text, text) RETURNS integer LANGUAGE sql IMMUTABLE AS "
             "'SELECT strpos($1, $2)'");
    it = m.emplace(path, schema).first;
  }
  const auto url = pg_test_url();
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
         it->second;
}

inline temp_dir::~temp_dir() {
  for (auto it = pg_schemas().begin(); it != pg_schemas().end();) {
    if (it->first.rfind(path.string(), 0) == 0) {
      PGconn* c = PQconnectdb(pg_test_url().c_str());
      PQsetNoticeProcessor(
          c, [](void*, const char*) {}, nullptr);
      const std::string drop = "DROP SCHEMA IF EXISTS " + it->second + " CASCADE";
      if (PQstatus(c) == CONNECTION_OK) PQclear(PQexec(c, drop.c_str()));
      PQfinish(c);
      it = pg_schemas().erase(it);
    } else {
      ++it;
    }
  }
  {
    std::error_code ec;
    std::filesystem::permissions(path, std::filesystem::perms::owner_all, ec);
    std::filesystem::remove_all(path, ec);
  }
}

inline std::unique_ptr<sesami::store::store> open(const std::string& path) {
  auto s = [&]() -> sesami::store::result<std::unique_ptr<sesami::store::store>> {
    if (on_postgres()) {
      sesami::store::pg_options opt;
      opt.url = pg_url_for(path);
      return sesami::store::open_postgres(opt);
    }
    sesami::store::open_options opt;
    opt.path = path;
    return sesami::store::open_sqlite(opt);
  }();
  if (!s) FAIL("open failed: " << s.error().message);
  auto ws = (*s)->ensure_workspace("default");
  REQUIRE(ws);
  return std::move(*s);
}

inline constexpr std::int64_t hour = 3'600'000;
inline constexpr std::int64_t t0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

inline sesami::event make_event(std::string msg, sesami::event_type type, std::string rcpt,
                                std::int64_t ts, bool machine = false) {
  sesami::event e;
  e.message_id = std::move(msg);
  e.type = type;
  e.recipient = std::move(rcpt);
  e.timestamp = ts;
  e.sent_at = ts;
  e.sender = "news@example.com";
  e.source.shape = "ses";
  if (type == sesami::event_type::open) {
    sesami::open_info o;
    o.machine = machine;
    o.user_agent = machine ? "Mozilla/5.0" : "Mozilla/5.0 (Windows NT 10.0)";
    e.details = o;
  } else if (type == sesami::event_type::click) {
    sesami::click_info c;
    c.machine = machine;
    c.link = "https://example.com/a";
    e.details = c;
  } else if (type == sesami::event_type::bounce) {
    sesami::bounce_info b;
    b.type = "Permanent";
    b.sub_type = "General";
    b.cls = sesami::bounce_class::hard;
    b.status = "5.1.1";
    e.details = b;
  } else if (type == sesami::event_type::complaint) {
    sesami::complaint_info c;
    c.feedback_type = "abuse";
    e.details = c;
  }
  return e;
}

/// Stores events through the app layer's prepare (identity, JSON, suppression rules).
inline sesami::store::ingest_summary ingest(sesami::store::store& s,
                                            const std::vector<sesami::event>& events,
                                            const std::string& ws = "default",
                                            std::int64_t now = t0 + 400 * 24 * hour) {
  const auto items = sesami::app::prepare(events);
  auto r = s.ingest(ws, items, now);
  if (!r) FAIL("ingest failed: " << r.error().message);
  return *r;
}

/// One integer from raw SQL on the database file (the reference the store is checked against).
/// On PostgreSQL, the same SQL in the path's schema.
inline std::int64_t sql_int(const std::string& path, const std::string& sql) {
  if (on_postgres()) {
    const auto v = pg_admin(sql, pg_url_for(path));
    return v.empty() ? -1 : std::stoll(v);
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = sqlite3_errmsg(db);
    sqlite3_close(db);
    FAIL("bad SQL: " << msg << " in " << sql);
  }
  std::int64_t v = -1;
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

/// Runs `fn` in a child process (optionally as user nobody, so file permissions apply even when
/// the suite runs as root) and returns its exit status.
inline int in_child(const std::function<int()>& fn, bool as_nobody) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (as_nobody && ::geteuid() == 0) {
      if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(99);
    }
    ::_exit(fn());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// Demo traffic (the generator's payloads through the real parser) as normalized events.
inline std::vector<sesami::event> demo_events(std::size_t n, std::uint64_t seed, int days) {
  sesami::demo::options o;
  o.events = n;
  o.seed = seed;
  o.days = days;
  sesami::demo::generator g(o);
  std::vector<sesami::event> out;
  std::string p;
  while (g.next(p)) {
    auto r = sesami::parse_document(p);
    REQUIRE(r);
    for (auto& e : *r) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace store_test
