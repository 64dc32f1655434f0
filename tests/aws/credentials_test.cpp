// SESami's own credentials from each standard source: environment, shared files with profiles,
// the container endpoint and IMDSv2 — the endpoints as loopback HTTP servers that check what the
// real ones check (the container's Authorization token, IMDSv2's session token).
#include "aws/credentials.hpp"

#include <map>

#include <catch2/catch.hpp>

#include "loopback.hpp"

namespace {
using namespace sesami::aws;
using sesami::test::loopback_server;
using sesami::test::scripted_response;
using sesami::test::seen_request;

env_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view n) -> std::optional<std::string> {
    auto it = vars.find(std::string(n));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const std::string creds_json =
    R"({"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"secret/KEY","Token":"tok==","Expiration":"2030-01-02T03:04:05Z"})";
}  // namespace

TEST_CASE("credentials from the environment", "[credentials]") {
  CHECK_FALSE(from_env(env_of({})));
  auto r = from_env(env_of(
      {{"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_SECRET_ACCESS_KEY", "S"}, {"AWS_SESSION_TOKEN", "T"}}));
  REQUIRE(r);
  REQUIRE(r->has_value());
  CHECK((*r)->creds.access_key_id == "AKID");
  CHECK((*r)->creds.session_token == "T");
  CHECK((*r)->source == "env");
  auto half = from_env(env_of({{"AWS_ACCESS_KEY_ID", "AKID"}}));
  REQUIRE(half);
  CHECK_FALSE(half->has_value());
  CHECK(half->error().message.find("together") != std::string::npos);
}

TEST_CASE("credentials from shared files and profiles", "[credentials]") {
  sesami::test::temp_dir dir;
  const auto cred = dir.path / "credentials";
  const auto conf = dir.path / "config";
  sesami::test::write_file(cred,
                           "# comment\n[default]\naws_access_key_id = AKIDDEFAULT\n"
                           "aws_secret_access_key=SDEFAULT\n\n[ops]\naws_access_key_id=AKIDOPS\n"
                           "aws_secret_access_key = SOPS\naws_session_token = TOPS\n");
  sesami::test::write_file(
      conf,
      "[default]\nregion = eu-west-1\n[profile cfgonly]\n"
      "aws_access_key_id=AKIDCFG\naws_secret_access_key=SCFG\nregion=us-west-2\n"
      "s3 =\n  max_concurrent_requests = 5\n[profile roleonly]\nrole_arn=arn:x\n");
  std::map<std::string, std::string> vars{{"AWS_SHARED_CREDENTIALS_FILE", cred.string()},
                                          {"AWS_CONFIG_FILE", conf.string()}};
  SECTION("default profile") {
    auto r = from_shared_files(env_of(vars));
    REQUIRE(r);
    REQUIRE(r->has_value());
    CHECK((*r)->creds.access_key_id == "AKIDDEFAULT");
    CHECK((*r)->creds.secret_access_key == "SDEFAULT");
    CHECK((*r)->source == "profile:default");
    CHECK(default_region(env_of(vars)) == "eu-west-1");
  }
  SECTION("AWS_PROFILE picks a credentials-file profile") {
    vars["AWS_PROFILE"] = "ops";
    auto r = from_shared_files(env_of(vars));
    REQUIRE(r);
    REQUIRE(r->has_value());
    CHECK((*r)->creds.access_key_id == "AKIDOPS");
    CHECK((*r)->creds.session_token == "TOPS");
  }
  SECTION("a config-file profile is named [profile NAME]") {
    vars["AWS_PROFILE"] = "cfgonly";
    auto r = from_shared_files(env_of(vars));
    REQUIRE(r);
    REQUIRE(r->has_value());
    CHECK((*r)->creds.access_key_id == "AKIDCFG");
    CHECK(default_region(env_of(vars)) == "us-west-2");
    vars["AWS_REGION"] = "ap-south-1";
    CHECK(default_region(env_of(vars)) == "ap-south-1");
  }
  SECTION("a named profile that is missing or has no keys is an error, not a fallthrough") {
    vars["AWS_PROFILE"] = "nope";
    auto r = from_shared_files(env_of(vars));
    REQUIRE(r);
    CHECK_FALSE(r->has_value());
    vars["AWS_PROFILE"] = "roleonly";
    auto r2 = from_shared_files(env_of(vars));
    REQUIRE(r2);
    REQUIRE_FALSE(r2->has_value());
    CHECK(r2->error().message.find("roleonly") != std::string::npos);
  }
  SECTION("no files: not configured") {
    CHECK_FALSE(from_shared_files(env_of({{"HOME", (dir.path / "none").string()}})));
  }
}

TEST_CASE("credentials from the container endpoint", "[credentials]") {
  http_client http;
  loopback_server srv([](const seen_request& r) -> scripted_response {
    if (r.target != "/creds") return {404, {}, ""};
    if (r.header("authorization") != "Bearer abc") return {401, {}, "no"};
    return {200, {{"Content-Type", "application/json"}}, creds_json};
  });
  std::map<std::string, std::string> vars{
      {"AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.base() + "/creds"},
      {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer abc"}};
  SECTION("with the token") {
    auto r = from_container(env_of(vars), http);
    REQUIRE(r);
    REQUIRE(r->has_value());
    CHECK((*r)->creds.access_key_id == "ASIAEXAMPLE");
    CHECK((*r)->creds.session_token == "tok==");
    REQUIRE((*r)->creds.expires);
    CHECK(format_iso8601(*(*r)->creds.expires) == "2030-01-02T03:04:05Z");
  }
  SECTION("the token from a file wins") {
    sesami::test::temp_dir dir;
    sesami::test::write_file(dir.path / "tok", "Bearer abc\n");
    vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "wrong";
    vars["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = (dir.path / "tok").string();
    auto r = from_container(env_of(vars), http);
    REQUIRE(r);
    CHECK(r->has_value());
  }
  SECTION("a wrong token is an error that names the status") {
    vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "Bearer wrong";
    auto r = from_container(env_of(vars), http);
    REQUIRE(r);
    REQUIRE_FALSE(r->has_value());
    CHECK(r->error().message.find("401") != std::string::npos);
    CHECK(r->error().message.find("wrong") == std::string::npos);  // the token is not echoed
  }
  SECTION("plain http to a foreign host is refused before any request") {
    vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://example.com/creds";
    auto r = from_container(env_of(vars), http);
    REQUIRE(r);
    CHECK_FALSE(r->has_value());
  }
  SECTION("not configured") { CHECK_FALSE(from_container(env_of({}), http)); }
}

TEST_CASE("credentials from IMDSv2", "[credentials]") {
  http_client http;
  const std::string session = "imds-session-token";
  loopback_server srv([&](const seen_request& r) -> scripted_response {
    if (r.method == "PUT" && r.target == "/latest/api/token") {
      if (r.header("x-aws-ec2-metadata-token-ttl-seconds").empty()) return {400, {}, ""};
      return {200, {}, session};
    }
    if (r.header("x-aws-ec2-metadata-token") != session) return {401, {}, ""};  // IMDSv1 refused
    if (r.target == "/latest/meta-data/iam/security-credentials/")
      return {200, {}, "sesami-role\n"};
    if (r.target == "/latest/meta-data/iam/security-credentials/sesami-role")
      return {
          200,
          {},
          R"({"Code":"Success","LastUpdated":"2030-01-01T00:00:00Z","Type":"AWS-HMAC",)"
          R"("AccessKeyId":"ASIAIMDS","SecretAccessKey":"s","Token":"t","Expiration":"2030-01-01T06:00:00Z"})"};
    return {404, {}, ""};
  });
  auto env = env_of({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", srv.base() + "/"}});
  auto r = from_imds(env, http);
  REQUIRE(r);
  REQUIRE(r->has_value());
  CHECK((*r)->creds.access_key_id == "ASIAIMDS");
  CHECK((*r)->source == "imds");
  const auto seen = srv.requests();
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].method == "PUT");
  CHECK_FALSE(from_imds(env_of({{"AWS_EC2_METADATA_DISABLED", "true"}}), http));
}

TEST_CASE("the provider chain caches and refreshes before expiry", "[credentials]") {
  http_client http;
  int served = 0;
  std::string expiration =
      format_iso8601(std::chrono::system_clock::now() + std::chrono::minutes(4));
  loopback_server srv([&](const seen_request&) -> scripted_response {
    ++served;
    return {200,
            {},
            R"({"AccessKeyId":"ASIA)" + std::to_string(served) +
                R"(","SecretAccessKey":"s","Token":"t","Expiration":")" + expiration + "\"}"};
  });
  sesami::test::temp_dir dir;
  auto env = env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.base() + "/c"},
                     {"HOME", dir.path.string()},
                     {"AWS_EC2_METADATA_DISABLED", "true"}});
  credentials_provider p(env, http);
  // Expiring within the 5-minute margin: every get() refreshes.
  CHECK(p.get()->creds.access_key_id == "ASIA1");
  CHECK(p.get()->creds.access_key_id == "ASIA2");
  expiration = format_iso8601(std::chrono::system_clock::now() + std::chrono::hours(1));
  CHECK(p.get()->creds.access_key_id == "ASIA3");
  CHECK(p.get()->creds.access_key_id == "ASIA3");  // cached
  CHECK(served == 3);
  p.invalidate();
  CHECK(p.get()->creds.access_key_id == "ASIA4");
  SECTION("the environment comes first") {
    credentials_provider e(
        env_of({{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "x"}}), http);
    CHECK(e.get()->source == "env");
  }
  SECTION("nothing configured says what to set") {
    credentials_provider none(
        env_of({{"HOME", dir.path.string()}, {"AWS_EC2_METADATA_DISABLED", "true"}}), http);
    auto r = none.get();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("AWS_ACCESS_KEY_ID") != std::string::npos);
  }
}
