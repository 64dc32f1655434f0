#include "serve_oidc.hpp"

#include <fstream>
#include <sstream>

#include "../app/private_files.hpp"
#include "../aws/outbound_url.hpp"
#include "../http/log.hpp"

namespace sesami::cli {

void add_oidc_flags(CLI::App& app, oidc_flags& f) {
  app.add_option("--oidc-issuer", f.issuer,
                 "sign in with this OpenID Connect provider (its issuer URL, e.g. "
                 "https://cognito-idp.REGION.amazonaws.com/POOL_ID; needs --oidc-client-id)");
  app.add_option("--oidc-client-id", f.client_id, "the app client's id at the provider");
  app.add_option("--oidc-client-secret-file", f.client_secret_file,
                 "a file holding the app client's secret (owner-only; without it: a public "
                 "client, PKCE alone)");
  app.add_option("--oidc-redirect-url", f.redirect_url,
                 "the callback URL registered at the provider (default "
                 "PUBLIC_URL/auth/oidc/callback)");
  app.add_option("--oidc-membership-claim", f.membership_claim,
                 "an ID-token claim (e.g. cognito:groups) whose values WORKSPACE:ROLE add "
                 "memberships; without it, membership is by invitation only");
  app.add_option("--oidc-provider-name", f.provider_name,
                 "the name on the sign-in button (default: Amazon Cognito for a Cognito issuer, "
                 "else the issuer's host)");
  app.add_option("--oidc-ca-file", f.ca_file,
                 "PEM bundle trusted for the provider's https URLs (default: the system's)");
  app.add_flag("--disable-password-login", f.disable_password_login,
               "switch local passwords off: people sign in through --oidc-issuer only");
  app.add_option("--test-oidc-jwks-refresh-ms", f.jwks_refresh_ms,
                 "TEST ONLY: least time between key-set refreshes for unknown key ids "
                 "(default 30000)")
      ->group("");
}

std::optional<app::oidc_options> oidc_options_from(const oidc_flags& f,
                                                   const std::string& public_url,
                                                   bool allow_private_targets, std::string& error) {
  if (f.issuer.empty()) {
    if (f.disable_password_login)
      error = "--disable-password-login needs --oidc-issuer: nobody could sign in";
    else if (!f.client_id.empty() || !f.client_secret_file.empty())
      error = "--oidc-client-id and --oidc-client-secret-file need --oidc-issuer";
    return std::nullopt;
  }
  const auto target = aws::parse_outbound_url(f.issuer);
  if (!target) {
    error = "--oidc-issuer: " + target.error().message;
    return std::nullopt;
  }
  if (f.client_id.empty()) {
    error = "--oidc-issuer needs --oidc-client-id";
    return std::nullopt;
  }
  app::oidc_options o;
  o.issuer = f.issuer;
  o.client_id = f.client_id;
  if (!f.client_secret_file.empty()) {
    std::ifstream in(f.client_secret_file, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    const auto text = std::move(ss).str();
    const auto a = text.find_first_not_of(" \t\r\n"), b = text.find_last_not_of(" \t\r\n");
    if (!in.is_open() || a == std::string::npos) {
      error = f.client_secret_file + ": cannot read the client secret (--oidc-client-secret-file)";
      return std::nullopt;
    }
    o.client_secret = text.substr(a, b - a + 1);
    if (app::readable_by_others(f.client_secret_file))
      http::log::warn("a key file is readable by other users of this machine: chmod 600 it",
                      {{"file", f.client_secret_file}, {"flag", "--oidc-client-secret-file"}});
  }
  o.redirect_url = f.redirect_url;
  if (o.redirect_url.empty() && !public_url.empty()) {
    auto base = public_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    o.redirect_url = base + "/auth/oidc/callback";
  }
  o.membership_claim = f.membership_claim;
  o.provider_name = f.provider_name;
  if (o.provider_name.empty())
    o.provider_name = target->host.starts_with("cognito-idp.") ? "Amazon Cognito" : target->host;
  o.policy = aws::outbound_policy{allow_private_targets};
  o.jwks_min_refresh = std::chrono::milliseconds(f.jwks_refresh_ms);
  return o;
}

}  // namespace sesami::cli
