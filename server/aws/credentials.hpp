#pragma once
// SESami's own AWS credentials — the identity that calls sts:AssumeRole into each customer's
// account — from the standard sources, in the AWS SDKs' order:
//   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
//   2. shared files: AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and AWS_CONFIG_FILE
//      (~/.aws/config, "[profile NAME]" sections), profile AWS_PROFILE (else "default")
//   3. container endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on 169.254.170.2) or
//      AWS_CONTAINER_CREDENTIALS_FULL_URI (loopback, the ECS/EKS link-local hosts, or https),
//      with AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)
//   4. EC2 instance metadata, IMDSv2 only (token PUT, then GET), at
//      AWS_EC2_METADATA_SERVICE_ENDPOINT (default http://169.254.169.254); off when
//      AWS_EC2_METADATA_DISABLED=true
// Secrets never appear in error messages.
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

#include "http_client.hpp"
#include "sigv4.hpp"

namespace sesami::aws {

/// Reads an environment variable; injectable so tests never touch the process environment.
using env_lookup = std::function<std::optional<std::string>(std::string_view)>;
/// The process environment.
env_lookup process_env();

struct credentials_error {
  std::string message;  // which source failed and why; never a secret
};

/// Where the credentials came from: "env", "profile:<name>", "container", "imds".
struct sourced_credentials {
  credentials creds;
  std::string source;
};

using credentials_result = boost::system::result<sourced_credentials, credentials_error>;

// ---- single sources (nullopt: the source is not configured; an error: it is, but failed) -------
std::optional<credentials_result> from_env(const env_lookup& env);
std::optional<credentials_result> from_shared_files(const env_lookup& env);
std::optional<credentials_result> from_container(const env_lookup& env, http_client& http);
std::optional<credentials_result> from_imds(const env_lookup& env, http_client& http);

/// The region SESami itself runs in: AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region`.
std::optional<std::string> default_region(const env_lookup& env);

/// The chain above, with caching: temporary credentials are fetched again a margin before they
/// expire. Thread-safe.
class credentials_provider {
 public:
  credentials_provider(env_lookup env, http_client& http,
                       std::chrono::seconds refresh_margin = std::chrono::minutes(5));
  credentials_result get();
  /// Drops the cached credentials (e.g. after AWS said they expired).
  void invalidate();

 private:
  env_lookup env_;
  http_client& http_;
  std::chrono::seconds margin_;
  std::mutex mu_;
  std::optional<sourced_credentials> cached_;
};

/// ISO 8601 "2019-11-09T13:34:41Z" (optionally with fractional seconds) → time point.
std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view s);
std::string format_iso8601(std::chrono::system_clock::time_point t);

}  // namespace sesami::aws
