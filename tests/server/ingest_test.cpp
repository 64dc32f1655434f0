// Webhook ingestion through a real server: SNS messages signed with our own CA (the server trusts
// it through the test-only option), genuine AWS-signed messages, subscription confirmation against
// an HTTPS stand-in for SNS, replays, tampering, malformed and oversized bodies, EventBridge.
#include "../../server/aws/sns_verify.hpp"

#include <sqlite3.h>

#include <atomic>
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
std::string fixture(const std::string& rel) {
  return read_file(std::string(SESAMI_FIXTURES_DIR) + "/" + rel);
}
const std::string cert_name = "SimpleNotificationService-sesamitest.pem";

struct setup {
  temp_dir dir;
  pki ca;
  pki::cert signer = ca.issue("sesami-test-signer");
  pki::cert host = ca.issue("sns.us-east-1.amazonaws.com");
  std::unique_ptr<https_stub> stub;
  std::unique_ptr<server_process> srv;
  std::string token, secret, key;

  setup() {
    const auto db = dir.path / "sesami.db";
    auto r = run_sesami({"workspace", "create", "acme", "--db", db.string(), "--json"});
    REQUIRE(r.status == 0);
    auto o = json::parse(r.out);
    token = s(o.at("ingestToken"));
    secret = s(o.at("ingestSecret"));
    key = s(o.at("apiKey"));
    // The accounts of the test topic and of the genuine AWS-signed messages: SNS messages are
    // accepted only from topics of the workspace's source accounts.
    for (const auto& account : {sns_topic_account, sns_real_topic_account})
      REQUIRE(run_sesami({"workspace", "connect-account", "acme", account, "--db", db.string()})
                  .status == 0);
    write_file(dir.path / "ca.pem", ca.ca.cert_pem);
    std::filesystem::create_directories(dir.path / "certs");
    write_file(dir.path / "certs" / cert_name, signer.cert_pem);
    // Genuine AWS certificate for the genuine messages.
    const std::string real = "SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem";
    std::filesystem::copy_file(std::string(SESAMI_SERVER_FIXTURES) + "/sns-real/" + real,
                               dir.path / "certs" / real);
    stub = std::make_unique<https_stub>(
        host, std::map<std::string, std::string>{{"/", "<ConfirmSubscriptionResponse/>"}});
    srv = std::make_unique<server_process>(
        dir.path, std::vector<std::string>{
                      "--test-sns-ca", (dir.path / "ca.pem").string(), "--test-sns-connect-to",
                      "127.0.0.1:" + std::to_string(stub->port()), "--body-limit", "65536",
                      // The stub is on loopback: the SubscribeURL policy lets it be reached.
                      "--allow-private-targets", "--metrics-token-file",
                      metrics_token_args(dir.path).back()});
  }
  std::size_t stored_events(http_client& c, const std::string& query = "") {
    auto r =
        c.request("GET", "/events?limit=1000" + query, "", {{"Authorization", "Bearer " + key}});
    REQUIRE(r.status == 200);
    return parse(r).at("events").as_array().size();
  }
};
}  // namespace

TEST_CASE("ingest/sns: signed notifications are stored once and forgeries refused", "[ingest]") {
  setup t;
  http_client c(t.srv->port());
  const auto ses_bounce = fixture("ses/event-bounce.json");
  const auto msg =
      sns_message(t.signer, "Notification", "aaaaaaaa-0000-0000-0000-000000000001", ses_bounce);
  const auto url = "/ingest/sns/" + t.token;

  auto first = c.request("POST", url, msg, {{"Content-Type", "text/plain; charset=UTF-8"}});
  INFO(first.body);
  REQUIRE(first.status == 200);
  CHECK(parse(first).at("stored").to_number<int>() == 1);
  CHECK(t.stored_events(c) == 1);

  SECTION("a replayed delivery is acknowledged and stored once") {
    auto again = c.request("POST", url, msg);
    REQUIRE(again.status == 200);
    CHECK(parse(again).at("action") == "duplicate-delivery");
    // The same event under a new SNS MessageId: deduplicated by event identity.
    auto other = c.request("POST", url,
                           sns_message(t.signer, "Notification",
                                       "aaaaaaaa-0000-0000-0000-000000000002", ses_bounce, "2"));
    REQUIRE(other.status == 200);
    CHECK(parse(other).at("stored").to_number<int>() == 0);
    CHECK(parse(other).at("duplicates").to_number<int>() == 1);
    CHECK(t.stored_events(c) == 1);
  }
  SECTION("one altered byte is 403 and nothing is stored") {
    auto tampered = sns_message(t.signer, "Notification", "aaaaaaaa-0000-0000-0000-000000000003",
                                fixture("ses/event-delivery.json"));
    const auto at = tampered.find("Delivery");
    REQUIRE(at != std::string::npos);
    tampered[at] = 'd';
    auto r = c.request("POST", url, tampered);
    CHECK(r.status == 403);
    CHECK(code_of(r) == "sns.bad_signature");
    CHECK(t.stored_events(c) == 1);
  }
  SECTION("a self-signed certificate is refused") {
    const auto rogue = t.ca.issue("sesami-test-rogue", true);
    write_file(t.dir.path / "certs" / "SimpleNotificationService-rogue.pem", rogue.cert_pem);
    auto r = c.request("POST", url,
                       sns_message(rogue, "Notification", "aaaaaaaa-0000-0000-0000-000000000004",
                                   fixture("ses/event-delivery.json"), "1", "",
                                   "https://sns.us-east-1.amazonaws.com/"
                                   "SimpleNotificationService-rogue.pem"));
    CHECK(r.status == 403);
    CHECK(t.stored_events(c) == 1);
  }
  SECTION("a certificate URL on another host is refused without being fetched") {
    const int before = t.stub->connections();
    auto r = c.request("POST", url,
                       sns_message(t.signer, "Notification", "aaaaaaaa-0000-0000-0000-000000000005",
                                   fixture("ses/event-delivery.json"), "1", "",
                                   "https://sns.us-east-1.amazonaws.com.attacker.example/x.pem"));
    CHECK(r.status == 403);
    CHECK(code_of(r) == "sns.cert_refused");
    CHECK(t.stub->connections() == before);
  }
  SECTION("malformed bodies are 400 and store nothing") {
    CHECK(code_of(c.request("POST", url, "{\"Type\":")) == "sesami.bad_json");
    CHECK(c.request("POST", url, "[1,2,3]").status == 400);
    // Correctly signed, but the Message is not an SES event.
    auto r = c.request("POST", url,
                       sns_message(t.signer, "Notification", "aaaaaaaa-0000-0000-0000-000000000006",
                                   "{\"not\":\"ses\"}"));
    CHECK(r.status == 400);
    CHECK(t.stored_events(c) == 1);
  }
  SECTION("oversized bodies are 413") {
    CHECK(c.request("POST", url, std::string(70000, ' ')).status == 413);
  }
  SECTION("an unknown token is 404") {
    auto r = c.request("POST", "/ingest/sns/not-a-token", msg);
    CHECK(r.status == 404);
    CHECK(code_of(r) == "ingest.bad_token");
  }
  SECTION("metrics count ingested events by source and type, and rejects by reason") {
    (void)c.request("POST", url, "{");
    auto m = c.request("GET", "/metrics", "", metrics_auth());
    CHECK(m.body.find("sesami_events_ingested_total{source=\"sns\",type=\"bounce\"} 1") !=
          std::string::npos);
    CHECK(m.body.find("sesami_ingest_rejects_total{reason=\"sesami.bad_json\"} 1") !=
          std::string::npos);
  }
  SECTION("a rotated token works at once (the old one for the grace: the test below)") {
    auto rot =
        c.request("POST", "/workspace/ingest-token", "", {{"Authorization", "Bearer " + t.key}});
    REQUIRE(rot.status == 200);
    CHECK(c.request("POST", "/ingest/sns/" + s(parse(rot).at("ingestToken")), msg).status == 200);
  }
}

TEST_CASE("ingest/sns: genuine AWS-signed messages pass the signature check", "[ingest]") {
  setup t;
  http_client c(t.srv->port());
  const auto dir = std::string(SESAMI_SERVER_FIXTURES) + "/sns-real/";
  for (const char* f : {"notification-sha1.json", "notification-sha256.json"}) {
    INFO(f);
    // Their Message is "Hello world", not an SES event: past the signature, the payload is
    // refused as malformed (400), never as forged (403).
    auto r = c.request("POST", "/ingest/sns/" + t.token, read_file(dir + f));
    CHECK(r.status == 400);
    CHECK(code_of(r).starts_with("sesami."));
    auto tampered = read_file(dir + f);
    tampered.replace(tampered.find("Hello world"), 11, "Hello World");
    auto bad = c.request("POST", "/ingest/sns/" + t.token, tampered);
    CHECK(bad.status == 403);
    CHECK(code_of(bad) == "sns.bad_signature");
  }
}

TEST_CASE("ingest/sns: subscription confirmation calls SubscribeURL on the SNS host only",
          "[ingest]") {
  setup t;
  http_client c(t.srv->port());
  const std::string sub =
      "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:"
      "us-east-1:123456789012:ses-events&Token=2336412f37fb687f5d51e6e2425c464de12884a6";
  auto r = c.request(
      "POST", "/ingest/sns/" + t.token,
      sns_message(t.signer, "SubscriptionConfirmation", "bbbbbbbb-0000-0000-0000-000000000001",
                  "You have chosen...", "2", sub));
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(parse(r).at("action") == "subscription-confirmed");
  const auto reqs = t.stub->requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0] == sub.substr(std::string("https://sns.us-east-1.amazonaws.com").size()));

  // A SubscribeURL elsewhere is never called.
  const int before = t.stub->connections();
  auto evil = c.request(
      "POST", "/ingest/sns/" + t.token,
      sns_message(t.signer, "SubscriptionConfirmation", "bbbbbbbb-0000-0000-0000-000000000002", "x",
                  "1", "https://attacker.example/?Action=ConfirmSubscription"));
  CHECK(evil.status == 403);
  CHECK(t.stub->connections() == before);
}

TEST_CASE("ingest/eventbridge: secret and connected account", "[ingest]") {
  setup t;
  http_client c(t.srv->port());
  const auto url = "/ingest/eventbridge/" + t.token;
  const auto body = fixture("eventbridge/event-delivery.json");
  CHECK(code_of(c.request("POST", url, body, {{"X-Sesami-Secret", "wrong"}})) ==
        "eventbridge.bad_secret");
  CHECK(c.request("POST", url, body).status == 403);
  auto not_connected = c.request("POST", url, body, {{"X-Sesami-Secret", t.secret}});
  CHECK(not_connected.status == 403);
  CHECK(code_of(not_connected) == "eventbridge.account_not_connected");
  auto conn = c.request("POST", "/workspace/aws-accounts", R"({"accountId":"123456789012"})",
                        {{"Authorization", "Bearer " + t.key}});
  REQUIRE(conn.status == 201);
  auto ok = c.request("POST", url, body, {{"X-Sesami-Secret", t.secret}});
  REQUIRE(ok.status == 200);
  CHECK(parse(ok).at("stored").to_number<int>() == 1);
  CHECK(c.request("POST", url, "{not json", {{"X-Sesami-Secret", t.secret}}).status == 400);
  CHECK(t.stored_events(c) == 1);
}

// Issue 17: admins read the ingestion URLs again (sealed at rest with the server key), and a
// rotation keeps the replaced token and secret working for the grace, then refuses them. The
// grace is the server's setting at lookup time, so a restart with --ingest-token-grace-hours 0
// stands for "a day later" without waiting.
TEST_CASE("ingest: rotation keeps the old URL for the grace, and admins read the URLs again",
          "[ingest]") {
  setup t;
  http_client c(t.srv->port());
  const auto owner = std::pair<std::string, std::string>{"Authorization", "Bearer " + t.key};
  REQUIRE(c.request("POST", "/workspace/aws-accounts", R"({"accountId":"123456789012"})", {owner})
              .status == 201);
  const auto body = fixture("eventbridge/event-delivery.json");
  auto ingest = [&](const std::string& token, const std::string& secret) {
    return c.request("POST", "/ingest/eventbridge/" + token, body, {{"X-Sesami-Secret", secret}});
  };
  // Made by `sesami workspace create`, which seals with the same server key serve opens (DB.key):
  // readable at once, the pair it printed.
  auto before = c.request("GET", "/workspace/ingest-token", "", {owner});
  REQUIRE(before.status == 200);
  CHECK(s(parse(before).at("ingestToken")) == t.token);
  CHECK(s(parse(before).at("ingestSecret")) == t.secret);

  auto rot = c.request("POST", "/workspace/ingest-token", "", {owner});
  REQUIRE(rot.status == 200);
  const auto token = s(parse(rot).at("ingestToken")), secret = s(parse(rot).at("ingestSecret"));
  CHECK(parse(rot).at("previousValidUntil").is_string());
  // Read again, as often as needed: the same pair.
  auto seen = c.request("GET", "/workspace/ingest-token", "", {owner});
  REQUIRE(seen.status == 200);
  CHECK(s(parse(seen).at("ingestToken")) == token);
  CHECK(s(parse(seen).at("ingestSecret")) == secret);
  // Admins only: a viewer key is refused.
  auto vk = c.request("POST", "/api-keys", R"({"role":"viewer"})", {owner});
  REQUIRE(vk.status == 201);
  CHECK(c.request("GET", "/workspace/ingest-token", "",
                  {{"Authorization", "Bearer " + s(parse(vk).at("key"))}})
            .status == 403);
  // Sealed at rest: the column holds neither the token nor the secret.
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(t.srv->db().string().c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
            SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT token_sealed, secret_sealed FROM ingest_tokens", -1, &st,
                               nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    const std::string sealed_token = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    const std::string sealed_secret = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
    sqlite3_close(db);
    CHECK(sealed_token.starts_with("sealed1:"));
    CHECK(sealed_token.find(token) == std::string::npos);
    CHECK(sealed_secret.find(secret) == std::string::npos);
  }
  // Within the grace both URLs ingest, each with its own secret.
  CHECK(ingest(token, secret).status == 200);
  CHECK(ingest(t.token, t.secret).status == 200);
  CHECK(code_of(ingest(t.token, secret)) == "eventbridge.bad_secret");
  // A second rotation: the first token is two rotations old and stops at once.
  auto rot2 = c.request("POST", "/workspace/ingest-token", "", {owner});
  REQUIRE(rot2.status == 200);
  CHECK(ingest(t.token, t.secret).status == 404);
  CHECK(ingest(token, secret).status == 200);

  // "A day later": the grace has passed for this server.
  t.srv.reset();
  t.srv = std::make_unique<server_process>(
      t.dir.path, std::vector<std::string>{"--ingest-token-grace-hours", "0"});
  http_client c2(t.srv->port());
  CHECK(c2.request("POST", "/ingest/eventbridge/" + token, body, {{"X-Sesami-Secret", secret}})
            .status == 404);
  const auto now_token = s(parse(rot2).at("ingestToken"));
  CHECK(c2.request("POST", "/ingest/eventbridge/" + now_token, body,
                   {{"X-Sesami-Secret", s(parse(rot2).at("ingestSecret"))}})
            .status == 200);
  auto after = c2.request("GET", "/workspace/ingest-token", "", {owner});
  REQUIRE(after.status == 200);
  CHECK(s(parse(after).at("ingestToken")) == now_token);
  CHECK(parse(after).at("previousValidUntil").is_null());
}

TEST_CASE("ingest: storage unavailable is 503 (so AWS retries) and nothing is lost after",
          "[ingest]") {
  setup t;
  http_client c(t.srv->port());
  // Another process holding the database's write lock past the busy timeout: the commit fails.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((t.dir.path / "sesami.db").string().c_str(), &db) == SQLITE_OK);
  // The server may still be writing (its start-up, the setup's requests): wait for the lock
  // rather than fail to take it (seen under ASan, where everything is slower).
  sqlite3_busy_timeout(db, 10000);
  REQUIRE(sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
  const auto msg = sns_message(t.signer, "Notification", "cccccccc-0000-0000-0000-000000000001",
                               fixture("ses/event-delivery.json"));
  auto busy = c.request("POST", "/ingest/sns/" + t.token, msg);
  CHECK(busy.status == 503);
  CHECK(code_of(busy).starts_with("store."));
  REQUIRE(sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  // SNS's retry of the same message is then stored: the failed attempt did not mark it as seen.
  auto retry = c.request("POST", "/ingest/sns/" + t.token, msg);
  CHECK(retry.status == 200);
  CHECK(parse(retry).at("stored").to_number<int>() == 1);
}

TEST_CASE("ingest: SIGTERM drains in-flight requests; every acknowledged event is stored",
          "[ingest]") {
  setup t;
  REQUIRE(run_sesami({"workspace", "connect-account", "acme", "123456789012", "--db",
                      (t.dir.path / "sesami.db").string()})
              .status == 0);
  // Connected after the server started: the server reads connected accounts on first use.
  const auto tmpl = fixture("eventbridge/event-delivery.json");
  const auto at = tmpl.find("\"messageId\"");
  REQUIRE(at != std::string::npos);
  std::atomic<int> acknowledged{0};
  std::atomic<bool> go{true};
  std::vector<std::thread> senders;
  for (int k = 0; k < 8; ++k)
    senders.emplace_back([&, k] {
      try {
        http_client c(t.srv->port());
        for (int i = 0; go && i < 10000; ++i) {
          // A distinct event per request: a new messageId.
          std::string body = tmpl;
          const auto q1 = body.find('"', body.find(':', at) + 1);
          const auto q2 = body.find('"', q1 + 1);
          body.replace(q1 + 1, q2 - q1 - 1, "drain-" + std::to_string(k) + "-" + std::to_string(i));
          auto r = c.request("POST", "/ingest/eventbridge/" + t.token, body,
                             {{"X-Sesami-Secret", t.secret}});
          if (r.status == 200) ++acknowledged;
          if (r.header("connection") == "close") break;
        }
      } catch (const std::exception&) {
        // The server closed the connection while this sender was between requests.
      }
    });
  // Let a few hundred requests through first (a guard, not a timing assertion: never hangs).
  const auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (acknowledged < 200 && std::chrono::steady_clock::now() < guard)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(t.srv->stop() == 0);  // SIGTERM while requests are in flight
  go = false;
  for (auto& th : senders) th.join();
  REQUIRE(acknowledged >= 200);

  server_process again(t.dir.path);
  http_client c(again.port());
  auto r = c.request("GET", "/events?limit=1000&type=delivery", "",
                     {{"Authorization", "Bearer " + t.key}});
  REQUIRE(r.status == 200);
  std::size_t stored = parse(r).at("events").as_array().size();
  std::string next = parse(r).at("next").is_null() ? "" : s(parse(r).at("next"));
  while (!next.empty()) {
    auto page = c.request("GET", "/events?limit=1000&type=delivery&cursor=" + next, "",
                          {{"Authorization", "Bearer " + t.key}});
    stored += parse(page).at("events").as_array().size();
    next = parse(page).at("next").is_null() ? "" : s(parse(page).at("next"));
  }
  // Acknowledged implies stored; a request cut off before its answer may or may not be.
  CHECK(stored >= static_cast<std::size_t>(acknowledged.load()));
  CHECK(stored <= static_cast<std::size_t>(acknowledged.load()) + 8);
}
