// `sesami serve`: config → store → migrations → services → listener. Blocks until SIGINT or
// SIGTERM, then drains in-flight requests (their commits included) and exits 0.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>

#include <sesami/detail/iso8601.hpp>

#include "../app/auth.hpp"
#include "../app/aws_connection.hpp"
#include "../app/aws_ingest.hpp"
#include "../app/ingest_observer.hpp"
#include "../app/mail.hpp"
#include "../app/pipeline_health.hpp"
#include "../app/private_files.hpp"
#include "../app/rate_limiter.hpp"
#include "../app/reputation.hpp"
#include "../app/retention.hpp"
#include "../app/secret_box.hpp"
#include "../app/silence_alerts.hpp"
#include "../app/simulator.hpp"
#include "../app/webhooks.hpp"
#include "../aws/credentials.hpp"
#include "../aws/ses_templates.hpp"
#include "../aws/ses_transport.hpp"
#include "../aws/sns_verify.hpp"
#include "../aws/sqs.hpp"
#include "../http/api.hpp"
#include "../http/fd_limits.hpp"
#include "../http/log.hpp"
#include "../http/server.hpp"
#include "../http/ses_api.hpp"
#include "../store/accounts.hpp"
#include "../store/aws_connections.hpp"
#include "../store/backup.hpp"
#include "../store/mail_store.hpp"
#include "../store/open.hpp"
#include "../store/pipeline_health_store.hpp"
#include "../store/redis/client.hpp"
#include "../store/redis/credential_cache.hpp"
#include "../store/redis/rate_limiter.hpp"
#include "../store/redis/sns_dedupe.hpp"
#include "../store/suppression_sync_store.hpp"
#include "../store/template_store.hpp"
#include "../store/topic_store.hpp"
#include "../store/webhook_store.hpp"
#include "cmd_store_common.hpp"
#include "serve_env.hpp"
#include "serve_oidc.hpp"

namespace sesami::cli {
namespace {
/// HOST:PORT (IPv6 hosts in brackets) of an extra listener, or nullopt after printing the error.
std::optional<std::pair<std::string, std::uint16_t>> listen_address(const char* flag,
                                                                    const std::string& text) {
  const auto colon = text.rfind(':');
  unsigned port = 0;
  std::string host = colon == std::string::npos ? "" : text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const auto port_text = colon == std::string::npos ? "" : text.substr(colon + 1);
  if (host.empty() || port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos ||
      (port = static_cast<unsigned>(std::stoul(port_text))) > 65535) {
    std::fprintf(stderr, "sesami serve: %s: expected HOST:PORT, got '%s'\n", flag, text.c_str());
    return std::nullopt;
  }
  return std::pair{host, static_cast<std::uint16_t>(port)};
}
}  // namespace

int run_serve(args a) {
  const auto started = std::chrono::steady_clock::now();
  CLI::App app{"Serve the HTTP API, webhook ingestion and the dashboard.", "sesami serve"};
  store_args sa;
  add_store_options(app, sa, open_mode::create);
  http::server_config cfg;
  cfg.port = 8080;
  std::string static_dir, cert_dir, owner_email = "admin@localhost", log_level = "info";
  std::string test_ca, test_connect_to;
  bool no_fetch = false, bench = false, debug_routes = false;
  std::int64_t request_timeout_ms = 30000, idle_timeout_ms = 60000;
  app.add_option("--address", cfg.address, "listen address (default 127.0.0.1)");
  app.add_option("--port,-p", cfg.port, "listen port (default 8080; 0 picks a free one)");
  app.add_option("--static-dir", static_dir,
                 "serve the dashboard build from here (web/dist; default: PREFIX/share/sesami/web "
                 "beside an installed PREFIX/bin/sesami)");
  app.add_option("--sns-cert-dir", cert_dir,
                 "SNS signing certificates: read before fetching, fetched ones saved here "
                 "(default: sns-certs next to the database)");
  app.add_flag("--no-sns-fetch", no_fetch, "never fetch SNS certificates; use --sns-cert-dir only");
  int sns_min_version = 1;
  app.add_option("--sns-min-signature-version", sns_min_version,
                 "2: refuse SNS messages signed with SHA1 (SignatureVersion 1); default 1")
      ->check(CLI::Range(1, 2));
  app.add_option("--owner-email", owner_email,
                 "email address (the sign-in) of the owner created on first start, with a "
                 "one-time password (default admin@localhost)")
      ->envname("SESAMI_OWNER_EMAIL");
  app.add_option("--body-limit", cfg.body_limit, "largest request body in bytes (default 1 MiB)");
  app.add_option("--header-limit", cfg.header_limit, "largest request header in bytes (16 KiB)");
  app.add_option("--request-timeout-ms", request_timeout_ms,
                 "a whole request must arrive within this (default 30000)");
  app.add_option("--idle-timeout-ms", idle_timeout_ms, "keep-alive idle limit (default 60000)");
  // Descriptors first: the soft limit raised to the hard one, the connection limits sized from it.
  const std::size_t nofile = http::raise_nofile_limit();
  cfg.max_connections = http::default_max_connections(nofile);
  app.add_option("--max-connections", cfg.max_connections,
                 "beyond this, 503 (default: the descriptor limit less 64 and an eighth, at most "
                 "65536; " +
                     std::to_string(cfg.max_connections) + " here)");
  app.add_option("--max-connections-per-client", cfg.max_connections_per_client,
                 "connections one client address may hold; beyond, 503 (default: a quarter of "
                 "--max-connections, at least 16, at most 256; raise it behind a reverse proxy)");
  app.add_option("--io-threads", cfg.io_threads, "socket threads (default 2)");
  app.add_option("--workers", cfg.worker_threads, "request handler threads (default 64)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error (default info)");
  app.add_flag("--bench-endpoint", bench, "add POST /bench/bare (benchmark reference; no storage)");
  // Test-only: never needed in production, named so nobody mistakes them for settings.
  app.add_option(
         "--test-sns-ca", test_ca,
         "TEST ONLY: trust SNS certificates issued by this CA, and HTTPS fetches signed by it")
      ->group("");
  app.add_option("--test-sns-connect-to", test_connect_to,
                 "TEST ONLY: fetch SNS certificates and SubscribeURLs from HOST:PORT")
      ->group("");
  app.add_flag("--test-debug-routes", debug_routes, "TEST ONLY: add GET /debug/fail")->group("");
  // Sending (issue #5).
  std::string public_url, sim_engagement = "off";
  app::simulator_options simo;
  app::mail_options mo;
  app.add_option("--public-url", public_url,
                 "this server's URL as mail recipients reach it; unsubscribe links point below it "
                 "(default http://ADDRESS:PORT)");
  app.add_option("--simulator-rate", simo.max_send_rate,
                 "the offline simulator's max send rate, messages/s (default 14, like a new SES "
                 "account)");
  app.add_option("--simulator-engagement", sim_engagement,
                 "on: the simulator adds opens and clicks after delivery (default off)")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--test-simulator-throttle", simo.throttle_first,
                 "TEST ONLY: the simulator's first N calls answer throttled")
      ->group("");
  app.add_option("--test-bulk-lease-ms", mo.bulk_lease_ms,
                 "TEST ONLY: a dead bulk worker's job is taken over after this (default 30000)")
      ->group("");
  app.add_option("--test-mail-backoff-ms", mo.backoff_base_ms,
                 "TEST ONLY: first retry delay of a throttled send (default 100)")
      ->group("");
  // The customer's AWS (issue #5): SESami's own credentials come from the standard sources
  // (AWS_ACCESS_KEY_ID..., AWS_PROFILE, container / instance role); endpoints overridable for
  // tests.
  std::string aws_sts_endpoint, aws_ses_endpoint, aws_ca_file;
  app.add_option("--aws-sts-endpoint", aws_sts_endpoint,
                 "STS endpoint URL instead of https://sts.REGION.amazonaws.com "
                 "(env SESAMI_AWS_STS_ENDPOINT)")
      ->envname("SESAMI_AWS_STS_ENDPOINT");
  app.add_option("--aws-ses-endpoint", aws_ses_endpoint,
                 "SES v2 endpoint URL instead of https://email.REGION.amazonaws.com "
                 "(env SESAMI_AWS_SES_ENDPOINT)")
      ->envname("SESAMI_AWS_SES_ENDPOINT");
  // Issue 16: where SQS requests go is the operator's choice, never a tenant's queue URL; SESami's
  // own event-bus queue; and the outbound-URL policy for URLs a tenant or the internet supplies.
  std::string aws_sqs_endpoint, event_bus_queue;
  bool allow_private_targets = false;
  app.add_option("--aws-sqs-endpoint", aws_sqs_endpoint,
                 "SQS endpoint URL instead of https://sqs.REGION.amazonaws.com, for every queue "
                 "(a VPC endpoint; tests) (env SESAMI_AWS_SQS_ENDPOINT)")
      ->envname("SESAMI_AWS_SQS_ENDPOINT");
  app.add_option("--event-bus-queue", event_bus_queue,
                 "SESami's own SQS queue behind its shared event bus "
                 "(https://sqs.REGION.amazonaws.com/ACCOUNT/NAME): read with SESami's own AWS "
                 "credentials, each event stored in the workspaces that proved its account");
  app.add_flag("--allow-private-targets", allow_private_targets,
               "let URLs from tenants and the internet (SNS SubscribeURLs) reach loopback, "
               "private, link-local and CGNAT addresses (never cloud metadata addresses)");
  // Outbound webhooks (issue #18).
  app::webhook_options who;
  bool allow_private_webhooks = false;
  app.add_flag("--allow-private-webhooks", allow_private_webhooks,
               "let webhook endpoints use http:// and loopback, private, link-local and CGNAT "
               "addresses (a self-hosted intranet, tests; never cloud metadata addresses)");
  app.add_option("--webhook-timeout-ms", who.timeout_ms,
                 "how long one webhook delivery attempt may take (default 15000)")
      ->check(CLI::Range(100L, 120'000L));
  app.add_option("--test-webhook-backoff-scale", who.backoff_scale,
                 "TEST ONLY: multiplies the webhook retry schedule (default 1)")
      ->group("");
  app.add_option("--test-webhook-lease-ms", who.lease_ms,
                 "TEST ONLY: a dead node's webhook deliveries are taken over after this")
      ->group("");
  app.add_option("--test-webhook-disable-after-ms", who.disable_after_ms,
                 "TEST ONLY: an endpoint failing this long is disabled (default 5 days)")
      ->group("");
  // SQS ingestion and suppression sync (issue #5).
  int sync_minutes = 15;
  app.add_option("--suppression-sync-minutes", sync_minutes,
                 "sync suppression lists with SES every N minutes (default 15; 0: on demand only)");
  std::int64_t aws_reconcile_ms = 15000;
  app.add_option("--test-aws-reconcile-ms", aws_reconcile_ms,
                 "TEST ONLY: how soon a changed AWS connection starts or stops its SQS poller")
      ->group("");
  app.add_option("--aws-ca-file", aws_ca_file,
                 "PEM bundle trusted for AWS endpoints (default: the system's)");
  // Several nodes (issue #8): shared credential cache, send-rate buckets and SNS dedupe.
  std::string redis_url, redis_key_file;
  app.add_option("--redis", redis_url,
                 "share state with other nodes through Redis: redis://[:PASSWORD@]HOST[:PORT][/DB] "
                 "(env SESAMI_REDIS; needs --redis-key-file)")
      ->envname("SESAMI_REDIS");
  app.add_option("--redis-key-file", redis_key_file,
                 "32-byte key (64 hex digits or base64) sealing the credentials cached in Redis "
                 "(env SESAMI_REDIS_KEY_FILE)")
      ->envname("SESAMI_REDIS_KEY_FILE");
  // Operational surfaces (issue #16): secrets at rest and who reads /metrics.
  std::string secret_key_file, metrics_token_file, metrics_address;
  app.add_option("--secret-key-file", secret_key_file,
                 "32-byte server key sealing the secrets kept in the database (the unsubscribe "
                 "key); made owner-only on first start when missing (default: DB.key next to an "
                 "SQLite database, sesami.key in the working directory with PostgreSQL; every "
                 "node of one database needs the same file) (env SESAMI_SECRET_KEY_FILE)")
      ->envname("SESAMI_SECRET_KEY_FILE");
  app.add_option("--metrics-token-file", metrics_token_file,
                 "GET /metrics on the main listener answers `Authorization: Bearer <the file's "
                 "content>` (at least 32 characters, e.g. `openssl rand -hex 32`); without it "
                 "and --metrics-address, /metrics is not served (env SESAMI_METRICS_TOKEN_FILE)")
      ->envname("SESAMI_METRICS_TOKEN_FILE");
  app.add_option("--metrics-address", metrics_address,
                 "serve GET /metrics without credentials on HOST:PORT (e.g. 127.0.0.1:9464), an "
                 "address only the scraper reaches");
  std::string ses_api_address;
  app.add_option("--ses-api-address", ses_api_address,
                 "also serve the SES API (v2 under /v2/email, the v1 Query API at POST /) alone on "
                 "HOST:PORT, for an endpoint URL without the dashboard (it is on the main "
                 "listener either way)");
  double ingest_grace_hours = 24;  // issue #17: a rotated ingestion token's grace
  app.add_option("--ingest-token-grace-hours", ingest_grace_hours,
                 "a rotated ingestion token and secret keep working this long (default 24; 0: "
                 "they stop at once)")
      ->check(CLI::Range(0.0, 24.0 * 365));
  oidc_flags oidc_f;  // sign in with OpenID Connect (issue #17)
  add_oidc_flags(app, oidc_f);
  derive_env_names(app);  // every option: SESAMI_<LONG_NAME> (serve_env.hpp, docs/cli.md)
  if (int rc = parse_args(app, a); rc >= 0) return rc;
  if (static_dir.empty()) static_dir = installed_web_dir();
  std::string oidc_error;
  auto oidc_opt = oidc_options_from(oidc_f, public_url, allow_private_targets, oidc_error);
  if (!oidc_error.empty()) {
    std::fprintf(stderr, "sesami serve: %s\n", oidc_error.c_str());
    return 2;
  }
  if (!event_bus_queue.empty())
    if (auto q = aws::parse_sqs_queue_url(event_bus_queue); !q) {
      std::fprintf(stderr, "sesami serve: --event-bus-queue: %s\n", q.error().c_str());
      return 2;
    }
  if (!app::valid_email(owner_email)) {  // the sign-in form would refuse it: say so now
    std::fprintf(stderr,
                 "sesami serve: --owner-email '%s' is not an email address (the sign-in is one, "
                 "e.g. admin@localhost)\n",
                 owner_email.c_str());
    return 2;
  }
  cfg.request_timeout = std::chrono::milliseconds(request_timeout_ms);
  cfg.idle_timeout = std::chrono::milliseconds(idle_timeout_ms);

  http::log::init(spdlog::level::from_str(log_level));

  // Signals are taken by this thread alone (sigwait below): block them before any thread starts.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // Redis: checked before anything is written. Unreachable at start is not fatal: the node runs
  // on its in-process versions until the probe finds Redis (logged, and in /health).
  std::optional<redis::client> shared;
  redis::secret_key redis_key{};
  if (!redis_url.empty()) {
    auto rc = redis::parse_url(redis_url);
    if (!rc) {
      std::fprintf(stderr, "sesami serve: --redis: %s\n", rc.error().c_str());
      return 2;
    }
    if (redis_key_file.empty()) {
      std::fprintf(stderr,
                   "sesami serve: --redis needs --redis-key-file (or SESAMI_REDIS_KEY_FILE): "
                   "credentials cached in Redis are encrypted with it\n");
      return 2;
    }
    auto k = redis::load_key_file(redis_key_file);
    if (!k) {
      std::fprintf(stderr, "sesami serve: %s\n", k.error().c_str());
      return 2;
    }
    redis_key = *k;
    shared.emplace(*rc, [where = redis::redacted(*rc)](bool up, std::string_view why) {
      if (up)
        http::log::info("redis available: sharing the credential cache, rate buckets and dedupe",
                        {{"redis", where}});
      else
        http::log::warn("redis unavailable: using the in-process cache, rate buckets and dedupe",
                        {{"redis", where}, {"reason", why}});
    });
    shared->start_probe();
  }

  // The metrics token and the private metrics listener's address: checked before anything opens.
  std::string metrics_token;
  if (!metrics_token_file.empty()) {
    std::ifstream in(metrics_token_file, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    const std::string text = std::move(ss).str();
    if (!in && !in.eof()) {
      std::fprintf(stderr, "sesami serve: %s: cannot read the metrics token file\n",
                   metrics_token_file.c_str());
      return 2;
    }
    const auto first = text.find_first_not_of(" \t\r\n");
    const auto last = text.find_last_not_of(" \t\r\n");
    if (first != std::string::npos) metrics_token = text.substr(first, last - first + 1);
    if (metrics_token.size() < 32 || metrics_token.find_first_of(" \t\r\n") != std::string::npos) {
      std::fprintf(stderr,
                   "sesami serve: %s: the metrics token must be one word of at least 32 "
                   "characters (e.g. `openssl rand -hex 32`)\n",
                   metrics_token_file.c_str());
      return 2;
    }
  }
  std::optional<http::server_config> metrics_cfg;
  if (!metrics_address.empty()) {
    const auto where = listen_address("--metrics-address", metrics_address);
    if (!where) return 2;
    metrics_cfg.emplace();
    metrics_cfg->address = where->first;
    metrics_cfg->port = where->second;
    metrics_cfg->max_connections = 64;
    metrics_cfg->io_threads = 1;
    metrics_cfg->worker_threads = 2;
  }

  std::optional<http::server_config> ses_cfg;
  if (!ses_api_address.empty()) {
    const auto where = listen_address("--ses-api-address", ses_api_address);
    if (!where) return 2;
    ses_cfg = cfg;  // the main listener's limits and timeouts
    ses_cfg->address = where->first;
    ses_cfg->port = where->second;
  }

  // The server key: sealed database secrets open only with it. Made on first start.
  if (secret_key_file.empty()) secret_key_file = default_secret_key_file(sa.db);
  auto server_key = app::load_or_create_key_file(secret_key_file, "the server key");
  if (!server_key) {
    std::fprintf(stderr, "sesami serve: --secret-key-file %s\n", server_key.error().c_str());
    return 2;
  }
  if (server_key->created)
    http::log::info(
        "created the server key file (keep it: the database's secrets open only with it)",
        {{"file", secret_key_file}});
  for (const auto& [file, flag] : {std::pair{secret_key_file, "--secret-key-file"},
                                   std::pair{redis_key_file, "--redis-key-file"},
                                   std::pair{metrics_token_file, "--metrics-token-file"}})
    if (!file.empty() && app::readable_by_others(file))
      http::log::warn("a key file is readable by other users of this machine: chmod 600 it",
                      {{"file", file}, {"flag", flag}});
  const app::secret_box db_secrets(app::database_key(server_key->key));
  server_key->key.fill(0);

  // A pending migration of an SQLite database runs only after a copy of it is made (issue #21).
  if (auto saved = store::backup_before_migration(sa.db); !saved) {
    std::fprintf(stderr, "sesami serve: %s\n", saved.error().message.c_str());
    return 2;
  } else if (*saved) {
    http::log::info("backed up the database before migrating it", {{"backup", **saved}});
  }
  auto st = store::open_store(sa.db);  // a postgresql:// URL or an SQLite file
  if (!st) {
    http::log::error("cannot open the database", {{"error", st.error().message}});
    std::fprintf(stderr, "sesami serve: %s\n", st.error().message.c_str());
    return 2;
  }
  auto acc = store::open_accounts(sa.db);
  if (!acc) {
    std::fprintf(stderr, "sesami serve: %s\n", acc.error().message.c_str());
    return 2;
  }
  app::auth auth(**st, **acc, &db_secrets);  // seals SigV4 secrets and ingestion tokens
  auth.set_ingest_grace(static_cast<std::int64_t>(ingest_grace_hours * 3600 * 1000));
  auto boot = auth.bootstrap_owner(sa.workspace, owner_email);
  if (!boot) {
    std::fprintf(stderr, "sesami serve: cannot create the first owner: %s\n",
                 boot.error().message.c_str());
    return 2;
  }
  if (*boot && oidc_f.disable_password_login) {
    std::printf(
        "sesami: created owner %s in workspace '%s'\n"
        "sesami: sign in with %s as %s\n",
        owner_email.c_str(), sa.workspace.c_str(), oidc_opt->provider_name.c_str(),
        owner_email.c_str());
  } else if (*boot) {
    // Printed once, to the terminal only (never to the log). Stable lines: scripts/run and the
    // README-following test read them.
    std::printf(
        "sesami: created owner %s in workspace '%s'\n"
        "sesami: sign in with email: %s\n"
        "sesami: one-time password: %s\n"
        "sesami: the first sign-in asks for a new password.\n",
        owner_email.c_str(), sa.workspace.c_str(), owner_email.c_str(), (*boot)->c_str());
  } else {
    std::printf(
        "sesami: users exist; a forgotten password: sesami user reset-password EMAIL --db %s\n",
        store::is_postgres_url(sa.db) ? "postgresql://..." : sa.db.c_str());
  }
  std::fflush(stdout);

  aws::sns_verifier_options vo;
  vo.cert_dir = cert_dir.empty() ? (store::is_postgres_url(sa.db)
                                        ? std::filesystem::path("sns-certs")
                                        : std::filesystem::path(sa.db).parent_path() / "sns-certs")
                                 : std::filesystem::path(cert_dir);
  vo.allow_fetch = !no_fetch;
  vo.min_signature_version = sns_min_version;
  if (vo.allow_fetch) {
    // Made now, owner-only: certificates read from it are trusted, and a failure shows at start.
    if (auto ec = app::create_private_directory(vo.cert_dir))
      http::log::warn(
          "cannot create the SNS certificate directory; fetched certificates stay in memory",
          {{"dir", vo.cert_dir.string()}, {"error", ec.message()}});
  }
  vo.extra_ca_file = test_ca;
  vo.connect_to = test_connect_to;
  vo.allow_private_targets = allow_private_targets;
  aws::sns_verifier sns(vo);

  http::metrics stats;
  http::router routes;
  routes.on_internal_error = [](const http::context& ctx, std::string_view what) {
    http::log::error("handler failed",
                     {{"requestId", ctx.request_id}, {"route", ctx.route}, {"error", what}});
  };
  http::api_deps deps{**st, **acc, auth, sns, stats};
  // Pipeline health (issue #18): every ingestion path records its source's deliveries here.
  auto health_db = store::open_pipeline_health(sa.db);
  if (!health_db) {
    std::fprintf(stderr, "sesami serve: %s\n", health_db.error().message.c_str());
    return 2;
  }
  app::pipeline_health health(**health_db);
  deps.health = &health;
  simo.health = &health;
  // Sending: the simulator unless a workspace has an AWS connection (the SES transport plugs in
  // through the resolver).
  simo.engagement = sim_engagement == "on";
  app::simulator simulator(**st, simo);
  app::local_rate_limiter limiter;
  std::optional<redis::rate_limiter> shared_limiter;
  if (shared) shared_limiter.emplace(*shared);
  app::rate_limiter& rate_limit =
      shared_limiter ? static_cast<app::rate_limiter&>(*shared_limiter) : limiter;
  auto mail_db = store::open_mail(sa.db);
  if (!mail_db) {
    std::fprintf(stderr, "sesami serve: %s\n", mail_db.error().message.c_str());
    return 2;
  }
  // AWS: SESami's own credentials → AssumeRole per workspace (cached in memory) → SES v2.
  aws::http_client_options aho;
  aho.ca_file = aws_ca_file;
  aws::http_client aws_http(aho);
  aws::credentials_provider own_creds(aws::process_env(), aws_http);
  aws::memory_credential_cache sts_cache;
  std::optional<redis::credential_cache> shared_sts;
  if (shared)
    shared_sts.emplace(
        *shared, redis_key, [](int level, std::string_view msg, std::string_view key) {
          http::log::write(static_cast<spdlog::level::level_enum>(level), msg, {{"redisKey", key}});
        });
  redis_key.fill(0);
  aws::credential_cache& sts =
      shared_sts ? static_cast<aws::credential_cache&>(*shared_sts) : sts_cache;
  aws::role_credentials_options rco;
  rco.sts_endpoint_override = aws_sts_endpoint;
  aws::role_credentials roles(
      aws_http, [&own_creds] { return own_creds.get(); }, sts, rco);
  auto aws_db = store::open_aws_connections(sa.db);
  if (!aws_db) {
    std::fprintf(stderr, "sesami serve: %s\n", aws_db.error().message.c_str());
    return 2;
  }
  app::aws_connection_service aws_conns(**aws_db, roles, aws_http, aws_ses_endpoint);
  deps.aws = &aws_conns;
  // SQS pollers for workspaces in "sqs" mode, and the suppression sync with SES.
  auto sync_db = store::open_suppression_sync(sa.db);
  if (!sync_db) {
    std::fprintf(stderr, "sesami serve: %s\n", sync_db.error().message.c_str());
    return 2;
  }
  app::aws_ingest_options aio;
  aio.ses_endpoint = aws_ses_endpoint;
  aio.sqs_endpoint = aws_sqs_endpoint;
  aio.event_bus_queue = event_bus_queue;
  aio.sync_every = std::chrono::minutes(sync_minutes);
  aio.reconcile_every = std::chrono::milliseconds(aws_reconcile_ms);
  aio.poller.health = &health;
  // SESami's own identity reads SESami's own event-bus queue; a workspace's queue only its role.
  aio.own_credentials = [&own_creds]() -> boost::system::result<aws::credentials, std::string> {
    auto c = own_creds.get();
    if (!c) return {boost::system::in_place_error, c.error().message};
    return c->creds;
  };
  app::aws_ingest aws_ingest(**st, **aws_db, **sync_db, roles, aws_http, aio,
                             [](int level, std::string_view msg, boost::json::object f) {
                               http::log::write(static_cast<spdlog::level::level_enum>(level), msg,
                                                std::move(f));
                             });
  deps.sync = &aws_ingest.syncer();
  deps.extra_metrics = [&aws_ingest](std::string& out) { aws_ingest.render_metrics(out); };
  std::optional<redis::sns_dedupe> shared_dedupe;
  if (shared) {
    shared_dedupe.emplace(*shared);
    deps.sns_dedupe = &*shared_dedupe;
    deps.extra_health = [&shared](boost::json::object& o) {
      const auto since =
          std::chrono::duration_cast<std::chrono::milliseconds>(shared->since().time_since_epoch())
              .count();
      o["redis"] = {{"status", shared->available() ? "ok" : "unavailable"},
                    {"since", sesami::detail::format_iso8601(since)}};
    };
  }
  aws::ses_transport ses(
      aws_http, roles, [&aws_conns](std::string_view ws) { return aws_conns.lookup(ws); },
      aws_ses_endpoint);
  mo.public_url = public_url;
  // A workspace with an AWS connection sends through SES in its account; the others through the
  // simulator. The rate bucket is per customer account and region, at the account's real
  // MaxSendRate (SES GetAccount through the role, re-read every 10 minutes); SES's starting rate
  // (14/s) until it is known or when GetAccount fails.
  struct known_rate {
    double per_second = 0;
    std::chrono::steady_clock::time_point fetched;
  };
  std::mutex rates_mu;
  std::map<std::string, known_rate, std::less<>> rates;
  auto account_rate = [&](const aws::workspace_aws& conn, const std::string& key) -> double {
    constexpr double ses_starting_rate = 14;
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(rates_mu);
      if (auto it = rates.find(key);
          it != rates.end() && now - it->second.fetched < std::chrono::minutes(10))
        return it->second.per_second;
    }
    double rate = ses_starting_rate;
    if (auto role = roles.get(conn.target)) {
      aws::ses_v2_client client(aws_http, conn.target.region, aws_ses_endpoint);
      if (auto acct = client.get_account(role->creds); acct && acct->max_send_rate > 0)
        rate = acct->max_send_rate;
    }
    std::lock_guard lock(rates_mu);
    rates[key] = known_rate{rate, now};
    return rate;
  };
  app::transport_resolver pick = [&simulator, &ses, &aws_conns, &account_rate](
                                     std::string_view ws) -> app::outcome<app::transport_choice> {
    if (auto conn = aws_conns.lookup(ws)) {
      const auto& arn = conn->target.role_arn;  // arn:aws:iam::<account>:role/...
      const auto account = arn.size() > 25 ? arn.substr(arn.find("::") + 2, 12) : arn;
      auto key = "ses:" + account + ":" + conn->target.region;
      const double rate = account_rate(*conn, key);
      return app::transport_choice{&ses, conn->configuration_set, std::move(key), rate};
    }
    return app::transport_choice{&simulator, "sesami-simulator", "simulator",
                                 simulator.options().max_send_rate};
  };
  std::optional<app::mailer> mailer;
  try {
    mailer.emplace(**st, **mail_db, rate_limit, pick, db_secrets, mo);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sesami serve: %s\n", e.what());
    return 2;
  }
  deps.mail = &*mailer;
  // Topics and preferences (issue #20): /topics, /contacts, "topic" on sends, the preference page.
  auto topic_db = store::open_topics(sa.db);
  if (!topic_db) {
    std::fprintf(stderr, "sesami serve: %s\n", topic_db.error().message.c_str());
    return 2;
  }
  app::topics topics(**topic_db, **st);
  deps.topics = &topics;
  mailer->set_topics(&topics);
  // Email templates (issue #20): SES's own when connected (through the role), else SESami's.
  auto template_db = store::open_templates(sa.db);
  if (!template_db) {
    std::fprintf(stderr, "sesami serve: %s\n", template_db.error().message.c_str());
    return 2;
  }
  aws::ses_templates ses_tmpl(
      aws_http, roles, [&aws_conns](std::string_view ws) { return aws_conns.lookup(ws); },
      aws_ses_endpoint);
  app::template_service templates(**template_db, &ses_tmpl);
  deps.templates = &templates;
  mailer->set_templates(&templates);
  auto webhook_db = store::open_webhooks(sa.db);
  if (!webhook_db) {
    std::fprintf(stderr, "sesami serve: %s\n", webhook_db.error().message.c_str());
    return 2;
  }
  // The reputation guard and the alerts (issue #18): state in the store, alerts to the bell, the
  // webhook outbox and the owners' mail (sent through the workspace's own path).
  auto guard_db = store::open_guard(sa.db);
  if (!guard_db) {
    std::fprintf(stderr, "sesami serve: %s\n", guard_db.error().message.c_str());
    return 2;
  }
  app::alert_options alo;
  alo.log = [](int level, std::string_view msg, std::string_view id) {
    http::log::write(static_cast<spdlog::level::level_enum>(level), msg, {{"alert", id}});
  };
  app::alerts alerts(**guard_db, &**webhook_db, **acc, alo);
  alerts.set_mailer(&*mailer);
  app::reputation_guard guard(**st, **guard_db, alerts);
  mailer->set_gate([&guard](std::string_view ws, bool bulk) { return guard.gate(ws, bulk); });
  deps.guard = &guard;
  deps.alerts = &alerts;
  app::silence_alerts silence(**st, health, alerts, &aws_conns);
  who.on_disabled = [&alerts](std::string_view ws, std::string_view id, std::string_view url) {
    (void)app::raise_alert(
        alerts, ws,
        {"webhook_disabled",
         "Webhook endpoint disabled after failing for days: " + std::string(url),
         "Every delivery to " + std::string(url) + " (endpoint " + std::string(id) +
             ") failed for days; SESami stopped sending to it. Messages stay in its delivery log.",
         "Fix the receiver (GET /webhooks/" + std::string(id) +
             "/deliveries shows each attempt's answer), then enable the endpoint again "
             "(PATCH /webhooks/" +
             std::string(id) + " {\"enabled\": true}) and retry the failed deliveries.",
         "webhook_disabled:" + std::string(id)});
  };
  who.policy.allow_private = who.policy.allow_http = allow_private_webhooks;
  who.ca_file = aws_ca_file;
  who.log = [](int level, std::string_view msg, std::string_view endpoint) {
    http::log::write(static_cast<spdlog::level::level_enum>(level), msg, {{"webhook", endpoint}});
  };
  app::webhooks webhooks(**webhook_db, db_secrets, who);
  deps.webhooks = &webhooks;
  // Retention (issue #21): raw events past a workspace's retention deleted in small batches.
  app::retention_options ro;
  ro.log = [](int level, std::string_view msg, std::string_view workspace, std::size_t n) {
    http::log::write(static_cast<spdlog::level::level_enum>(level), msg,
                     {{"workspace", workspace}, {"events", n}});
  };
  app::retention_purger retention(**st, ro);
  deps.retention = &retention;
  http::api_options ao;
  ao.static_dir = static_dir;
  ao.bench_endpoint = bench;
  ao.debug_routes = debug_routes;
  ao.public_url = public_url;
  ao.metrics_token = metrics_token;
  ao.ses.simulator_region = simo.region;
  ao.ses.simulator_rate = simo.max_send_rate;
  ao.password_login = !oidc_f.disable_password_login;
  // OpenID Connect: the issuer's URLs under the outbound-URL policy, through their own client.
  aws::http_client_options oho;
  oho.ca_file = oidc_f.ca_file;
  oho.max_response_bytes = 1u << 20;
  aws::http_client oidc_http(oho);
  std::optional<app::oidc_client> oidc;
  if (oidc_opt) {
    oidc.emplace(*oidc_opt, oidc_http, db_secrets);
    deps.oidc = &*oidc;
  }
  http::add_api_routes(routes, deps, ao);
  http::router metrics_routes;
  if (metrics_cfg) http::add_private_metrics_route(metrics_routes, deps);
  http::router ses_routes;
  if (ses_cfg) http::add_ses_api_routes(ses_routes, deps, ao.ses);

  http::server srv(cfg, routes, stats);
  std::string err;
  if (!srv.start(err)) {
    std::fprintf(stderr, "sesami serve: %s\n", err.c_str());
    return 2;
  }
  std::optional<http::server> metrics_srv;
  if (metrics_cfg) {
    metrics_srv.emplace(*metrics_cfg, metrics_routes, stats);
    if (!metrics_srv->start(err)) {
      std::fprintf(stderr, "sesami serve: --metrics-address: %s\n", err.c_str());
      return 2;
    }
    http::log::info("serving metrics",
                    {{"address", metrics_cfg->address}, {"port", metrics_srv->port()}});
    std::printf("sesami: metrics on http://%s:%u/metrics\n", metrics_cfg->address.c_str(),
                metrics_srv->port());
  }
  if (oidc && oidc->options().redirect_url.empty())  // likewise
    oidc->set_redirect_url("http://" + cfg.address + ":" + std::to_string(srv.port()) +
                           "/auth/oidc/callback");
  std::optional<http::server> ses_srv;
  if (ses_cfg) {
    ses_srv.emplace(*ses_cfg, ses_routes, stats);
    if (!ses_srv->start(err)) {
      std::fprintf(stderr, "sesami serve: --ses-api-address: %s\n", err.c_str());
      return 2;
    }
    http::log::info("serving the SES API",
                    {{"address", ses_cfg->address}, {"port", ses_srv->port()}});
    std::printf("sesami: SES API on http://%s:%u\n", ses_cfg->address.c_str(), ses_srv->port());
  }
  if (public_url.empty())  // known only now when --port 0 picked one
    mailer->set_public_url("http://" + cfg.address + ":" + std::to_string(srv.port()));
  mailer->start();
  aws_ingest.start();
  webhooks.start();   // resumes the outbox where the last run (or a dead node) left it
  retention.start();  // a first pass at once, then as settings change and time passes
  app::set_ingest_observer([&guard](std::string_view ws, std::span<const sesami::event> evs) {
    guard.after_ingest(ws, evs);
  });
  guard.start();
  alerts.start();
  health.start();   // merges the sources' counts into the store every few seconds
  silence.start();  // silent sources and unanswered sends become alerts, every minute
  const auto startup_us = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
  http::log::info("listening",
                  {{"address", cfg.address},
                   {"port", srv.port()},
                   {"startupUs", startup_us},
                   {"db", store::is_postgres_url(sa.db) ? store::redacted(sa.db) : sa.db}});
  // A stable line for scripts and tests to wait for.
  std::printf("sesami: listening on http://%s:%u\n", cfg.address.c_str(), srv.port());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&sigs, &sig);
  http::log::info("shutting down", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  srv.stop();
  if (metrics_srv) metrics_srv->stop();
  if (ses_srv) ses_srv->stop();
  mailer->stop();     // the bulk job in hand goes back to the queue
  webhooks.stop();    // the batch in hand is recorded; unsent claims expire with their lease
  aws_ingest.stop();  // pollers finish their batch: committed, then deleted
  simulator.stop();   // events not yet due are dropped
  retention.stop();   // after the batch in hand (each batch commits on its own)
  app::set_ingest_observer({});
  guard.stop();
  alerts.stop();  // an alert mail in hand is finished first
  silence.stop();
  health.stop();  // the last counts merged
  http::log::info("stopped");
  return 0;
}

}  // namespace sesami::cli
