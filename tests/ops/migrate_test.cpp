// `sesami migrate --from sesami.db --to postgresql://...` (issue #21): everything moves and a
// server on PostgreSQL gives the same answers with the same keys; an interrupted run continues
// without duplicates; an unknown table or a target holding data stops it before it writes.
// Each test has a fresh schema of the PostgreSQL test database (SESAMI_TEST_PG).
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <map>
#include <sstream>
#include <thread>

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

std::string stats_query() {
  // Whole UTC days around the demo's data (it ends now).
  const auto now = std::chrono::system_clock::now();
  auto day = [](std::chrono::system_clock::time_point t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT00:00:00Z", &tm);
    return std::string(buf);
  };
  return "/stats?bucket=day&from=" + day(now - std::chrono::hours(24 * 60)) +
         "&to=" + day(now + std::chrono::hours(24));
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
    // The owner (users, memberships, a session); a send (mail attempts, an identity column in
    // PostgreSQL); a webhook endpoint (a sealed secret) with a test delivery and its attempts.
    server_process srv(dir.path, {"--allow-private-webhooks"});
    owner = srv.owner_email();
    password = srv.owner_password();
    http_client c(srv.port());
    const json::object mail{{"from", "Shop <shop@example.com>"},
                            {"to", json::array{"success@simulator.amazonses.com"}},
                            {"subject", "Hello"},
                            {"text", "Hi there"}};
    auto sent =
        c.request("POST", "/mail", json::serialize(mail),
                  {{"Authorization", "Bearer " + src.key}, {"Content-Type", "application/json"}});
    REQUIRE(sent.status == 200);
    // The simulator's events (send, delivery) come back through ingestion: wait for them (a
    // bound, not a timing assertion), so the answers below include them.
    const std::string mid = s(parse(sent).at("messageId"));
    for (int i = 0; i < 600; ++i) {
      auto evs = c.request("GET", "/events?messageId=" + mid, "", bearer(src.key));
      if (parse(evs).at("events").as_array().size() >= 2) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    auto hook =
        c.request("POST", "/webhooks", R"({"url":"http://127.0.0.1:9/hook"})",
                  {{"Authorization", "Bearer " + src.key}, {"Content-Type", "application/json"}});
    REQUIRE(hook.status == 201);
    REQUIRE(c.request("POST", "/webhooks/" + s(parse(hook).at("id")) + "/test", "", bearer(src.key))
                .status == 202);
    // This session's tables (issues #18, #20): a topic and a contact's choice, a stored template,
    // lowered reputation levels; the simulator's events make a pipeline-health source.
    auto post = [&](const std::string& method, const std::string& path, const std::string& body) {
      return c
          .request(method, path, body,
                   {{"Authorization", "Bearer " + src.key}, {"Content-Type", "application/json"}})
          .status;
    };
    REQUIRE(post("POST", "/topics", R"({"name":"news","defaultSubscribed":true})") == 201);
    REQUIRE(post("PUT", "/contacts/ann@example.com", R"({"topics":{"news":"unsubscribed"}})") ==
            200);
    REQUIRE(post("POST", "/templates",
                 R"({"name":"welcome","subject":"Hi {{name}}","text":"x"})") == 201);
    REQUIRE(post("PATCH", "/reputation/settings", R"({"bounceWarning":0.03})") == 200);
    stats_before = c.request("GET", stats_query(), "", bearer(src.key)).body;
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
  CHECK(counts.at("mail_attempts").second == 1);
  CHECK(counts.at("webhook_endpoints").second == 1);
  CHECK(counts.at("webhook_deliveries").second >= 1);
  CHECK(counts.at("suppressions").second >= 1);
  CHECK(counts.at("status_events (events.status)").second == counts.at("events").second);
  for (const char* t : {"topics", "contacts", "contact_topics", "email_templates",
                        "reputation_settings", "ingest_sources", "ingest_source_hours"}) {
    INFO(t);
    CHECK(counts.at(t).second >= 1);
  }
  CHECK(m.err.find("***") != std::string::npos);  // the URL's password is not printed
  // Running it again copies nothing twice: every table is done, the counts still match.
  auto again =
      spawn_and_wait({SESAMI_BIN, "migrate", "--from", src.db.string(), "--to", schema.url()});
  CHECK(again.status == 0);
  CHECK(counts_of(again.out) == counts);

  // The server on PostgreSQL, with the same key file: the same answers to the same key.
  server_process pg(pg_dir.path, {"--secret-key-file", src.db.string() + ".key"}, schema.url());
  http_client c(pg.port());
  const bool same_stats = c.request("GET", stats_query(), "", bearer(src.key)).body == stats_before;
  CHECK(same_stats);
  const bool same_events =
      c.request("GET", "/events?limit=1000", "", bearer(src.key)).body == events_before;
  CHECK(same_events);
  CHECK(c.request("GET", "/suppression-list", "", bearer(src.key)).body == suppressions_before);
  auto contact = c.request("GET", "/contacts/ann@example.com", "", bearer(src.key));
  REQUIRE(contact.status == 200);
  CHECK(json::serialize(parse(contact)).find("unsubscribed") != std::string::npos);
  auto tmpl = c.request("GET", "/templates/welcome", "", bearer(src.key));
  REQUIRE(tmpl.status == 200);
  CHECK(s(parse(tmpl).at("subject")) == "Hi {{name}}");
  auto levels = c.request("GET", "/reputation/settings", "", bearer(src.key));
  REQUIRE(levels.status == 200);
  CHECK(parse(levels).at("bounceWarning").to_number<double>() == 0.03);
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
  CHECK(c.request("GET", "/mail/attempts", "", bearer(src.key)).body.find("success@simulator") !=
        std::string::npos);
  const json::object again_mail{{"from", "Shop <shop@example.com>"},
                                {"to", json::array{"success@simulator.amazonses.com"}},
                                {"subject", "Again"},
                                {"text", "Hi"}};
  CHECK(c.request("POST", "/mail", json::serialize(again_mail),
                  {{"Authorization", "Bearer " + src.key}, {"Content-Type", "application/json"}})
            .status == 200);  // a new attempt row after the copied ones (the identity moved on)
  CHECK(schema.value("SELECT count(*) FROM mail_attempts") == "2");
  auto hooks = c.request("GET", "/webhooks", "", bearer(src.key));
  CHECK(hooks.body.find("127.0.0.1:9/hook") != std::string::npos);
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
