// The pure router: matching, parameters, query strings, errors and the top-level catch.
#include "../../server/http/router.hpp"

#include <stdexcept>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

using namespace sesami::http;
namespace json = boost::json;

namespace {
request make(bhttp::verb v, std::string target) {
  request r{v, target, 11};
  return r;
}
json::value body(const response& r) { return json::parse(r.body()); }
}  // namespace

TEST_CASE("router matches patterns and decodes parameters", "[router]") {
  router r;
  std::string seen;
  r.add(bhttp::verb::get, "/recipients/{address}", [&](context& c) {
    seen = c.param("address") + "|" + std::string(c.route);
    return json_response(c, bhttp::status::ok, {{"ok", true}});
  });
  r.add(bhttp::verb::get, "/events", [&](context& c) {
    seen.clear();
    for (const auto& [k, v] : c.query) seen += k + "=" + v + ";";
    return json_response(c, bhttp::status::ok, {{"ok", true}});
  });

  CHECK(r.handle(make(bhttp::verb::get, "/recipients/a%40b.com"), "id", "").result_int() == 200);
  CHECK(seen == "a@b.com|/recipients/{address}");

  CHECK(r.handle(
             make(bhttp::verb::get, "/events?type=bounce&type=open,click&recipient=%2Ax%2A&q=a+b"),
             "id", "")
            .result_int() == 200);
  CHECK(seen == "type=bounce;type=open,click;recipient=*x*;q=a b;");

  SECTION("HEAD is answered by the GET route") {
    CHECK(r.handle(make(bhttp::verb::head, "/events"), "id", "").result_int() == 200);
  }
  SECTION("a known path with another method is 405, an unknown one 404") {
    auto res = r.handle(make(bhttp::verb::post, "/events"), "rid-1", "");
    CHECK(res.result_int() == 405);
    CHECK(body(res).at("error").at("code") == "http.method_not_allowed");
    CHECK(body(res).at("error").at("requestId") == "rid-1");
    CHECK(r.handle(make(bhttp::verb::get, "/nope"), "id", "").result_int() == 404);
    CHECK(r.handle(make(bhttp::verb::get, "/recipients/a/b"), "id", "").result_int() == 404);
  }
  SECTION("bad escapes and NULs are 400, never passed on") {
    CHECK(r.handle(make(bhttp::verb::get, "/recipients/%zz"), "id", "").result_int() == 400);
    CHECK(r.handle(make(bhttp::verb::get, "/recipients/a%00b"), "id", "").result_int() == 400);
    CHECK(r.handle(make(bhttp::verb::get, "/events?x=%4"), "id", "").result_int() == 400);
    CHECK(r.handle(make(bhttp::verb::get, "events"), "id", "").result_int() == 400);
  }
}

TEST_CASE("router turns handler exceptions into a 500 with the request id", "[router]") {
  router r;
  std::string logged;
  r.on_internal_error = [&](const context& c, std::string_view what) {
    logged = c.request_id + ":" + std::string(what);
  };
  r.add(bhttp::verb::get, "/boom",
        [](context&) -> response { throw std::runtime_error("secret detail"); });
  std::string_view route;
  auto res = r.handle(make(bhttp::verb::get, "/boom"), "req-42", "", &route);
  CHECK(res.result_int() == 500);
  CHECK(route == "/boom");
  CHECK(body(res).at("error").at("code") == "internal");
  CHECK(body(res).at("error").at("requestId") == "req-42");
  // The exception's text goes to the log, not to the caller.
  CHECK(res.body().find("secret detail") == std::string::npos);
  CHECK(logged == "req-42:secret detail");
}

TEST_CASE("one place maps error codes to statuses", "[router]") {
  CHECK(status_for("sesami.bad_json") == bhttp::status::bad_request);
  CHECK(status_for("sesami.too_large") == bhttp::status::payload_too_large);
  CHECK(status_for("sns.bad_signature") == bhttp::status::forbidden);
  CHECK(status_for("sns.cert_refused") == bhttp::status::forbidden);
  CHECK(status_for("store.unavailable") == bhttp::status::service_unavailable);
  CHECK(status_for("store.not_found") == bhttp::status::not_found);
  CHECK(status_for("auth.throttled") == bhttp::status::too_many_requests);
  CHECK(status_for("aws.not_connected") == bhttp::status::conflict);
  CHECK(status_for("something.new") == bhttp::status::internal_server_error);
}

TEST_CASE("POST / (the SES v1 Query API) leaves GET / to the dashboard", "[router]") {
  router r;
  r.add(bhttp::verb::post, "/", [](context& c) {
    return json_response(c, bhttp::status::ok, {{"route", std::string(c.route)}});
  });
  r.set_fallback([](context& c) {
    return json_response(c, bhttp::status::ok, {{"route", std::string(c.route)}});
  });
  CHECK(body(r.handle(make(bhttp::verb::post, "/"), "id", "")).at("route") == "/");
  CHECK(body(r.handle(make(bhttp::verb::get, "/"), "id", "")).at("route") == "static");
  CHECK(r.handle(make(bhttp::verb::put, "/"), "id", "").result_int() == 405);
}

TEST_CASE("router hands a streamed body to the caller, or collects it", "[router]") {
  // Pieces "a", "b", then the end; or, when `fail_after` pieces are out, a failure.
  struct pieces final : body_stream {
    int n = 0, fail_after = -1;
    bool failed_ = false;
    bool next(std::string& out) override {
      if (n == fail_after) return !(failed_ = true);
      if (n == 2) return false;
      out = n++ ? "b" : "a";
      return true;
    }
    bool failed() const noexcept override { return failed_; }
  };
  int fail_after = -1;
  router r;
  r.add(bhttp::verb::get, "/stream", [&](context& c) {
    auto p = std::make_shared<pieces>();
    p->fail_after = fail_after;
    c.stream = p;
    response res{bhttp::status::ok, c.req.version()};
    res.set(bhttp::field::content_type, "text/plain");
    return res;
  });
  SECTION("the session's way: headers now, the body from the stream") {
    std::shared_ptr<body_stream> s;
    auto res = r.handle(make(bhttp::verb::get, "/stream"), "id", "", nullptr, &s);
    CHECK(res.result_int() == 200);
    CHECK(res.body().empty());
    REQUIRE(s);
    std::string piece, all;
    while (s->next(piece)) all += piece;
    CHECK(all == "ab");
  }
  SECTION("without a caller to stream it, the body is collected") {
    auto res = r.handle(make(bhttp::verb::get, "/stream"), "id", "");
    CHECK(res.result_int() == 200);
    CHECK(res.body() == "ab");
  }
  SECTION("a failure part-way is a 500 when collected") {
    fail_after = 1;
    auto res = r.handle(make(bhttp::verb::get, "/stream"), "rid", "");
    CHECK(res.result_int() == 500);
    CHECK(body(res).at("error").at("requestId") == "rid");
  }
}
