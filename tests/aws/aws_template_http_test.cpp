// POST /settings/aws/template through the real `sesami serve` over HTTP: the onboarding template
// with the workspace's External ID, SESami's account and the given values filled in, the
// placeholders still to give, the deploy command; who may ask for it; bad values named; and the
// same bytes `sesami connect` writes (both use app/onboarding.hpp).
#include <cstdio>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "api_caller.hpp"
#include "loopback.hpp"

namespace {
namespace json = boost::json;
using namespace sesami;

using test::run_command;
using caller = test::api_caller;

std::string code_of(const std::string& body) {
  return std::string(json::parse(body).at("error").at("code").as_string());
}
std::string param(const json::value& tpl, const char* name) {
  const auto* d = tpl.at("Parameters").at(name).as_object().if_contains("Default");
  return d ? std::string(d->as_string()) : std::string("<none>");
}
}  // namespace

TEST_CASE("POST /settings/aws/template fills the onboarding template", "[template]") {
  test::temp_dir dir;
  const auto db = (dir.path / "sesami.db").string();
  auto ws = json::parse(
      run_command(std::string(SESAMI_BIN) + " workspace create Acme --db " + db + " --json"));
  const std::string ingest_token(ws.at("ingestToken").as_string());
  const std::string ingest_secret(ws.at("ingestSecret").as_string());
  test::child_process srv({SESAMI_BIN, "serve", "--db", db, "--port", "0", "--log-level", "warn"},
                          {"SESAMI_AWS_ACCOUNT_ID=999988887777"}, "sesami: listening on ");
  const auto& line = srv.ready_line();
  caller admin;
  admin.base = line.substr(line.find("http://"));
  admin.key = std::string(ws.at("apiKey").as_string());
  auto [gs, settings] = admin.call("GET", "/settings/aws");
  REQUIRE(gs == 200);
  const std::string external_id(json::parse(settings).at("externalId").as_string());

  SECTION("sqs (the default): External ID and SESami's account filled, identity still to give") {
    auto [st, body] = admin.call("POST", "/settings/aws/template", "{}");
    REQUIRE(st == 200);
    auto v = json::parse(body);
    CHECK(v.at("mode") == "sqs");
    CHECK(v.at("fileName") == "sesami-sqs.json");
    CHECK(v.at("externalId").as_string() == external_id);
    auto tpl = json::parse(v.at("template").as_string());
    CHECK(param(tpl, "ExternalId") == external_id);
    CHECK(param(tpl, "SesamiAccountId") == "999988887777");  // from the server's environment
    CHECK(param(tpl, "ConfigurationSetName") == "sesami");
    CHECK(param(tpl, "SendingIdentity1") == "<none>");
    CHECK(v.at("missing") == json::array{"SendingIdentity1"});
    CHECK(v.at("parameters").at("ExternalId").as_string() == external_id);
    const std::string cmd(v.at("command").as_string());
    CHECK(cmd.find("aws cloudformation deploy --stack-name sesami") == 0);
    CHECK(cmd.find("--template-file sesami-sqs.json") != std::string::npos);
    CHECK(cmd.find("SendingIdentity1=<SendingIdentity1>") != std::string::npos);
  }

  SECTION("api-destination: the ingest URL is filled, the secret never appears") {
    const std::string url = "https://sesami.example.com/ingest/eventbridge/" + ingest_token;
    auto [st, body] = admin.call(
        "POST", "/settings/aws/template",
        json::serialize(json::object{{"mode", "api-destination"},
                                     {"identities", json::array{"example.com", "news@example.org"}},
                                     {"ingestUrl", url},
                                     {"stackName", "sesami-prod"}}));
    REQUIRE(st == 200);
    CHECK(body.find(ingest_secret) == std::string::npos);
    auto v = json::parse(body);
    auto tpl = json::parse(v.at("template").as_string());
    CHECK(param(tpl, "IngestUrl") == url);
    CHECK(param(tpl, "SendingIdentity2") == "news@example.org");
    CHECK(param(tpl, "IngestSecret") == "<none>");
    CHECK(v.at("missing") == json::array{});
    const std::string cmd(v.at("command").as_string());
    CHECK(cmd.find("--stack-name sesami-prod") != std::string::npos);
    CHECK(cmd.find("IngestSecret=\"$SESAMI_INGEST_SECRET\"") != std::string::npos);
  }

  SECTION("bad values are named, nothing is filled half") {
    auto [s1, b1] = admin.call("POST", "/settings/aws/template", R"({"mode":"carrier-pigeon"})");
    CHECK(s1 == 400);
    CHECK(code_of(b1) == "validation.mode");
    auto [s2, b2] = admin.call("POST", "/settings/aws/template", R"({"identities":["a b.com"]})");
    CHECK(s2 == 400);
    CHECK(code_of(b2) == "validation.parameter");
    CHECK(b2.find("SendingIdentity1 'a b.com' is not valid") != std::string::npos);
    auto [s3, b3] = admin.call("POST", "/settings/aws/template",
                               R"({"mode":"api-destination","ingestUrl":"http://x/ingest"})");
    CHECK(s3 == 400);
    CHECK(b3.find("IngestUrl") != std::string::npos);
    auto [s4, b4] =
        admin.call("POST", "/settings/aws/template", R"({"identities":["a","b","c","d","e","f"]})");
    CHECK(s4 == 400);
    CHECK(code_of(b4) == "validation.identities");
    auto [s5, b5] = admin.call("POST", "/settings/aws/template", R"({"sesamiAccountId":"12"})");
    CHECK(s5 == 400);
    CHECK(b5.find("SesamiAccountId") != std::string::npos);
  }

  SECTION("a viewer may not have it; without a key nobody may") {
    auto [ks, kb] = admin.call("POST", "/api-keys", R"({"name":"ro","role":"viewer"})");
    REQUIRE(ks == 201);
    caller viewer;
    viewer.base = admin.base;
    viewer.key = std::string(json::parse(kb).at("key").as_string());
    auto [vs, vb] = viewer.call("POST", "/settings/aws/template", R"({"mode":"api-destination"})");
    CHECK(vs == 403);
    CHECK(code_of(vb) == "auth.forbidden");
    CHECK(vb.find(ingest_secret) == std::string::npos);
    caller nobody;
    nobody.base = admin.base;
    CHECK(nobody.call("POST", "/settings/aws/template", "{}").first == 401);
  }

  SECTION("the same bytes as `sesami connect`") {
    const auto out = (dir.path / "connect.json").string();
    run_command(std::string(SESAMI_BIN) + " connect --url " + admin.base + " --api-key " +
                admin.key +
                " --sesami-account 999988887777 --identity example.com --mode event-bus"
                " --event-bus-arn arn:aws:events:eu-west-1:999988887777:event-bus/sesami-ses-events"
                " --out " +
                out + " >/dev/null");
    std::ifstream f(out, std::ios::binary);
    std::stringstream cli;
    cli << f.rdbuf();
    auto [st, body] = admin.call(
        "POST", "/settings/aws/template",
        R"({"mode":"event-bus","identities":["example.com"],)"
        R"("eventBusArn":"arn:aws:events:eu-west-1:999988887777:event-bus/sesami-ses-events"})");
    REQUIRE(st == 200);
    CHECK(json::parse(body).at("template").as_string() == cli.str());
    CHECK(cli.str().find(external_id) != std::string::npos);
  }
}
