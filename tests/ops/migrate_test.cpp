// `sesami migrate --from sesami.db --to postgresql://...` (issue #21): everything moves and a
// server on PostgreSQL gives the same answers with the same keys; an interrupted run continues
// without duplicates; an unknown table or a target holding data stops it before it writes.
// Each test has a fresh schema of the PostgreSQL test database (SESAMI_TEST_PG).
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <map>
#include <sstream>

#include <catch2/catch.hpp>

#include "../server/support.hpp"
#include "ops.hpp"

using namespace sesami::test;
namespace json = boost::json;

namespace {
using headers = std::vector<std::pair<std::string, std::string>>;
headers bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

std::string pg_base() {
  const char* u = std::getenv("SESAMI_TEST_PG");
  return u && *u ? u : "postgresql://sesami:sesami@127.0.0.1:5432/sesami_test";
}

// A schema of its own in the test database, dropped at the end; url() selects it.
class pg_schema {
 public:
  pg_schema() : name_("mig" + std::to_string(::getpid()) + "_" + std::to_string(++counter_)) {
    exec("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
    exec("CREATE SCHEMA " + name_);
  }
  ~pg_schema() {
    try {
      exec("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
    } catch (...) {  // a leftover schema is harmless
    }
  }
  std::string url() const {
    const auto b = pg_base();
    return b + (b.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + name_;
  }
  // The first column of the first row, as text ("" for NULL).
  std::string value(const std::string& sql) const {
    PGconn* c = PQconnectdb(url().c_str());
    REQUIRE(PQstatus(c) == CONNECTION_OK);
    PGresult* r = PQexec(c, sql.c_str());
    INFO(PQresultErrorMessage(r));
    REQUIRE(PQresultStatus(r) == PGRES_TUPLES_OK);
    std::string out = PQntuples(r) ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    PQfinish(c);
    return out;
  }

 private:
  void exec(const std::string& sql) {
    PGconn* c = PQconnectdb(pg_base().c_str());
    if (PQstatus(c) != CONNECTION_OK) {
      const std::string msg = PQerrorMessage(c);
      PQfinish(c);
      throw std::runtime_error("PostgreSQL test database unreachable: " + msg);
    }
    PQsetNoticeProcessor(
        c, [](void*, const char*) {}, nullptr);
    PGresult* r = PQexec(c, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    PQfinish(c);
    if (!ok) throw std::runtime_error("SQL failed: " + sql);
  }
  static inline int counter_ = 0;
  std::string name_;
};

std::string sqlite_value(const fs::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  std::string out;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

// The count table migrate prints: table → (sqlite, postgresql).
std::map<std::string, std::pair<long long, long long>> counts_of(const std::string& out) {
  std::map<std::string, std::pair<long long, long long>> m;
  std::istringstream in(out);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    const auto b = line.find_last_not_of(' ');
    const auto s2 = line.rfind(' ', b);
    const auto e1 = line.find_last_not_of(' ', s2);
    const auto s1 = line.rfind(' ', e1);
    const auto name_end = line.find_last_not_of(' ', s1);
    m[line.substr(0, name_end + 1)] = {std::stoll(line.substr(s1 + 1, e1 - s1)),
                                       std::stoll(line.substr(s2 + 1, b - s2))};
  }
  return m;
}

struct source_db {
  fs::path db;
  std::string key, token, secret;
};
source_db make_source(const fs::path& dir, int events) {
  source_db s{dir / "sesami.db", {}, {}, {}};
  auto made = run_sesami({"workspace", "create", "acme", "--db", s.db.string(), "--json"});
  REQUIRE(made.status == 0);
  const auto o = json::parse(made.out);
  s.key = sesami::test::s(o.at("apiKey"));
  s.token = sesami::test::s(o.at("ingestToken"));
  s.secret = sesami::test::s(o.at("ingestSecret"));
  REQUIRE(
      run_sesami({"demo", "--db", s.db.string(), "-w", "acme", "--events", std::to_string(events)})
          .status == 0);
  REQUIRE(
      run_sesami({"suppression", "add", "manual@example.com", "--db", s.db.string(), "-w", "acme"})
          .status == 0);
  return s;
}
}  // namespace

TEST_CASE("migrate: everything moves, is counted, and PostgreSQL gives the same answers",
          "[migrate]") {
  temp_dir dir, pg_dir;
  pg_schema schema;
  const auto src = make_source(dir.path, 2000);
  std::string stats_before, events_before, suppressions_before, owner, password;
  {
    server_process srv(dir.path);  // makes the owner (users, memberships, a session)
    owner = srv.owner_email();
    password = srv.owner_password();
    http_client c(srv.port());
    stats_before =
        c.request("GET", "/stats?bucket=day&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z", "",
                  bearer(src.key))
            .body;
    events_before = c.request("GET", "/events?limit=1000", "", bearer(src.key)).body;
    suppressions_before = c.request("GET", "/suppression-list", "", bearer(src.key)).body;
    REQUIRE(srv.stop() == 0);
  }
  auto m = spawn_and_wait({SESAMI_BIN, "migrate", "--from", src.db.string(), "--to", schema.url()});
  INFO(m.err);
  REQUIRE(m.status == 0);
  const auto counts = counts_of(m.out);
  for (const auto& [t, n] : counts) {
    INFO(t);
    CHECK(n.first == n.second);
  }
  CHECK(counts.at("events").first > 1000);
  CHECK(counts.at("users").second == 1);
  CHECK(counts.at("api_keys").second == 1);
  CHECK(counts.at("ingest_tokens").second == 1);
  CHECK(counts.at("suppressions").second >= 1);
  CHECK(counts.at("status_events (events.status)").second == counts.at("events").second);
  CHECK(m.err.find("***") != std::string::npos);  // the URL's password is not printed
  // Running it again copies nothing twice: every table is done, the counts still match.
  auto again =
      spawn_and_wait({SESAMI_BIN, "migrate", "--from", src.db.string(), "--to", schema.url()});
  CHECK(again.status == 0);
  CHECK(counts_of(again.out) == counts);

  // The server on PostgreSQL, with the same key file: the same answers to the same key.
  server_process pg(pg_dir.path, {"--secret-key-file", src.db.string() + ".key"}, schema.url());
  http_client c(pg.port());
  CHECK(c.request("GET", "/stats?bucket=day&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z", "",
                  bearer(src.key))
            .body == stats_before);
  CHECK(c.request("GET", "/events?limit=1000", "", bearer(src.key)).body == events_before);
  CHECK(c.request("GET", "/suppression-list", "", bearer(src.key)).body == suppressions_before);
  // Sealed secrets open with the same key file; hashed ones still verify.
  auto tok = c.request("GET", "/workspace/ingest-token", "", bearer(src.key));
  REQUIRE(tok.status == 200);
  CHECK(s(parse(tok).at("ingestToken")) == src.token);
  CHECK(s(parse(tok).at("ingestSecret")) == src.secret);
  CHECK(c.request("POST", "/auth/login",
                  json::serialize(json::object{{"email", owner}, {"password", password}}))
            .status == 200);
  // New rows get new numbers after the copied ones (sequences moved on): ingest one more event.
  const std::string delivery =
      read_file(std::string(SESAMI_FIXTURES_DIR) + "/eventbridge/event-delivery.json");
  REQUIRE(run_sesami({"workspace", "connect-account", "acme", "123456789012", "--db", schema.url()})
              .status == 0);
  auto in = c.request("POST", "/ingest/eventbridge/" + src.token, delivery,
                      {{"X-Sesami-Secret", src.secret}});
  CHECK(in.status == 200);
  CHECK(schema.value("SELECT count(DISTINCT seq) = count(*) FROM events") == "t");
}

TEST_CASE("migrate: an interrupted run continues where it stopped, without duplicates",
          "[migrate]") {
  temp_dir dir;
  pg_schema schema;
  const auto src = make_source(dir.path, 3000);
  // Dies (SIGKILL, as a crash) after ten committed batches of 100 rows.
  auto first = spawn_and_wait(
      {SESAMI_BIN, "migrate", "--from", src.db.string(), "--to", schema.url(), "--batch", "100"},
      {"SESAMI_TEST_MIGRATE_KILL_AFTER_BATCHES=10"});
  REQUIRE(first.status == -1);
  CHECK(schema.value("SELECT count(*) FROM sesami_migrate_progress WHERE NOT done") != "0");
  const std::string events = sqlite_value(src.db, "SELECT count(*) FROM events");
  CHECK(schema.value("SELECT count(*) FROM events") != events);

  auto second = spawn_and_wait(
      {SESAMI_BIN, "migrate", "--from", src.db.string(), "--to", schema.url(), "--batch", "100"});
  INFO(second.err);
  REQUIRE(second.status == 0);
  CHECK(second.err.find("finished moving") != std::string::npos);
  for (const auto& [t, n] : counts_of(second.out)) {
    INFO(t);
    CHECK(n.first == n.second);
  }
  CHECK(schema.value("SELECT count(*) FROM events") == events);
  CHECK(schema.value("SELECT count(*) FROM recipient_status") ==
        sqlite_value(src.db, "SELECT count(*) FROM recipient_status"));
  CHECK(schema.value("SELECT count(*) FROM sesami_migrate_progress WHERE NOT done") == "0");
}

TEST_CASE("migrate: an unknown table or a target with data stops it before it writes",
          "[migrate]") {
  temp_dir dir;
  pg_schema schema;
  const auto src = make_source(dir.path, 200);
  SECTION("a table the migrator does not know (a future migration's) is never left behind") {
    REQUIRE(sqlite_value(src.db, "CREATE TABLE future_feature (x INTEGER)").empty());
    auto r =
        spawn_and_wait({SESAMI_BIN, "migrate", "--from", src.db.string(), "--to", schema.url()});
    CHECK(r.status == 2);
    CHECK(r.err.find("future_feature") != std::string::npos);
    CHECK(schema.value("SELECT count(*) FROM workspaces") == "0");
    CHECK(schema.value("SELECT to_regclass('sesami_migrate_progress') IS NULL") == "t");
  }
  SECTION("a target that already holds data is refused") {
    REQUIRE(run_sesami({"workspace", "create", "other", "--db", schema.url()}).status == 0);
    auto r =
        spawn_and_wait({SESAMI_BIN, "migrate", "--from", src.db.string(), "--to", schema.url()});
    CHECK(r.status == 2);
    CHECK(r.err.find("already holds data") != std::string::npos);
    CHECK(r.err.find("other") != std::string::npos);
    CHECK(schema.value("SELECT count(*) FROM events") == "0");
  }
  SECTION("a resumed run of another source is refused") {
    temp_dir other;
    const auto src2 = make_source(other.path, 100);
    auto first = spawn_and_wait(
        {SESAMI_BIN, "migrate", "--from", src.db.string(), "--to", schema.url(), "--batch", "50"},
        {"SESAMI_TEST_MIGRATE_KILL_AFTER_BATCHES=2"});
    REQUIRE(first.status == -1);
    auto r =
        spawn_and_wait({SESAMI_BIN, "migrate", "--from", src2.db.string(), "--to", schema.url()});
    CHECK(r.status == 2);
    CHECK(r.err.find("another source") != std::string::npos);
  }
}
