// Pipeline health over a real server (issue #18), on SQLite (server:*) and PostgreSQL
// (server:pg:*): each ingestion path's source with its last event, hourly counts and last error;
// an SNS subscription with raw message delivery named as such; silence after a source's window and
// sends whose Send event never came, with time moved by rewinding the stored timestamps (no
// sleeps); the window set by an admin; the Prometheus gauge.
#include <libpq-fe.h>
#include <sqlite3.h>

#include <chrono>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "sns_message.hpp"
#include "support.hpp"

using namespace sesami::test;
namespace json = boost::json;

namespace {
using headers = std::vector<std::pair<std::string, std::string>>;

std::string fixture(const std::string& rel) {
  return read_file(std::string(SESAMI_FIXTURES_DIR) + "/" + rel);
}

/// Runs SQL on the server's database, SQLite file or PostgreSQL schema: how these tests move time.
void db_exec(const std::string& db, const std::string& sql) {
  if (db.starts_with("postgresql://")) {
    PGconn* c = PQconnectdb(db.c_str());
    REQUIRE(PQstatus(c) == CONNECTION_OK);
    PGresult* r = PQexec(c, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    const std::string err = PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
    INFO(err);
    REQUIRE(ok);
    return;
  }
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  sqlite3_busy_timeout(h, 5000);
  char* err = nullptr;
  const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
  INFO((err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(h);
  REQUIRE(rc == SQLITE_OK);
}

struct setup {
  temp_dir dir;
  pki ca;
  pki::cert signer = ca.issue("sesami-test-signer");
  std::string db, token, secret, key;
  std::unique_ptr<server_process> srv;
  std::unique_ptr<http_client> c;

  setup() {
    db = test_db(dir.path);
    auto r = run_sesami({"workspace", "create", "acme", "--db", db, "--json"});
    REQUIRE(r.status == 0);
    auto o = json::parse(r.out);
    token = s(o.at("ingestToken")), secret = s(o.at("ingestSecret")), key = s(o.at("apiKey"));
    for (const std::string& account : {sns_topic_account, std::string("123456789012")})
      REQUIRE(run_sesami({"workspace", "connect-account", "acme", account, "--db", db}).status ==
              0);
    write_file(dir.path / "ca.pem", ca.ca.cert_pem);
    std::filesystem::create_directories(dir.path / "certs");
    write_file(dir.path / "certs" / "SimpleNotificationService-sesamitest.pem", signer.cert_pem);
    // The certificate is read from DIR/certs (server_process's --sns-cert-dir), never fetched.
    auto extra =
        std::vector<std::string>{"--test-sns-ca", (dir.path / "ca.pem").string(), "--no-sns-fetch"};
    for (auto& a : metrics_token_args(dir.path)) extra.push_back(a);
    srv = std::make_unique<server_process>(dir.path, extra);
    c = std::make_unique<http_client>(srv->port());
  }
  headers auth(const std::string& k = "") const {
    return {{"Authorization", "Bearer " + (k.empty() ? key : k)},
            {"Content-Type", "application/json"}};
  }
  http_response sns(const std::string& body) {
    return c->request("POST", "/ingest/sns/" + token, body, {{"Content-Type", "text/plain"}});
  }
  json::object sources() {
    auto r = c->request("GET", "/health/sources", "", auth());
    INFO(r.body);
    REQUIRE(r.status == 200);
    return parse(r).as_object();
  }
  static const json::object* source(const json::object& all, const std::string& kind,
                                    const std::string& name) {
    for (const auto& v : all.at("sources").as_array())
      if (v.at("kind") == kind.c_str() && v.at("name") == name.c_str()) return &v.as_object();
    return nullptr;
  }
  http_response patch(const std::string& id, const std::string& body, const std::string& k = "") {
    return c->request("PATCH", "/health/sources/" + id, body, auth(k));
  }
};

std::string sns_ok(setup& t, const std::string& id, const std::string& fixture_name) {
  return sns_message(t.signer, "Notification", id, fixture(fixture_name));
}
}  // namespace

TEST_CASE("health: each source shows its last event, hourly counts and last error", "[health]") {
  setup t;
  REQUIRE(
      t.sns(sns_ok(t, "bbbbbbbb-0000-0000-0000-000000000001", "ses/event-bounce.json")).status ==
      200);
  REQUIRE(
      t.sns(sns_ok(t, "bbbbbbbb-0000-0000-0000-000000000002", "ses/event-delivery.json")).status ==
      200);
  REQUIRE(t.c->request("POST", "/ingest/eventbridge/" + t.token,
                       fixture("eventbridge/event-delivery.json"), {{"X-Sesami-Secret", t.secret}})
              .status == 200);

  // The SNS endpoint's errors: a forged message names no source (its topic is not trusted).
  auto forged = sns_ok(t, "bbbbbbbb-0000-0000-0000-000000000003", "ses/event-send.json");
  forged[forged.find("Send")] = 's';
  REQUIRE(t.sns(forged).status == 403);

  auto all = t.sources();
  const auto* topic = setup::source(all, "sns", sns_topic_arn);
  REQUIRE(topic);
  CHECK(topic->at("eventsLastHour").to_number<int>() == 2);
  CHECK(topic->at("lastEventAt").is_string());
  CHECK(topic->at("lastEventAgeSeconds").to_number<int>() < 600);
  CHECK(topic->at("silent") == false);
  CHECK(topic->at("lastError").is_null());  // the forgery is not the topic's
  const auto& hourly = topic->at("hourly").as_array();
  REQUIRE(hourly.size() == 24);
  CHECK(hourly.back().at("events").to_number<int>() == 2);
  // A new source gets the smallest default window the rule gives: twice an hour.
  CHECK(topic->at("silenceWindowMinutes").to_number<int>() == 120);
  CHECK(topic->at("silenceWindowDefault") == true);
  CHECK(s(topic->at("id")).starts_with("src_"));

  const auto* account = setup::source(all, "eventbridge", "123456789012");
  REQUIRE(account);
  CHECK(account->at("eventsLastHour").to_number<int>() == 1);

  const auto* endpoint = setup::source(all, "sns", "");
  REQUIRE(endpoint);
  CHECK(endpoint->at("lastEventAt").is_null());
  CHECK(s(endpoint->at("lastError")).starts_with("sns.bad_signature"));
  CHECK(endpoint->at("silent") == false);  // never delivered: nothing to miss
  CHECK(all.at("lastEvent").at("kind").is_string());
  CHECK(all.at("findings").as_array().empty());
  CHECK(all.at("silent") == false);

  SECTION("an API key of scope read may look, only an admin may set a window") {
    auto made = t.c->request("POST", "/api-keys", R"({"name":"ro","role":"admin","scope":"read"})",
                             t.auth());
    REQUIRE(made.status == 201);
    const auto ro = s(parse(made).at("key"));
    CHECK(t.c->request("GET", "/health/sources", "", t.auth(ro)).status == 200);
    CHECK(t.patch(s(topic->at("id")), R"({"silenceWindowMinutes":60})", ro).status == 403);
    auto viewer =
        s(parse(t.c->request("POST", "/api-keys", R"({"role":"viewer"})", t.auth())).at("key"));
    CHECK(t.c->request("GET", "/health/sources", "", t.auth(viewer)).status == 200);
    CHECK(t.patch(s(topic->at("id")), R"({"silenceWindowMinutes":60})", viewer).status == 403);
    CHECK(t.c->request("GET", "/health/sources").status == 401);
  }
  SECTION("bad windows and unknown sources are refused") {
    const auto id = s(topic->at("id"));
    for (const char* bad : {R"({"silenceWindowMinutes":4})", R"({"silenceWindowMinutes":"60"})",
                            R"({"silenceWindowMinutes":43201})", R"({})"}) {
      auto r = t.patch(id, bad);
      INFO(bad);
      CHECK(r.status == 400);
      CHECK(code_of(r) == "validation.silence_window");
    }
    CHECK(t.patch("src_0000000000000000", R"({"silenceWindowMinutes":60})").status == 404);
    auto ok = t.patch(id, R"({"silenceWindowMinutes":45})");
    REQUIRE(ok.status == 200);
    CHECK(parse(ok).at("silenceWindowMinutes").to_number<int>() == 45);
    CHECK(parse(ok).at("silenceWindowDefault") == false);
  }
  SECTION("the Prometheus gauge names each source's age") {
    auto m = t.c->request("GET", "/metrics", "", metrics_auth());
    REQUIRE(m.status == 200);
    CHECK(m.body.find("# TYPE sesami_last_event_age_seconds gauge") != std::string::npos);
    CHECK(m.body.find("sesami_last_event_age_seconds{workspace=\"acme\",source=\"sns:" +
                      sns_topic_arn + "\"") != std::string::npos);
    CHECK(m.body.find("source=\"eventbridge:123456789012\"") != std::string::npos);
    // The SNS endpoint as a whole never delivered an event: it has no age.
    CHECK(m.body.find("sesami_last_event_age_seconds{workspace=\"acme\",source=\"sns\"") ==
          std::string::npos);
  }
}

TEST_CASE("health: raw message delivery is named with its fix and recorded", "[health]") {
  setup t;
  // What SNS posts when the subscription has RawMessageDelivery on: the bare SES event.
  auto r = t.sns(fixture("ses/event-bounce.json"));
  INFO(r.body);
  REQUIRE(r.status == 400);
  CHECK(code_of(r) == "sns.raw_message_delivery");
  const auto message = s(parse(r).at("error").at("message"));
  CHECK(message.find("raw message delivery is on for this subscription; turn it off") !=
        std::string::npos);
  CHECK(message.find("RawMessageDelivery") != std::string::npos);
  // A classic notification too; and nothing was stored.
  CHECK(code_of(t.sns(fixture("ses/notification-delivery.json"))) == "sns.raw_message_delivery");
  auto evs = t.c->request("GET", "/events", "", t.auth());
  CHECK(parse(evs).at("events").as_array().empty());

  const auto all = t.sources();
  const auto* endpoint = setup::source(all, "sns", "");
  REQUIRE(endpoint);
  CHECK(s(endpoint->at("lastError")).starts_with("sns.raw_message_delivery: "));
  CHECK(endpoint->at("lastErrorAt").is_string());
  // Other bodies without a Type keep their old answer (and are the endpoint's last error now).
  CHECK(code_of(t.sns(R"({"hello":"world"})")) == "sesami.missing_field");
  const auto after = t.sources();
  CHECK(s(setup::source(after, "sns", "")->at("lastError")).starts_with("sesami.missing_field"));
}

TEST_CASE("health: a source quiet past its window is silent, with what to check", "[health]") {
  setup t;
  REQUIRE(
      t.sns(sns_ok(t, "cccccccc-0000-0000-0000-000000000001", "ses/event-bounce.json")).status ==
      200);
  const auto id = s(setup::source(t.sources(), "sns", sns_topic_arn)->at("id"));
  CHECK(t.sources().at("findings").as_array().empty());

  // Three hours pass without an event: the stored times move back (the window is two hours).
  db_exec(t.db,
          "UPDATE ingest_sources SET first_event_at = first_event_at - 10800000, "
          "last_event_at = last_event_at - 10800000 WHERE id = '" +
              id + "'");
  auto all = t.sources();
  const auto* topic = setup::source(all, "sns", sns_topic_arn);
  CHECK(topic->at("silent") == true);
  CHECK(all.at("silent") == true);
  const auto& found = all.at("findings").as_array();
  REQUIRE(found.size() == 1);
  CHECK(found[0].at("kind") == "source_silent");
  CHECK(found[0].at("source") == id.c_str());
  CHECK(s(found[0].at("message"))
            .starts_with("events are not arriving from SNS topic " + sns_topic_arn));
  CHECK(s(found[0].at("check")).find("raw message delivery is off") != std::string::npos);

  // A longer window set by an admin: not silent; back to the default: silent again.
  auto longer = t.patch(id, R"({"silenceWindowMinutes":240})");
  REQUIRE(longer.status == 200);
  CHECK(parse(longer).at("silent") == false);
  CHECK(t.sources().at("findings").as_array().empty());
  auto back = t.patch(id, R"({"silenceWindowMinutes":null})");
  REQUIRE(back.status == 200);
  CHECK(parse(back).at("silent") == true);
  CHECK(parse(back).at("silenceWindowDefault") == true);

  // An event arrives: the source delivers again.
  REQUIRE(
      t.sns(sns_ok(t, "cccccccc-0000-0000-0000-000000000002", "ses/event-delivery.json")).status ==
      200);
  CHECK(setup::source(t.sources(), "sns", sns_topic_arn)->at("silent") == false);
}

TEST_CASE("health: mail sent through SESami whose Send event never came", "[health]") {
  setup t;
  auto sent = t.c->request(
      "POST", "/mail",
      R"({"from":"shop@example.com","to":["success@simulator.amazonses.com"],"subject":"Hi","text":"Hi"})",
      t.auth());
  REQUIRE(sent.status == 200);
  const auto message_id = s(parse(sent).at("messageId"));
  // The simulator's events arrive through ingestion (polled: they are asynchronous).
  const json::object* sim = nullptr;
  json::object all;
  for (int i = 0; i < 150 && !sim; ++i) {
    all = t.sources();
    sim = setup::source(all, "simulator", "");
    if (!sim || sim->at("eventsLastHour").to_number<int>() < 2) {
      sim = nullptr;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  REQUIRE(sim);
  CHECK(sim->at("silenceWindowMinutes").is_null());  // the simulator is not watched by itself

  // Twenty minutes pass: the send's events are there, so nothing is missing.
  db_exec(t.db, "UPDATE mail_attempts SET created_at = created_at - 1200000");
  CHECK(t.sources().at("findings").as_array().empty());
  // Its events never came: now it is a finding, naming the message and what to check.
  db_exec(t.db, "DELETE FROM events WHERE message_id = '" + message_id + "'");
  all = t.sources();
  const auto& found = all.at("findings").as_array();
  REQUIRE(found.size() == 1);
  CHECK(found[0].at("kind") == "send_events_missing");
  CHECK(found[0].at("source").is_null());
  CHECK(found[0].at("since").is_string());
  const auto message = s(found[0].at("message"));
  CHECK(message.starts_with("events are not arriving for mail sent through SESami"));
  CHECK(message.find(message_id) != std::string::npos);
  CHECK(s(found[0].at("check")).find("simulator") != std::string::npos);
  CHECK(all.at("silent") == true);
}
