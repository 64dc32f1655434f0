#pragma once
// AWS Signature Version 4
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html) for
// the query APIs (STS, SQS: form POST) and the REST-JSON APIs (SES v2). Proven against AWS's
// published SigV4 test suite (tests/aws/sigv4_test.cpp, tests/fixtures/sigv4/).
//
// The signer signs every header the request carries, plus host, x-amz-date and (with temporary
// credentials) x-amz-security-token. The path is taken as it goes on the wire and encoded once
// more for the canonical URI (every service but S3 does this); the query is decoded and
// re-encoded strictly, then sorted.
#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http_client.hpp"

namespace sesami::aws {

/// An access key pair, with a session token and expiry when temporary.
struct credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
  std::optional<std::chrono::system_clock::time_point> expires;
  bool empty() const noexcept { return access_key_id.empty() || secret_access_key.empty(); }
};

struct signing_scope {
  std::string region;   // "us-east-1"
  std::string service;  // "sts", "ses", "sqs"
};

struct sign_options {
  bool normalize_path = true;       // remove "." / ".." segments and empty segments (not S3)
  bool add_content_sha256 = false;  // add and sign x-amz-content-sha256
  /// Verification only: the largest clock difference accepted (AWS: 5 minutes; SES: 15).
  std::chrono::seconds max_skew{300};
};

/// A request as it will be sent. The signer appends its headers to `headers`.
struct signable_request {
  std::string method = "GET";
  std::string host;  // host[:port], the Host header's value
  std::string path = "/";
  std::string query;                 // without '?'
  std::vector<http_header> headers;  // all signed; Host may be among them or left to `host`
  std::string body;
};

/// Every intermediate of one signature, for tests and diagnostics (never logged: it is harmless
/// without the key, but the request body may hold personal data).
struct signature_parts {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-date"
  std::string signature;       // hex
  std::string authorization;   // the Authorization header's value
};

// ---- building blocks ------------------------------------------------------------------------
/// RFC 3986 percent-encoding: unreserved characters (A-Z a-z 0-9 - . _ ~) kept, everything else
/// %XX (upper-case hex); '/' kept when `keep_slash`.
std::string uri_encode(std::string_view s, bool keep_slash = false);
/// Percent-decoding (a '+' stays a '+'); malformed escapes are kept as they are.
std::string uri_decode(std::string_view s);
/// application/x-www-form-urlencoded body for the query APIs, in the order given, strictly encoded.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& params);
std::string sha256_hex(std::string_view data);
std::array<unsigned char, 32> hmac_sha256(std::string_view key, std::string_view data);
std::string hex(const unsigned char* p, std::size_t n);
/// "20150830T123600Z"
std::string amz_date(std::chrono::system_clock::time_point t);
/// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
std::array<unsigned char, 32> signing_key(std::string_view secret, std::string_view date8,
                                          std::string_view region, std::string_view service);

/// The canonical URI of a wire path.
std::string canonical_uri(std::string_view path, bool normalize);
/// The canonical query string of a wire query.
std::string canonical_query(std::string_view query);

// ---- signing --------------------------------------------------------------------------------
/// Signs `req` at time `t`: appends X-Amz-Date, X-Amz-Security-Token (when the credentials have
/// one), x-amz-content-sha256 (when asked) and Authorization to its headers. Headers of those
/// names already present are replaced.
signature_parts sign(signable_request& req, const credentials& creds, const signing_scope& scope,
                     std::chrono::system_clock::time_point t, const sign_options& opt = {});

/// Signs an http_request in place (its URL gives host, path and query); the form most callers
/// want. Returns false when the URL cannot be parsed.
bool sign_http(http_request& req, const credentials& creds, const signing_scope& scope,
               std::chrono::system_clock::time_point t, const sign_options& opt = {});

// ---- verification (the SES API's callers, the local stand-ins of STS / SQS, tests) -------------
struct parsed_authorization {
  std::string access_key_id;
  std::string date;  // yyyymmdd
  std::string region;
  std::string service;
  std::vector<std::string> signed_headers;
  std::string signature;
};
std::optional<parsed_authorization> parse_authorization(std::string_view header);

enum class verify_result { ok, missing, malformed, unknown_key, bad_signature, stale };
std::string_view to_id(verify_result v) noexcept;

/// Recomputes the signature of a received request (its headers include Authorization and
/// X-Amz-Date) over the headers it names, with the secret that `secret_for(access_key_id)`
/// returns (nullopt: unknown key). `now` bounds the clock skew to opt.max_skew. The payload hash
/// is always computed from the body; an x-amz-content-sha256 header must match it.
template <class SecretFor>
verify_result verify(const signable_request& received, SecretFor&& secret_for,
                     std::chrono::system_clock::time_point now, const sign_options& opt = {});

namespace detail {
verify_result verify_with(const signable_request& received,
                          const std::optional<std::string>& secret,
                          const parsed_authorization& auth,
                          std::chrono::system_clock::time_point now, const sign_options& opt);
}  // namespace detail

template <class SecretFor>
verify_result verify(const signable_request& received, SecretFor&& secret_for,
                     std::chrono::system_clock::time_point now, const sign_options& opt) {
  std::string_view authz;
  for (const auto& h : received.headers)
    if (iequals(h.name, "authorization")) authz = h.value;
  if (authz.empty()) return verify_result::missing;
  auto parsed = parse_authorization(authz);
  if (!parsed) return verify_result::malformed;
  std::optional<std::string> secret = secret_for(parsed->access_key_id);
  return detail::verify_with(received, secret, *parsed, now, opt);
}

}  // namespace sesami::aws
