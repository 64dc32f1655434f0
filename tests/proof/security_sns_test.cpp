// SNS through a real server, as an attacker holding a workspace's ingest URL and one genuine SNS
// message would use it (docs/security.md, boundary 1): SES fields forged beside a genuinely
// signed envelope, genuine messages from topics of other AWS accounts (and the certificate fetch
// and SubscribeURL call they must not cause), certificate fetches that fail, and SHA1 signatures
// refused on demand.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "../server/sns_message.hpp"
#include "proof.hpp"

using namespace sesami::test;
namespace json = boost::json;

namespace {
const std::string real_dir = std::string(SESAMI_SERVER_FIXTURES) + "/sns-real/";
const std::string real_cert = "SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem";
const std::string cert_base = "https://sns.us-east-1.amazonaws.com/";
const std::string signer_file = "SimpleNotificationService-signer.pem";
const std::string foreign_account = "999988887777";
const std::string foreign_topic = "arn:aws:sns:us-east-1:" + foreign_account + ":ses-events";

void connect_account(const fs::path& db, const std::string& ws, const std::string& account) {
  REQUIRE(run_sesami({"workspace", "connect-account", ws, account, "--db", db.string()}).status ==
          0);
}

// A workspace with the test topic's and the genuine messages' accounts as source accounts, the
// test CA trusted, the genuine AWS certificate and the test signer's in the certificate directory.
struct sns_site {
  temp_dir dir;
  pki ca;
  pki::cert signer = ca.issue("sesami-test-signer");
  workspace_secrets ws;
  sns_site() {
    ws = create_workspace(dir.path / "sesami.db", "acme");
    connect_account(dir.path / "sesami.db", "acme", sns_topic_account);
    connect_account(dir.path / "sesami.db", "acme", sns_real_topic_account);
    write_file(dir.path / "ca.pem", ca.ca.cert_pem);
    fs::create_directories(dir.path / "certs");
    write_file(dir.path / "certs" / signer_file, signer.cert_pem);
    fs::copy_file(real_dir + real_cert, dir.path / "certs" / real_cert);
  }
  std::vector<std::string> flags(std::vector<std::string> more = {}) const {
    std::vector<std::string> f{"--test-sns-ca", (dir.path / "ca.pem").string()};
    f.insert(f.end(), more.begin(), more.end());
    return f;
  }
  std::string url() const { return "/ingest/sns/" + ws.token; }
};

// `envelope` with every top-level field of the SES document `ses` added beside it.
std::string with_fields_beside(const std::string& envelope, const std::string& ses) {
  auto v = json::parse(envelope);
  const auto fields = json::parse(ses);
  for (const auto& kv : fields.as_object()) v.as_object()[kv.key()] = kv.value();
  return json::serialize(v);
}

std::string suppressions(http_client& c, const std::string& key) {
  auto r = c.request("GET", "/suppression-list?limit=1000", "", bearer(key));
  REQUIRE(r.status == 200);
  return r.body;
}
}  // namespace

TEST_CASE("security/sns: SES fields beside a genuinely signed envelope are refused, never stored",
          "[proof][security][sns]") {
  sns_site t;
  server_process srv(t.dir.path, t.flags({"--no-sns-fetch"}));
  http_client c(srv.port());
  const auto list_before = suppressions(c, t.ws.key);
  REQUIRE(list_before.find("recipient@example.com") == std::string::npos);

  // A genuine AWS-signed message (public: anyone may hold one) with a forged permanent bounce
  // beside it: event publishing (eventType) and classic notification (notificationType) shapes.
  const auto genuine = read_file(real_dir + "notification-sha256.json");
  for (const char* forged :
       {"ses/event-bounce.json", "ses/notification-bounce-dsn.json", "ses/event-complaint.json"}) {
    INFO(forged);
    auto r = c.request("POST", t.url(), with_fields_beside(genuine, fixture(forged)));
    INFO(r.body);
    CHECK(r.status == 400);
    CHECK(code_of(r) == "sns.unsigned_fields");
  }
  // Signed by the (test) SNS key with a real SES event as Message: the forged bounce beside it
  // is refused, and so is the genuine delivery, so that nothing of the body lands.
  const auto signed_delivery =
      sns_message(t.signer, "Notification", "00000000-0000-0000-0000-0000000000a1",
                  fixture("ses/event-delivery.json"), "2", "", cert_base + signer_file);
  auto r = c.request("POST", t.url(),
                     with_fields_beside(signed_delivery, fixture("ses/event-bounce.json")));
  CHECK(r.status == 400);
  CHECK(code_of(r) == "sns.unsigned_fields");
  // A single field is enough to be refused.
  auto one = json::parse(signed_delivery);
  one.as_object()["eventType"] = "Bounce";
  auto r1 = c.request("POST", t.url(), json::serialize(one));
  CHECK(r1.status == 400);
  CHECK(code_of(r1) == "sns.unsigned_fields");

  CHECK(all_events(c, t.ws.key).empty());
  CHECK(suppressions(c, t.ws.key) == list_before);
  auto rcpt = c.request("GET", "/recipients/recipient%40example.com", "", bearer(t.ws.key));
  CHECK(rcpt.body.find("bounce") == std::string::npos);

  // Control: the same signed envelope alone is stored — its Message, the delivery, only.
  auto ok = c.request("POST", t.url(), signed_delivery);
  INFO(ok.body);
  REQUIRE(ok.status == 200);
  const auto events = all_events(c, t.ws.key);
  REQUIRE(events.size() == 1);
  CHECK(events[0].at("type") == "delivery");
  CHECK(suppressions(c, t.ws.key) == list_before);
}

TEST_CASE("security/sns: a topic of another account is 403 before any certificate is fetched",
          "[proof][security][sns]") {
  sns_site t;
  // The signing certificate is not in the directory: accepting a message means fetching it from
  // this stand-in for sns.us-east-1.amazonaws.com, which counts its connections.
  const std::string file = "SimpleNotificationService-fetched.pem";
  https_stub stub(t.ca.issue("sns.us-east-1.amazonaws.com"), {{"/" + file, t.signer.cert_pem}});
  server_process srv(t.dir.path,
                     t.flags({"--test-sns-connect-to", "127.0.0.1:" + std::to_string(stub.port()),
                              // the stand-in is on loopback: the outbound-URL policy must allow it
                              "--allow-private-targets"}));
  http_client c(srv.port());
  const auto event = fixture("ses/event-bounce.json");
  auto from = [&](const std::string& topic, const std::string& id) {
    return sns_message(t.signer, "Notification", id, event, "2", "", cert_base + file, topic);
  };

  // Genuinely signed (by the test SNS key), from a topic of an account the workspace never added.
  auto r = c.request("POST", t.url(), from(foreign_topic, "00000000-0000-0000-0000-0000000000b1"));
  INFO(r.body);
  CHECK(r.status == 403);
  CHECK(code_of(r) == "sns.topic_not_allowed");
  // The answer says which account to add, and where.
  const auto message = s(parse(r).at("error").at("message"));
  CHECK(message.find("add AWS account " + foreign_account) != std::string::npos);
  CHECK(message.find("Source accounts") != std::string::npos);

  // Whatever the body: no signature, garbage, an unknown version, a certificate URL elsewhere.
  for (const auto& [field, value] : std::vector<std::pair<std::string, std::string>>{
           {"Signature", ""},
           {"Signature", "not base64!"},
           {"SignatureVersion", "9"},
           {"SigningCertURL", "https://evil.example/x.pem"},
           {"Message", "{\"not\":\"ses\"}"}}) {
    INFO(field << " = " << value);
    auto v = json::parse(from(foreign_topic, "00000000-0000-0000-0000-0000000000b2"));
    v.as_object()[field] = value;
    auto bad = c.request("POST", t.url(), json::serialize(v));
    CHECK(bad.status == 403);
    CHECK(code_of(bad) == "sns.topic_not_allowed");
  }
  // TopicArns that name no account of the workspace (or none at all).
  for (const std::string& topic : std::vector<std::string>{
           "arn:aws:sns:us-east-1:1111222233:ses-events", "arn:aws:sqs:us-east-1:111122223333:q",
           "arn:aws:sns:us-east-1:111122223333", "111122223333", "",
           "arn:aws:sns:us-east-1:" + sns_topic_account + "x:ses-events"}) {
    INFO(topic);
    auto v = json::parse(from(sns_topic_arn, "00000000-0000-0000-0000-0000000000b3"));
    v.as_object()["TopicArn"] = topic;  // unsigned now: refused before the signature matters
    auto bad = c.request("POST", t.url(), json::serialize(v));
    CHECK(bad.status == 403);
    CHECK(code_of(bad) == "sns.topic_not_allowed");
  }
  // A genuine AWS-signed message from a topic of an account only another workspace added.
  const auto db = t.dir.path / "sesami.db";
  const auto beta = create_workspace(db, "beta");
  auto genuine = c.request("POST", "/ingest/sns/" + beta.token,
                           read_file(real_dir + "notification-sha256.json"));
  CHECK(genuine.status == 403);
  CHECK(code_of(genuine) == "sns.topic_not_allowed");
  CHECK(stub.connections() == 0);  // no certificate was fetched for any of them
  CHECK(all_events(c, t.ws.key).empty());

  // Control: the workspace's own topic is fetched, verified and stored.
  auto own =
      c.request("POST", t.url(), from(sns_topic_arn, "00000000-0000-0000-0000-0000000000b4"));
  INFO(own.body);
  CHECK(own.status == 200);
  CHECK(stub.connections() == 1);
  // Adding the account (what the error said) lets the foreign topic in.
  REQUIRE(c.request("POST", "/workspace/aws-accounts",
                    R"({"accountId":")" + foreign_account + "\"}", bearer(t.ws.key))
              .status == 201);
  auto added =
      c.request("POST", t.url(), from(foreign_topic, "00000000-0000-0000-0000-0000000000b5"));
  INFO(added.body);
  CHECK(added.status == 200);
}

TEST_CASE("security/sns: the connected role's account is accepted, other roles' are not",
          "[proof][security][sns]") {
  temp_dir dir;
  pki ca;
  const auto signer = ca.issue("sesami-test-signer");
  const auto ws = create_workspace(dir.path / "sesami.db", "acme");  // no source accounts at all
  write_file(dir.path / "ca.pem", ca.ca.cert_pem);
  fs::create_directories(dir.path / "certs");
  write_file(dir.path / "certs" / signer_file, signer.cert_pem);
  // No AWS call may leave this machine: STS points nowhere, no scheduled sync.
  server_process srv(
      dir.path, {"--test-sns-ca", (dir.path / "ca.pem").string(), "--no-sns-fetch",
                 "--suppression-sync-minutes", "0", "--aws-sts-endpoint", "http://127.0.0.1:9"});
  http_client c(srv.port());
  const std::string role_account = "444455556666";
  const auto msg = [&](const std::string& account, const std::string& id) {
    return sns_message(signer, "Notification", id, fixture("ses/event-delivery.json"), "2", "",
                       cert_base + signer_file, "arn:aws:sns:eu-west-1:" + account + ":ses");
  };
  auto before = c.request("POST", "/ingest/sns/" + ws.token,
                          msg(role_account, "00000000-0000-0000-0000-0000000000c1"));
  CHECK(before.status == 403);
  CHECK(code_of(before) == "sns.topic_not_allowed");
  REQUIRE(c.request("PUT", "/settings/aws",
                    R"({"roleArn":"arn:aws:iam::)" + role_account +
                        R"(:role/SesamiAccess","region":"eu-west-1"})",
                    bearer(ws.key))
              .status == 200);
  auto own = c.request("POST", "/ingest/sns/" + ws.token,
                       msg(role_account, "00000000-0000-0000-0000-0000000000c2"));
  INFO(own.body);
  CHECK(own.status == 200);
  auto other = c.request("POST", "/ingest/sns/" + ws.token,
                         msg(foreign_account, "00000000-0000-0000-0000-0000000000c3"));
  CHECK(other.status == 403);
  CHECK(code_of(other) == "sns.topic_not_allowed");
  // Disconnected: the role's account is no longer accepted.
  REQUIRE(c.request("DELETE", "/settings/aws", "", bearer(ws.key)).status / 100 == 2);
  auto after = c.request("POST", "/ingest/sns/" + ws.token,
                         msg(role_account, "00000000-0000-0000-0000-0000000000c4"));
  CHECK(after.status == 403);
  CHECK(all_events(c, ws.key).size() == 1);
}

TEST_CASE("security/sns: a subscription to a foreign topic is never confirmed",
          "[proof][security][sns]") {
  sns_site t;
  // The SubscribeURL's host (and the certificate's, were it fetched) is this stand-in.
  https_stub stub(t.ca.issue("sns.us-east-1.amazonaws.com"),
                  {{"/", "<ConfirmSubscriptionResponse/>"}});
  server_process srv(t.dir.path,
                     t.flags({"--test-sns-connect-to", "127.0.0.1:" + std::to_string(stub.port()),
                              // the stand-in is on loopback: the outbound-URL policy must allow it
                              "--allow-private-targets"}));
  http_client c(srv.port());
  auto confirmation = [&](const std::string& type, const std::string& topic,
                          const std::string& id) {
    const auto sub = cert_base + "?Action=ConfirmSubscription&TopicArn=" + topic +
                     "&Token=2336412f37fb687f5d51e6e2425c464de12884a6";
    return sns_message(t.signer, type, id, "You have chosen to subscribe to the topic " + topic,
                       "2", sub, cert_base + signer_file, topic);
  };
  for (const char* type : {"SubscriptionConfirmation", "UnsubscribeConfirmation"}) {
    INFO(type);
    auto r = c.request("POST", t.url(),
                       confirmation(type, foreign_topic, "00000000-0000-0000-0000-0000000000d1"));
    CHECK(r.status == 403);
    CHECK(code_of(r) == "sns.topic_not_allowed");
  }
  CHECK(stub.connections() == 0);  // the SubscribeURL was never called
  // Control: the workspace's own topic is confirmed, through that very stand-in.
  auto own = c.request("POST", t.url(),
                       confirmation("SubscriptionConfirmation", sns_topic_arn,
                                    "00000000-0000-0000-0000-0000000000d2"));
  INFO(own.body);
  CHECK(own.status == 200);
  CHECK(s(parse(own).at("action")) == "subscription-confirmed");
  CHECK(stub.requests().size() == 1);
}

TEST_CASE("security/sns: a failed certificate fetch is remembered, not repeated per message",
          "[proof][security][sns]") {
  sns_site t;
  // The stand-in answers 404 for the certificate: the fetch fails.
  https_stub stub(t.ca.issue("sns.us-east-1.amazonaws.com"), {});
  server_process srv(t.dir.path,
                     t.flags({"--test-sns-connect-to", "127.0.0.1:" + std::to_string(stub.port()),
                              // the stand-in is on loopback: the outbound-URL policy must allow it
                              "--allow-private-targets"}));
  http_client c(srv.port());
  const std::string missing = "SimpleNotificationService-missing.pem";
  for (int i = 0; i < 5; ++i) {
    INFO("message " << i);
    auto r =
        c.request("POST", t.url(),
                  sns_message(t.signer, "Notification",
                              "00000000-0000-0000-0000-0000000000e" + std::to_string(i),
                              fixture("ses/event-delivery.json"), "2", "", cert_base + missing));
    CHECK(r.status == 503);  // SNS retries later
    CHECK(code_of(r) == "sns.cert_unavailable");
  }
  CHECK(stub.requests().size() == 1);  // one fetch, then the failure is answered from memory
  CHECK(all_events(c, t.ws.key).empty());
}

TEST_CASE("security/sns: --sns-min-signature-version 2 refuses SHA1 signatures",
          "[proof][security][sns]") {
  sns_site t;
  const auto v1 = sns_message(t.signer, "Notification", "00000000-0000-0000-0000-0000000000f1",
                              fixture("ses/event-delivery.json"), "1", "", cert_base + signer_file);
  const auto v2 = sns_message(t.signer, "Notification", "00000000-0000-0000-0000-0000000000f2",
                              fixture("ses/event-bounce.json"), "2", "", cert_base + signer_file);
  {
    server_process srv(t.dir.path, t.flags({"--no-sns-fetch", "--sns-min-signature-version", "2"}));
    http_client c(srv.port());
    auto r = c.request("POST", t.url(), v1);
    INFO(r.body);
    CHECK(r.status == 403);
    CHECK(code_of(r) == "sns.signature_version_refused");
    // A genuine AWS SHA1 message as well; its SHA256 twin passes the signature check (its
    // Message, "Hello world", is then refused as not SES: 400, not 403).
    auto real1 = c.request("POST", t.url(), read_file(real_dir + "notification-sha1.json"));
    CHECK(real1.status == 403);
    CHECK(code_of(real1) == "sns.signature_version_refused");
    auto real2 = c.request("POST", t.url(), read_file(real_dir + "notification-sha256.json"));
    CHECK(real2.status == 400);
    CHECK(code_of(real2).starts_with("sesami."));
    auto ok = c.request("POST", t.url(), v2);
    INFO(ok.body);
    CHECK(ok.status == 200);
    const auto events = all_events(c, t.ws.key);
    REQUIRE(events.size() == 1);
    CHECK(events[0].at("type") == "bounce");
  }
  // By default SHA1 is accepted, as SNS still signs with it unless told otherwise.
  server_process srv(t.dir.path, t.flags({"--no-sns-fetch"}));
  http_client c(srv.port());
  CHECK(c.request("POST", t.url(), v1).status == 200);
  // Only 1 and 2 are versions.
  auto bad = run_sesami_err({"serve", "--db", (t.dir.path / "other.db").string(), "--port", "0",
                             "--sns-min-signature-version", "3"});
  CHECK(bad.status != 0);
  CHECK(bad.err.find("sns-min-signature-version") != std::string::npos);
  CHECK_FALSE(fs::exists(t.dir.path / "other.db"));
}
