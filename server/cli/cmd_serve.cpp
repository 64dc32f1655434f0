// `sesami serve`: config → store → migrations → services → listener. Blocks until SIGINT or
// SIGTERM, then drains in-flight requests (their commits included) and exits 0.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "../app/auth.hpp"
#include "../aws/sns_verify.hpp"
#include "../http/api.hpp"
#include "../http/log.hpp"
#include "../http/server.hpp"
#include "../store/accounts.hpp"
#include "cmd_store_common.hpp"

namespace sesami::cli {

int run_serve(args a) {
  const auto started = std::chrono::steady_clock::now();
  CLI::App app{"Serve the HTTP API, webhook ingestion and the dashboard.", "sesami serve"};
  store_args sa;
  add_store_options(app, sa);
  http::server_config cfg;
  cfg.port = 8080;
  std::string static_dir, cert_dir, owner_email = "admin", log_level = "info";
  std::string test_ca, test_connect_to;
  bool no_fetch = false, bench = false, debug_routes = false;
  std::int64_t request_timeout_ms = 30000, idle_timeout_ms = 60000;
  app.add_option("--address", cfg.address, "listen address (default 127.0.0.1)");
  app.add_option("--port,-p", cfg.port, "listen port (default 8080; 0 picks a free one)");
  app.add_option("--static-dir", static_dir, "serve the dashboard build from here (web/dist)");
  app.add_option("--sns-cert-dir", cert_dir,
                 "SNS signing certificates: read before fetching, fetched ones saved here "
                 "(default: sns-certs next to the database)");
  app.add_flag("--no-sns-fetch", no_fetch, "never fetch SNS certificates; use --sns-cert-dir only");
  app.add_option("--owner-email", owner_email,
                 "login of the owner created on first start (default \"admin\")");
  app.add_option("--body-limit", cfg.body_limit, "largest request body in bytes (default 1 MiB)");
  app.add_option("--header-limit", cfg.header_limit, "largest request header in bytes (16 KiB)");
  app.add_option("--request-timeout-ms", request_timeout_ms,
                 "a whole request must arrive within this (default 30000)");
  app.add_option("--idle-timeout-ms", idle_timeout_ms, "keep-alive idle limit (default 60000)");
  app.add_option("--max-connections", cfg.max_connections, "beyond this, 503 (default 4096)");
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
  if (int rc = parse_args(app, a); rc >= 0) return rc;
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

  store::open_options so;
  so.path = sa.db;
  auto st = store::open_sqlite(so);
  if (!st) {
    http::log::error("cannot open the database", {{"error", st.error().message}});
    std::fprintf(stderr, "sesami serve: %s\n", st.error().message.c_str());
    return 2;
  }
  auto acc = store::open_sqlite_accounts(sa.db);
  if (!acc) {
    std::fprintf(stderr, "sesami serve: %s\n", acc.error().message.c_str());
    return 2;
  }
  app::auth auth(**st, **acc);
  auto boot = auth.bootstrap_owner(sa.workspace, owner_email);
  if (!boot) {
    std::fprintf(stderr, "sesami serve: cannot create the first owner: %s\n",
                 boot.error().message.c_str());
    return 2;
  }
  if (*boot) {
    // Printed once, to the terminal only (never to the log).
    std::printf(
        "sesami: created owner '%s' in workspace '%s' with one-time password: %s\n"
        "sesami: sign in and change it (POST /auth/password).\n",
        owner_email.c_str(), sa.workspace.c_str(), (*boot)->c_str());
    std::fflush(stdout);
  }

  aws::sns_verifier_options vo;
  vo.cert_dir = cert_dir.empty() ? std::filesystem::path(sa.db).parent_path() / "sns-certs"
                                 : std::filesystem::path(cert_dir);
  vo.allow_fetch = !no_fetch;
  vo.extra_ca_file = test_ca;
  vo.connect_to = test_connect_to;
  aws::sns_verifier sns(vo);

  http::metrics stats;
  http::router routes;
  routes.on_internal_error = [](const http::context& ctx, std::string_view what) {
    http::log::error("handler failed",
                     {{"requestId", ctx.request_id}, {"route", ctx.route}, {"error", what}});
  };
  http::api_deps deps{**st, **acc, auth, sns, stats};
  http::api_options ao;
  ao.static_dir = static_dir;
  ao.bench_endpoint = bench;
  ao.debug_routes = debug_routes;
  http::add_api_routes(routes, deps, ao);

  http::server srv(cfg, routes, stats);
  std::string err;
  if (!srv.start(err)) {
    std::fprintf(stderr, "sesami serve: %s\n", err.c_str());
    return 2;
  }
  const auto startup_us = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
  http::log::info(
      "listening",
      {{"address", cfg.address}, {"port", srv.port()}, {"startupUs", startup_us}, {"db", sa.db}});
  // A stable line for scripts and tests to wait for.
  std::printf("sesami: listening on http://%s:%u\n", cfg.address.c_str(), srv.port());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&sigs, &sig);
  http::log::info("shutting down", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  srv.stop();
  http::log::info("stopped");
  return 0;
}

}  // namespace sesami::cli
