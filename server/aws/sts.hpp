#pragma once
// Cross-account access: sts:AssumeRole into the customer's role with the workspace's External ID
// (query API, XML answer), and the cache of the temporary credentials it returns, so a workspace
// calls STS about once per credential lifetime rather than once per send.
//
// The cache is an interface (in memory here; Redis for several nodes) keyed by workspace + role +
// External ID. Entries are refreshed a margin (5 min) before they expire; concurrent callers for
// one key wait for a single STS call (single flight). Secrets are never logged.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

#include "credentials.hpp"
#include "http_client.hpp"
#include "sigv4.hpp"

namespace sesami::aws {

enum class sts_errc {
  assume_role_denied,       // AccessDenied: trust policy or External ID mismatch
  own_credentials_expired,  // ExpiredToken: SESami's own session token expired
  own_credentials_invalid,  // InvalidClientTokenId / SignatureDoesNotMatch: SESami's keys are bad
  no_credentials,           // SESami has no credentials of its own
  invalid_request,          // ValidationError: e.g. a malformed role ARN
  region_disabled,          // RegionDisabledException: STS not active in that region
  throttled,                // Throttling: retry later
  unreachable,              // network error or 5xx
  bad_response,             // an answer we cannot read
};
/// Stable ids for the API's error codes ("aws.assume_role_denied", ...).
std::string_view to_id(sts_errc e) noexcept;

struct sts_error {
  sts_errc code = sts_errc::unreachable;
  std::string aws_code;  // STS's own code, e.g. "AccessDenied"; empty for transport errors
  std::string message;   // what to fix, for a person; never a secret
  long http_status = 0;
  bool retryable() const noexcept {
    return code == sts_errc::throttled || code == sts_errc::unreachable;
  }
};

struct assume_role_params {
  std::string role_arn;
  std::string external_id;
  std::string session_name;  // [\w+=,.@-]{2,64}
  std::chrono::seconds duration{3600};
};

/// Temporary credentials of an assumed role (creds.expires is set).
struct assumed_role {
  credentials creds;
  std::string assumed_role_arn;  // arn:aws:sts::<account>:assumed-role/<role>/<session>
  std::string account_id;        // of the assumed role
};

/// "https://sts.<region>.amazonaws.com" unless `override_url` is set.
std::string sts_endpoint(std::string_view region, std::string_view override_url = {});

/// One AssumeRole call, signed with SESami's own credentials.
boost::system::result<assumed_role, sts_error> assume_role(http_client& http,
                                                           const credentials& own,
                                                           std::string_view endpoint,
                                                           std::string_view region,
                                                           const assume_role_params& p);

/// The text of the first <tag>…</tag> in `xml`, entities decoded; nullopt when absent. Enough
/// for the flat, documented answers of the query APIs (no CDATA, no comments in them).
std::optional<std::string> xml_text(std::string_view xml, std::string_view tag);

// ---- the cache --------------------------------------------------------------------------------
class credential_cache {
 public:
  virtual ~credential_cache() = default;
  virtual std::optional<assumed_role> get(const std::string& key) = 0;
  virtual void put(const std::string& key, const assumed_role& value) = 0;
  virtual void erase(const std::string& key) = 0;
};

/// The process-local cache (the default).
class memory_credential_cache final : public credential_cache {
 public:
  std::optional<assumed_role> get(const std::string& key) override;
  void put(const std::string& key, const assumed_role& value) override;
  void erase(const std::string& key) override;

 private:
  std::mutex mu_;
  std::map<std::string, assumed_role, std::less<>> entries_;
};

/// The cache key of a workspace's role: the External ID is part of it, so changing either
/// never serves credentials obtained under the old one.
std::string cache_key(std::string_view workspace, std::string_view role_arn,
                      std::string_view external_id);
/// JSON text for caches outside the process (the Redis implementation); see the cache's own
/// notes on protecting it at rest.
std::string serialize(const assumed_role& r);
std::optional<assumed_role> deserialize(std::string_view text);

/// What a workspace's AWS connection names.
struct role_target {
  std::string workspace;
  std::string role_arn;
  std::string external_id;
  std::string region;
};

struct role_credentials_options {
  std::string sts_endpoint_override;  // tests: a loopback STS
  std::chrono::seconds refresh_margin{300};
  std::chrono::seconds duration{3600};
  std::function<std::chrono::system_clock::time_point()> now;  // empty: the system clock
};

/// AssumeRole through the cache, one STS call per key at a time.
class role_credentials {
 public:
  using own_credentials = std::function<credentials_result()>;
  role_credentials(http_client& http, own_credentials own, credential_cache& cache,
                   role_credentials_options opt = {});

  boost::system::result<assumed_role, sts_error> get(const role_target& t);
  /// Forgets the cached credentials (AWS said they expired or were revoked).
  void invalidate(const role_target& t);
  /// AssumeRole calls made so far (for the benchmark and tests).
  std::uint64_t sts_calls() const noexcept { return calls_.load(); }
  const role_credentials_options& options() const noexcept { return opt_; }

 private:
  std::chrono::system_clock::time_point now() const;
  bool fresh(const assumed_role& r) const;
  http_client& http_;
  own_credentials own_;
  credential_cache& cache_;
  role_credentials_options opt_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<std::mutex>, std::less<>> flights_;
  std::atomic<std::uint64_t> calls_{0};
};

/// A RoleSessionName for a workspace: "sesami-<workspace>", limited to STS's alphabet and length.
std::string session_name_for(std::string_view workspace);

}  // namespace sesami::aws
