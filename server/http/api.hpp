#pragma once
// The HTTP API: every route, wired to the app's use cases. Handlers parse and validate the
// request, check who is calling, call one use case, and shape the answer; nothing else.
// docs/api.md and docs/openapi.yaml describe these routes (a test keeps them in sync).
#include <filesystem>
#include <functional>
#include <string>

#include <boost/json/object.hpp>

#include "../app/alerts.hpp"
#include "../app/auth.hpp"
#include "../app/aws_connection.hpp"
#include "../app/mail.hpp"
#include "../app/oidc.hpp"
#include "../app/pipeline_health.hpp"
#include "../app/reputation.hpp"
#include "../app/retention.hpp"
#include "../app/sns_dedupe.hpp"
#include "../app/suppression_sync.hpp"
#include "../app/topics.hpp"
#include "../app/webhooks.hpp"
#include "../aws/sns_verify.hpp"
#include "../store/accounts.hpp"
#include "../store/store.hpp"
#include "metrics.hpp"
#include "router.hpp"

namespace sesami::http {

struct api_options {
  std::filesystem::path static_dir;  // empty: no static files
  /// Adds POST /bench/bare: parses the body as JSON and answers 200 without storing — the
  /// reference the ingestion benchmark compares against. Off in production.
  bool bench_endpoint = false;
  /// Test-only: adds GET /debug/fail, whose handler throws, to prove the 500 path.
  bool debug_routes = false;
  /// --public-url: when it is https://, session cookies are Secure on every request.
  std::string public_url;
  /// --metrics-token-file's token: GET /metrics on this listener answers only
  /// `Authorization: Bearer <token>`. Empty: GET /metrics is 404 here (the numbers are the
  /// whole server's, every workspace's: no workspace credential opens them).
  std::string metrics_token;
  /// The SES API's region and offline quota (ses_api.hpp).
  struct ses_options {
    std::string simulator_region = "us-east-1";
    double simulator_rate = 14;
  } ses;
  /// --disable-password-login: POST /auth/login, /auth/password and /invitations/redeem answer
  /// 403; people sign in through the OpenID provider (api_deps::oidc).
  bool password_login = true;
};

struct api_deps {
  store::store& store;
  store::accounts& accounts;
  app::auth& auth;
  aws::sns_verifier& sns;
  metrics& stats;
  /// Sending (POST /mail, bulk, attempts, unsubscribe); null: those routes answer 503.
  app::mailer* mail = nullptr;
  /// The workspace AWS connections (settings, /verify-sts); null: those routes answer 503.
  app::aws_connection_service* aws = nullptr;
  /// Suppression sync with SES (POST/GET /suppression-list/sync); null: those routes answer 503.
  app::suppression_syncer* sync = nullptr;
  /// Appends further Prometheus families to GET /metrics (the SQS pollers'); may be empty.
  std::function<void(std::string&)> extra_metrics = {};
  /// SNS MessageIds already stored, shared by nodes (Redis); null: the store's check alone.
  app::sns_dedupe* sns_dedupe = nullptr;
  /// Outbound webhooks (the /webhooks routes); null: those routes answer 503.
  app::webhooks* webhooks = nullptr;
  /// Email templates (the /templates routes); null: those routes answer 503.
  app::template_service* templates = nullptr;
  /// Adds fields to GET /health (e.g. "redis"); never changes its status code. May be empty.
  std::function<void(boost::json::object&)> extra_health = {};
  /// Sign in with OpenID Connect (serve --oidc-issuer); null: /auth/oidc/* answer 404.
  app::oidc_client* oidc = nullptr;
  /// The background retention purger, woken when PATCH /workspace changes the retention; null:
  /// the change waits for the purger's next check (or for a node that runs one).
  app::retention_purger* retention = nullptr;
  /// The reputation guard and the alerts (/reputation, /alerts); null: those routes answer 503,
  /// and the SES API's sends are not gated.
  app::reputation_guard* guard = nullptr;
  app::alerts* alerts = nullptr;
  /// Pipeline health (GET /health/sources, the ingest routes' records, the metrics gauge); null:
  /// /health/sources answers 503 and nothing is recorded.
  app::pipeline_health* health = nullptr;
  /// Topics and contacts (issue #20: /topics, /contacts, the preference page's choices); null:
  /// those routes answer 503 and the unsubscribe page offers the one-click unsubscribe only.
  app::topics* topics = nullptr;
};

/// Adds every route (and the static-file fallback) to `r`. `deps` must outlive `r`.
void add_api_routes(router& r, api_deps& deps, const api_options& opt);

/// GET /auth/config, GET /auth/oidc/login and GET /auth/oidc/callback (oidc_routes.cpp); called
/// by add_api_routes.
void add_sign_in_routes(router& r, api_deps& deps, const api_options& opt);

/// GET /metrics alone, without credentials: the router of the --metrics-address listener, which
/// the operator binds to an address only the scraper reaches.
void add_private_metrics_route(router& r, api_deps& deps);

/// The session cookie's name.
inline constexpr std::string_view session_cookie = "sesami_session";

}  // namespace sesami::http
