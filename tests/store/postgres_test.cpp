// What is specific to the PostgreSQL backend (run only as store:pg:*): its migrations table and
// the refusal of a newer schema, monthly partitions created ahead and dropped whole by retention,
// errors for an unreachable server, the accounts tables, and open_store()'s choice of backend.
#include "store/postgres/migrations.hpp"

#include <chrono>
#include <thread>

#include "helpers.hpp"
#include "store/accounts.hpp"
#include "store/open.hpp"
#include "store/postgres/connection.hpp"

using namespace store_test;
using sesami::event_type;
using sesami::store::errc;

namespace {
sesami::store::result<std::unique_ptr<sesami::store::store>> try_open(const std::string& url) {
  sesami::store::pg_options o;
  o.url = url;
  return sesami::store::open_postgres(o);
}
std::string pg_text(const std::string& path, const std::string& sql) {
  return pg_admin(sql, pg_url_for(path));
}
}  // namespace

TEST_CASE("PostgreSQL migrations are recorded, repeatable, and a newer schema is refused",
          "[postgres][migrations]") {
  using sesami::store::pg::latest_version;
  using sesami::store::pg::migrations;
  for (std::size_t i = 1; i < std::size(migrations); ++i)
    CHECK(migrations[i].version == migrations[i - 1].version + 1);
  temp_dir dir;
  const auto path = dir.file("m.db");
  { auto s = open(path); }
  CHECK(sql_int(path, "SELECT max(version) FROM schema_migrations") == latest_version);
  CHECK(sql_int(path, "SELECT count(*) FROM schema_migrations") ==
        static_cast<std::int64_t>(std::size(migrations)));
  auto again = try_open(pg_url_for(path));  // opening twice is a no-op
  REQUIRE(again);
  CHECK((*again)->schema_version() == latest_version);
  again->reset();

  pg_text(path, "INSERT INTO schema_migrations (version, description) VALUES (999, 'future')");
  auto s = try_open(pg_url_for(path));
  REQUIRE_FALSE(s);
  CHECK(s.error().code == errc::schema_too_new);
  CHECK(s.error().message.find("999") != std::string::npos);
  CHECK(sql_int(path, "SELECT max(version) FROM schema_migrations") == 999);  // untouched
}

TEST_CASE("events go to monthly partitions, and retention drops whole months",
          "[postgres][retention]") {
  temp_dir dir;
  const auto path = dir.file("p.db");
  auto s = open(path);
  // Created ahead: this month and the next two.
  CHECK(sql_int(path, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass") >=
        3);
  const std::int64_t day = 24 * hour;
  // January and February 2026 for "default", February for "other" too.
  REQUIRE(s->ensure_workspace("other"));
  std::vector<sesami::event> jan, feb;
  for (int i = 0; i < 50; ++i) {
    jan.push_back(make_event("j" + std::to_string(i), event_type::send, "a@x.com", t0 + i * hour));
    feb.push_back(
        make_event("f" + std::to_string(i), event_type::send, "a@x.com", t0 + 35 * day + i));
  }
  const std::int64_t now = t0 + 100 * day;
  ingest(*s, jan, "default", now);
  ingest(*s, feb, "default", now);
  ingest(*s, feb, "other", now);
  CHECK(sql_int(path, "SELECT count(*) FROM events_202601") == 50);
  CHECK(sql_int(path, "SELECT count(*) FROM events_202602") == 100);

  REQUIRE(s->set_retention("default", 30));
  auto deleted = s->apply_retention("default", now, 7);
  REQUIRE(deleted);
  CHECK(*deleted == 100);
  // January held only "default": dropped whole. February is shared: its rows went in batches.
  CHECK(pg_text(path, "SELECT coalesce(to_regclass('events_202601')::text, 'gone')") == "gone");
  CHECK(sql_int(path, "SELECT count(*) FROM events_202602") == 50);
  CHECK(sql_int(path, "SELECT count(*) FROM events WHERE workspace = 'other'") == 50);
  // An old import recreates the month on demand.
  auto back = ingest(*s, jan, "default", t0);
  CHECK(back.stored == 50);
  CHECK(sql_int(path, "SELECT count(*) FROM events_202601") == 50);
}

TEST_CASE("an unreachable PostgreSQL is unavailable, with the password kept out of messages",
          "[postgres][errors]") {
  auto s = try_open("postgresql://sesami:s3cret-pw@127.0.0.1:1/sesami_test?connect_timeout=2");
  REQUIRE_FALSE(s);
  CHECK(s.error().code == errc::unavailable);
  CHECK(s.error().message.find("127.0.0.1") != std::string::npos);
  CHECK(s.error().message.find("s3cret-pw") == std::string::npos);
}

TEST_CASE("a connection the server terminates gives unavailable, then the store recovers",
          "[postgres][errors]") {
  temp_dir dir;
  const auto path = dir.file("k.db");
  // Its own application_name: only this store's connections are terminated, not other tests'.
  const std::string app = "victim" + std::to_string(::getpid());
  auto opened = try_open(pg_url_for(path) + "&application_name=" + app);
  REQUIRE(opened);
  auto& s = **opened;
  REQUIRE(s.ensure_workspace("default"));
  ingest(s, {make_event("m0", event_type::send, "a@x.com", t0)});
  // What a server restart or an administrator does to every session.
  CHECK(pg_admin("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                 "WHERE application_name = '" +
                 app + "'") != "0");
  const std::vector<sesami::event> one{make_event("m1", event_type::send, "a@x.com", t0)};
  const auto items = sesami::app::prepare(one);
  auto r = s.ingest("default", items, t0);
  REQUIRE_FALSE(r);  // the writer's connection died under it
  CHECK(r.error().code == errc::unavailable);
  auto again = s.ingest("default", items, t0);  // reconnected on its own: stored exactly once
  REQUIRE(again);
  CHECK(again->stored == 1);
  CHECK(sql_int(path, "SELECT count(*) FROM events WHERE message_id = 'm1'") == 1);
  auto found = s.find_workspace("default");  // a pooled reader died too: one 503, then fine
  if (!found) CHECK(found.error().code == errc::unavailable);
  CHECK(s.find_workspace("default"));
}

TEST_CASE("accounts on PostgreSQL, and open_store picks the backend from --db",
          "[postgres][accounts]") {
  temp_dir dir;
  const auto path = dir.file("a.db");
  const auto url = pg_url_for(path);
  REQUIRE(sesami::store::is_postgres_url(url));
  CHECK_FALSE(sesami::store::is_postgres_url(path));
  auto st = sesami::store::open_store(url);
  REQUIRE(st);
  auto acc = sesami::store::open_accounts(url);
  REQUIRE(acc);
  auto& a = **acc;
  CHECK(*a.user_count() == 0);
  REQUIRE(a.create_user({"u1", "ann@x.com", "$argon2id$...", t0}));
  auto dup = a.create_user({"u2", "ann@x.com", "$argon2id$...", t0});
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == errc::bad_input);
  const std::string hash("\x00\x01\xfe\xff secret-hash-bytes-32-long....", 32);
  sesami::store::api_key_row k1;
  k1.hash = hash, k1.id = "k1", k1.workspace = "default", k1.role = "admin", k1.name = "ci";
  k1.created_at = t0;
  REQUIRE(a.add_api_key(k1));
  auto k = a.api_key_by_hash(hash);
  REQUIRE(k);
  REQUIRE(k->has_value());
  CHECK((*k)->hash == hash);
  CHECK((*k)->workspace == "default");
  REQUIRE(a.set_membership({"default", "u1", "viewer"}));
  REQUIRE(a.set_membership({"default", "u1", "owner"}));
  auto m = a.members_of("default");
  REQUIRE(m);
  REQUIRE(m->size() == 1);
  CHECK((*m)[0].role == "owner");
  REQUIRE(a.set_ingest({"default", hash, hash, t0, "", "", "", ""}));
  auto ing = a.ingest_by_token(hash);
  REQUIRE(ing);
  REQUIRE(ing->has_value());
  CHECK((*ing)->secret_hash == hash);
  REQUIRE(a.add_aws_account("default", "123456789012"));
  REQUIRE(a.add_aws_account("default", "123456789012"));
  CHECK(a.aws_accounts("default")->size() == 1);
  // Migration 9: scope, SigV4 pair, expiry, last use, revocation (the key stays listed).
  CHECK((*k)->scope == "admin");
  CHECK((*k)->access_key_id.empty());
  sesami::store::api_key_row k2 = k1;
  k2.hash = std::string(32, 'k'), k2.id = "k2", k2.name = "app";
  k2.scope = "send";
  k2.access_key_id = "SESAMIABCDEFGHIJKLMN";
  k2.secret_sealed = "sealed1:xyz";
  k2.expires_at = t0 + 1000;
  REQUIRE(a.add_api_key(k2));
  auto by_ak = a.api_key_by_access_key("SESAMIABCDEFGHIJKLMN");
  REQUIRE(by_ak);
  REQUIRE(by_ak->has_value());
  CHECK((*by_ak)->id == "k2");
  CHECK((*by_ak)->scope == "send");
  CHECK((*by_ak)->secret_sealed == "sealed1:xyz");
  CHECK((*by_ak)->expires_at == t0 + 1000);
  REQUIRE(a.touch_api_key("k2", t0 + 50));
  REQUIRE(a.touch_api_key("k2", t0 + 10));  // never backwards
  CHECK((*a.api_key_by_access_key("SESAMIABCDEFGHIJKLMN"))->last_used_at == t0 + 50);
  CHECK(*a.revoke_api_key("default", "k1", t0 + 5));
  CHECK_FALSE(*a.revoke_api_key("default", "k1", t0 + 6));
  REQUIRE(a.api_key_by_hash(hash)->has_value());
  CHECK((*a.api_key_by_hash(hash))->revoked_at == t0 + 5);
  CHECK(a.api_keys_of("default")->size() == 2);
}

// Issue #8: after a PostgreSQL restart every idle pooled connection is dead. The pool replaces a
// connection the server closed before handing it out, and retries the first statement on a fresh
// session only when that statement cannot have changed anything; a write is never run twice.
TEST_CASE(
    "PostgreSQL pool: connections closed by the server are replaced, only safe statements "
    "are retried",
    "[postgres][pool]") {
  namespace pg = sesami::store::pg;
  const std::string url = pg_test_url();
  pg::pool pool(url, 2);
  auto pid_of = [](pg::connection& c) {
    auto r = c.exec("SELECT pg_backend_pid()", "pid");
    REQUIRE(r);
    return std::string(r->text(0, 0));
  };
  // Ends the backend from another session and waits until it is gone (its socket closed).
  auto terminate = [&](const std::string& pid) {
    CHECK(pg_admin("SELECT pg_terminate_backend(" + pid + ")", url) == "t");
    for (int i = 0; i < 100; ++i) {
      if (pg_admin("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid, url) == "0") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  };
  std::string pid;
  {
    auto h = pool.acquire();
    REQUIRE(h);
    pid = pid_of(**h);
  }
  // Closed while idle in the pool: replaced at acquire, the first statement succeeds.
  terminate(pid);
  {
    auto h = pool.acquire();
    REQUIRE(h);
    const auto now = pid_of(**h);
    CHECK(now != pid);
    pid = now;
  }
  // Closed after acquire (the race a restart leaves): a read is retried once on a new session.
  {
    auto h = pool.acquire();
    REQUIRE(h);
    terminate(pid);
    auto r = (*h)->exec("SELECT 1 + 1", "read");
    REQUIRE(r);
    CHECK(r->text(0, 0) == "2");
    pid = pid_of(**h);
  }
  // The same for BEGIN: the transaction then runs on the new session.
  {
    auto h = pool.acquire();
    REQUIRE(h);
    terminate(pid);
    REQUIRE((*h)->script("BEGIN", "begin"));
    const auto now = pid_of(**h);
    CHECK(now != pid);
    pid = now;
    CHECK((*h)->script("ROLLBACK", "rollback"));
  }
  // A write in autocommit might have committed before the connection broke: reported, not rerun.
  {
    auto h = pool.acquire();
    REQUIRE(h);
    terminate(pid);
    auto r = (*h)->exec("CREATE TEMP TABLE pool_retry (x int)", "write");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::unavailable);
  }
  // A statement after the first is not retried either; the pool then drops the broken connection.
  {
    auto h = pool.acquire();
    REQUIRE(h);
    pid = pid_of(**h);
    terminate(pid);
    auto r = (*h)->exec("SELECT 1", "read");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::unavailable);
  }
  auto h = pool.acquire();
  REQUIRE(h);
  CHECK(pid_of(**h) != pid);
}
