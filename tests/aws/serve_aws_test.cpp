// `sesami serve` end to end with the AWS stand-ins: a workspace connected in "sqs" mode gets a
// poller (credentials: AssumeRole with the workspace's External ID through the STS stand-in),
// its queue's events are stored, /metrics shows the poller, and POST /suppression-list/sync
// syncs with the SES stand-in through the same role.
#include <stdlib.h>

#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "../server/support.hpp"
#include "standin_process.hpp"

namespace json = boost::json;
using namespace sesami::test;

namespace {
constexpr const char* own_key = "AKIASESAMISERVE00001";
constexpr const char* own_secret = "sesami-serve-secret-for-tests-000000000";
constexpr const char* role_arn = "arn:aws:iam::444455556666:role/SesamiAccess";
}  // namespace

TEST_CASE("serve: an sqs-mode workspace is polled and its suppression list synced", "[serve_aws]") {
  temp_dir dir;
  sesami_test::standins aws(
      json::object{
          {"region", "us-east-1"},
          {"accountId", "111122223333"},
          {"credentials",
           json::array{json::object{{"accessKeyId", own_key}, {"secretAccessKey", own_secret}}}},
          {"queues",
           json::array{json::object{{"name", "ses-events"},
                                    {"accountId", "444455556666"},
                                    {"deadLetterQueue", "ses-events-dlq"}},
                       json::object{{"name", "ses-events-dlq"}, {"accountId", "444455556666"}}}},
          {"suppressions",
           json::array{json::object{{"EmailAddress", "gone@example.com"}, {"Reason", "BOUNCE"}}}}},
      dir.path);
  ::setenv("AWS_ACCESS_KEY_ID", own_key, 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", own_secret, 1);
  ::unsetenv("AWS_SESSION_TOKEN");
  ::unsetenv("AWS_PROFILE");

  auto created = run_sesami(
      {"workspace", "create", "Acme", "--db", (dir.path / "sesami.db").string(), "--json"});
  REQUIRE(created.status == 0);
  const std::string key = std::string(json::parse(created.out).at("apiKey").as_string());
  server_process srv(dir.path, {"--aws-sts-endpoint", aws.base(), "--aws-ses-endpoint", aws.base(),
                                "--aws-sqs-endpoint", aws.base(), "--test-aws-reconcile-ms", "200",
                                "--metrics-token-file", metrics_token_args(dir.path).back()});
  http_client c(srv.port());
  const std::vector<std::pair<std::string, std::string>> h{{"Authorization", "Bearer " + key},
                                                           {"Content-Type", "application/json"}};

  // Not connected yet: the sync says so.
  auto r = c.request("POST", "/suppression-list/sync", "", h);
  CHECK(r.status == 409);
  CHECK(code_of(r) == "aws.not_connected");
  r = c.request("GET", "/suppression-list/sync", "", h);
  CHECK(parse(r).at("at").is_null());

  // The role trusts SESami's account with the External ID the workspace shows.
  r = c.request("GET", "/settings/aws", "", h);
  REQUIRE(r.status == 200);
  const std::string external_id = s(parse(r).at("externalId"));
  aws.admin("PUT", "/_admin/config",
            json::object{{"roles", json::array{json::object{
                                       {"arn", role_arn},
                                       {"externalId", external_id},
                                       {"trustedAccounts", json::array{"111122223333"}}}}}});
  // The queue URL as AWS prints it; requests go to the stand-in (--aws-sqs-endpoint).
  const std::string queue = "https://sqs.us-east-1.amazonaws.com/444455556666/ses-events";
  r = c.request(
      "PUT", "/settings/aws",
      json::serialize(json::object{
          {"roleArn", role_arn}, {"region", "us-east-1"}, {"queueUrl", queue}, {"mode", "sqs"}}),
      h);
  INFO(r.body);
  REQUIRE(r.status == 200);

  std::ifstream in(std::string(SESAMI_FIXTURES_DIR) + "/eventbridge/event-delivery.json");
  std::stringstream body;
  body << in.rdbuf();
  aws.send("ses-events", body.str());
  const bool deleted = sesami_test::eventually([&] {
    return aws.state().at("queues").at("ses-events").at("deleted").to_number<int>() == 1;
  });
  INFO(srv.log());
  REQUIRE(srv.running());
  REQUIRE(deleted);
  http_client c2(srv.port());  // the first connection sat idle past the server's idle limit
  r = c2.request("GET", "/events?limit=10", "", h);
  REQUIRE(r.status == 200);
  CHECK(parse(r).at("events").as_array().size() == 1);
  r = c2.request("GET", "/metrics", "", metrics_auth());
  CHECK(r.body.find("sesami_sqs_deleted_total{workspace=") != std::string::npos);

  // Suppression sync through the same role: the SES entry is pulled, a local one pushed.
  r = c2.request(
      "POST", "/suppression-list",
      json::serialize(json::object{{"address", "local@example.com"}, {"reason", "manual"}}), h);
  REQUIRE(r.status == 201);
  r = c2.request("POST", "/suppression-list/sync", "", h);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto v = parse(r);
  CHECK(v.at("pulled").to_number<int>() == 1);
  CHECK(v.at("pushed").to_number<int>() == 1);
  CHECK(v.at("errors").as_array().empty());
  r = c2.request("GET", "/suppression-list/sync", "", h);
  CHECK(parse(r).at("pushed").to_number<int>() == 1);
  // Every AWS call was signed with the role's temporary keys (AssumeRole was called).
  CHECK(aws.calls("sts.AssumeRole") >= 1);
  CHECK(srv.stop() == 0);
}
