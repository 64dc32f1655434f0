// SigV4 against AWS's published test suite (tests/fixtures/sigv4/, see tests/fixtures/README.md):
// each case's request is signed with the suite's credentials and time, and the Authorization
// header (and the canonical request / string to sign where the suite gives them) must match
// byte for byte. Then the verifier (used by the STS / SQS stand-ins) accepts what the signer
// produces and refuses every kind of tampering.
#include "aws/sigv4.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

namespace {
namespace fs = std::filesystem;
using namespace sesami::aws;
using namespace std::chrono;

const fs::path dir = fs::path(SESAMI_FIXTURES_DIR) / "sigv4";

std::optional<std::string> slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The suite's .req: "METHOD TARGET HTTP/1.1", header lines, a blank line, the body.
signable_request parse_req(const std::string& text) {
  signable_request r;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  const auto sp1 = line.find(' ');
  const auto sp2 = line.rfind(' ');
  r.method = line.substr(0, sp1);
  const std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const auto q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) r.query = target.substr(q + 1);
  while (std::getline(in, line) && !line.empty()) {
    const auto colon = line.find(':');
    r.headers.push_back({line.substr(0, colon), line.substr(colon + 1)});
    if (iequals(r.headers.back().name, "host")) r.host = r.headers.back().value;
  }
  const auto body_at = text.find("\n\n");
  r.body = text.substr(body_at + 2);
  return r;
}

const credentials suite_creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", {}};
const signing_scope suite_scope{"us-east-1", "service"};
const system_clock::time_point suite_time =
    system_clock::from_time_t(1440938160);  // 20150830T123600Z

std::string header_of(const signable_request& r, std::string_view name) {
  for (const auto& h : r.headers)
    if (iequals(h.name, name)) return h.value;
  return {};
}
}  // namespace

TEST_CASE("SigV4 reproduces AWS's test suite", "[sigv4]") {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".req") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  REQUIRE(names.size() >= 20);
  for (const auto& name : names) {
    DYNAMIC_SECTION(name) {
      auto req = parse_req(*slurp(dir / (name + ".req")));
      credentials c = suite_creds;
      c.session_token = header_of(req, "x-amz-security-token");  // the session-token cases
      REQUIRE(amz_date(suite_time) == header_of(req, "x-amz-date"));
      const auto parts = sign(req, c, suite_scope, suite_time);
      if (auto creq = slurp(dir / (name + ".creq"))) CHECK(parts.canonical_request == *creq);
      if (auto sts = slurp(dir / (name + ".sts"))) CHECK(parts.string_to_sign == *sts);
      CHECK(parts.authorization == *slurp(dir / (name + ".authz")));
      CHECK(header_of(req, "authorization") == parts.authorization);
    }
  }
}

TEST_CASE("SigV4 building blocks", "[sigv4]") {
  SECTION("URI encoding keeps only unreserved characters") {
    CHECK(uri_encode("a b+c/d~e@f.g_h-i") == "a%20b%2Bc%2Fd~e%40f.g_h-i");
    CHECK(uri_encode("/a b/", true) == "/a%20b/");
    CHECK(uri_encode("\xc3\xbc") == "%C3%BC");
    CHECK(uri_decode("a%20b%2bc+d%zz%4") == "a b+c+d%zz%4");
  }
  SECTION("paths are encoded once more (every service but S3), queries are not") {
    CHECK(canonical_uri("/v2/email/suppression/addresses/a%40b.com", true) ==
          "/v2/email/suppression/addresses/a%2540b.com");
    CHECK(canonical_query("b=2&a=%2F&a=1&c") == "a=%2F&a=1&b=2&c=");
    CHECK(canonical_query("") == "");
    CHECK(canonical_uri("", true) == "/");
    CHECK(canonical_uri("/a/./b/../c//", true) == "/a/c/");
  }
  SECTION("form encoding for the query APIs") {
    CHECK(form_encode({{"Action", "AssumeRole"}, {"RoleArn", "arn:aws:iam::1:role/x y"}}) ==
          "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx%20y");
  }
  SECTION("the signing key of AWS's documented example") {
    // IAM User Guide, "Examples of how to derive a signing key for Signature Version 4".
    const auto k =
        signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
    CHECK(hex(k.data(), k.size()) ==
          "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
  }
  SECTION("sign_http signs the URL's host, path and query") {
    http_request r{"POST", "http://127.0.0.1:4566/?Param2=value2&Param1=value1", {}, "", 1000,
                   1000};
    REQUIRE(sign_http(r, suite_creds, suite_scope, suite_time));
    signable_request s{"POST", "127.0.0.1:4566", "/", "Param2=value2&Param1=value1", r.headers, ""};
    CHECK(verify(
              s,
              [](std::string_view) {
                return std::optional<std::string>(suite_creds.secret_access_key);
              },
              suite_time) == verify_result::ok);
    http_request bad{"GET", "ftp://x/", {}, "", 1, 1};
    CHECK_FALSE(sign_http(bad, suite_creds, suite_scope, suite_time));
  }
}

TEST_CASE("SigV4 verification refuses what AWS refuses", "[sigv4]") {
  auto secret_for = [](std::string_view akid) -> std::optional<std::string> {
    if (akid == "AKIDEXAMPLE") return std::string("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    return std::nullopt;
  };
  signable_request req{"POST",
                       "sts.local:1234",
                       "/",
                       "",
                       {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
                       "Action=AssumeRole&Version=2011-06-15"};
  credentials c = suite_creds;
  c.session_token = "token-1";
  sign(req, c, {"us-east-1", "sts"}, suite_time);
  CHECK(verify(req, secret_for, suite_time + minutes(4)) == verify_result::ok);

  SECTION("a changed body") {
    req.body += "&x=1";
    CHECK(verify(req, secret_for, suite_time) == verify_result::bad_signature);
  }
  SECTION("a changed signed header") {
    for (auto& h : req.headers)
      if (h.name == "X-Amz-Security-Token") h.value = "token-2";
    CHECK(verify(req, secret_for, suite_time) == verify_result::bad_signature);
  }
  SECTION("a different host or path") {
    auto other = req;
    other.host = "other:1";
    other.headers.push_back({"Host", "other:1"});
    CHECK(verify(other, secret_for, suite_time) == verify_result::bad_signature);
    req.path = "/x";
    CHECK(verify(req, secret_for, suite_time) == verify_result::bad_signature);
  }
  SECTION("the wrong secret, an unknown key, no signature, a malformed one") {
    CHECK(verify(
              req, [](std::string_view) { return std::optional<std::string>("nope"); },
              suite_time) == verify_result::bad_signature);
    credentials other{"AKIDOTHER", "s", "", {}};
    auto r2 = req;
    sign(r2, other, {"us-east-1", "sts"}, suite_time);
    CHECK(verify(r2, secret_for, suite_time) == verify_result::unknown_key);
    auto r3 = req;
    std::erase_if(r3.headers, [](const http_header& h) { return h.name == "Authorization"; });
    CHECK(verify(r3, secret_for, suite_time) == verify_result::missing);
    r3.headers.push_back({"Authorization", "AWS4-HMAC-SHA256 Credential=x"});
    CHECK(verify(r3, secret_for, suite_time) == verify_result::malformed);
  }
  SECTION("an X-Amz-Date that is no time is malformed, not normalised") {
    for (const char* bad : {"20150830T250000Z", "20150830T126000Z", "20150830T12360aZ",
                            "20150830T123600", "20150830 123600Z"}) {
      auto r = req;
      for (auto& h : r.headers)
        if (h.name == "X-Amz-Date") h.value = bad;
      INFO(bad);
      CHECK(verify(r, secret_for, suite_time) == verify_result::malformed);
    }
  }
  SECTION("a request more than 5 minutes old") {
    CHECK(verify(req, secret_for, suite_time + minutes(6)) == verify_result::stale);
  }
  SECTION("parse_authorization") {
    auto a = parse_authorization(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" +
        std::string(64, 'a'));
    REQUIRE(a);
    CHECK(a->region == "us-east-1");
    CHECK(a->service == "sts");
    CHECK(a->signed_headers == std::vector<std::string>{"host", "x-amz-date"});
  }
}

TEST_CASE("sigv4: verification of received requests (the SES API's)", "[sigv4]") {
  auto secret_for = [](std::string_view akid) -> std::optional<std::string> {
    if (akid == "SESAMIABCDEFGHIJKLMN") return std::string(40, 's');
    return std::nullopt;
  };
  const credentials c{"SESAMIABCDEFGHIJKLMN", std::string(40, 's'), "", {}};
  signable_request req{"POST",
                       "sesami.local:8080",
                       "/v2/email/outbound-emails",
                       "",
                       {{"Content-Type", "application/json"}},
                       R"({"FromEmailAddress":"a@example.com"})"};
  sign_options opt;
  opt.add_content_sha256 = true;  // as S3-style clients do; SES's SDKs leave it out
  opt.max_skew = minutes(15);
  sign(req, c, {"us-east-1", "ses"}, suite_time, opt);
  CHECK(verify(req, secret_for, suite_time, opt) == verify_result::ok);

  SECTION("another body under the signed hash") {
    req.body = R"({"FromEmailAddress":"b@example.com"})";
    CHECK(verify(req, secret_for, suite_time, opt) == verify_result::bad_signature);
  }
  SECTION("a claimed payload hash must be the body's (UNSIGNED-PAYLOAD is not accepted)") {
    signable_request u{"POST",
                       "sesami.local:8080",
                       "/v2/email/outbound-emails",
                       "",
                       {{"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}},
                       "{}"};
    sign(u, c, {"us-east-1", "ses"}, suite_time);
    CHECK(verify(u, secret_for, suite_time, opt) == verify_result::bad_signature);
  }
  SECTION("the SES window: ±15 minutes") {
    CHECK(verify(req, secret_for, suite_time + minutes(14), opt) == verify_result::ok);
    CHECK(verify(req, secret_for, suite_time - minutes(14), opt) == verify_result::ok);
    CHECK(verify(req, secret_for, suite_time + minutes(16), opt) == verify_result::stale);
    CHECK(verify(req, secret_for, suite_time - minutes(16), opt) == verify_result::stale);
  }
}
