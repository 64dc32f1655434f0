// The API over a real server: sign-in, cookies and CSRF, throttling, API keys and roles, every
// read route, the suppression list, the AWS routes' "not connected" answer, cross-workspace
// attempts, and logs free of secrets.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace sesami::test;
namespace json = boost::json;

namespace {

struct workspace_secrets {
  std::string id, token, secret, key;
};
workspace_secrets create_workspace(const fs::path& db, const std::string& name) {
  auto r = run_sesami({"workspace", "create", name, "--db", db.string(), "--json"});
  REQUIRE(r.status == 0);
  auto o = json::parse(r.out);
  return {s(o.at("id")), s(o.at("ingestToken")), s(o.at("ingestSecret")), s(o.at("apiKey"))};
}
using headers = std::vector<std::pair<std::string, std::string>>;
headers bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

std::string fixture(const std::string& rel) {
  return read_file(std::string(SESAMI_FIXTURES_DIR) + "/" + rel);
}
}  // namespace

TEST_CASE("api: workspaces, auth, roles and every read route", "[api]") {
  temp_dir dir;
  const auto db = dir.path / "sesami.db";
  // Created before the server starts, through the CLI scripts use.
  auto acme = create_workspace(db, "Acme");
  auto beta = create_workspace(db, "Beta");
  CHECK(acme.id == "acme");
  CHECK(run_sesami({"workspace", "create", "ACME", "--db", db.string(), "--json"}).status == 1);
  REQUIRE(run_sesami({"workspace", "connect-account", "acme", "123456789012", "--db", db.string()})
              .status == 0);
  REQUIRE(run_sesami({"workspace", "connect-account", "beta", "123456789012", "--db", db.string()})
              .status == 0);

  server_process srv(dir.path);
  REQUIRE_FALSE(srv.owner_password().empty());
  http_client c(srv.port());

  // Events into acme through EventBridge (the real route), one into beta.
  for (const char* f : {"eventbridge/event-send.json", "eventbridge/event-delivery.json",
                        "eventbridge/event-bounce.json", "eventbridge/event-open.json",
                        "eventbridge/event-click.json"}) {
    auto r = c.request("POST", "/ingest/eventbridge/" + acme.token, fixture(f),
                       {{"X-Sesami-Secret", acme.secret}});
    INFO(f << ": " << r.body);
    REQUIRE(r.status == 200);
  }
  auto beta_in =
      c.request("POST", "/ingest/eventbridge/" + beta.token,
                fixture("eventbridge/event-complaint.json"), {{"X-Sesami-Secret", beta.secret}});
  REQUIRE(beta_in.status == 200);

  SECTION("GET /events: JSON, filters, keyset paging, columnar") {
    auto all = c.request("GET", "/events", "", bearer(acme.key));
    REQUIRE(all.status == 200);
    const auto all_v = parse(all);
    const auto& evs = all_v.at("events").as_array();
    CHECK(evs.size() == 5);
    CHECK(parse(all).at("next").is_null());
    // Newest first.
    for (std::size_t i = 1; i < evs.size(); ++i)
      CHECK(s(evs[i - 1].at("timestamp")) >= s(evs[i].at("timestamp")));

    auto bounces = c.request("GET", "/events?type=bounce", "", bearer(acme.key));
    REQUIRE(bounces.status == 200);
    REQUIRE(parse(bounces).at("events").as_array().size() == 1);
    CHECK(parse(bounces).at("events").at(0).at("type") == "bounce");
    auto two = c.request("GET", "/events?type=open,click&type=bounce", "", bearer(acme.key));
    CHECK(parse(two).at("events").as_array().size() == 3);

    auto p1 = c.request("GET", "/events?limit=2", "", bearer(acme.key));
    REQUIRE(parse(p1).at("next").is_string());
    auto p2 =
        c.request("GET", "/events?limit=2&cursor=" + s(parse(p1).at("next")), "", bearer(acme.key));
    REQUIRE(p2.status == 200);
    CHECK(parse(p2).at("events").at(0).at("id") != parse(p1).at("events").at(0).at("id"));
    CHECK(parse(p2).at("events").at(0).at("id") == evs[2].at("id"));

    CHECK(code_of(c.request("GET", "/events?typo=1", "", bearer(acme.key))) == "sesami.bad_filter");
    CHECK(c.request("GET", "/events?limit=0", "", bearer(acme.key)).status == 400);
    CHECK(c.request("GET", "/events?from=yesterday", "", bearer(acme.key)).status == 400);

    auto col = c.request(
        "GET", "/events", "",
        {{"Authorization", "Bearer " + acme.key}, {"Accept", "application/vnd.sesami.columnar"}});
    REQUIRE(col.status == 200);
    CHECK(col.header("content-type") == "application/vnd.sesami.columnar");
    CHECK(col.body.substr(0, 8) == "SESAMICB");
  }

  SECTION("GET /stats, /recipients/{address}, /messages/{messageId}") {
    auto st =
        c.request("GET", "/stats?from=2016-01-01&to=2018-01-01&bucket=month", "", bearer(acme.key));
    REQUIRE(st.status == 200);
    CHECK(parse(st).at("events").to_number<std::int64_t>() == 5);
    CHECK(c.request("GET", "/stats?bucket=year", "", bearer(acme.key)).status == 400);

    auto bounce =
        parse(c.request("GET", "/events?type=bounce", "", bearer(acme.key))).at("events").at(0);
    const auto rcpt = s(bounce.at("recipient"));
    auto r = c.request("GET", "/recipients/" + rcpt, "", bearer(acme.key));
    REQUIRE(r.status == 200);
    CHECK(s(parse(r).at("address")) == rcpt);
    CHECK_FALSE(parse(r).at("events").as_array().empty());
    CHECK(c.request("GET", "/recipients/nobody%40example.org", "", bearer(acme.key)).status == 404);

    const auto mid = s(bounce.at("messageId"));
    auto m = c.request("GET", "/messages/" + mid, "", bearer(acme.key));
    REQUIRE(m.status == 200);
    CHECK(s(parse(m).at("messageId")) == mid);
    CHECK(c.request("GET", "/messages/no-such-id", "", bearer(acme.key)).status == 404);
  }

  SECTION("another workspace's data answers 404, however it is asked for") {
    auto theirs = parse(c.request("GET", "/events", "", bearer(beta.key))).at("events").at(0);
    const auto mid = s(theirs.at("messageId"));
    CHECK(c.request("GET", "/messages/" + mid, "", bearer(beta.key)).status == 200);
    // acme's fixtures share message ids with beta's? Only beta's complaint is in beta.
    auto mine = c.request("GET", "/events?type=complaint", "", bearer(acme.key));
    CHECK(parse(mine).at("events").as_array().empty());
    auto cross =
        c.request("GET", "/events", "",
                  {{"Authorization", "Bearer " + acme.key}, {"X-Sesami-Workspace", "beta"}});
    CHECK(cross.status == 404);
    // Beta's token with acme's secret, and the reverse, are refused.
    CHECK(c.request("POST", "/ingest/eventbridge/" + beta.token,
                    fixture("eventbridge/event-send.json"), {{"X-Sesami-Secret", acme.secret}})
              .status == 403);
  }

  SECTION("API keys: roles are enforced, keys are shown once and stored hashed") {
    auto made =
        c.request("POST", "/api-keys", R"({"name":"dashboard","role":"viewer"})", bearer(acme.key));
    REQUIRE(made.status == 201);
    const auto viewer = s(parse(made).at("key"));
    CHECK(c.request("GET", "/events", "", bearer(viewer)).status == 200);
    CHECK(code_of(c.request("POST", "/suppression-list", R"({"address":"x@example.com"})",
                            bearer(viewer))) == "auth.forbidden");
    CHECK(c.request("GET", "/api-keys", "", bearer(viewer)).status == 403);
    CHECK(c.request("POST", "/workspace/ingest-token", "", bearer(viewer)).status == 403);
    // An admin cannot mint an owner.
    auto admin =
        s(parse(c.request("POST", "/api-keys", R"({"role":"admin"})", bearer(acme.key))).at("key"));
    CHECK(c.request("POST", "/api-keys", R"({"role":"owner"})", bearer(admin)).status == 403);
    auto list = c.request("GET", "/api-keys", "", bearer(admin));
    REQUIRE(list.status == 200);
    CHECK(list.body.find(viewer) == std::string::npos);  // never shown again
    const auto id = s(parse(made).at("id"));
    CHECK(c.request("DELETE", "/api-keys/" + id, "", bearer(admin)).status == 204);
    CHECK(c.request("GET", "/events", "", bearer(viewer)).status == 401);
    CHECK(c.request("GET", "/events", "", bearer("sk_not-a-key")).status == 401);
    CHECK(c.request("GET", "/events", "", {{"Authorization", "Basic abc"}}).status == 401);
    // The database holds no key in clear.
    CHECK(read_file(db).find(acme.key) == std::string::npos);
  }

  SECTION("sign-in: cookie flags, CSRF on unsafe methods, logout") {
    auto bad = c.request("POST", "/auth/login",
                         R"({"email":"admin@localhost","password":"wrong-password"})");
    CHECK(bad.status == 401);
    auto ok = c.request("POST", "/auth/login",
                        json::serialize(json::object{{"email", "admin@localhost"},
                                                     {"password", srv.owner_password()}}));
    REQUIRE(ok.status == 200);
    const auto cookie_header = ok.header("set-cookie");
    CHECK(cookie_header.find("HttpOnly") != std::string::npos);
    CHECK(cookie_header.find("Secure") != std::string::npos);
    CHECK(cookie_header.find("SameSite=Strict") != std::string::npos);
    const auto cookie = cookie_header.substr(0, cookie_header.find(';'));
    const auto csrf = s(parse(ok).at("csrfToken"));

    auto session = c.request("GET", "/auth/session", "", {{"Cookie", cookie}});
    REQUIRE(session.status == 200);
    CHECK(parse(session).at("workspace") == "default");
    CHECK(parse(session).at("role") == "owner");
    CHECK(c.request("GET", "/events", "", {{"Cookie", cookie}}).status == 200);
    // The owner of "default" is not a member of acme: 404, not 403.
    CHECK(c.request("GET", "/events", "", {{"Cookie", cookie}, {"X-Sesami-Workspace", "acme"}})
              .status == 404);

    auto no_csrf = c.request("POST", "/suppression-list", R"({"address":"c@example.com"})",
                             {{"Cookie", cookie}});
    CHECK(no_csrf.status == 403);
    CHECK(code_of(no_csrf) == "auth.csrf");
    CHECK(c.request("POST", "/suppression-list", R"({"address":"c@example.com"})",
                    {{"Cookie", cookie}, {"X-CSRF-Token", "forged"}})
              .status == 403);
    CHECK(c.request("POST", "/suppression-list", R"({"address":"c@example.com"})",
                    {{"Cookie", cookie}, {"X-CSRF-Token", csrf}})
              .status == 201);

    // A new login gives a new session id (no fixation), and logout ends the old one.
    auto again = c.request("POST", "/auth/login",
                           json::serialize(json::object{{"email", "admin@localhost"},
                                                        {"password", srv.owner_password()}}));
    CHECK(again.header("set-cookie").substr(0, again.header("set-cookie").find(';')) != cookie);
    CHECK(c.request("POST", "/auth/logout", "", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}})
              .status == 204);
    CHECK(c.request("GET", "/events", "", {{"Cookie", cookie}}).status == 401);
  }

  SECTION("users added by an owner sign in with their role") {
    // Adding is an invitation; the new person redeems its token with a password of their own.
    auto add = c.request("POST", "/users", R"({"email":"Viewer@Example.com","role":"viewer"})",
                         bearer(acme.key));
    REQUIRE(add.status == 201);
    auto redeem = c.request("POST", "/invitations/redeem",
                            json::serialize(json::object{{"token", s(parse(add).at("token"))},
                                                         {"password", "correct horse"}}));
    REQUIRE(redeem.status == 200);
    auto login = c.request("POST", "/auth/login",
                           R"({"email":"viewer@example.com","password":"correct horse"})");
    REQUIRE(login.status == 200);
    const auto sc = login.header("set-cookie");
    const auto cookie = sc.substr(0, sc.find(';'));
    const auto csrf = s(parse(login).at("csrfToken"));
    CHECK(c.request("GET", "/events", "", {{"Cookie", cookie}}).status == 200);
    CHECK(c.request("POST", "/suppression-list", R"({"address":"d@example.com"})",
                    {{"Cookie", cookie}, {"X-CSRF-Token", csrf}})
              .status == 403);
    auto users = c.request("GET", "/users", "", bearer(acme.key));
    CHECK(users.body.find("viewer@example.com") != std::string::npos);
  }

  SECTION("sign-in is throttled after repeated failures") {
    int last = 0;
    for (int i = 0; i < 6; ++i)
      last =
          c.request("POST", "/auth/login", R"({"email":"admin@localhost","password":"nope-nope"})")
              .status;
    CHECK(last == 429);
    // Even the right password waits out the window.
    auto r = c.request("POST", "/auth/login",
                       json::serialize(json::object{{"email", "admin@localhost"},
                                                    {"password", srv.owner_password()}}));
    CHECK(r.status == 429);
    CHECK(r.header("retry-after") == "900");
  }

  SECTION("suppression list: add, list, CSV export and import, remove") {
    auto add =
        c.request("POST", "/suppression-list",
                  R"({"address":"Someone@Example.com","reason":"asked us"})", bearer(acme.key));
    REQUIRE(add.status == 201);
    CHECK(parse(add).at("entry").at("address") == "someone@example.com");
    CHECK(
        c.request("POST", "/suppression-list", R"({"address":"not an address"})", bearer(acme.key))
            .status == 400);
    auto list = c.request("GET", "/suppression-list?contains=someone", "", bearer(acme.key));
    REQUIRE(list.status == 200);
    CHECK(parse(list).at("entries").as_array().size() == 1);
    auto csv = c.request("GET", "/suppression-list?format=csv", "", bearer(acme.key));
    REQUIRE(csv.status == 200);
    CHECK(csv.header("content-type").starts_with("text/csv"));
    CHECK(csv.body.find("someone@example.com") != std::string::npos);
    auto imp = c.request("POST", "/suppression-list",
                         "address,reason\r\nnew1@example.com,list import\r\nbad line@\r\n",
                         {{"Authorization", "Bearer " + acme.key}, {"Content-Type", "text/csv"}});
    REQUIRE(imp.status == 200);
    CHECK(parse(imp).at("added").to_number<int>() == 1);
    CHECK(c.request("DELETE", "/suppression-list/someone%40example.com", "", bearer(acme.key))
              .status == 204);
    CHECK(c.request("DELETE", "/suppression-list/someone%40example.com", "", bearer(acme.key))
              .status == 404);
    // Beta does not see acme's list.
    auto theirs = c.request("GET", "/suppression-list?contains=new1", "", bearer(beta.key));
    CHECK(parse(theirs).at("entries").as_array().empty());
  }

  SECTION("verify-sts says the AWS part is not connected; mail goes to the simulator") {
    auto sts = c.request("GET", "/verify-sts", "", bearer(acme.key));
    CHECK(sts.status == 409);
    CHECK(code_of(sts) == "aws.not_connected");
    CHECK(c.request("POST", "/mail", R"({"from":"a@example.com"})", bearer(acme.key)).status ==
          400);
    CHECK(
        c.request("POST", "/mail",
                  R"({"from":"a@example.com","to":["b@example.com"],"subject":"x\r\nBcc: e@vil"})",
                  bearer(acme.key))
            .status == 400);
    auto mail =
        c.request("POST", "/mail",
                  R"({"from":"a@example.com","to":["b@example.com"],"subject":"hi","text":"t"})",
                  bearer(acme.key));
    // No AWS connection: the mailbox simulator sends (tests/server/mail_test.cpp covers it).
    CHECK(mail.status == 200);
    CHECK(parse(mail).at("transport") == "simulator");
  }

  SECTION("unauthenticated calls are refused on every data route") {
    for (const char* t : {"/events", "/stats", "/recipients/a%40b.c", "/messages/x",
                          "/suppression-list", "/verify-sts", "/workspace", "/api-keys", "/users"})
      CHECK(c.request("GET", t).status == 401);
  }

  // Whatever happened above, no secret reached the log.
  srv.stop();
  const auto log = srv.log();
  CHECK_FALSE(log.empty());
  for (const auto& secret :
       {acme.key, acme.token, acme.secret, beta.key, beta.token, srv.owner_password()})
    CHECK(log.find(secret) == std::string::npos);
}
