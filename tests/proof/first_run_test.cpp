// First run and access (docs/security.md §6), against the real `sesami` binary and a real
// `sesami serve`: what the first start prints is a sign-in the form accepts; a one-time password's
// session can do nothing but set a password; `sesami user reset-password` prints a password that
// works and ends the user's sessions; `sesami user add` never prints one that does not; read
// commands never create a database or a workspace by mistake.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "../../server/app/auth.hpp"
#include "proof.hpp"

using namespace sesami::test;
namespace json = boost::json;

namespace {
std::string field(const std::string& text, const std::string& label) {
  const auto at = text.find(label);
  if (at == std::string::npos) return {};
  const auto from = at + label.size();
  return text.substr(from, text.find('\n', from) - from);
}
struct session {
  int status = 0;
  std::string cookie, csrf;
  bool must_change = false;
  headers h() const { return {{"Cookie", cookie}, {"X-CSRF-Token", csrf}}; }
};
session sign_in(http_client& c, const std::string& email, const std::string& password) {
  auto r = c.request("POST", "/auth/login",
                     json::serialize(json::object{{"email", email}, {"password", password}}));
  session s;
  s.status = r.status;
  if (r.status != 200) return s;
  const auto sc = r.header("set-cookie");
  s.cookie = sc.substr(0, sc.find(';'));
  const auto body = json::parse(r.body);
  s.csrf = std::string(body.at("csrfToken").as_string());
  s.must_change = body.at("mustChangePassword").as_bool();
  return s;
}
std::string set_password_body(const std::string& current, const std::string& next) {
  return json::serialize(json::object{{"currentPassword", current}, {"newPassword", next}});
}
}  // namespace

TEST_CASE("the login rule is the form's: an email address as <input type=email> accepts it",
          "[first-run]") {
  using sesami::app::valid_email;
  for (const char* ok : {"admin@localhost", "owner@example.com", "a.b+c@mail.example.co",
                         "x!#$%&'*/=?^_`{|}~-@host-1.example"})
    CHECK(valid_email(ok));
  for (const char* bad :
       {"admin", "", "@localhost", "admin@", "a b@example.com", "a@-x.com", "a@x-.com", "a@x..com",
        "a@.x", "a@x.", "a@@x", "a@x_y.com", "\"quoted\"@x.com"})
    CHECK_FALSE(valid_email(bad));
  CHECK_FALSE(valid_email(std::string(250, 'a') + "@x.com"));  // over 254

  // The CLI and the first start apply it (the API's user creation goes through the same add_user).
  temp_dir dir;
  const auto db = (dir.path / "sesami.db").string();
  auto serve = run_sesami_err({"serve", "--db", db, "--port", "0", "--owner-email", "admin"});
  CHECK(serve.status == 2);
  CHECK(serve.err.find("not an email address") != std::string::npos);
  REQUIRE(run_sesami_err({"demo", "--db", db, "--events", "10"}).status == 0);
  auto add = run_sesami_err({"user", "add", "admin", "--db", db});
  CHECK(add.status == 2);
  CHECK(add.err.find("not an email address") != std::string::npos);
}

TEST_CASE("first start prints the sign-in, and its one-time password only sets a password",
          "[first-run]") {
  temp_dir dir;
  // The helper signs the first owner in and sets a password, as the first sign-in must; the
  // printed lines are what a newcomer copies into the form.
  server_process srv(dir.path);
  CHECK(srv.out().find("sesami: sign in with email: admin@localhost\n") != std::string::npos);
  CHECK(srv.owner_email() == "admin@localhost");
  CHECK(sesami::app::valid_email(srv.owner_email()));
  REQUIRE_FALSE(srv.one_time_password().empty());
  http_client c(srv.port());
  // The one-time password stopped working once the owner chose theirs.
  CHECK(sign_in(c, "admin@localhost", srv.one_time_password()).status == 401);
  auto owner = sign_in(c, "admin@localhost", srv.owner_password());
  REQUIRE(owner.status == 200);
  CHECK_FALSE(owner.must_change);

  // A user made with a generated password (printed once) signs in with it...
  const auto db = test_db(dir.path);
  auto add = run_sesami_err({"user", "add", "New@Example.com", "--db", db, "--role", "admin"});
  REQUIRE(add.status == 0);
  const auto otp = field(add.out, "one-time password: ");
  REQUIRE(otp.size() >= 20);
  auto s = sign_in(c, "new@example.com", otp);
  REQUIRE(s.status == 200);
  CHECK(s.must_change);
  // ... and can do nothing else until it sets one: reads, writes, key minting.
  for (auto [method, target, body] :
       {std::tuple{"GET", "/events", ""},
        {"GET", "/stats", ""},
        {"GET", "/api-keys", ""},
        {"POST", "/api-keys", R"({"name":"k","role":"admin"})"},
        {"GET", "/users", ""},
        {"POST", "/suppression-list", R"({"address":"x@example.com"})"},
        {"GET", "/settings/aws", ""},
        {"GET", "/workspace", ""},
        {"POST", "/mail",
         R"({"from":"a@example.com","to":["b@example.com"],"subject":"s","text":"t"})"}}) {
    INFO(method << " " << target);
    auto r = c.request(method, target, body, s.h());
    CHECK(r.status == 403);
    CHECK(code_of(r) == "auth.password_change_required");
  }
  auto sess = c.request("GET", "/auth/session", "", s.h());
  REQUIRE(sess.status == 200);
  CHECK(json::parse(sess.body).at("mustChangePassword").as_bool());
  // Not the one-time password again, and not without it.
  auto same = c.request("POST", "/auth/password", set_password_body(otp, otp), s.h());
  CHECK(same.status == 400);
  CHECK(
      c.request("POST", "/auth/password", set_password_body("guess-guess", "mine at last 1"), s.h())
          .status == 401);
  REQUIRE(
      c.request("POST", "/auth/password", set_password_body(otp, "mine at last 1"), s.h()).status ==
      204);
  // The same session now works; the one-time password no longer signs in.
  CHECK(c.request("GET", "/events", "", s.h()).status == 200);
  CHECK_FALSE(json::parse(c.request("GET", "/auth/session", "", s.h()).body)
                  .at("mustChangePassword")
                  .as_bool());
  CHECK(sign_in(c, "new@example.com", otp).status == 401);
  CHECK(sign_in(c, "new@example.com", "mine at last 1").status == 200);
}

TEST_CASE("user reset-password prints a one-time password that works and ends the sessions",
          "[first-run]") {
  temp_dir dir;
  server_process srv(dir.path);
  const auto db = test_db(dir.path);
  http_client c(srv.port());
  auto before = sign_in(c, "admin@localhost", srv.owner_password());
  REQUIRE(before.status == 200);
  REQUIRE(c.request("GET", "/events", "", before.h()).status == 200);

  auto reset = run_sesami_err({"user", "reset-password", "Admin@Localhost", "--db", db});
  REQUIRE(reset.status == 0);
  const auto otp = field(reset.out, "one-time password: ");
  REQUIRE(otp.size() >= 20);
  CHECK(reset.out.find("sign in with email: Admin@Localhost") != std::string::npos);
  // A session someone else may hold ends; the old password is gone.
  CHECK(c.request("GET", "/events", "", before.h()).status == 401);
  CHECK(sign_in(c, "admin@localhost", srv.owner_password()).status == 401);
  auto s = sign_in(c, "admin@localhost", otp);
  REQUIRE(s.status == 200);
  CHECK(s.must_change);
  CHECK(c.request("GET", "/events", "", s.h()).status == 403);
  REQUIRE(c.request("POST", "/auth/password", set_password_body(otp, "back in again 7"), s.h())
              .status == 204);
  CHECK(c.request("GET", "/events", "", s.h()).status == 200);

  // No such user: an error, no password printed.
  auto none = run_sesami_err({"user", "reset-password", "nobody@example.com", "--db", db});
  CHECK(none.status == 2);
  CHECK(none.out.find("password") == std::string::npos);
}

TEST_CASE("user add on an existing user never prints a password that does not work",
          "[first-run]") {
  temp_dir dir;
  const auto db = (dir.path / "sesami.db").string();
  REQUIRE(run_sesami_err({"demo", "--db", db, "--events", "10"}).status == 0);
  REQUIRE(run_sesami_err(
              {"user", "add", "ann@example.com", "--db", db, "--password", "ann's own password"})
              .status == 0);
  // Again in the same workspace: an error that points to reset-password, nothing printed.
  auto again = run_sesami_err({"user", "add", "ann@example.com", "--db", db});
  CHECK(again.status == 2);
  CHECK(again.err.find("sesami user reset-password ann@example.com") != std::string::npos);
  CHECK(again.out.find("password:") == std::string::npos);
  // Into another workspace: joins it, password unchanged and not printed; a --password that is
  // not theirs is refused rather than silently ignored.
  create_workspace(db, "second");
  auto wrong = run_sesami_err(
      {"user", "add", "ann@example.com", "--db", db, "-w", "second", "--password", "not hers 123"});
  CHECK(wrong.status == 2);
  CHECK(wrong.err.find("reset-password") != std::string::npos);
  auto join = run_sesami_err({"user", "add", "ann@example.com", "--db", db, "-w", "second"});
  CHECK(join.status == 0);
  CHECK(join.out.find("password:") == std::string::npos);
  server_process srv(dir.path, {}, db);
  http_client c(srv.port());
  auto s = sign_in(c, "ann@example.com", "ann's own password");
  REQUIRE(s.status == 200);
  CHECK_FALSE(s.must_change);
  CHECK(c.request("GET", "/events", "", s.h()).status == 200);
}

TEST_CASE("read commands need an existing database and workspace and create neither",
          "[first-run][cli]") {
  temp_dir dir;
  const auto typo = dir.path / "typo.db";
  for (std::vector<std::string> args : {std::vector<std::string>{"stats"},
                                        {"events"},
                                        {"suppression", "list"},
                                        {"suppression", "add", "x@example.com"},
                                        {"user", "add", "a@example.com"},
                                        {"user", "reset-password", "a@example.com"},
                                        {"workspace", "rotate-token", "default"}}) {
    args.insert(args.end(), {"--db", typo.string()});
    INFO(args[0] << " " << args[1]);
    auto r = run_sesami_err(args);
    CHECK(r.status == 2);
    CHECK(r.err.find("no database '" + typo.string() + "'") != std::string::npos);
    CHECK_FALSE(fs::exists(typo));
  }
  // The same through SESAMI_DB is covered by CLI11's envname; a creating command makes it.
  const auto db = (dir.path / "sesami.db").string();
  REQUIRE(run_sesami_err({"demo", "--db", db, "--events", "10"}).status == 0);
  create_workspace(db, "acme");
  write_file(dir.path / "empty.jsonl", "");
  auto stats = run_sesami_err({"stats", "--db", db, "--workspace", "acmee"});
  CHECK(stats.status == 2);
  CHECK(stats.err.find("no workspace 'acmee' (known: acme, default;") != std::string::npos);
  for (std::vector<std::string> args :
       {std::vector<std::string>{"events", "-w", "acmee"},
        {"import", "-w", "acmee", (dir.path / "empty.jsonl").string()},
        {"demo", "-w", "acmee", "--events", "10"},
        {"suppression", "-w", "acmee", "list"},
        {"user", "add", "b@example.com", "-w", "acmee"}}) {
    args.insert(args.end(), {"--db", db});
    INFO(args[0] << " " << args[1]);
    auto r = run_sesami_err(args);
    CHECK(r.status == 2);
    CHECK(r.err.find("no workspace 'acmee'") != std::string::npos);
  }
  // Nothing was created by the typos.
  auto again = run_sesami_err({"stats", "--db", db, "-w", "acmee"});
  CHECK(again.err.find("known: acme, default;") != std::string::npos);
  CHECK(run_sesami_err({"stats", "--db", db, "-w", "acme", "--json"}).status == 0);
}
