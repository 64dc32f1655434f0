// Security checks through a real server, extending what tests/server covers: SNS signatures forged
// with another key or grafted from a genuine message, signing certificates fetched over TLS from a
// host that is not SNS (wrong name, expired, self-signed), certificates naming another host;
// EventBridge secrets and accounts across workspaces; session fixation, CSRF on every
// state-changing route, sign-in throttling across login names; no secret in debug logs; and
// another workspace's data unreachable by guessing its ids.
#include "../../server/aws/sns_verify.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "../server/sns_message.hpp"
#include "proof.hpp"

using namespace sesami::test;
namespace json = boost::json;

namespace {
const std::string cert_base = "https://sns.us-east-1.amazonaws.com/";

std::string sns_notification(const pki::cert& signer, const std::string& cert_file,
                             const std::string& message_id, const std::string& message) {
  return sns_message(signer, "Notification", message_id, message, "2", "", cert_base + cert_file);
}

std::string session_of(const http_response& login) {
  const auto sc = login.header("set-cookie");
  return sc.substr(0, sc.find(';'));
}
std::string login_body(const std::string& email, const std::string& password) {
  return json::serialize(json::object{{"email", email}, {"password", password}});
}
}  // namespace

TEST_CASE("security/sns: forged and grafted signatures are 403 and store nothing",
          "[proof][security]") {
  temp_dir dir;
  pki ca;
  const auto signer = ca.issue("sesami-test-signer");
  const auto rogue = ca.issue("sesami-test-rogue");  // trusted CA, but not the certificate's key
  const auto ws = create_workspace(dir.path / "sesami.db", "acme");
  for (const auto& account : {sns_topic_account, sns_real_topic_account})
    REQUIRE(run_sesami({"workspace", "connect-account", "acme", account, "--db",
                        (dir.path / "sesami.db").string()})
                .status == 0);
  write_file(dir.path / "ca.pem", ca.ca.cert_pem);
  std::filesystem::create_directories(dir.path / "certs");
  write_file(dir.path / "certs" / "SimpleNotificationService-signer.pem", signer.cert_pem);
  const std::string real_cert = "SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem";
  std::filesystem::copy_file(std::string(SESAMI_SERVER_FIXTURES) + "/sns-real/" + real_cert,
                             dir.path / "certs" / real_cert);
  server_process srv(dir.path, {"--test-sns-ca", (dir.path / "ca.pem").string(), "--no-sns-fetch"});
  http_client c(srv.port());
  const auto url = "/ingest/sns/" + ws.token;
  const auto event = fixture("ses/event-delivery.json");

  // Control: the genuine signer is accepted, so the refusals below are about the signature.
  auto good = c.request("POST", url,
                        sns_notification(signer, "SimpleNotificationService-signer.pem",
                                         "00000000-0000-0000-0000-00000000000a", event));
  REQUIRE(good.status == 200);
  CHECK(json::parse(good.body).at("stored").to_number<int>() == 1);

  const auto bounce = fixture("ses/event-bounce.json");
  auto forged = c.request("POST", url,
                          sns_notification(rogue, "SimpleNotificationService-signer.pem",
                                           "00000000-0000-0000-0000-00000000000b", bounce));
  CHECK(forged.status == 403);
  CHECK(code_of(forged) == "sns.bad_signature");

  // A genuine AWS signature moved onto another message.
  auto real = json::parse(
      read_file(std::string(SESAMI_SERVER_FIXTURES) + "/sns-real/notification-sha256.json"));
  real.as_object()["Message"] = bounce;
  auto grafted = c.request("POST", url, json::serialize(real));
  CHECK(grafted.status == 403);
  CHECK(code_of(grafted) == "sns.bad_signature");
  for (const char* sig : {"", "AAAA", "not base64 at all!", "===="}) {
    auto v = json::parse(sns_notification(signer, "SimpleNotificationService-signer.pem",
                                          "00000000-0000-0000-0000-00000000000c", bounce));
    v.as_object()["Signature"] = sig;
    auto r = c.request("POST", url, json::serialize(v));
    INFO(sig);
    CHECK(r.status == 403);
  }
  auto list = all_events(c, ws.key);
  REQUIRE(list.size() == 1);
  CHECK(list[0].at("type") == "delivery");
}

TEST_CASE("security/sns: a signing certificate is fetched only over TLS that names the SNS host",
          "[proof][security]") {
  pki ca;
  const auto signer = ca.issue("sesami-test-signer");
  const std::string file = "SimpleNotificationService-fetched.pem";
  struct tls_case {
    std::string name;
    pki::cert host;
    bool accepted;
  };
  const std::string sns_host = "sns.us-east-1.amazonaws.com";
  const tls_case cases[] = {
      {"a certificate for another host", ca.issue("sns.evil.example", false, {-3600, 86400}),
       false},
      {"an expired certificate", ca.issue(sns_host, false, {-30 * 86400, -86400}), false},
      {"a certificate not yet valid", ca.issue(sns_host, false, {86400, 30 * 86400}), false},
      {"a self-signed certificate", ca.issue(sns_host, true, {-3600, 86400}), false},
      {"the right host, issued by the trusted CA", ca.issue(sns_host, false, {-3600, 86400}), true},
  };
  for (const auto& tc : cases) {
    INFO(tc.name);
    temp_dir dir;
    const auto ws = create_workspace(dir.path / "sesami.db", "acme");
    REQUIRE(run_sesami({"workspace", "connect-account", "acme", sns_topic_account, "--db",
                        (dir.path / "sesami.db").string()})
                .status == 0);
    write_file(dir.path / "ca.pem", ca.ca.cert_pem);
    https_stub stub(tc.host, {{"/" + file, signer.cert_pem}});
    server_process srv(dir.path,
                       {"--test-sns-ca", (dir.path / "ca.pem").string(), "--test-sns-connect-to",
                        "127.0.0.1:" + std::to_string(stub.port())});
    http_client c(srv.port());
    auto r = c.request("POST", "/ingest/sns/" + ws.token,
                       sns_notification(signer, file, "00000000-0000-0000-0000-0000000000f1",
                                        fixture("ses/event-delivery.json")));
    INFO(r.body);
    CHECK(stub.connections() >= 1);  // it tried: the refusal is the TLS check's
    if (tc.accepted) {
      CHECK(r.status == 200);
      CHECK(std::filesystem::exists(dir.path / "certs" / file));
      CHECK(all_events(c, ws.key).size() == 1);
    } else {
      // Unavailable, not "forged": SNS retries, and a fixed TLS setup then delivers.
      CHECK(r.status == 503);
      CHECK(code_of(r) == "sns.cert_unavailable");
      CHECK(stub.requests().empty());  // the handshake failed before any request was sent
      CHECK_FALSE(std::filesystem::exists(dir.path / "certs" / file));
      CHECK(all_events(c, ws.key).empty());
    }
  }
}

TEST_CASE("security/sns: without the test CA, a certificate naming another host is refused",
          "[proof][security]") {
  temp_dir dir;
  const auto ws = create_workspace(dir.path / "sesami.db", "acme");
  REQUIRE(run_sesami({"workspace", "connect-account", "acme", sns_topic_account, "--db",
                      (dir.path / "sesami.db").string()})
              .status == 0);
  std::filesystem::create_directories(dir.path / "certs");
  pki ca;
  struct named {
    std::string file;
    pki::cert cert;
  };
  const named certs[] = {
      {"SimpleNotificationService-evil.pem", ca.issue("sns.evil.example", true, {-3600, 86400})},
      {"SimpleNotificationService-suffix.pem",
       ca.issue("sns.amazonaws.com.evil.example", false, {-3600, 86400})},
      {"SimpleNotificationService-wild.pem",
       ca.issue("*.amazonaws.com.evil", true, {-3600, 86400})},
  };
  for (const auto& n : certs) write_file(dir.path / "certs" / n.file, n.cert.cert_pem);
  server_process srv(dir.path, {"--no-sns-fetch"});
  http_client c(srv.port());
  for (const auto& n : certs) {
    INFO(n.file);
    auto r = c.request("POST", "/ingest/sns/" + ws.token,
                       sns_notification(n.cert, n.file, "00000000-0000-0000-0000-0000000000e1",
                                        fixture("ses/event-delivery.json")));
    CHECK(r.status == 403);
    CHECK(code_of(r) == "sns.bad_cert");
  }
  CHECK(all_events(c, ws.key).empty());
}

TEST_CASE("security/eventbridge: secrets and accounts never cross workspaces",
          "[proof][security]") {
  temp_dir dir;
  const auto db = dir.path / "sesami.db";
  const auto a = create_workspace(db, "acme");
  const auto b = create_workspace(db, "beta");
  REQUIRE(run_sesami({"workspace", "connect-account", "acme", "111111111111", "--db", db.string()})
              .status == 0);
  REQUIRE(run_sesami({"workspace", "connect-account", "beta", "222222222222", "--db", db.string()})
              .status == 0);
  server_process srv(dir.path);
  http_client c(srv.port());
  auto event_from = [](const std::string& account) {
    auto v = json::parse(fixture("eventbridge/event-delivery.json"));
    v.as_object()["account"] = account;
    return json::serialize(v);
  };
  const auto url_a = "/ingest/eventbridge/" + a.token;
  // Beta's account, sent to acme with acme's own secret: not acme's account.
  auto other_account =
      c.request("POST", url_a, event_from("222222222222"), {{"X-Sesami-Secret", a.secret}});
  CHECK(other_account.status == 403);
  CHECK(code_of(other_account) == "eventbridge.account_not_connected");
  // Near misses of the secret.
  std::string upper = a.secret;
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  // (A leading space is not a near miss: HTTP strips optional whitespace around header values.)
  for (const auto& wrong :
       {a.secret.substr(0, a.secret.size() - 1), a.secret + "x", a.secret + "\t1",
        upper == a.secret ? a.secret + "X" : upper, b.secret, std::string(a.secret.size(), '0')}) {
    INFO(wrong);
    auto r = c.request("POST", url_a, event_from("111111111111"), {{"X-Sesami-Secret", wrong}});
    CHECK(r.status == 403);
    CHECK(code_of(r) == "eventbridge.bad_secret");
  }
  CHECK(c.request("POST", url_a, event_from("111111111111")).status == 403);
  // Another workspace's token: 404, whatever secret comes with it.
  CHECK(c.request("POST", "/ingest/eventbridge/" + a.token + "x", event_from("111111111111"),
                  {{"X-Sesami-Secret", a.secret}})
            .status == 404);
  CHECK(all_events(c, a.key).empty());
  CHECK(all_events(c, b.key).empty());
  // Control: the right pair works.
  CHECK(c.request("POST", url_a, event_from("111111111111"), {{"X-Sesami-Secret", a.secret}})
            .status == 200);
  CHECK(all_events(c, a.key).size() == 1);
  CHECK(all_events(c, b.key).empty());
}

TEST_CASE("security/sessions: fixation, CSRF on every state-changing route, throttling",
          "[proof][security]") {
  temp_dir dir;
  server_process srv(dir.path);
  http_client c(srv.port());
  const auto pw = srv.owner_password();

  SECTION("a session id chosen by someone else is never adopted") {
    const std::string planted = "sesami_session=attacker-chosen-0123456789abcdef";
    auto r =
        c.request("POST", "/auth/login", login_body("admin@localhost", pw), {{"Cookie", planted}});
    REQUIRE(r.status == 200);
    const auto issued = session_of(r);
    CHECK(issued != planted);
    CHECK(issued.size() > std::string("sesami_session=").size() + 20);  // an unguessable value
    CHECK(c.request("GET", "/auth/session", "", {{"Cookie", planted}}).status == 401);
    // Signing in while signed in issues a fresh id as well.
    auto again =
        c.request("POST", "/auth/login", login_body("admin@localhost", pw), {{"Cookie", issued}});
    REQUIRE(again.status == 200);
    CHECK(session_of(again) != issued);
    // The fresh session works.
    CHECK(c.request("GET", "/auth/session", "", {{"Cookie", session_of(again)}}).status == 200);
  }

  SECTION("every state-changing route refuses a cookie without the CSRF header, with no effect") {
    auto login = c.request("POST", "/auth/login", login_body("admin@localhost", pw));
    REQUIRE(login.status == 200);
    const auto cookie = session_of(login);
    const auto csrf = s(json::parse(login.body).at("csrfToken"));
    // A second session's CSRF token is no good for the first.
    auto other = c.request("POST", "/auth/login", login_body("admin@localhost", pw));
    const auto other_csrf = s(json::parse(other.body).at("csrfToken"));
    REQUIRE(other_csrf != csrf);
    const std::pair<std::string, std::string> unsafe[] = {
        {"POST /suppression-list", R"({"address":"csrf@example.com"})"},
        {"DELETE /suppression-list/keep%40example.com", ""},
        {"POST /api-keys", R"({"name":"csrf","role":"owner"})"},
        {"POST /users", R"({"email":"csrf@example.com","role":"owner"})"},
        {"PATCH /users/u_any", R"({"role":"viewer"})"},
        {"DELETE /users/u_any", ""},
        {"POST /invitations/inv_any/accept", ""},
        {"POST /invitations/inv_any/decline", ""},
        {"POST /workspace/ingest-token", ""},
        {"POST /workspace/aws-accounts", R"({"accountId":"333333333333"})"},
        {"POST /auth/password",
         R"({"currentPassword":")" + pw + R"(","newPassword":"csrf-changed-1"})"},
        {"POST /mail",
         R"({"from":"a@example.com","to":["b@example.com"],"subject":"s","text":"t"})"},
        {"POST /auth/logout", ""},
    };
    // Something for DELETE to (not) remove.
    REQUIRE(c.request("POST", "/suppression-list", R"({"address":"keep@example.com"})",
                      {{"Cookie", cookie}, {"X-CSRF-Token", csrf}})
                .status == 201);
    auto state = [&] {
      std::string out;
      for (const char* t : {"/suppression-list", "/api-keys", "/users", "/workspace/aws-accounts"})
        out += c.request("GET", t, "", {{"Cookie", cookie}}).body;
      return out;
    };
    const auto before = state();
    for (const auto& [route, body] : unsafe) {
      const auto sp = route.find(' ');
      for (const std::string& token : {std::string(), std::string("forged"), other_csrf}) {
        INFO(route << " with X-CSRF-Token '" << token << "'");
        headers h{{"Cookie", cookie}};
        if (!token.empty()) h.emplace_back("X-CSRF-Token", token);
        auto r = c.request(route.substr(0, sp), route.substr(sp + 1), body, h);
        CHECK(r.status == 403);
        CHECK(code_of(r) == "auth.csrf");
      }
    }
    CHECK(state() == before);
    // Still signed in (logout was refused too), and the password did not change.
    CHECK(c.request("GET", "/auth/session", "", {{"Cookie", cookie}}).status == 200);
    CHECK(c.request("POST", "/auth/login", login_body("admin@localhost", pw)).status == 200);
  }

  SECTION("failed sign-ins from one address are throttled across login names") {
    // Password spraying: one attempt per name, all from the same address.
    int last = 0;
    for (int i = 0; i < 6; ++i)
      last = c.request("POST", "/auth/login",
                       login_body("user" + std::to_string(i) + "@example.com", "wrong password"))
                 .status;
    CHECK(last == 429);
    auto r = c.request("POST", "/auth/login", login_body("admin@localhost", pw));
    CHECK(r.status == 429);
    CHECK_FALSE(r.header("retry-after").empty());
    CHECK(code_of(r) == "auth.throttled");
  }
}

TEST_CASE("security/logs: no password, key, token, secret or session id in debug logs",
          "[proof][security]") {
  temp_dir dir;
  const auto db = dir.path / "sesami.db";
  const auto ws = create_workspace(db, "acme");
  REQUIRE(run_sesami({"workspace", "connect-account", "acme", "123456789012", "--db", db.string()})
              .status == 0);
  std::vector<std::string> secrets{ws.key, ws.token, ws.secret};
  std::string log;
  {
    server_process srv(dir.path, {"--log-level", "debug", "--test-debug-routes"});
    http_client c(srv.port());
    secrets.push_back(srv.owner_password());
    secrets.push_back(srv.one_time_password());
    // Sign in (and fail to), change the password, use cookies and CSRF tokens.
    c.request("POST", "/auth/login", login_body("admin@localhost", "wrong-password-123"));
    secrets.push_back("wrong-password-123");
    auto login =
        c.request("POST", "/auth/login", login_body("admin@localhost", srv.owner_password()));
    REQUIRE(login.status == 200);
    const auto cookie = session_of(login);
    const auto csrf = s(json::parse(login.body).at("csrfToken"));
    secrets.push_back(cookie.substr(cookie.find('=') + 1));
    secrets.push_back(csrf);
    const std::string new_pw = "a brand new passphrase 42";
    secrets.push_back(new_pw);
    CHECK(c.request("POST", "/auth/password",
                    json::serialize(json::object{{"currentPassword", srv.owner_password()},
                                                 {"newPassword", new_pw}}),
                    {{"Cookie", cookie}, {"X-CSRF-Token", csrf}})
              .status == 204);
    // Keys made, used, used wrongly, deleted; a user invited, its token redeemed with a password.
    auto made = c.request("POST", "/api-keys", R"({"name":"k","role":"viewer"})", bearer(ws.key));
    REQUIRE(made.status == 201);
    const auto key2 = s(json::parse(made.body).at("key"));
    secrets.push_back(key2);
    CHECK(c.request("GET", "/events", "", bearer(key2)).status == 200);
    CHECK(c.request("GET", "/events", "", bearer(key2 + "x")).status == 401);
    secrets.push_back(key2 + "x");
    auto invited = c.request("POST", "/users", R"({"email":"u@example.com"})", bearer(ws.key));
    REQUIRE(invited.status == 201);
    const auto invitation = s(json::parse(invited.body).at("token"));
    secrets.push_back(invitation);
    CHECK(c.request("POST", "/invitations/redeem",
                    json::serialize(
                        json::object{{"token", invitation}, {"password", "user password 99"}}))
              .status == 200);
    secrets.push_back("user password 99");
    // Ingestion with the token and secret, right and wrong, and a token rotation.
    const auto body = fixture("eventbridge/event-delivery.json");
    CHECK(
        c.request("POST", "/ingest/eventbridge/" + ws.token, body, {{"X-Sesami-Secret", ws.secret}})
            .status == 200);
    c.request("POST", "/ingest/eventbridge/" + ws.token, body,
              {{"X-Sesami-Secret", ws.secret + "nope"}});
    c.request("POST", "/ingest/sns/" + ws.token, "{not json");
    auto rot = c.request("POST", "/workspace/ingest-token", "", bearer(ws.key));
    REQUIRE(rot.status == 200);
    secrets.push_back(s(json::parse(rot.body).at("ingestToken")));
    secrets.push_back(s(json::parse(rot.body).at("ingestSecret")));
    c.request("GET", "/debug/fail", "", bearer(ws.key));  // an error log line, with headers around
    CHECK(c.request("DELETE", "/api-keys/" + s(json::parse(made.body).at("id")), "", bearer(ws.key))
              .status == 204);
    srv.stop();
    log = srv.log();
  }
  REQUIRE(log.find("\"request\"") != std::string::npos);  // the log did capture requests
  for (const auto& secret : secrets) {
    INFO("secret of " << secret.size() << " characters");
    CHECK(log.find(secret) == std::string::npos);
  }
}

TEST_CASE("security/tenancy: another workspace's ids lead nowhere", "[proof][security]") {
  temp_dir dir;
  const auto db = dir.path / "sesami.db";
  const auto a = create_workspace(db, "acme");
  const auto b = create_workspace(db, "beta");
  for (const char* w : {"acme", "beta"})
    REQUIRE(run_sesami({"workspace", "connect-account", w, "123456789012", "--db", db.string()})
                .status == 0);
  server_process srv(dir.path);
  http_client c(srv.port());
  // Beta's own data: an event for a recipient only beta mailed, a suppression, an API key.
  auto v = json::parse(fixture("eventbridge/event-bounce.json"));
  auto& mail = v.at("detail").at("mail").as_object();
  mail["messageId"] = "beta-only-message";
  REQUIRE(c.request("POST", "/ingest/eventbridge/" + b.token, json::serialize(v),
                    {{"X-Sesami-Secret", b.secret}})
              .status == 200);
  const auto beta_events = all_events(c, b.key);
  REQUIRE(beta_events.size() == 1);
  const auto recipient = s(beta_events[0].at("recipient"));
  const auto event_id = s(beta_events[0].at("id"));
  REQUIRE(c.request("POST", "/suppression-list", R"({"address":"beta-secret@example.com"})",
                    bearer(b.key))
              .status == 201);
  auto made = c.request("POST", "/api-keys", R"({"name":"beta","role":"viewer"})", bearer(b.key));
  REQUIRE(made.status == 201);
  const auto beta_key_id = s(json::parse(made.body).at("id"));
  const auto beta_key = s(json::parse(made.body).at("key"));

  // Acme asks for all of it by id.
  CHECK(c.request("GET", "/messages/beta-only-message", "", bearer(a.key)).status == 404);
  auto rcpt = c.request("GET", "/recipients/" + recipient, "", bearer(a.key));
  INFO(rcpt.body);
  CHECK(rcpt.body.find("beta-only-message") == std::string::npos);
  CHECK(all_events(c, a.key, "&messageId=beta-only-message").empty());
  CHECK(all_events(c, a.key, "&recipient=" + recipient).empty());
  CHECK(c.request("GET", "/events?limit=1000", "", bearer(a.key)).body.find(event_id) ==
        std::string::npos);
  CHECK(c.request("GET", "/suppression-list?contains=beta-secret", "", bearer(a.key))
            .body.find("beta-secret") == std::string::npos);
  CHECK(c.request("GET", "/suppression-list?format=csv", "", bearer(a.key))
            .body.find("beta-secret") == std::string::npos);
  CHECK(c.request("DELETE", "/suppression-list/beta-secret%40example.com", "", bearer(a.key))
            .status == 404);
  CHECK(c.request("DELETE", "/api-keys/" + beta_key_id, "", bearer(a.key)).status == 404);
  CHECK(c.request("GET", "/api-keys", "", bearer(a.key)).body.find(beta_key_id) ==
        std::string::npos);
  CHECK(c.request("GET", "/users", "", bearer(a.key)).body.find("beta") == std::string::npos);
  // Naming the other workspace explicitly, with a key or a signed-in user of acme.
  for (const char* t : {"/events", "/stats", "/suppression-list", "/workspace", "/api-keys"}) {
    INFO(t);
    CHECK(c.request("GET", t, "",
                    {{"Authorization", "Bearer " + a.key}, {"X-Sesami-Workspace", "beta"}})
              .status == 404);
  }
  // Beta's things are all still there and still work.
  CHECK(c.request("GET", "/messages/beta-only-message", "", bearer(b.key)).status == 200);
  CHECK(c.request("GET", "/events", "", bearer(beta_key)).status == 200);
  CHECK(c.request("GET", "/suppression-list?contains=beta-secret", "", bearer(b.key))
            .body.find("beta-secret") != std::string::npos);
}
