// GetConfigurationSet and GetConfigurationSetEventDestinations (used by /verify-sts and `sesami
// doctor`), which neither aws-ses-v2-local nor the Node stand-in serves: a C++ loopback stand-in
// that verifies each request's SigV4 signature with sigv4::verify (fed the request as received)
// and answers SES v2's documented JSON. Also the /verify-sts path for a configuration set that is
// missing in the connection's region (aws.wrong_region).
#include <mutex>

#include <catch2/catch.hpp>

#include "aws/event_destinations.hpp"
#include "aws/ses_transport.hpp"
#include "standin.hpp"

namespace {
using namespace sesami::aws;
using sesami::test::scripted_response;
using sesami::test::seen_request;
namespace app = sesami::app;

// SES v2 for configuration sets, accepting only requests signed with a key it knows.
struct config_set_standin {
  std::mutex mu;
  std::map<std::string, std::string> secrets;  // access key id -> secret
  sesami::test::loopback_server srv{[this](const seen_request& r) { return answer(r); }};

  scripted_response error(int status, const std::string& code, const std::string& msg) {
    return {status,
            {{"x-amzn-ErrorType", code}, {"Content-Type", "application/json"}},
            R"({"message":")" + msg + "\"}"};
  }
  scripted_response answer(const seen_request& r) {
    signable_request s;
    s.method = r.method;
    const auto q = r.target.find('?');
    s.path = r.target.substr(0, q);
    if (q != std::string::npos) s.query = r.target.substr(q + 1);
    s.headers = r.headers;
    s.host = r.header("host");
    s.body = r.body;
    const auto v = verify(
        s,
        [this](std::string_view id) -> std::optional<std::string> {
          std::lock_guard lock(mu);
          auto it = secrets.find(std::string(id));
          if (it == secrets.end()) return std::nullopt;
          return it->second;
        },
        std::chrono::system_clock::now());
    if (v == verify_result::unknown_key)
      return error(403, "UnrecognizedClientException",
                   "The security token included in the request is invalid.");
    if (v != verify_result::ok)
      return error(403, "InvalidSignatureException", std::string(to_id(v)));
    if (auto a = parse_authorization(r.header("authorization")); !a || a->service != "ses")
      return error(403, "InvalidSignatureException", "wrong service in the credential scope");
    if (r.method == "GET" && s.path == "/v2/email/account")
      return {
          200,
          {{"Content-Type", "application/json"}},
          R"({"ProductionAccessEnabled":true,"SendingEnabled":true,"EnforcementStatus":"HEALTHY",)"
          R"("SendQuota":{"Max24HourSend":50000,"MaxSendRate":14,"SentLast24Hours":1}})"};
    if (r.method == "GET" && s.path == "/v2/email/configuration-sets/sesami-events")
      return {
          200,
          {{"Content-Type", "application/json"}},
          R"({"ConfigurationSetName":"sesami-events","SendingOptions":{"SendingEnabled":true},)"
          R"("DeliveryOptions":{"TlsPolicy":"REQUIRE"},"ReputationOptions":{"ReputationMetricsEnabled":true},)"
          R"("SuppressionOptions":{"SuppressedReasons":["BOUNCE","COMPLAINT"]}})"};
    if (r.method == "GET" &&
        s.path == "/v2/email/configuration-sets/sesami-events/event-destinations")
      return {
          200,
          {{"Content-Type", "application/json"}},
          R"({"EventDestinations":[{"Name":"to-sesami","Enabled":true,"MatchingEventTypes":["SEND","BOUNCE","COMPLAINT"],)"
          R"("EventBridgeDestination":{"EventBusArn":"arn:aws:events:us-east-1:444455556666:event-bus/default"}},)"
          R"({"Name":"sns","Enabled":false,"MatchingEventTypes":["DELIVERY"],"SnsDestination":{"TopicArn":"arn:aws:sns:us-east-1:444455556666:ses"}}]})"};
    if (s.path.starts_with("/v2/email/configuration-sets/"))
      return error(404, "NotFoundException", "Configuration set does not exist.");
    return error(404, "UnknownOperationException", "unknown operation");
  }
};
}  // namespace

TEST_CASE("GetConfigurationSet and its event destinations, signature checked", "[ses]") {
  config_set_standin ses_side;
  ses_side.secrets["AKIACONFIGSETTEST001"] = "config/set/secret";
  http_client http;
  ses_v2_client ses(http, "us-east-1", ses_side.srv.base());
  const credentials c{"AKIACONFIGSETTEST001", "config/set/secret", "", {}};

  auto set = ses.get_configuration_set(c, "sesami-events");
  REQUIRE(set.has_value());
  CHECK(set->name == "sesami-events");
  CHECK(set->sending_enabled);
  CHECK(set->reputation_metrics_enabled);
  CHECK(set->tls_policy == "REQUIRE");
  CHECK(set->suppressed_reasons == std::vector<std::string>{"BOUNCE", "COMPLAINT"});

  auto dests = ses.get_configuration_set_event_destinations(c, "sesami-events");
  REQUIRE(dests.has_value());
  REQUIRE(dests->size() == 2);
  CHECK((*dests)[0].kind == "event-bridge");
  CHECK((*dests)[0].enabled);
  CHECK((*dests)[0].matching_event_types.size() == 3);
  CHECK((*dests)[1].kind == "sns");
  CHECK((*dests)[1].target_arn == "arn:aws:sns:us-east-1:444455556666:ses");

  auto missing = ses.get_configuration_set(c, "nope");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().aws_code == "NotFoundException");
  auto forged =
      ses.get_configuration_set({"AKIACONFIGSETTEST001", "another", "", {}}, "sesami-events");
  REQUIRE_FALSE(forged.has_value());
  CHECK(forged.error().aws_code == "InvalidSignatureException");
  CHECK(forged.error().code == app::send_errc::not_authorized);
}

TEST_CASE("/verify-sts: a configuration set missing in the region is aws.wrong_region", "[ses]") {
  const std::string ext = "feedfacefeedfacefeedfacefeedface";
  sesami::test::standins sts(sesami::test::standin_config(ext));
  config_set_standin ses_side;
  http_client http;
  memory_credential_cache cache;
  role_credentials_options opt;
  opt.sts_endpoint_override = sts.base();
  role_credentials roles(
      http,
      [] {
        return credentials_result(sourced_credentials{
            {sesami::test::own_key_id, sesami::test::own_secret, "", {}}, "test"});
      },
      cache, opt);
  workspace_aws conn{{"w1", sesami::test::customer_role, ext, "us-east-1"}, "sesami-events"};
  // The SES stand-in learns the temporary key STS issued (as AWS would).
  auto issued = roles.get(conn.target);
  REQUIRE(issued.has_value());
  ses_side.secrets[issued->creds.access_key_id] = issued->creds.secret_access_key;

  auto ok = check_connection(roles, http, conn, ses_side.srv.base(), "sqs");
  REQUIRE(ok.has_value());
  CHECK(ok->account.production_access);
  // The connection works; its event destination is judged, not failed: 'to-sesami' publishes
  // three types, the disabled SNS one does not count (and sqs mode wants EventBridge anyway).
  REQUIRE(ok->event_destination.has_value());
  CHECK(ok->event_destination->status == "fail");
  CHECK(ok->event_destination->code == "aws.event_types_missing");
  CHECK(ok->event_destination->destination == "to-sesami");
  CHECK(ok->event_destination->missing_required ==
        std::vector<std::string>{"REJECT", "DELIVERY", "RENDERING_FAILURE", "DELIVERY_DELAY"});
  CHECK(ok->event_destination->missing_optional ==
        std::vector<std::string>{"OPEN", "CLICK", "SUBSCRIPTION"});

  conn.configuration_set = "created-elsewhere";
  auto wrong = check_connection(roles, http, conn, ses_side.srv.base());
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().code == "aws.wrong_region");
  CHECK(wrong.error().message.find("us-east-1") != std::string::npos);
}

TEST_CASE("check_event_destinations: kind, bus and mode", "[ses]") {
  const std::vector<std::string> all{"SEND",           "REJECT",      "BOUNCE", "COMPLAINT",
                                     "DELIVERY",       "OPEN",        "CLICK",  "RENDERING_FAILURE",
                                     "DELIVERY_DELAY", "SUBSCRIPTION"};
  const event_destination bus{"sesami-eventbridge", true, all, "event-bridge",
                              "arn:aws:events:eu-west-1:444455556666:event-bus/default"};
  const event_destination topic{"to-sns", true, all, "sns",
                                "arn:aws:sns:eu-west-1:444455556666:ses-events"};
  CHECK(check_event_destinations("s", "sqs", {bus}).status == "ok");
  CHECK(check_event_destinations("s", "", {topic}).status == "ok");  // /ingest/sns, no mode
  CHECK(check_event_destinations("s", "", {topic}).message ==
        "'s': destination 'to-sns', all ten event types, SNS topic "
        "arn:aws:sns:eu-west-1:444455556666:ses-events");
  // Every delivery mode starts on the default bus: an SNS topic reaches none of them.
  auto v = check_event_destinations("s", "api-destination", {topic});
  CHECK(v.status == "fail");
  CHECK(v.code == "aws.event_destination_missing");
  auto other_bus = bus;
  other_bus.target_arn = "arn:aws:events:eu-west-1:444455556666:event-bus/custom";
  v = check_event_destinations("s", "event-bus", {other_bus});
  CHECK(v.code == "aws.event_destination_target");
  CHECK(v.message.find("event-bus/custom") != std::string::npos);
  // Two destinations together publishing everything are enough; types compare case-blind.
  auto half1 = bus, half2 = bus;
  half1.name = "a";
  half1.matching_event_types = {"send", "reject", "bounce", "complaint", "delivery"};
  half2.name = "b";
  half2.matching_event_types = {"OPEN", "CLICK", "RENDERING_FAILURE", "DELIVERY_DELAY",
                                "SUBSCRIPTION"};
  CHECK(check_event_destinations("s", "sqs", {half1, half2}).status == "ok");
  CHECK(check_event_destinations("s", "sqs", {half1}).missing_required ==
        std::vector<std::string>{"RENDERING_FAILURE", "DELIVERY_DELAY"});
  CHECK(check_event_destinations("s", "sqs", {}).code == "aws.event_destination_missing");
}
