// The SQS ingestion poller against the SQS stand-in (SigV4 verified on every call) and a real
// SQLite store: delete only after commit, redelivery deduped, poison left for the DLQ, visibility
// extended while a commit is slow, backoff on throttling and 5xx, metrics.
#include "app/sqs_poller.hpp"

#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include <catch2/catch.hpp>
#include <sesami/parse.hpp>

#include "app/event_bus.hpp"
#include "app/pipeline_health.hpp"
#include "aws/sts.hpp"
#include "standin_process.hpp"
#include "store/pipeline_health_store.hpp"
#include "store/store.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using sesami_test::eventually;

namespace {

constexpr const char* own_key = "AKIASESAMIOWN0000001";
constexpr const char* own_secret = "sesami-own-secret-for-sqs-tests-0000000";

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string t = (fs::temp_directory_path() / "sesami-sqs-XXXXXX").string();
    REQUIRE(::mkdtemp(t.data()) != nullptr);
    path = t;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string fixture(const std::string& rel) {
  std::ifstream in(std::string(SESAMI_FIXTURES_DIR) + "/" + rel, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  REQUIRE(!ss.str().empty());
  return ss.str();
}

json::value config(int max_receive = 5, int visibility = 2) {
  return json::object{
      {"region", "us-east-1"},
      {"accountId", "111122223333"},
      {"credentials",
       json::array{json::object{{"accessKeyId", own_key}, {"secretAccessKey", own_secret}}}},
      {"queues", json::array{json::object{{"name", "events"},
                                          {"deadLetterQueue", "events-dlq"},
                                          {"maxReceiveCount", max_receive},
                                          {"visibilityTimeout", visibility}},
                             json::object{{"name", "events-dlq"}}}},
  };
}

struct fixture_env {
  temp_dir dir;
  sesami_test::standins aws;
  std::unique_ptr<sesami::store::store> store;
  sesami::aws::http_client http;
  explicit fixture_env(const json::value& cfg) : aws(cfg, dir.path) {
    sesami::store::open_options o;
    o.path = (dir.path / "sesami.db").string();
    auto s = sesami::store::open_sqlite(o);
    REQUIRE(s);
    store = std::move(*s);
    REQUIRE(store->ensure_workspace("acme"));
  }
  // Queue URLs as AWS prints them; requests go to the stand-in (the operator's endpoint override).
  std::string queue_url() const {
    return "https://sqs.us-east-1.amazonaws.com/111122223333/events";
  }
  sesami::app::sqs_source source(std::string secret = own_secret) const {
    sesami::app::sqs_source src;
    src.workspace = "acme";
    src.queue_url = queue_url();
    src.region = "us-east-1";
    src.endpoint = aws.base();
    src.credentials = [secret]() -> boost::system::result<sesami::aws::credentials, std::string> {
      sesami::aws::credentials c;
      c.access_key_id = own_key;
      c.secret_access_key = secret;
      return c;
    };
    return src;
  }
  std::size_t stored_events() {
    sesami::store::event_query q;
    q.limit = 10000;
    auto page = store->list_events("acme", q);
    REQUIRE(page);
    return page->events.size();
  }
  std::size_t queued(const std::string& q) {
    auto s = aws.state();
    return s.at("queues").at(q).at("messages").as_array().size();
  }
};

sesami::app::sqs_poller_options quick() {
  sesami::app::sqs_poller_options o;
  o.wait_seconds = 1;
  o.visibility_seconds = 2;
  o.backoff_min = std::chrono::milliseconds(20);
  o.backoff_max = std::chrono::milliseconds(200);
  o.depth_every = std::chrono::milliseconds(0);
  return o;
}

std::size_t events_in(const std::string& body) {
  auto r = sesami::parse_batch(body);
  REQUIRE(r.diagnostics.empty());
  return r.events.size();
}

}  // namespace

TEST_CASE("sqs poller: deleted only after commit, a redelivery after a crash is stored once",
          "[sqs_poller]") {
  fixture_env env(config());
  // EventBridge → SQS, SNS → SQS (enveloped), SNS → SQS raw delivery (the SES event itself).
  const std::string bodies[] = {fixture("eventbridge/event-delivery.json"),
                                fixture("sns/event-bounce.json"),
                                fixture("ses/event-complaint.json")};
  std::size_t expected = 0;
  for (auto& b : bodies) env.aws.send("events", b), expected += events_in(b);
  REQUIRE(expected >= 3);

  // The first poller commits, then every delete fails: as if it died between commit and delete.
  env.aws.fault(json::object{{"service", "sqs"},
                             {"action", "DeleteMessageBatch"},
                             {"status", 500},
                             {"code", "InternalError"},
                             {"count", 3}});
  {
    sesami::app::sqs_poller p(*env.store, env.http, env.source(), quick());
    p.start();
    REQUIRE(eventually([&] { return p.stats().stored.load() == expected; }));
    REQUIRE(eventually([&] { return env.aws.calls("sqs.DeleteMessageBatch") == 3; }));
    p.stop();
    CHECK(p.stats().deleted.load() == 0);
  }
  // Committed but not deleted: the events are durable, the messages are still on the queue.
  CHECK(env.stored_events() == expected);
  CHECK(env.queued("events") == 3);

  // A fresh poller receives the redeliveries once their visibility lapses: duplicates, deleted.
  sesami::app::sqs_poller p2(*env.store, env.http, env.source(), quick());
  p2.start();
  REQUIRE(eventually([&] { return p2.stats().deleted.load() == 3; }));
  p2.stop();
  CHECK(p2.stats().stored.load() == 0);
  CHECK(p2.stats().duplicates.load() == expected);
  CHECK(env.stored_events() == expected);
  CHECK(env.queued("events") == 0);
}

TEST_CASE("sqs poller: poison messages are counted, never deleted, and reach the DLQ",
          "[sqs_poller]") {
  fixture_env env(config(/*max_receive=*/2));
  const std::string poison[] = {"this is not JSON", R"({"hello":"world"})"};
  for (auto& b : poison) {
    REQUIRE(!sesami::parse_batch(b).diagnostics.empty());  // the core refuses them
    env.aws.send("events", b);
  }
  const std::string good = fixture("eventbridge/event-send.json");
  env.aws.send("events", good);

  // Pipeline health records the queue's events and its last error (issue #18).
  auto health_db =
      sesami::store::open_sqlite_pipeline_health((env.dir.path / "sesami.db").string());
  REQUIRE(health_db);
  sesami::app::pipeline_health health(**health_db);
  auto opt = quick();
  opt.health = &health;
  sesami::app::sqs_poller p(*env.store, env.http, env.source(), opt);
  p.start();
  REQUIRE(eventually([&] { return env.queued("events-dlq") == 2; }, std::chrono::seconds(20)));
  p.stop();
  REQUIRE(health.flush());
  auto sources = (*health_db)->sources("acme", 0);
  REQUIRE(sources);
  REQUIRE(sources->size() == 1);
  const auto& src = sources->front();
  CHECK(src.kind == "sqs");
  CHECK(src.name == env.queue_url());
  CHECK(src.id == sesami::app::source_id("sqs", env.queue_url()));
  CHECK(src.last_event_at > 0);
  std::int64_t counted = 0;
  for (const auto& [hour, n] : src.hours) counted += n;
  CHECK(counted == static_cast<std::int64_t>(events_in(good)));
  CHECK(src.last_error.find("does not parse (left for the dead-letter queue)") !=
        std::string::npos);
  // Each poison body was received maxReceiveCount (2) times before SQS's redrive moved it.
  CHECK(p.stats().poison.load() == 4);
  CHECK(p.stats().deleted.load() == 1);
  CHECK(env.queued("events") == 0);
  CHECK(env.stored_events() == events_in(good));
  auto dlq = env.aws.state().at("queues").at("events-dlq").at("messages").as_array();
  CHECK(dlq[0].at("body").as_string() == "this is not JSON");
}

TEST_CASE("sqs poller: visibility is extended while a commit is slow", "[sqs_poller]") {
  fixture_env env(config());
  const std::string body = fixture("sns/event-delivery.json");
  // Hold the database's write lock for ~3.5 s (> the 2 s visibility): the commit waits on it.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((env.dir.path / "sesami.db").string().c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);

  env.aws.send("events", body);
  sesami::app::sqs_poller p(*env.store, env.http, env.source(), quick());
  p.start();
  REQUIRE(eventually([&] { return p.stats().received.load() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  REQUIRE(eventually([&] { return p.stats().deleted.load() == 1; }));
  p.stop();
  CHECK(p.stats().extended.load() >= 1);
  CHECK(env.aws.calls("sqs.ChangeMessageVisibilityBatch") >= 1);
  // Never handed out again while the slow commit ran.
  CHECK(p.stats().received.load() == 1);
  CHECK(p.stats().stored.load() == events_in(body));
  CHECK(env.stored_events() == events_in(body));
}

TEST_CASE("sqs poller: throttling and 5xx back off, then the queue drains", "[sqs_poller]") {
  fixture_env env(config());
  env.aws.fault(json::object{{"service", "sqs"},
                             {"action", "ReceiveMessage"},
                             {"status", 400},
                             {"code", "ThrottlingException"},
                             {"message", "Rate exceeded"},
                             {"count", 3}});
  env.aws.fault(json::object{{"service", "sqs"},
                             {"action", "ReceiveMessage"},
                             {"status", 503},
                             {"code", "ServiceUnavailable"},
                             {"count", 2}});
  const std::string body = fixture("eventbridge/event-open.json");
  env.aws.send("events", body);
  sesami::app::sqs_poller p(*env.store, env.http, env.source(), quick());
  p.start();
  REQUIRE(eventually([&] { return p.stats().deleted.load() == 1; }));
  p.stop();
  CHECK(p.stats().throttled.load() == 3);
  CHECK(p.stats().errors.load() == 5);
  CHECK(env.stored_events() == events_in(body));

  std::string text;
  sesami::app::render_sqs_metrics({&p}, text);
  CHECK(text.find("sesami_sqs_deleted_total{workspace=\"acme\",queue=\"events\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("sesami_sqs_throttled_total{workspace=\"acme\",queue=\"events\"} 3\n") !=
        std::string::npos);
  CHECK(text.find("sesami_sqs_queue_depth{workspace=\"acme\",queue=\"events\"} ") !=
        std::string::npos);
}

TEST_CASE("sqs client: a wrong secret is refused by the stand-in's SigV4 check", "[sqs_poller]") {
  fixture_env env(config());
  sesami::aws::sqs_client c(env.http, "us-east-1", env.aws.base());
  sesami::aws::credentials bad;
  bad.access_key_id = own_key;
  bad.secret_access_key = "wrong";
  auto r = c.receive(bad, env.queue_url(), 1, 0, -1);
  REQUIRE(!r);
  CHECK(r.error().what == sesami::aws::sqs_error::kind::auth);
  CHECK(r.error().code == "SignatureDoesNotMatch");

  sesami::aws::credentials good;
  good.access_key_id = own_key;
  good.secret_access_key = own_secret;
  auto missing = c.receive(good, "https://sqs.us-east-1.amazonaws.com/111122223333/nope", 1, 0, -1);
  REQUIRE(!missing);
  CHECK(missing.error().what == sesami::aws::sqs_error::kind::client);
  CHECK(missing.error().code == "NonExistentQueue");
  auto d = c.depth(good, env.queue_url());
  REQUIRE(d);
  CHECK(d->visible == 0);

  // A poller with the wrong secret counts errors and stores nothing.
  env.aws.send("events", fixture("eventbridge/event-send.json"));
  sesami::app::sqs_poller p(*env.store, env.http, env.source("wrong"), quick());
  p.start();
  REQUIRE(eventually([&] { return p.stats().errors.load() >= 2; }));
  p.stop();
  CHECK(p.stats().received.load() == 0);
  CHECK(env.queued("events") == 1);
}

TEST_CASE("sqs poller: an ExpiredToken answer invalidates the role session and retries once",
          "[sqs_poller]") {
  // The customer's queue, read through their role: SESami's key → AssumeRole (cached) → SQS.
  auto cfg = config();
  const std::string role_arn = "arn:aws:iam::444455556666:role/SesamiAccess";
  const std::string external_id = "ext-id-for-the-expiry-test-0001";
  cfg.as_object()["roles"] =
      json::array{json::object{{"arn", role_arn},
                               {"externalId", external_id},
                               {"trustedAccounts", json::array{"111122223333"}}}};
  cfg.as_object()["queues"].as_array().push_back(
      json::object{{"name", "customer-events"}, {"accountId", "444455556666"}});
  fixture_env env(cfg);
  sesami::aws::memory_credential_cache cache;
  sesami::aws::role_credentials_options ro;
  ro.sts_endpoint_override = env.aws.base();
  sesami::aws::role_credentials roles(
      env.http,
      [] {
        return sesami::aws::credentials_result(
            sesami::aws::sourced_credentials{{own_key, own_secret, "", {}}, "test"});
      },
      cache, ro);
  const sesami::aws::role_target target{"acme", role_arn, external_id, "us-east-1"};
  sesami::app::sqs_source src;
  src.workspace = "acme";
  src.queue_url = "https://sqs.us-east-1.amazonaws.com/444455556666/customer-events";
  src.region = "us-east-1";
  src.endpoint = env.aws.base();
  src.credentials = [&]() -> boost::system::result<sesami::aws::credentials, std::string> {
    auto got = roles.get(target);
    if (!got) return {boost::system::in_place_error, got.error().message};
    return got->creds;
  };
  int invalidated = 0;
  src.invalidate_credentials = [&] {
    ++invalidated;
    roles.invalidate(target);
  };

  // SQS refuses the first receive as AWS does when a session expired or was revoked early.
  env.aws.fault(json::object{{"service", "sqs"},
                             {"action", "ReceiveMessage"},
                             {"status", 403},
                             {"code", "ExpiredToken"},
                             {"message", "The security token included in the request is expired"}});
  const std::string body = fixture("eventbridge/event-open.json");
  env.aws.send("customer-events", body);
  auto opt = quick();
  opt.backoff_min = std::chrono::seconds(30);  // a backoff would outlast the wait below
  opt.backoff_max = std::chrono::seconds(30);
  sesami::app::sqs_poller p(*env.store, env.http, std::move(src), opt);
  p.start();
  REQUIRE(eventually([&] { return p.stats().deleted.load() == 1; }, std::chrono::seconds(10)));
  p.stop();
  CHECK(invalidated == 1);
  CHECK(roles.sts_calls() == 2);  // the first session, then a fresh one after the refusal
  const auto issued = env.aws.state().at("issued").as_array();
  REQUIRE(issued.size() == 2);
  CHECK(issued[0].at("accessKeyId") != issued[1].at("accessKeyId"));
  CHECK(p.stats().errors.load() == 1);
  CHECK(env.stored_events() == events_in(body));
}

TEST_CASE("sqs poller: a refusal fresh credentials cannot heal is not retried", "[sqs_poller]") {
  fixture_env env(config());
  env.aws.fault(json::object{{"service", "sqs"},
                             {"action", "ReceiveMessage"},
                             {"status", 403},
                             {"code", "AccessDenied"},
                             {"message", "not authorized"}});
  const std::string body = fixture("eventbridge/event-open.json");
  env.aws.send("events", body);
  auto src = env.source();
  int invalidated = 0;
  src.invalidate_credentials = [&] { ++invalidated; };
  sesami::app::sqs_poller p(*env.store, env.http, std::move(src), quick());
  p.start();
  REQUIRE(eventually([&] { return p.stats().deleted.load() == 1; }));
  p.stop();
  CHECK(invalidated == 0);
  CHECK(p.stats().errors.load() == 1);
}

TEST_CASE("sqs poller: a router sends each message to the workspaces of its account, or nowhere",
          "[sqs_poller]") {
  fixture_env env(config());
  REQUIRE(env.store->ensure_workspace("beta"));
  REQUIRE(env.store->ensure_workspace("gamma"));
  std::vector<std::string> lines;
  std::mutex lines_mu;
  sesami::app::event_bus_router router([&](int, std::string_view msg, json::object f) {
    std::lock_guard lock(lines_mu);
    lines.push_back(std::string(msg) + " " + json::serialize(f));
  });
  // 444455556666: proved by acme (every configuration set) and beta (ConfigSet only);
  // 555566667777: gamma, but only for another configuration set.
  router.replace({{"444455556666", {{"acme", ""}, {"beta", "ConfigSet"}}},
                  {"555566667777", {{"gamma", "marketing"}}}});
  auto event = [](const std::string& account, const std::string& source = "aws.ses") {
    auto v = json::parse(fixture("eventbridge/event-delivery.json"));
    v.as_object()["account"] = account;
    v.as_object()["source"] = source;
    return json::serialize(v);
  };
  env.aws.send("events", event("444455556666"));
  env.aws.send("events", event("555566667777"));  // configuration set ConfigSet: not gamma's
  env.aws.send("events", event("777788889999"));  // nobody proved this account
  env.aws.send("events", event("444455556666", "my.app"));  // not SES's own event
  auto src = env.source();
  src.workspace.clear();
  src.route = [&](std::string_view body, const std::vector<sesami::event>& events) {
    return router.route(body, events);
  };
  sesami::app::sqs_poller p(*env.store, env.http, std::move(src), quick());
  p.start();
  REQUIRE(eventually([&] { return p.stats().deleted.load() == 4; }));
  p.stop();
  CHECK(p.stats().dropped.load() == 3);
  CHECK(env.queued("events") == 0);
  auto count = [&](const std::string& ws) {
    sesami::store::event_query q;
    q.limit = 100;
    auto page = env.store->list_events(ws, q);
    REQUIRE(page);
    return page->events.size();
  };
  CHECK(count("acme") == 1);
  CHECK(count("beta") == 1);
  CHECK(count("gamma") == 0);
  CHECK(router.routed() == 1);
  using drop = sesami::app::event_bus_router::drop;
  CHECK(router.dropped(drop::other_configuration_set) == 1);
  CHECK(router.dropped(drop::unregistered_account) == 1);
  CHECK(router.dropped(drop::not_an_ses_event) == 1);
  std::string metrics;
  router.render_metrics(metrics);
  CHECK(metrics.find("sesami_event_bus_dropped_total{reason=\"unregistered_account\"} 1") !=
        std::string::npos);
  std::lock_guard lock(lines_mu);
  REQUIRE(lines.size() == 3);
  CHECK(lines[1].find("777788889999") != std::string::npos);
}
