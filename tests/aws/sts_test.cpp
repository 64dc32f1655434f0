// AssumeRole against the STS stand-in (which verifies every signature and applies the role's
// trust policy and External ID), the error mapping, and the credential cache: refresh a margin
// before expiry, single flight under concurrency, keys that separate workspaces / External IDs.
#include "aws/sts.hpp"

#include <thread>

#include <catch2/catch.hpp>

#include "standin.hpp"

namespace {
using namespace sesami::aws;
namespace json = boost::json;
using sesami::test::standins;
using namespace std::chrono;

const std::string ext = "f3a1c9e07b5d4e2a9c1b8d7e6f5a4b3c";
credentials own() { return {sesami::test::own_key_id, sesami::test::own_secret, "", {}}; }
}  // namespace

TEST_CASE("xml_text reads the query APIs' answers", "[sts]") {
  const std::string doc =
      "<ErrorResponse xmlns=\"x\"><Error><Type>Sender</Type><Code>AccessDenied</Code>"
      "<Message>User: a &amp; b &lt;c&gt; "
      "&#233;</Message></Error><CodeX>no</CodeX></ErrorResponse>";
  CHECK(xml_text(doc, "Code") == "AccessDenied");
  CHECK(xml_text(doc, "Message") == "User: a & b <c> \xc3\xa9");
  CHECK(xml_text(doc, "Missing") == std::nullopt);
  CHECK(xml_text("<A/>", "A") == "");
}

TEST_CASE("cache keys and serialization", "[sts]") {
  CHECK(cache_key("w1", "arn", "e") != cache_key("w1", "arn", "e2"));
  CHECK(cache_key("w1:", "arn", "e") != cache_key("w1", ":arn", "e"));
  assumed_role r{{"ASIA1", "s", "t", system_clock::from_time_t(2000000000)},
                 "arn:aws:sts::1:assumed-role/r/s",
                 "1"};
  auto back = deserialize(serialize(r));
  REQUIRE(back);
  CHECK(back->creds.access_key_id == "ASIA1");
  CHECK(back->creds.expires == r.creds.expires);
  CHECK_FALSE(deserialize("{}"));
  CHECK(session_name_for("ws 1/ä") == "sesami-ws-1---");
  CHECK(session_name_for(std::string(100, 'a')).size() == 64);
}

TEST_CASE("AssumeRole through the stand-in", "[sts]") {
  standins sts(sesami::test::standin_config(ext));
  http_client http;
  assume_role_params p{sesami::test::customer_role, ext, "sesami-test", seconds(3600)};

  SECTION("the right External ID gets temporary credentials") {
    auto r = assume_role(http, own(), sts.base(), "us-east-1", p);
    REQUIRE(r.has_value());
    CHECK(r->creds.access_key_id.starts_with("ASIA"));
    CHECK_FALSE(r->creds.session_token.empty());
    REQUIRE(r->creds.expires);
    CHECK(*r->creds.expires > system_clock::now() + minutes(50));
    CHECK(r->account_id == "444455556666");
    CHECK(r->assumed_role_arn == "arn:aws:sts::444455556666:assumed-role/SesamiAccess/sesami-test");
  }
  SECTION("a wrong External ID is AccessDenied, explained") {
    p.external_id = "not-the-right-one";
    auto r = assume_role(http, own(), sts.base(), "us-east-1", p);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == sts_errc::assume_role_denied);
    CHECK(r.error().aws_code == "AccessDenied");
    CHECK(r.error().http_status == 403);
    CHECK(r.error().message.find("sts:ExternalId") != std::string::npos);
    CHECK(r.error().message.find("not-the-right-one") != std::string::npos);
    CHECK(to_id(r.error().code) == "aws.assume_role_denied");
  }
  SECTION("a role whose trust policy does not name SESami's account") {
    auto cfg = sesami::test::standin_config(ext);
    cfg["roles"].as_array()[0].as_object()["trustedAccounts"] = json::array{"999999999999"};
    sts.admin("PUT", "config", cfg);
    auto r = assume_role(http, own(), sts.base(), "us-east-1", p);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == sts_errc::assume_role_denied);
    CHECK(r.error().message.find("trust policy") != std::string::npos);
  }
  SECTION("an unknown access key and a wrong secret are SESami's own credentials' fault") {
    auto r = assume_role(http, {"AKIAUNKNOWN000000000", "x", "", {}}, sts.base(), "us-east-1", p);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == sts_errc::own_credentials_invalid);
    CHECK(r.error().aws_code == "InvalidClientTokenId");
    auto r2 = assume_role(http, {sesami::test::own_key_id, "wrong-secret", "", {}}, sts.base(),
                          "us-east-1", p);
    REQUIRE_FALSE(r2.has_value());
    CHECK(r2.error().aws_code == "SignatureDoesNotMatch");
    CHECK(r2.error().message.find("wrong-secret") == std::string::npos);  // never the secret
  }
  SECTION("SESami's own expired session: ExpiredToken") {
    // Temporary credentials the stand-in issued, then let expire.
    auto cfg = sesami::test::standin_config(ext);
    cfg["roles"].as_array()[0].as_object()["credentialLifetimeSeconds"] = 1;
    cfg["roles"].as_array()[0].as_object()["trustedAccounts"] =
        json::array{sesami::test::own_account, "444455556666"};
    sts.admin("PUT", "config", cfg);
    auto tmp = assume_role(http, own(), sts.base(), "us-east-1", p);
    REQUIRE(tmp.has_value());
    std::this_thread::sleep_for(milliseconds(1500));
    auto r = assume_role(http, tmp->creds, sts.base(), "us-east-1", p);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == sts_errc::own_credentials_expired);
    CHECK(r.error().aws_code == "ExpiredToken");
  }
  SECTION("a malformed role ARN is a validation error") {
    p.role_arn = "nope";
    auto r = assume_role(http, own(), sts.base(), "us-east-1", p);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == sts_errc::invalid_request);
  }
  SECTION("throttling and 5xx are retryable") {
    sts.admin("POST", "faults",
              json::object{{"service", "sts"},
                           {"status", 400},
                           {"code", "Throttling"},
                           {"message", "Rate exceeded"},
                           {"count", 1}});
    auto r = assume_role(http, own(), sts.base(), "us-east-1", p);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == sts_errc::throttled);
    CHECK(r.error().retryable());
    sts.admin("POST", "faults",
              json::object{{"service", "sts"},
                           {"status", 503},
                           {"code", "ServiceUnavailable"},
                           {"message", "down"},
                           {"count", 1}});
    auto r2 = assume_role(http, own(), sts.base(), "us-east-1", p);
    REQUIRE_FALSE(r2.has_value());
    CHECK(r2.error().code == sts_errc::unreachable);
    CHECK(assume_role(http, own(), sts.base(), "us-east-1", p).has_value());
  }
  SECTION("nothing listening") {
    auto r =
        assume_role(http, own(), "http://127.0.0.1:" + std::to_string(sesami::test::free_port()),
                    "us-east-1", p);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == sts_errc::unreachable);
  }
}

TEST_CASE("role_credentials caches until a margin before expiry, one STS call at a time", "[sts]") {
  standins sts(sesami::test::standin_config(ext));
  http_client http;
  memory_credential_cache cache;
  auto fake_now = std::make_shared<std::atomic<system_clock::rep>>(
      system_clock::now().time_since_epoch().count());
  role_credentials_options opt;
  opt.sts_endpoint_override = sts.base();
  opt.now = [fake_now] {
    return system_clock::time_point(system_clock::duration(fake_now->load()));
  };
  role_credentials roles(
      http,
      [] {
        return credentials_result(sourced_credentials{own(), "test"});
      },
      cache, opt);
  const sesami::aws::role_target t{"ws1", sesami::test::customer_role, ext, "us-east-1"};

  // 16 threads ask at once: one AssumeRole.
  std::vector<std::thread> threads;
  std::vector<std::string> keys(16);
  for (int i = 0; i < 16; ++i)
    threads.emplace_back([&, i] {
      auto r = roles.get(t);
      if (r) keys[i] = r->creds.access_key_id;
    });
  for (auto& th : threads) th.join();
  CHECK(roles.sts_calls() == 1);
  CHECK(sts.calls("sts.AssumeRole") == 1);
  for (const auto& k : keys) CHECK(k == keys[0]);

  for (int i = 0; i < 1000; ++i) REQUIRE(roles.get(t).has_value());
  CHECK(roles.sts_calls() == 1);

  // 54 minutes later the credentials (1 h) are still outside the 5-minute margin.
  *fake_now += duration_cast<system_clock::duration>(minutes(54)).count();
  CHECK(roles.get(t)->creds.access_key_id == keys[0]);
  CHECK(roles.sts_calls() == 1);
  // 56 minutes: inside the margin, refreshed before they expire.
  *fake_now += duration_cast<system_clock::duration>(minutes(2)).count();
  auto refreshed = roles.get(t);
  REQUIRE(refreshed.has_value());
  CHECK(refreshed->creds.access_key_id != keys[0]);
  CHECK(roles.sts_calls() == 2);

  SECTION("another External ID or workspace is another entry; errors are not cached") {
    auto other = t;
    other.workspace = "ws2";
    REQUIRE(roles.get(other).has_value());
    CHECK(roles.sts_calls() == 3);
    other.external_id = "wrong-external-id";
    CHECK_FALSE(roles.get(other).has_value());
    CHECK_FALSE(roles.get(other).has_value());
    CHECK(roles.sts_calls() == 5);
  }
  SECTION("invalidate forces a new call") {
    roles.invalidate(t);
    REQUIRE(roles.get(t).has_value());
    CHECK(roles.sts_calls() == 3);
  }
}
