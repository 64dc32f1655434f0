#pragma once
// `sesami serve`'s OpenID Connect options (--oidc-*, --disable-password-login): declared on the
// serve command, checked before anything starts, turned into app::oidc_options.
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "../app/oidc.hpp"

namespace sesami::cli {

struct oidc_flags {
  std::string issuer, client_id, client_secret_file, redirect_url, membership_claim, provider_name,
      ca_file;
  bool disable_password_login = false;
  long long jwks_refresh_ms = 30'000;
};

void add_oidc_flags(CLI::App& app, oidc_flags& f);

/// nullopt without --oidc-issuer; an error message (for stderr, exit 2) for a bad combination,
/// an issuer that is not https, or an unreadable secret file. `public_url` gives the default
/// redirect URL (public_url + /auth/oidc/callback); without either, serve sets it once it listens.
std::optional<app::oidc_options> oidc_options_from(const oidc_flags& f,
                                                   const std::string& public_url,
                                                   bool allow_private_targets, std::string& error);

}  // namespace sesami::cli
