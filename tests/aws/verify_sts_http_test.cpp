// GET/PUT/DELETE /settings/aws and GET /verify-sts through the real `sesami serve` over HTTP, with
// SESami's own credentials in its environment and STS + SES at the signature-checking stand-in:
// the External ID generated once, validation, the healthy answer, and each error a person must act
// on (trust policy / External ID, missing ses: permission, not connected). Then the configuration
// set's event destination as /verify-sts judges it (the same verdict as `sesami doctor`).
#include <algorithm>
#include <cstdio>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "api_caller.hpp"
#include "standin.hpp"

namespace {
namespace json = boost::json;
using namespace sesami;

using test::run_command;
using api = test::api_caller;

std::string code_of(const json::value& v) {
  return std::string(v.at("error").at("code").as_string());
}

// `sesami serve` on a new database with one workspace (Acme), reaching AWS only through
// `aws_side`, and an API caller holding the workspace's key.
struct served_workspace {
  explicit served_workspace(const test::standins& aws_side)
      : db((dir.path / "sesami.db").string()),
        ws(json::parse(run_command(std::string(SESAMI_BIN) + " workspace create Acme --db " + db +
                                   " --json"))),
        srv({SESAMI_BIN, "serve", "--db", db, "--port", "0", "--log-level", "warn"},
            test::sesami_env(aws_side, dir.path), "sesami: listening on ") {
    const auto& line = srv.ready_line();
    c.base = line.substr(line.find("http://"));
    c.key = std::string(ws.at("apiKey").as_string());
  }
  test::temp_dir dir;
  std::string db;
  json::value ws;
  test::child_process srv;
  api c;
};
}  // namespace

TEST_CASE("/settings/aws and /verify-sts over real HTTP", "[verify-sts]") {
  auto cfg = test::standin_config("placeholder-until-generated");
  const std::string denied_role = "arn:aws:iam::444455556666:role/NoSesPolicy";
  test::standins aws_side(cfg);
  served_workspace served(aws_side);
  auto& c = served.c;

  // Not connected yet: an External ID is generated once and kept.
  auto [st0, s0] = c.call_json("GET", "/settings/aws");
  REQUIRE(st0 == 200);
  CHECK(s0.at("connected") == false);
  CHECK(s0.at("roleArn").is_null());
  const std::string external_id(s0.at("externalId").as_string());
  CHECK(external_id.size() == 40);  // 160 random bits, hex
  CHECK(c.call_json("GET", "/settings/aws").second.at("externalId").as_string() == external_id);
  auto [nc, ncb] = c.call_json("GET", "/verify-sts");
  CHECK(nc == 409);
  CHECK(code_of(ncb) == "aws.not_connected");

  // The customer writes the trust policy with that External ID (and a second role lacking ses:).
  cfg["roles"] = json::array{json::object{{"arn", test::customer_role},
                                          {"externalId", external_id},
                                          {"trustedAccounts", json::array{test::own_account}}},
                             json::object{{"arn", denied_role},
                                          {"externalId", external_id},
                                          {"trustedAccounts", json::array{test::own_account}},
                                          {"denyActions", json::array{"ses:GetAccount"}}}};
  aws_side.admin("PUT", "config", cfg);

  SECTION("validation") {
    auto [b1, e1] = c.call_json("PUT", "/settings/aws",
                                R"({"roleArn":"arn:aws:iam::12:role/x","region":"us-east-1"})");
    CHECK(b1 == 400);
    CHECK(code_of(e1) == "validation.role_arn");
    auto [b2, e2] =
        c.call_json("PUT", "/settings/aws",
                    R"({"roleArn":")" + std::string(test::customer_role) + R"(","region":"Mars"})");
    CHECK(b2 == 400);
    CHECK(code_of(e2) == "validation.region");
    auto [b3, e3] = c.call_json("PUT", "/settings/aws",
                                R"({"roleArn":")" + std::string(test::customer_role) +
                                    R"(","region":"us-east-1","mode":"sqs"})");
    CHECK(b3 == 400);
    CHECK(code_of(e3) == "validation.queue_url");
    auto [b4, e4] = c.call_json("PUT", "/settings/aws", R"({"roleArn":5,"region":"us-east-1"})");
    CHECK(b4 == 400);
    CHECK(code_of(e4) == "validation.role_arn");
    CHECK(c.call_json("GET", "/settings/aws").second.at("connected") ==
          false);  // nothing half-saved
  }
  SECTION("connected: the healthy answer, then disconnect keeps the External ID") {
    auto [p1, b1] = c.call_json(
        "PUT", "/settings/aws",
        R"({"roleArn":")" + std::string(test::customer_role) +
            R"(","region":"us-east-1","configurationSet":"sesami-events",)"
            R"("queueUrl":"https://sqs.us-east-1.amazonaws.com/444455556666/sesami","mode":"sqs"})");
    REQUIRE(p1 == 200);
    CHECK(b1.at("connected") == true);
    CHECK(b1.at("externalId").as_string() == external_id);
    CHECK(b1.at("mode") == "sqs");
    // The plain connection (no set) here; the set and its event destination are judged in the
    // next test case.
    REQUIRE(c.call_json("PUT", "/settings/aws",
                        R"({"roleArn":")" + std::string(test::customer_role) +
                            R"(","region":"us-east-1"})")
                .first == 200);
    auto [v, vb] = c.call_json("GET", "/verify-sts");
    INFO(json::serialize(vb));
    REQUIRE(v == 200);
    CHECK(vb.at("ok") == true);
    CHECK(vb.at("accountId") == "444455556666");
    CHECK(vb.at("region") == "us-east-1");
    CHECK(vb.at("assumedRoleArn")
              .as_string()
              .starts_with("arn:aws:sts::444455556666:assumed-role/SesamiAccess/"));
    CHECK(vb.at("productionAccess") == false);
    CHECK(vb.at("sendingEnabled") == true);
    CHECK(vb.at("maxSendRate").to_number<double>() == 14);
    CHECK(vb.at("max24HourSend").to_number<double>() == 200);
    CHECK(vb.at("sentLast24Hours").to_number<double>() == 3);
    CHECK(vb.at("credentialsExpireAt").as_string().size() == 20);
    // Cached: a second check does not call STS again.
    REQUIRE(c.call_json("GET", "/verify-sts").first == 200);
    CHECK(aws_side.calls("sts.AssumeRole") == 1);

    auto [d, db_] = c.call_json("DELETE", "/settings/aws");
    CHECK(d == 204);
    auto [g, gb] = c.call_json("GET", "/settings/aws");
    CHECK(gb.at("connected") == false);
    CHECK(gb.at("externalId").as_string() == external_id);
    CHECK(c.call_json("GET", "/verify-sts").first == 409);
  }
  SECTION("a role that does not trust SESami (or another External ID)") {
    REQUIRE(
        c.call_json("PUT", "/settings/aws",
                    R"({"roleArn":"arn:aws:iam::444455556666:role/Unknown","region":"us-east-1"})")
            .first == 200);
    auto [v, vb] = c.call_json("GET", "/verify-sts");
    CHECK(v == 502);
    CHECK(code_of(vb) == "aws.assume_role_denied");
    const std::string msg(vb.at("error").at("message").as_string());
    CHECK(msg.find(external_id) != std::string::npos);
    CHECK(msg.find("trust policy") != std::string::npos);
  }
  SECTION("a role without the ses: permissions") {
    REQUIRE(c.call_json("PUT", "/settings/aws",
                        R"({"roleArn":")" + denied_role + R"(","region":"us-east-1"})")
                .first == 200);
    auto [v, vb] = c.call_json("GET", "/verify-sts");
    CHECK(v == 502);
    CHECK(code_of(vb) == "aws.ses_permission");
  }
}

namespace {
json::array ten_types() {
  return {"SEND",           "REJECT",      "BOUNCE", "COMPLAINT",
          "DELIVERY",       "OPEN",        "CLICK",  "RENDERING_FAILURE",
          "DELIVERY_DELAY", "SUBSCRIPTION"};
}
json::array without(json::array types, std::initializer_list<std::string_view> drop) {
  json::array out;
  for (auto& t : types)
    if (std::find(drop.begin(), drop.end(), std::string_view(t.as_string())) == drop.end())
      out.push_back(t);
  return out;
}
json::object bus_destination(json::array types, bool enabled = true) {
  return {{"Name", "sesami-eventbridge"},
          {"Enabled", enabled},
          {"MatchingEventTypes", std::move(types)},
          {"EventBridgeDestination",
           {{"EventBusArn", "arn:aws:events:us-east-1:444455556666:event-bus/default"}}}};
}
std::vector<std::string> strings(const json::value& a) {
  std::vector<std::string> out;
  for (const auto& v : a.as_array()) out.emplace_back(v.as_string());
  return out;
}
}  // namespace

TEST_CASE("/verify-sts judges the configuration set's event destination", "[verify-sts]") {
  auto cfg = test::standin_config("placeholder-until-generated");
  cfg["account"].as_object()["productionAccess"] = true;
  const std::string no_dest_read = "arn:aws:iam::444455556666:role/NoEventDestinationRead";
  test::standins aws_side(cfg);
  served_workspace served(aws_side);
  auto& c = served.c;
  const std::string external_id(
      c.call_json("GET", "/settings/aws").second.at("externalId").as_string());
  cfg["roles"] = json::array{
      json::object{{"arn", test::customer_role},
                   {"externalId", external_id},
                   {"trustedAccounts", json::array{test::own_account}}},
      json::object{{"arn", no_dest_read},
                   {"externalId", external_id},
                   {"trustedAccounts", json::array{test::own_account}},
                   {"denyActions", json::array{"ses:GetConfigurationSetEventDestinations"}}}};
  auto with_destinations = [&](json::array dests) {
    cfg["configurationSets"] =
        json::object{{"sesami", {{"sendingEnabled", true}, {"eventDestinations", dests}}}};
    aws_side.admin("PUT", "config", cfg);
  };
  auto save = [&](const std::string& role) {
    REQUIRE(c.call_json("PUT", "/settings/aws",
                        R"({"roleArn":")" + role +
                            R"(","region":"us-east-1","configurationSet":"sesami",)"
                            R"("queueUrl":"https://sqs.us-east-1.amazonaws.com/444455556666/q",)"
                            R"("mode":"sqs"})")
                .first == 200);
  };
  auto verify = [&] {
    auto [st, body] = c.call_json("GET", "/verify-sts");
    INFO(json::serialize(body));
    REQUIRE(st == 200);
    CHECK(body.at("ok") == true);  // the connection itself works in every case here
    REQUIRE(body.at("eventDestination").is_object());
    return body;
  };

  SECTION("every type published on the default bus: ok, ready") {
    with_destinations({bus_destination(ten_types())});
    save(test::customer_role);
    const auto b = verify();
    const auto& ed = b.at("eventDestination");
    CHECK(b.at("ready") == true);
    CHECK(ed.at("status") == "ok");
    CHECK(ed.at("code").is_null());
    CHECK(ed.at("name") == "sesami-eventbridge");
    CHECK(ed.at("kind") == "event-bridge");
    CHECK(ed.at("enabled") == true);
    CHECK(ed.at("targetArn") == "arn:aws:events:us-east-1:444455556666:event-bus/default");
    CHECK(ed.at("missingRequired").as_array().empty());
    CHECK(ed.at("missingOptional").as_array().empty());
    CHECK(ed.at("expected").as_string().find("delivery mode sqs") != std::string::npos);
    CHECK(aws_side.calls("ses.GetConfigurationSetEventDestinations") == 1);
    // Fields that were there before stay as they were.
    CHECK(b.at("accountId") == "444455556666");
    CHECK(b.at("productionAccess") == true);
  }
  SECTION("BOUNCE and COMPLAINT missing: a failure naming them") {
    with_destinations({bus_destination(without(ten_types(), {"BOUNCE", "COMPLAINT"}))});
    save(test::customer_role);
    const auto b = verify();
    const auto& ed = b.at("eventDestination");
    CHECK(b.at("ready") == false);
    CHECK(ed.at("status") == "fail");
    CHECK(ed.at("code") == "aws.event_types_missing");
    CHECK(strings(ed.at("missingRequired")) == std::vector<std::string>{"BOUNCE", "COMPLAINT"});
    CHECK(ed.at("missingOptional").as_array().empty());
    CHECK(ed.at("message") ==
          "event destination 'sesami-eventbridge' does not publish BOUNCE, COMPLAINT: SESami "
          "never learns those outcomes. Add them to its event types (SES console > "
          "Configuration sets > sesami > Event destinations > sesami-eventbridge > Edit) or "
          "deploy the stack again");
  }
  SECTION("only SEND and DELIVERY: every other outcome named") {
    with_destinations({bus_destination({"SEND", "DELIVERY"})});
    save(test::customer_role);
    const auto ed = verify().at("eventDestination");
    CHECK(ed.at("status") == "fail");
    CHECK(strings(ed.at("missingRequired")) ==
          std::vector<std::string>{"REJECT", "BOUNCE", "COMPLAINT", "RENDERING_FAILURE",
                                   "DELIVERY_DELAY"});
    CHECK(strings(ed.at("missingOptional")) ==
          std::vector<std::string>{"OPEN", "CLICK", "SUBSCRIPTION"});
  }
  SECTION("OPEN missing: a warning, still ready") {
    with_destinations({bus_destination(without(ten_types(), {"OPEN"}))});
    save(test::customer_role);
    const auto b = verify();
    const auto& ed = b.at("eventDestination");
    CHECK(b.at("ready") == true);
    CHECK(ed.at("status") == "warn");
    CHECK(ed.at("code") == "aws.event_types_optional_missing");
    CHECK(strings(ed.at("missingOptional")) == std::vector<std::string>{"OPEN"});
    CHECK(ed.at("message").as_string().starts_with(
        "event destination 'sesami-eventbridge' does not publish OPEN: "));
  }
  SECTION("the destination disabled: a failure") {
    with_destinations({bus_destination(ten_types(), false)});
    save(test::customer_role);
    const auto b = verify();
    const auto& ed = b.at("eventDestination");
    CHECK(b.at("ready") == false);
    CHECK(ed.at("status") == "fail");
    CHECK(ed.at("code") == "aws.event_destination_disabled");
    CHECK(ed.at("enabled") == false);
    CHECK(ed.at("name") == "sesami-eventbridge");
    CHECK(ed.at("message") ==
          "event destination 'sesami-eventbridge' of configuration set 'sesami' is disabled, so "
          "SES publishes no events to SESami: enable it (SES console > Configuration sets > "
          "sesami > Event destinations > sesami-eventbridge) or deploy the stack again");
  }
  SECTION("the role may not read event destinations: a clear error, no crash") {
    with_destinations({bus_destination(ten_types())});
    save(no_dest_read);
    const auto b = verify();
    const auto& ed = b.at("eventDestination");
    CHECK(b.at("ready") == false);
    CHECK(ed.at("status") == "fail");
    CHECK(ed.at("code") == "aws.ses_permission");
    const std::string msg(ed.at("message").as_string());
    CHECK(msg.starts_with("the role " + no_dest_read +
                          " may not call ses:GetConfigurationSetEventDestinations, so the event "
                          "destination of configuration set 'sesami' could not be checked: allow "
                          "that action in the role's policy"));
    CHECK(msg.find("AccessDenied") != std::string::npos);
    // The server is still answering.
    CHECK(c.call_json("GET", "/settings/aws").first == 200);
  }
  SECTION("no configuration set saved: nothing to judge") {
    with_destinations({bus_destination(ten_types())});
    REQUIRE(c.call_json("PUT", "/settings/aws",
                        R"({"roleArn":")" + std::string(test::customer_role) +
                            R"(","region":"us-east-1"})")
                .first == 200);
    auto [st, b] = c.call_json("GET", "/verify-sts");
    REQUIRE(st == 200);
    CHECK(b.at("eventDestination").is_null());
    CHECK(b.at("ready") == true);
    CHECK(aws_side.calls("ses.GetConfigurationSetEventDestinations") == 0);
  }
}
