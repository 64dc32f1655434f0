#pragma once
// Sign in with OpenID Connect (serve --oidc-issuer): the authorization-code flow with PKCE (S256),
// `state` and `nonce`. begin() makes the provider's authorization URL and a sealed, short-lived
// cookie that binds state, nonce and the PKCE verifier to this browser; finish() checks the
// callback against that cookie (once: a state is consumed), redeems the code at the token
// endpoint and verifies the ID token against the issuer's discovery document and JWKS (cached;
// refreshed on an unknown kid, at most once per `jwks_min_refresh`). Every URL of the issuer is
// fetched under the outbound-URL policy (https; loopback only with --allow-private-targets).
// The verified email then becomes a SESami session (oidc_sign_in in oidc_sign_in.hpp).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "../aws/http_client.hpp"
#include "auth.hpp"
#include "secret_box.hpp"

namespace sesami::app {

struct oidc_options {
  std::string issuer;  // https://cognito-idp.REGION.amazonaws.com/POOL_ID
  std::string client_id;
  std::string client_secret;     // empty: a public client (PKCE alone)
  std::string redirect_url;      // https://sesami.example.com/auth/oidc/callback
  std::string provider_name;     // on the sign-in button ("Amazon Cognito")
  std::string membership_claim;  // e.g. cognito:groups; empty: membership by invitation only
  aws::outbound_policy policy;
  std::chrono::milliseconds jwks_min_refresh{30'000};  // between refreshes for unknown kids
  std::chrono::milliseconds jwks_max_age{3'600'000};   // a cached key set is re-read after this
  std::chrono::milliseconds state_lifetime{600'000};   // a sign-in must finish within this
};

/// The start of a sign-in: where to send the browser, and the cookie to set.
struct oidc_start {
  std::string authorize_url;
  std::string cookie;  // sealed state, nonce, verifier, return path, expiry
};

/// A verified ID token's identity.
struct oidc_identity {
  std::string subject;
  std::string email;                // lower-cased, verified by the issuer
  std::vector<std::string> groups;  // the membership claim's values
  std::string return_to;            // the path the sign-in started from
};

class oidc_client {
 public:
  oidc_client(oidc_options o, aws::http_client& http, const secret_box& box);

  const oidc_options& options() const noexcept { return opt_; }
  /// Set once the listener knows its port (serve --port 0 without --public-url).
  void set_redirect_url(std::string url);
  std::string redirect_url();

  /// Reads the discovery document (cached) and makes the authorization request. `return_to` is a
  /// local path ("/events"); anything else becomes "/".
  outcome<oidc_start> begin(std::string_view return_to);
  /// The callback's `code` and `state` with the cookie begin() set: "oidc.bad_state" for a
  /// missing, expired, foreign or already used state; then the ID token's refusals (jwt.hpp),
  /// "oidc.email_unverified", "oidc.unavailable" when the issuer cannot be reached.
  outcome<oidc_identity> finish(std::string_view code, std::string_view state,
                                std::string_view cookie);

  /// Times the issuer's key set was fetched (tests count rotations and the rate limit).
  std::uint64_t jwks_fetches() const noexcept;

 private:
  struct discovery {
    std::string authorization_endpoint, token_endpoint, jwks_uri;
    bool post_secret = false;  // client_secret_post instead of client_secret_basic
  };
  outcome<discovery> discover();
  outcome<boost::json::object> get_json(const std::string& url);
  outcome<boost::json::array> keys_for(std::string_view alg, std::string_view kid);
  outcome<std::string> redeem(const discovery& d, std::string_view code, std::string_view verifier);
  bool consume_state(const std::string& state, std::int64_t expires_ms);

  oidc_options opt_;
  aws::http_client& http_;
  const secret_box& box_;

  std::mutex mu_;  // the discovery document and the used states
  std::optional<discovery> disc_;
  std::map<std::string, std::int64_t, std::less<>> used_states_;  // state → its expiry
  std::mutex keys_mu_;  // held while the key set is fetched: one fetch at a time
  boost::json::array keys_;
  std::chrono::steady_clock::time_point keys_at_{};
  bool have_keys_ = false;
  std::atomic<std::uint64_t> fetches_{0};
};

}  // namespace sesami::app
