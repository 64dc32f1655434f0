// Retention over a real `sesami serve` (issue #21), on SQLite (server:*) and PostgreSQL
// (server:pg:*): 90 days of demo data, retention set to 30 days through PATCH /workspace, and the
// background purger deleting what is older within a minute while /stats keeps the old totals.
// Who may change it (an admin, with an admin-scoped key or session) and what it accepts.
#include <chrono>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <sesami/detail/iso8601.hpp>

#include "support.hpp"

using namespace sesami::test;
namespace json = boost::json;

namespace {
using headers = std::vector<std::pair<std::string, std::string>>;
constexpr std::int64_t day_ms = 86'400'000;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
std::string iso(std::int64_t ms) { return sesami::detail::format_iso8601(ms); }

headers bearer(const std::string& key) {
  return {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}};
}

struct workspace_keys {
  std::string owner;
};
workspace_keys make_workspace(const std::string& db) {
  auto made = run_sesami({"workspace", "create", "Acme", "--db", db, "--json"});
  REQUIRE(made.status == 0);
  return {s(json::parse(made.out).at("apiKey"))};
}

// A new API key of the workspace, made by the owner.
std::string key_with(http_client& c, const std::string& owner, const std::string& role,
                     const std::string& scope) {
  auto r = c.request(
      "POST", "/api-keys",
      json::serialize(json::object{{"name", role + "-" + scope}, {"role", role}, {"scope", scope}}),
      bearer(owner));
  INFO(r.body);
  REQUIRE(r.status == 201);
  return s(parse(r).at("key"));
}

json::value retention_of(http_client& c, const std::string& key) {
  auto r = c.request("GET", "/workspace", "", bearer(key));
  REQUIRE(r.status == 200);
  return parse(r).at("retentionDays");
}
}  // namespace

TEST_CASE("retention: 30 days set over HTTP purges older raw events and keeps /stats",
          "[retention][serve]") {
  temp_dir dir;
  const auto db = test_db(dir.path);
  const auto keys = make_workspace(db);
  // 90 days of realistic traffic ending today (sesami demo: SES payloads through the parser).
  auto demo = run_sesami({"demo", "--db", db, "-w", "acme", "--days", "90", "--events", "20000"});
  INFO(demo.out);
  REQUIRE(demo.status == 0);

  server_process srv(dir.path, {}, db);
  http_client c(srv.port());
  const auto auth = bearer(keys.owner);
  CHECK(retention_of(c, keys.owner).is_null());  // forever until set

  const std::int64_t start = now_ms();
  const std::int64_t cutoff = start - 30 * day_ms;
  const std::int64_t old_to = (cutoff - day_ms) / day_ms * day_ms;  // whole days before it
  const auto old_stats = "/stats?from=" + iso(start - 100 * day_ms) + "&to=" + iso(old_to);
  auto before = c.request("GET", old_stats, "", auth);
  REQUIRE(before.status == 200);
  const auto totals_before = parse(before).at("totals");
  auto old_events = c.request("GET", "/events?limit=5&to=" + iso(cutoff), "", auth);
  REQUIRE(old_events.status == 200);
  REQUIRE(parse(old_events).at("events").as_array().size() == 5);  // there is something to purge

  auto set = c.request("PATCH", "/workspace", R"({"retentionDays": 30})", auth);
  INFO(set.body);
  REQUIRE(set.status == 200);
  CHECK(parse(set).at("retentionDays") == 30);
  CHECK(retention_of(c, keys.owner) == 30);

  // Within a minute, nothing older than 30 days is listed (bounded poll; the purger was woken).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    auto r = c.request("GET", "/events?limit=1&to=" + iso(cutoff), "", auth);
    REQUIRE(r.status == 200);
    if (parse(r).at("events").as_array().empty()) break;
    if (std::chrono::steady_clock::now() > deadline)
      FAIL("events older than 30 days still listed after a minute:\n" << srv.log());
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  // The newer events stay, and the old period's totals come from the rollups, unchanged.
  auto recent = c.request("GET", "/events?limit=5&from=" + iso(cutoff + day_ms), "", auth);
  REQUIRE(recent.status == 200);
  CHECK(parse(recent).at("events").as_array().size() == 5);
  auto after = c.request("GET", old_stats, "", auth);
  REQUIRE(after.status == 200);
  CHECK(json::serialize(parse(after).at("totals")) == json::serialize(totals_before));
  CHECK(parse(after).at("totals").at("send").as_int64() > 0);

  // null: forever again.
  auto off = c.request("PATCH", "/workspace", R"({"retentionDays": null})", auth);
  REQUIRE(off.status == 200);
  CHECK(parse(off).at("retentionDays").is_null());
}

TEST_CASE("retention: only an admin changes it, and only to 1..3650 days or null",
          "[retention][security]") {
  temp_dir dir;
  const auto db = test_db(dir.path);
  const auto keys = make_workspace(db);
  server_process srv(dir.path, {}, db);
  http_client c(srv.port());

  SECTION("a viewer's key, a read-scoped admin key and a send key are refused; nothing changes") {
    const auto viewer = key_with(c, keys.owner, "viewer", "admin");
    auto r = c.request("PATCH", "/workspace", R"({"retentionDays": 1})", bearer(viewer));
    CHECK(r.status == 403);
    CHECK(code_of(r) == "auth.forbidden");
    const auto reader = key_with(c, keys.owner, "admin", "read");
    r = c.request("PATCH", "/workspace", R"({"retentionDays": 1})", bearer(reader));
    CHECK(r.status == 403);
    CHECK(code_of(r) == "auth.scope");
    const auto sender = key_with(c, keys.owner, "admin", "send");
    r = c.request("PATCH", "/workspace", R"({"retentionDays": 1})", bearer(sender));
    CHECK(r.status == 403);
    r = c.request("PATCH", "/workspace", R"({"retentionDays": 1})",
                  {{"Content-Type", "application/json"}});
    CHECK(r.status == 401);
    CHECK(retention_of(c, keys.owner).is_null());
    // An admin's key may (the role below the owner).
    const auto admin = key_with(c, keys.owner, "admin", "admin");
    r = c.request("PATCH", "/workspace", R"({"retentionDays": 7})", bearer(admin));
    CHECK(r.status == 200);
    CHECK(retention_of(c, keys.owner) == 7);
  }
  SECTION("a signed-in session needs the CSRF token") {
    // The first owner of the default workspace, signed in with a cookie.
    auto login = c.request("POST", "/auth/login",
                           json::serialize(json::object{{"email", srv.owner_email()},
                                                        {"password", srv.owner_password()}}),
                           {{"Content-Type", "application/json"}});
    REQUIRE(login.status == 200);
    const auto cookie = login.header("set-cookie").substr(0, login.header("set-cookie").find(';'));
    const auto csrf = s(parse(login).at("csrfToken"));
    auto r = c.request("PATCH", "/workspace", R"({"retentionDays": 9})",
                       {{"Cookie", cookie}, {"Content-Type", "application/json"}});
    CHECK(r.status == 403);
    CHECK(code_of(r) == "auth.csrf");
    r = c.request(
        "PATCH", "/workspace", R"({"retentionDays": 9})",
        {{"Cookie", cookie}, {"X-CSRF-Token", csrf}, {"Content-Type", "application/json"}});
    CHECK(r.status == 200);
    CHECK(parse(r).at("retentionDays") == 9);
  }
  SECTION(
      "anything but a whole number of days in 1..3650, or null, is a 400 that changes nothing") {
    const auto auth = bearer(keys.owner);
    for (const char* body :
         {R"({"retentionDays": 0})", R"({"retentionDays": -1})", R"({"retentionDays": 3651})",
          R"({"retentionDays": 30.5})", R"({"retentionDays": "30"})", R"({"retentionDays": true})",
          R"({"retentionDays": 18446744073709551615})", R"({})", R"({"retention": 30})",
          R"({"retentionDays": 30, "name": "x"})", R"([30])", R"(not json)"}) {
      auto r = c.request("PATCH", "/workspace", body, auth);
      INFO(body << " -> " << r.body);
      CHECK(r.status == 400);
      CHECK(parse(r).at("error").at("message").as_string().size() > 0);
    }
    CHECK(retention_of(c, keys.owner).is_null());
    auto r = c.request("PATCH", "/workspace", R"({"retentionDays": 3650})", auth);
    CHECK(r.status == 200);
    CHECK(retention_of(c, keys.owner) == 3650);
  }
}

TEST_CASE("retention: sesami workspace set-retention", "[retention][cli]") {
  temp_dir dir;
  const auto db = test_db(dir.path);
  const auto keys = make_workspace(db);
  auto r = run_sesami({"workspace", "set-retention", "--db", db, "-w", "acme", "--days", "45"});
  CHECK(r.status == 0);
  CHECK(r.out.find("45 days") != std::string::npos);
  CHECK(
      run_sesami({"workspace", "set-retention", "--db", db, "-w", "acme", "--days", "0"}).status !=
      0);
  CHECK(run_sesami({"workspace", "set-retention", "--db", db, "-w", "acme", "--days", "3651"})
            .status != 0);
  CHECK(run_sesami({"workspace", "set-retention", "--db", db, "-w", "acme"}).status == 2);
  CHECK(
      run_sesami({"workspace", "set-retention", "--db", db, "-w", "nope", "--days", "5"}).status ==
      2);
  CHECK(run_sesami({"workspace", "set-retention", "--db", db, "-w", "acme", "--days", "5", "--off"})
            .status != 0);
  {
    server_process srv(dir.path, {}, db);
    http_client c(srv.port());
    CHECK(retention_of(c, keys.owner) == 45);
  }
  r = run_sesami({"workspace", "set-retention", "--db", db, "-w", "acme", "--off", "--json"});
  CHECK(r.status == 0);
  CHECK(json::parse(r.out).at("retentionDays").is_null());
}
