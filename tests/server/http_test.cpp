// The listener and sessions of a real `sesami serve` process: keep-alive, limits, malformed HTTP,
// slow clients, the 500 path, static files, graceful shutdown.
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <thread>

#include "support.hpp"

using namespace sesami::test;
namespace json = boost::json;

namespace {
std::string error_code_of(const http_response& r) {
  return std::string(json::parse(r.body).at("error").at("code").as_string());
}
}  // namespace

TEST_CASE("serve: keep-alive, health, metrics, limits and malformed HTTP", "[http]") {
  temp_dir dir;
  auto args = metrics_token_args(dir.path);
  for (const char* a : {"--body-limit", "4096", "--header-limit", "2048", "--request-timeout-ms",
                        "700", "--test-debug-routes"})
    args.emplace_back(a);
  server_process srv(dir.path, args);

  SECTION("two requests on one kept-alive connection, then metrics count them") {
    http_client c(srv.port());
    auto a = c.request("GET", "/health");
    CHECK(a.status == 200);
    CHECK(json::parse(a.body).at("storage") == "ok");
    CHECK_FALSE(a.header("x-request-id").empty());
    auto b = c.request("GET", "/health");
    CHECK(b.status == 200);
    CHECK(b.header("x-request-id") != a.header("x-request-id"));
    auto m = c.request("GET", "/metrics", "", metrics_auth());
    CHECK(m.status == 200);
    CHECK(m.header("content-type").starts_with("text/plain"));
    CHECK(m.body.find(
              "sesami_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 2") !=
          std::string::npos);
    CHECK(m.body.find("sesami_http_connections") != std::string::npos);
  }
  SECTION("a body over the limit is 413, and the server stays up") {
    http_client c(srv.port());
    auto r = c.request("POST", "/ingest/sns/whatever", std::string(5000, 'x'));
    CHECK(r.status == 413);
    CHECK(error_code_of(r) == "http.payload_too_large");
    CHECK(http_client(srv.port()).request("GET", "/health").status == 200);
  }
  SECTION("a header over the limit is 431") {
    http_client c(srv.port());
    auto r = c.request("GET", "/health", "", {{"X-Big", std::string(3000, 'a')}});
    CHECK(r.status == 431);
  }
  SECTION("malformed HTTP is 400 and the connection closes") {
    http_client c(srv.port());
    auto out = c.raw("GET /health HTTP/1.1\r\nHost x\r\n\r\n");
    CHECK(out.starts_with("HTTP/1.1 400"));
    CHECK(out.find("http.bad_request") != std::string::npos);
    http_client d(srv.port());
    CHECK(d.raw("\x01\x02garbage\r\n\r\n").starts_with("HTTP/1.1 400"));
  }
  SECTION("a slow client is disconnected; others are served meanwhile") {
    http_client slow(srv.port());
    slow.send("GET /health HTTP/1.1\r\nHost: x\r\n");  // never finishes its header
    CHECK(http_client(srv.port()).request("GET", "/health").status == 200);
    // Returns only because the server closes the connection (its request timeout).
    const auto got = slow.read_until_closed();
    CHECK(got.find("200 OK") == std::string::npos);
    CHECK(http_client(srv.port()).request("GET", "/health").status == 200);
  }
  SECTION("a handler that throws is a 500 with a request id and a log line, not a crash") {
    http_client c(srv.port());
    auto r = c.request("GET", "/debug/fail");
    CHECK(r.status == 500);
    const auto id = std::string(json::parse(r.body).at("error").at("requestId").as_string());
    CHECK(id == r.header("x-request-id"));
    CHECK(r.body.find("deliberate") == std::string::npos);
    CHECK(c.request("GET", "/health").status == 200);  // same connection still served
    const auto log = srv.log();
    CHECK(log.find("\"msg\":\"handler failed\",\"requestId\":\"" + id + "\"") != std::string::npos);
  }
  SECTION("unknown routes are JSON 404, wrong methods 405") {
    http_client c(srv.port());
    auto r = c.request("GET", "/no/such/route");
    CHECK(r.status == 404);
    CHECK(error_code_of(r) == "http.not_found");
    CHECK(c.request("DELETE", "/health").status == 405);
  }
  CHECK(srv.stop() == 0);  // SIGTERM: graceful, exit status 0
}

TEST_CASE("serve: static files with SPA fallback and no path traversal", "[http]") {
  temp_dir dir;
  const auto web = dir.path / "web";
  std::filesystem::create_directories(web / "assets");
  write_file(web / "index.html", "<!doctype html><title>SESami</title>");
  write_file(web / "assets" / "app-1234.js", "console.log(1)");
  write_file(dir.path / "secret.txt", "do not serve");
  std::filesystem::create_symlink(dir.path / "secret.txt", web / "link.txt");
  server_process srv(dir.path, {"--static-dir", web.string()});
  http_client c(srv.port());

  auto index = c.request("GET", "/");
  CHECK(index.status == 200);
  CHECK(index.header("content-type").starts_with("text/html"));
  CHECK(index.body.find("SESami") != std::string::npos);
  auto js = c.request("GET", "/assets/app-1234.js");
  CHECK(js.status == 200);
  CHECK(js.header("content-type").starts_with("text/javascript"));
  CHECK(js.header("cache-control").find("immutable") != std::string::npos);
  // Client-side routes get the app.
  auto spa = c.request("GET", "/recipients/view/a@b.com", "", {{"Accept", "text/html,*/*"}});
  CHECK(spa.status == 200);
  CHECK(spa.body == index.body);
  CHECK(c.request("GET", "/settings/keys").body == index.body);  // no extension: a route
  // A missing asset is a real 404.
  CHECK(c.request("GET", "/assets/missing.js").status == 404);
  // Traversal, encoded or not, and symlinks out of the root.
  for (const char* t : {"/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt",
                        "/link.txt", "/assets/%5c..%5csecret.txt"}) {
    INFO(t);
    http_client fresh(srv.port());
    auto r = fresh.request("GET", t);
    CHECK(r.body.find("do not serve") == std::string::npos);
    CHECK(r.status != 200);
  }
  // API routes still win over the fallback.
  CHECK(c.request("GET", "/health").status == 200);
  CHECK(c.request("HEAD", "/").status == 200);
}

TEST_CASE("serve: connections beyond --max-connections get 503 and are closed", "[http]") {
  temp_dir dir;
  server_process srv(dir.path, {"--max-connections", "2"});
  // Served, so both are registered with the server before the third arrives. The sign-in that
  // server_process does at start closes its connections, but the server may count them until it
  // reads their end: try again until both slots are free.
  std::unique_ptr<http_client> a, b;
  for (int i = 0; i < 100; ++i) {
    a = std::make_unique<http_client>(srv.port());
    b = std::make_unique<http_client>(srv.port());
    if (a->request("GET", "/health").status == 200 && b->request("GET", "/health").status == 200)
      break;
    a.reset(), b.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(a);
  http_client c(srv.port());
  const auto out = c.read_until_closed();
  CHECK(out.starts_with("HTTP/1.1 503"));
  CHECK(out.find("http.overloaded") != std::string::npos);
  // The kept connections still work.
  CHECK(a->request("GET", "/health").status == 200);
}
