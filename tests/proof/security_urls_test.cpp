// Issue 16, boundary 2 — URLs a tenant supplies, over real sockets: a queue URL is an SQS queue of
// the role's own account in the connection's region or a 400 (every kind of bad URL below was
// accepted before); a tenant's queue is read only with the workspace's assumed role, never with
// SESami's own keys (the SigV4-checking stand-in records which key signed each call); SESami's own
// event-bus queue is read with SESami's keys and each event goes only to the workspaces that
// proved its account; a SubscribeURL whose host resolves to loopback is never contacted.
#include <sqlite3.h>
#include <stdlib.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "../aws/standin_process.hpp"
#include "../server/sns_message.hpp"
#include "proof.hpp"

using namespace sesami::test;
namespace json = boost::json;
using sesami_test::eventually;

namespace {
constexpr const char* own_key = "AKIASESAMIURLS000001";
constexpr const char* own_secret = "sesami-own-secret-for-url-tests-0000000";
constexpr const char* sesami_account = "111122223333";
constexpr const char* tenant_account = "444455556666";
const std::string role_arn = std::string("arn:aws:iam::") + tenant_account + ":role/SesamiAccess";

struct own_keys_in_env {
  own_keys_in_env() {
    ::setenv("AWS_ACCESS_KEY_ID", own_key, 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", own_secret, 1);
    ::unsetenv("AWS_SESSION_TOKEN");
    ::unsetenv("AWS_PROFILE");
  }
  ~own_keys_in_env() {
    ::unsetenv("AWS_ACCESS_KEY_ID");
    ::unsetenv("AWS_SECRET_ACCESS_KEY");
  }
};

headers admin_json(const std::string& key) {
  return {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}};
}

std::string settings(const std::string& role, const std::string& region,
                     const std::string& queue_url, const std::string& mode = "sqs") {
  json::object o{{"roleArn", role}, {"region", region}, {"mode", mode}};
  if (!queue_url.empty()) o["queueUrl"] = queue_url;
  return json::serialize(o);
}

/// An EventBridge SES event as SESami's bus delivers it, from `account`, for `recipient`.
std::string bus_event(const std::string& account, const std::string& message_id,
                      const std::string& source = "aws.ses") {
  auto v = json::parse(fixture("eventbridge/event-delivery.json"));
  auto& o = v.as_object();
  o["account"] = account;
  o["source"] = source;
  o["id"] = "bus-" + message_id;
  o["detail"].as_object()["mail"].as_object()["messageId"] = message_id;
  return json::serialize(v);
}

std::int64_t keys_used(const json::value& state, const std::string& service,
                       const std::string& key) {
  const auto* svc = state.at("keysUsed").as_object().if_contains(service);
  if (!svc) return 0;
  const auto* n = svc->as_object().if_contains(key);
  return n ? n->to_number<std::int64_t>() : 0;
}

/// The access keys that signed verified calls to `service`.
std::vector<std::string> signers(const json::value& state, const std::string& service) {
  std::vector<std::string> out;
  if (const auto* svc = state.at("keysUsed").as_object().if_contains(service))
    for (const auto& [k, n] : svc->as_object()) out.emplace_back(k);
  return out;
}

bool issued_by_sts(const json::value& state, const std::string& key) {
  for (const auto& i : state.at("issued").as_array())
    if (i.at("accessKeyId").as_string() == key) return true;
  return false;
}
}  // namespace

TEST_CASE("security/urls: a queue URL is an SQS queue of the role's account and region, or 400",
          "[proof][security]") {
  temp_dir dir;
  const auto ws = create_workspace(dir.path / "sesami.db", "acme");
  server_process srv(dir.path);
  http_client c(srv.port());
  const auto h = admin_json(ws.key);
  const std::string q = std::string("/") + tenant_account + "/ses-events";

  // Accepted: the shapes AWS prints for a queue of the role's account in the saved region.
  for (const std::string& good :
       {"https://sqs.us-east-1.amazonaws.com" + q, "https://us-east-1.queue.amazonaws.com" + q,
        "https://sqs.us-east-1.amazonaws.com" + q + ".fifo"}) {
    INFO(good);
    auto r = c.request("PUT", "/settings/aws", settings(role_arn, "us-east-1", good), h);
    INFO(r.body);
    CHECK(r.status == 200);
  }
  auto cn = c.request("PUT", "/settings/aws",
                      settings(std::string("arn:aws-cn:iam::") + tenant_account + ":role/S",
                               "cn-north-1", "https://sqs.cn-north-1.amazonaws.com.cn" + q),
                      h);
  INFO(cn.body);
  CHECK(cn.status == 200);
  const std::string saved = "https://sqs.us-east-1.amazonaws.com" + q;
  REQUIRE(c.request("PUT", "/settings/aws", settings(role_arn, "us-east-1", saved), h).status ==
          200);

  // Refused: every other host, scheme, account or region, and the tricks that hide a host.
  const std::string bad[] = {
      "http://sqs.us-east-1.amazonaws.com" + q,                       // not https
      "https://sqs.us-east-1.evil.example" + q,                       // another host
      "https://evil.example" + q,                                     //
      "https://sqs.us-east-1.amazonaws.com.evil.example" + q,         // AWS's name as a prefix
      "https://evilsqs.us-east-1.amazonaws.com" + q,                  // not SQS's name
      "https://sqs.us-east-1.amazonaws.com.cn" + q,                   // another partition
      "https://93.184.216.34" + q,                                    // an IP literal
      "https://169.254.169.254" + q,                                  // instance metadata
      "http://169.254.169.254" + q,                                   //
      "https://[fd00:ec2::254]" + q,                                  // instance metadata (IPv6)
      "https://127.0.0.1:8080" + q,                                   // loopback
      "https://localhost" + q,                                        //
      "https://[::1]" + q,                                            //
      "https://[::ffff:127.0.0.1]" + q,                               // loopback, IPv4-mapped
      "https://0x7f000001" + q,                                       // loopback, hex
      "https://2130706433" + q,                                       // loopback, decimal
      "https://10.0.0.5" + q,                                         // private
      "https://sqs.us-east-1.amazonaws.com/111122223333/ses-events",  // another account
      "https://sqs.eu-west-1.amazonaws.com" + q,                      // another region
      "https://eu-west-1.queue.amazonaws.com" + q,                    // another region (legacy)
      "https://sqs.us-east-1.amazonaws.com@127.0.0.1" + q,            // user info
      "https://sqs.us-east-1.amazonaws.com:443@127.0.0.1" + q,        //
      "https://sqs.us-east-1.amazonaws.com%40127.0.0.1" + q,          // encoded user info
      "https://sqs.us-east-1.amazonaws.com%2F@127.0.0.1" + q,         //
      "https://%73qs.us-east-1.amazonaws.com" + q,                    // an encoded host
      "https://sqs.us-east-1.amazonaws.com\\@127.0.0.1" + q,          // backslash
      "https://sqs.us-east-1.amazonaws.com:8443" + q,                 // a port
      "https://sqs.us-east-1.amazonaws.com." + q,                     // trailing dot
      "https://sqs.us-east-1.amazonaws.com" + q + "?Action=x",        // a query
      "https://sqs.us-east-1.amazonaws.com" + q + "#x",               // a fragment
      "https://sqs.us-east-1.amazonaws.com" + q + "/../x",            // more path
      "https://sqs.us-east-1.amazonaws.com/" + std::string(tenant_account) + "/a%2F..",
      "https://sqs.us-east-1.amazonaws.com" + q + "\r\nHost: 127.0.0.1",  // header injection
      " https://sqs.us-east-1.amazonaws.com" + q,                         // leading space
      "file:///" + std::string(tenant_account) + "/ses-events",           // another scheme
  };
  for (const auto& url : bad) {
    INFO(url);
    auto r = c.request("PUT", "/settings/aws", settings(role_arn, "us-east-1", url), h);
    INFO(r.body);
    CHECK(r.status == 400);
    if (r.status == 400) {
      CHECK(code_of(r) == "validation.queue_url");
      const std::string msg = s(parse(r).at("error").at("message"));
      CHECK(msg.find("https://sqs.us-east-1.amazonaws.com/444455556666/") != std::string::npos);
    }
  }
  // Nothing half-written: the last accepted connection is what is saved.
  auto now = c.request("GET", "/settings/aws", "", h);
  REQUIRE(now.status == 200);
  CHECK(s(parse(now).at("queueUrl")) == saved);
  CHECK(srv.stop() == 0);
}

TEST_CASE("security/urls: a tenant's queue is read with the workspace's role, never SESami's keys",
          "[proof][security]") {
  temp_dir dir;
  own_keys_in_env env;
  // SESami's own account holds a queue with another tenant's events; the tenant's account its own.
  sesami_test::standins aws(
      json::object{
          {"region", "us-east-1"},
          {"accountId", sesami_account},
          {"credentials",
           json::array{json::object{{"accessKeyId", own_key}, {"secretAccessKey", own_secret}}}},
          {"queues",
           json::array{json::object{{"name", "shared"}, {"accountId", sesami_account}},
                       json::object{{"name", "tenant-events"}, {"accountId", tenant_account}}}}},
      dir.path);
  const auto ws = create_workspace(dir.path / "sesami.db", "acme");
  server_process srv(dir.path,
                     {"--aws-sts-endpoint", aws.base(), "--aws-sqs-endpoint", aws.base(),
                      "--aws-ses-endpoint", aws.base(), "--test-aws-reconcile-ms", "100"});
  http_client c(srv.port());
  const auto h = admin_json(ws.key);
  auto r = c.request("GET", "/settings/aws", "", h);
  REQUIRE(r.status == 200);
  aws.admin("PUT", "/_admin/config",
            json::object{{"roles", json::array{json::object{
                                       {"arn", role_arn},
                                       {"externalId", s(parse(r).at("externalId"))},
                                       {"trustedAccounts", json::array{sesami_account}}}}}});
  aws.send("shared", bus_event("999900001111", "other-tenants-mail"));

  // The attack: SESami's own queue named as the workspace's queue.
  const std::string own_queue =
      std::string("https://sqs.us-east-1.amazonaws.com/") + sesami_account + "/shared";
  r = c.request("PUT", "/settings/aws", settings(role_arn, "us-east-1", own_queue), h);
  INFO(r.body);
  REQUIRE(r.status == 400);
  CHECK(code_of(r) == "validation.queue_url");

  // A connection saved before this check existed is not polled either (nor with SESami's keys).
  REQUIRE(c.request("PUT", "/settings/aws",
                    settings(role_arn, "us-east-1",
                             std::string("https://sqs.us-east-1.amazonaws.com/") + tenant_account +
                                 "/tenant-events"),
                    h)
              .status == 200);
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir.path / "sesami.db").string().c_str(), &db) == SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    const std::string sql = "UPDATE aws_connections SET queue_url = '" + own_queue + "'";
    CHECK(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  REQUIRE(eventually([&] { return srv.log().find("queue URL refused") != std::string::npos; }));
  auto state = aws.state();
  CHECK(keys_used(state, "sqs", own_key) == 0);
  CHECK(state.at("queues").at("shared").at("messages").as_array().size() == 1);
  CHECK(all_events(c, ws.key).empty());

  // The workspace's own queue: polled, and every SQS call is signed with the role's session keys.
  REQUIRE(c.request("PUT", "/settings/aws",
                    settings(role_arn, "us-east-1",
                             std::string("https://sqs.us-east-1.amazonaws.com/") + tenant_account +
                                 "/tenant-events"),
                    h)
              .status == 200);
  aws.send("tenant-events", bus_event(tenant_account, "acme-mail"));
  REQUIRE(eventually([&] {
    return aws.state().at("queues").at("tenant-events").at("deleted").to_number<int>() == 1;
  }));
  http_client c2(srv.port());
  CHECK(all_events(c2, ws.key).size() == 1);
  state = aws.state();
  CHECK(keys_used(state, "sqs", own_key) == 0);
  const auto sqs_keys = signers(state, "sqs");
  REQUIRE_FALSE(sqs_keys.empty());
  for (const auto& k : sqs_keys) {
    INFO(k);
    CHECK(issued_by_sts(state, k));
  }
  CHECK(state.at("queues").at("shared").at("messages").as_array().size() == 1);
  CHECK(srv.stop() == 0);
}

TEST_CASE(
    "security/urls: SESami's event bus is read with SESami's keys and routed to the workspaces "
    "that proved the account",
    "[proof][security]") {
  temp_dir dir;
  own_keys_in_env env;
  sesami_test::standins aws(
      json::object{
          {"region", "us-east-1"},
          {"accountId", sesami_account},
          {"credentials",
           json::array{json::object{{"accessKeyId", own_key}, {"secretAccessKey", own_secret}}}},
          {"queues",
           json::array{json::object{{"name", "sesami-bus"},
                                    {"accountId", sesami_account},
                                    {"deadLetterQueue", "sesami-bus-dlq"},
                                    {"maxReceiveCount", 2}},
                       json::object{{"name", "sesami-bus-dlq"}, {"accountId", sesami_account}}}}},
      dir.path);
  const auto acme = create_workspace(dir.path / "sesami.db", "acme");
  const auto mallory = create_workspace(dir.path / "sesami.db", "mallory");
  const std::string bus_url =
      std::string("https://sqs.us-east-1.amazonaws.com/") + sesami_account + "/sesami-bus";
  server_process srv(dir.path, {"--aws-sts-endpoint", aws.base(), "--aws-sqs-endpoint", aws.base(),
                                "--aws-ses-endpoint", aws.base(), "--event-bus-queue", bus_url,
                                "--test-aws-reconcile-ms", "100", "--metrics-token-file",
                                metrics_token_args(dir.path).back()});
  http_client c(srv.port());

  // acme's role in the tenant account trusts acme's External ID. mallory names the same role and
  // lists the account among its sources — but the role does not trust mallory's External ID.
  auto r = c.request("GET", "/settings/aws", "", admin_json(acme.key));
  REQUIRE(r.status == 200);
  aws.admin("PUT", "/_admin/config",
            json::object{{"roles", json::array{json::object{
                                       {"arn", role_arn},
                                       {"externalId", s(parse(r).at("externalId"))},
                                       {"trustedAccounts", json::array{sesami_account}}}}}});
  for (const auto* w : {&acme, &mallory}) {
    r = c.request("PUT", "/settings/aws", settings(role_arn, "us-east-1", "", "event-bus"),
                  admin_json(w->key));
    INFO(r.body);
    REQUIRE(r.status == 200);
  }
  r = c.request("POST", "/workspace/aws-accounts",
                json::serialize(json::object{{"accountId", tenant_account}}),
                admin_json(mallory.key));
  REQUIRE(r.status == 201);
  REQUIRE(eventually([&] {
    const auto log = srv.log();
    return log.find("event bus: account routed") != std::string::npos &&
           log.find("event bus: account not proven") != std::string::npos;
  }));

  aws.send("sesami-bus", bus_event(tenant_account, "acme-mail"));
  aws.send("sesami-bus", bus_event("777788889999", "unknown-account-mail"));
  aws.send("sesami-bus", bus_event(tenant_account, "custom-source-mail", "acme.custom"));
  REQUIRE(eventually([&] {
    return aws.state().at("queues").at("sesami-bus").at("deleted").to_number<int>() == 3;
  }));

  http_client c2(srv.port());
  const auto acme_events = all_events(c2, acme.key);
  REQUIRE(acme_events.size() == 1);
  CHECK(acme_events[0].at("messageId") == "acme-mail");
  CHECK(all_events(c2, mallory.key).empty());

  // The bus is SESami's: read with SESami's own keys only.
  auto state = aws.state();
  CHECK(signers(state, "sqs") == std::vector<std::string>{own_key});
  // Dropped events are counted and logged, by reason.
  auto m = c2.request("GET", "/metrics", "", metrics_auth());
  REQUIRE(m.status == 200);
  CHECK(m.body.find("sesami_event_bus_dropped_total{reason=\"unregistered_account\"} 1") !=
        std::string::npos);
  CHECK(m.body.find("sesami_event_bus_dropped_total{reason=\"not_an_ses_event\"} 1") !=
        std::string::npos);
  CHECK(m.body.find("sesami_event_bus_routed_total 1") != std::string::npos);
  const auto log = srv.log();
  CHECK(log.find("777788889999") != std::string::npos);
  CHECK(srv.stop() == 0);
}

TEST_CASE("security/urls: a SubscribeURL whose host resolves to loopback is never contacted",
          "[proof][security]") {
  pki ca;
  const auto signer = ca.issue("sesami-test-signer");
  const auto sns_host = ca.issue("sns.us-east-1.amazonaws.com");
  const std::string sub =
      "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:"
      "us-east-1:" +
      sns_topic_account + ":ses-events&Token=2336412f37fb687f5d51e6e2425c464de12884a6";
  // The listener records every connection. --test-sns-connect-to makes the SNS name resolve to it
  // (as a rebinding DNS answer or a hostile resolver would); the signing certificate is already in
  // the certificate directory, so the only connection a confirmation could make is the one tested.
  for (const bool allow_private : {false, true}) {
    INFO((allow_private ? "with" : "without") << " --allow-private-targets");
    temp_dir dir;
    const auto ws = create_workspace(dir.path / "sesami.db", "acme");
    write_file(dir.path / "ca.pem", ca.ca.cert_pem);
    std::filesystem::create_directories(dir.path / "certs");
    write_file(dir.path / "certs" / "SimpleNotificationService-signer.pem", signer.cert_pem);
    https_stub listener(sns_host, {{"/", "<ConfirmSubscriptionResponse/>"}});
    std::vector<std::string> flags{"--test-sns-ca", (dir.path / "ca.pem").string(),
                                   "--test-sns-connect-to",
                                   "127.0.0.1:" + std::to_string(listener.port())};
    if (allow_private) flags.push_back("--allow-private-targets");
    server_process srv(dir.path, flags);
    http_client c(srv.port());
    // The topic's account is one the workspace takes events from (boundary 1 pins topics).
    REQUIRE(c.request("POST", "/workspace/aws-accounts",
                      R"({"accountId":")" + sns_topic_account + R"("})", admin_json(ws.key))
                .status == 201);
    auto r = c.request(
        "POST", "/ingest/sns/" + ws.token,
        sns_message(signer, "SubscriptionConfirmation", "cccccccc-0000-0000-0000-000000000001",
                    "You have chosen...", "2", sub,
                    "https://sns.us-east-1.amazonaws.com/"
                    "SimpleNotificationService-signer.pem"));
    INFO(r.body);
    if (allow_private) {
      // The control: the operator allowed private targets, so the same message is confirmed.
      CHECK(r.status == 200);
      CHECK(listener.connections() == 1);
    } else {
      CHECK(r.status == 403);
      CHECK(code_of(r) == "sns.cert_refused");
      CHECK(s(parse(r).at("error").at("message")).find("loopback") != std::string::npos);
      CHECK(listener.connections() == 0);
    }
  }
}

TEST_CASE("security/urls: serve refuses an event-bus queue that is not an SQS queue URL",
          "[proof][security]") {
  temp_dir dir;
  for (const char* url :
       {"http://127.0.0.1:9324/111122223333/bus", "https://169.254.169.254/111122223333/bus",
        "https://sqs.us-east-1.amazonaws.com@127.0.0.1/111122223333/bus"}) {
    INFO(url);
    auto r = run_sesami_err({"serve", "--db", (dir.path / "sesami.db").string(), "--port", "0",
                             "--event-bus-queue", url});
    CHECK(r.status == 2);
    CHECK(r.err.find("--event-bus-queue") != std::string::npos);
  }
}
