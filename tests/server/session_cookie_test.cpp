// The session cookie's Secure attribute over a real server: set when the browser reached us over
// HTTPS (an https --public-url, X-Forwarded-Proto or Forwarded from a TLS-terminating proxy) or on
// a loopback name browsers treat as a secure context; left off over plain HTTP elsewhere, where a
// browser would drop a Secure cookie and nobody could sign in.
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace sesami::test;
namespace json = boost::json;

namespace {
using headers = std::vector<std::pair<std::string, std::string>>;

struct signed_in {
  int status = 0;
  std::string set_cookie, cookie, csrf;
};
signed_in login(http_client& c, const server_process& srv, headers h) {
  auto r = c.request("POST", "/auth/login",
                     json::serialize(json::object{{"email", "admin@localhost"},
                                                  {"password", srv.owner_password()}}),
                     h);
  signed_in out;
  out.status = r.status;
  out.set_cookie = r.header("set-cookie");
  out.cookie = out.set_cookie.substr(0, out.set_cookie.find(';'));
  if (r.status == 200) out.csrf = s(parse(r).at("csrfToken"));
  return out;
}
bool secure(const std::string& set_cookie) {
  return set_cookie.find("; Secure;") != std::string::npos;
}
}  // namespace

TEST_CASE("session cookie: Secure over HTTPS and on loopback names, not over plain remote HTTP",
          "[api][cookie]") {
  temp_dir dir;
  server_process srv(dir.path);
  http_client c(srv.port());

  struct row {
    headers h;
    bool want_secure;
  };
  const std::vector<row> rows = {
      {{{"Host", "127.0.0.1"}}, true},
      {{{"Host", "localhost:8080"}}, true},
      {{{"Host", "dash.localhost"}}, true},
      {{{"Host", "[::1]:8080"}}, true},
      {{{"Host", "127.0.0.53:80"}}, true},
      {{{"Host", "sesami.example.com"}}, false},
      {{{"Host", "10.0.0.7:8080"}}, false},
      {{{"Host", "127.example.com"}}, false},  // a name, not a loopback address
      {{{"Host", "sesami.example.com"}, {"X-Forwarded-Proto", "https"}}, true},
      {{{"Host", "sesami.example.com"}, {"X-Forwarded-Proto", "HTTPS, http"}}, true},
      {{{"Host", "sesami.example.com"}, {"X-Forwarded-Proto", "http"}}, false},
      {{{"Host", "sesami.example.com"},
        {"Forwarded", "for=192.0.2.60;proto=https;by=203.0.113.43"}},
       true},
  };
  for (const auto& [h, want] : rows) {
    auto in = login(c, srv, h);
    INFO(h.front().second << (h.size() > 1 ? " + " + h[1].second : "") << ": " << in.set_cookie);
    REQUIRE(in.status == 200);
    CHECK(secure(in.set_cookie) == want);
    CHECK(in.set_cookie.find("HttpOnly") != std::string::npos);
    CHECK(in.set_cookie.find("SameSite=Strict") != std::string::npos);
    // The cookie works either way, and logout clears it with the same attributes.
    headers with_cookie = h;
    with_cookie.emplace_back("Cookie", in.cookie);
    CHECK(c.request("GET", "/auth/session", "", with_cookie).status == 200);
    with_cookie.emplace_back("X-CSRF-Token", in.csrf);
    auto out = c.request("POST", "/auth/logout", "", with_cookie);
    REQUIRE(out.status == 204);
    CHECK(secure(out.header("set-cookie")) == want);
    CHECK(out.header("set-cookie").find("Max-Age=0") != std::string::npos);
  }
}

TEST_CASE("session cookie: an https --public-url makes it Secure whatever the request says",
          "[api][cookie]") {
  temp_dir dir;
  server_process srv(dir.path, {"--public-url", "https://sesami.example.com"});
  http_client c(srv.port());
  for (const headers& h : {headers{{"Host", "sesami.example.com"}},
                           headers{{"Host", "sesami.example.com"}, {"X-Forwarded-Proto", "http"}},
                           headers{{"Host", "10.0.0.7:8080"}}}) {
    auto in = login(c, srv, h);
    INFO(h.front().second << ": " << in.set_cookie);
    REQUIRE(in.status == 200);
    CHECK(secure(in.set_cookie));
  }
}
