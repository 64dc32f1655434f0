// API keys for programs (issue #17) through a real `sesami serve` over loopback: a key's scope is
// enforced for every route in one place (a `send` key sends and follows its sends, and can
// neither empty the suppression list nor change the AWS connection nor mint keys; a `read` key
// reads), an expired key and a revoked key are refused, and the last use is shown.
#include <sqlite3.h>

#include <string>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "proof.hpp"

using namespace sesami::test;
namespace json = boost::json;

namespace {
void sql(const fs::path& db, const std::string& text) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  sqlite3_busy_timeout(h, 5000);
  char* err = nullptr;
  const int rc = sqlite3_exec(h, text.c_str(), nullptr, nullptr, &err);
  INFO((err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(h);
  REQUIRE(rc == SQLITE_OK);
}
struct made_key {
  std::string id, key;
};
made_key make_key(http_client& c, const std::string& owner, const std::string& body) {
  auto r = c.request("POST", "/api-keys", body, bearer(owner));
  REQUIRE(r.status == 201);
  const auto o = json::parse(r.body);
  return {s(o.at("id")), s(o.at("key"))};
}
const std::string send_body =
    R"({"from":"shop@example.com","to":["success@simulator.amazonses.com"],"subject":"s","text":"t"})";
}  // namespace

TEST_CASE("security/keys: a send-scoped key sends, and manages nothing",
          "[proof][security][keys]") {
  temp_dir dir;
  const auto ws = create_workspace(dir.path / "sesami.db", "shop");
  server_process srv(dir.path);
  http_client c(srv.port());
  REQUIRE(
      c.request("POST", "/suppression-list", R"({"address":"keep@example.com"})", bearer(ws.key))
          .status == 201);
  auto made = c.request("POST", "/api-keys", R"({"name":"app","scope":"send"})", bearer(ws.key));
  REQUIRE(made.status == 201);
  const auto o = json::parse(made.body);
  CHECK(s(o.at("scope")) == "send");
  CHECK(s(o.at("role")) == "admin");  // sending needs it; the scope is what narrows it
  CHECK(s(o.at("accessKeyId")).starts_with("SESAMI"));
  CHECK(s(o.at("accessKeyId")).size() == 20);
  CHECK(s(o.at("secretAccessKey")).size() == 40);
  const auto app = s(o.at("key"));

  // What it is for.
  CHECK(c.request("POST", "/mail", send_body, bearer(app)).status == 200);
  CHECK(c.request("GET", "/mail/attempts", "", bearer(app)).status == 200);
  // The attacks: with a leaked sending key, empty the suppression list, redirect or remove the
  // AWS connection, mint an admin key, read every event.
  auto del = c.request("DELETE", "/suppression-list/keep@example.com", "", bearer(app));
  CHECK(del.status == 403);
  CHECK(code_of(del) == "auth.scope");
  CHECK(c.request("GET", "/recipients/keep@example.com", "", bearer(ws.key))
            .body.find("keep@example.com") != std::string::npos);
  auto put = c.request("PUT", "/settings/aws",
                       R"({"roleArn":"arn:aws:iam::123456789012:role/x","region":"us-east-1"})",
                       bearer(app));
  CHECK(put.status == 403);
  CHECK(code_of(put) == "auth.scope");
  CHECK(code_of(c.request("DELETE", "/settings/aws", "", bearer(app))) == "auth.scope");
  CHECK(code_of(c.request("POST", "/api-keys", R"({"role":"admin"})", bearer(app))) ==
        "auth.scope");
  CHECK(code_of(c.request("POST", "/suppression-list", R"({"address":"a@example.com"})",
                          bearer(app))) == "auth.scope");
  CHECK(code_of(c.request("GET", "/events", "", bearer(app))) == "auth.scope");

  // A read key reads, and sends nothing.
  const auto reader = make_key(c, ws.key, R"({"scope":"read"})");
  CHECK(c.request("GET", "/events", "", bearer(reader.key)).status == 200);
  CHECK(code_of(c.request("POST", "/mail", send_body, bearer(reader.key))) == "auth.scope");
  CHECK(code_of(c.request("POST", "/api-keys", R"({"scope":"read"})", bearer(reader.key))) ==
        "auth.scope");
  CHECK(c.request("POST", "/api-keys", R"({"scope":"sudo"})", bearer(ws.key)).status == 400);
}

TEST_CASE("security/keys: expired and revoked keys are refused, the last use is shown",
          "[proof][security][keys]") {
  temp_dir dir;
  const auto db = dir.path / "sesami.db";
  const auto ws = create_workspace(db, "shop");
  server_process srv(dir.path);
  http_client c(srv.port());

  CHECK(c.request("POST", "/api-keys", R"({"expiresAt":"2001-01-01T00:00:00Z"})", bearer(ws.key))
            .status == 400);
  const auto expiring =
      make_key(c, ws.key, R"({"scope":"read","expiresAt":"2999-01-01T00:00:00Z"})");
  sql(db, "UPDATE api_keys SET expires_at = 1000 WHERE id = '" + expiring.id + "'");  // passed
  auto refused = c.request("GET", "/events", "", bearer(expiring.key));
  CHECK(refused.status == 401);
  CHECK(refused.body.find("expired") != std::string::npos);

  const auto k = make_key(c, ws.key, R"({"scope":"read","name":"ci"})");
  CHECK(c.request("GET", "/events", "", bearer(k.key)).status == 200);
  auto listed = json::parse(c.request("GET", "/api-keys", "", bearer(ws.key)).body);
  bool seen = false;
  for (const auto& e : listed.at("keys").as_array())
    if (s(e.at("id")) == k.id) {
      seen = true;
      CHECK(e.at("lastUsedAt").is_string());
      CHECK(e.at("revokedAt").is_null());
      CHECK(s(e.at("scope")) == "read");
      CHECK_FALSE(e.as_object().contains("secretAccessKey"));
    }
  CHECK(seen);
  CHECK(c.request("DELETE", "/api-keys/" + k.id, "", bearer(ws.key)).status == 204);
  CHECK(c.request("GET", "/events", "", bearer(k.key)).status == 401);
  CHECK(c.request("DELETE", "/api-keys/" + k.id, "", bearer(ws.key)).status == 404);
  listed = json::parse(c.request("GET", "/api-keys", "", bearer(ws.key)).body);
  for (const auto& e : listed.at("keys").as_array())
    if (s(e.at("id")) == k.id) CHECK(e.at("revokedAt").is_string());  // still listed, revoked
}
