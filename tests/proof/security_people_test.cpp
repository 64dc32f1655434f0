// People and memberships through a real server (docs/security.md, section 3): adding someone never
// changes a membership, roles change only through PATCH /users/{id} under the owner rules, the last
// owner stays, an account another workspace adds is only invited (it opens nothing, changes no
// password and no default workspace until the account accepts), a known and an unknown email get
// the same answer, a password change ends the other sessions, and concurrent wrong passwords are
// refused before any password hash runs.
#include <algorithm>
#include <latch>
#include <set>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "proof.hpp"

using namespace sesami::test;
namespace json = boost::json;

namespace {
std::string login_body(const std::string& email, const std::string& password) {
  return json::serialize(json::object{{"email", email}, {"password", password}});
}

/// `sesami user add` (the operator's command line, trusted): an account with a known password.
void add_account(const std::string& db, const std::string& email, const std::string& workspace,
                 const std::string& role, const std::string& password) {
  REQUIRE(run_sesami({"user", "add", email, "--db", db, "--workspace", workspace, "--role", role,
                      "--password", password})
              .status == 0);
}

struct signed_in {
  std::string cookie, csrf;
  json::value answer;
  headers h() const { return {{"Cookie", cookie}, {"X-CSRF-Token", csrf}}; }
  headers in(const std::string& workspace) const {
    auto out = h();
    out.emplace_back("X-Sesami-Workspace", workspace);
    return out;
  }
};
signed_in sign_in(http_client& c, const std::string& email, const std::string& password) {
  auto r = c.request("POST", "/auth/login", login_body(email, password));
  INFO(email << ": " << r.body);
  REQUIRE(r.status == 200);
  const auto sc = r.header("set-cookie");
  return {sc.substr(0, sc.find(';')), s(parse(r).at("csrfToken")), parse(r)};
}

/// The entry of GET /users with this email (an empty object when there is none).
json::object member(http_client& c, const headers& auth, const std::string& email) {
  auto r = c.request("GET", "/users", "", auth);
  REQUIRE(r.status == 200);
  const auto all = parse(r);
  for (const auto& u : all.at("users").as_array())
    if (const auto* e = u.as_object().if_contains("email");
        e && e->is_string() && e->get_string() == email)
      return u.as_object();
  return {};
}
std::string role_of(http_client& c, const headers& auth, const std::string& email) {
  const auto m = member(c, auth, email);
  return m.contains("role") ? s(m.at("role")) : std::string();
}

/// The structure of a JSON value with every string, number and boolean blanked: two answers of
/// the same shape compare equal whatever their values.
json::value shape(const json::value& v) {
  if (v.is_object()) {
    json::object o;
    for (const auto& [k, x] : v.as_object()) o[k] = shape(x);
    return o;
  }
  if (v.is_array()) {
    json::array a;
    for (const auto& x : v.as_array()) a.push_back(shape(x));
    return a;
  }
  if (v.is_string()) return "s";
  if (v.is_null()) return nullptr;
  return 0;
}

std::vector<std::string> workspace_ids(const json::value& login_answer) {
  std::vector<std::string> out;
  for (const auto& w : login_answer.at("workspaces").as_array()) out.push_back(s(w.at("id")));
  return out;
}

/// A counter of GET /metrics (presenting the operator's metrics token); -1 when the family is
/// missing.
long long metric(http_client& c, const std::string& name) {
  auto r = c.request("GET", "/metrics", "", metrics_auth());
  REQUIRE(r.status == 200);
  const auto at = r.body.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(r.body.substr(at + name.size() + 2));
}
}  // namespace

TEST_CASE("security/people: an admin neither demotes an owner nor makes one",
          "[proof][security][people]") {
  temp_dir dir;
  const auto db = test_db(dir.path);  // SQLite, or PostgreSQL for proof:pg:
  const auto acme = create_workspace(db, "acme");
  add_account(db, "owner@example.com", "acme", "owner", "owner password 1");
  add_account(db, "admin@example.com", "acme", "admin", "admin password 1");
  add_account(db, "viewer@example.com", "acme", "viewer", "viewer password 1");
  server_process srv(dir.path, {}, db);
  http_client c(srv.port());
  const auto admin = sign_in(c, "admin@example.com", "admin password 1");
  const auto owner_id = s(member(c, bearer(acme.key), "owner@example.com").at("id"));
  const auto viewer_id = s(member(c, bearer(acme.key), "viewer@example.com").at("id"));

  // POST /users is no back door: "adding" a member again changes nothing — in the request's old
  // form (with a password, which the inviter no longer sets: 400) or its new one (409).
  for (const char* role : {"viewer", "admin"}) {
    INFO("re-adding the owner as " << role);
    auto old_form = c.request(
        "POST", "/users",
        json::serialize(json::object{
            {"email", "owner@example.com"}, {"password", "attacker password"}, {"role", role}}),
        admin.h());
    CHECK(old_form.status == 400);
    auto r = c.request(
        "POST", "/users",
        json::serialize(json::object{{"email", "owner@example.com"}, {"role", role}}), admin.h());
    CHECK(r.status == 409);
    CHECK(code_of(r) == "users.member");
    CHECK(role_of(c, bearer(acme.key), "owner@example.com") == "owner");
  }
  auto readd = c.request(
      "POST", "/users",
      R"({"email":"viewer@example.com","password":"whatever 123","role":"admin"})", admin.h());
  CHECK(readd.status == 400);
  CHECK(c.request("POST", "/users", R"({"email":"viewer@example.com","role":"admin"})", admin.h())
            .status == 409);
  CHECK(role_of(c, bearer(acme.key), "owner@example.com") == "owner");
  CHECK(role_of(c, bearer(acme.key), "viewer@example.com") == "viewer");

  // PATCH: an admin never changes an owner, and never grants owner.
  for (const char* role : {"viewer", "admin"}) {
    auto r = c.request("PATCH", "/users/" + owner_id, json::serialize(json::object{{"role", role}}),
                       admin.h());
    CHECK(r.status == 403);
    CHECK(code_of(r) == "auth.forbidden");
  }
  auto grant = c.request("PATCH", "/users/" + viewer_id, R"({"role":"owner"})", admin.h());
  CHECK(grant.status == 403);
  CHECK(code_of(grant) == "auth.forbidden");
  // Nor removes one.
  auto remove = c.request("DELETE", "/users/" + owner_id, "", admin.h());
  CHECK(remove.status == 403);
  CHECK(role_of(c, bearer(acme.key), "owner@example.com") == "owner");
  CHECK(role_of(c, bearer(acme.key), "viewer@example.com") == "viewer");

  // What an admin may do: change a viewer to admin and back, remove a viewer.
  auto up = c.request("PATCH", "/users/" + viewer_id, R"({"role":"admin"})", admin.h());
  CHECK(up.status == 200);
  CHECK(role_of(c, bearer(acme.key), "viewer@example.com") == "admin");
  CHECK(c.request("PATCH", "/users/" + viewer_id, R"({"role":"viewer"})", admin.h()).status == 200);
  // A viewer changes nothing.
  const auto viewer = sign_in(c, "viewer@example.com", "viewer password 1");
  CHECK(c.request("PATCH", "/users/" + viewer_id, R"({"role":"admin"})", viewer.h()).status == 403);
  CHECK(c.request("DELETE", "/users/" + viewer_id, "", admin.h()).status == 204);
  CHECK(member(c, bearer(acme.key), "viewer@example.com").empty());
  // Bad input: an unknown role, someone who is not a member.
  CHECK(code_of(c.request("PATCH", "/users/" + owner_id, R"({"role":"god"})", bearer(acme.key))) ==
        "validation.role");
  CHECK(c.request("PATCH", "/users/u_nobody", R"({"role":"viewer"})", bearer(acme.key)).status ==
        404);
}

TEST_CASE("security/people: the last owner is neither demoted nor removed",
          "[proof][security][people]") {
  temp_dir dir;
  const auto db = test_db(dir.path);  // SQLite, or PostgreSQL for proof:pg:
  const auto acme = create_workspace(db, "acme");
  add_account(db, "owner@example.com", "acme", "owner", "owner password 1");
  add_account(db, "second@example.com", "acme", "viewer", "second password 1");
  server_process srv(dir.path, {}, db);
  http_client c(srv.port());
  const auto owner = sign_in(c, "owner@example.com", "owner password 1");
  const auto owner_id = s(member(c, bearer(acme.key), "owner@example.com").at("id"));
  const auto second_id = s(member(c, bearer(acme.key), "second@example.com").at("id"));

  // By the owner themselves, and by an owner API key.
  for (const auto& auth : {owner.h(), bearer(acme.key)}) {
    auto demote = c.request("PATCH", "/users/" + owner_id, R"({"role":"admin"})", auth);
    CHECK(demote.status == 409);
    CHECK(code_of(demote) == "users.last_owner");
    auto remove = c.request("DELETE", "/users/" + owner_id, "", auth);
    CHECK(remove.status == 409);
    CHECK(code_of(remove) == "users.last_owner");
  }
  CHECK(role_of(c, bearer(acme.key), "owner@example.com") == "owner");

  // With a second owner, the first may step down; then the second is the last one.
  REQUIRE(c.request("PATCH", "/users/" + second_id, R"({"role":"owner"})", owner.h()).status ==
          200);
  CHECK(c.request("PATCH", "/users/" + owner_id, R"({"role":"admin"})", owner.h()).status == 200);
  CHECK(role_of(c, bearer(acme.key), "owner@example.com") == "admin");
  CHECK(code_of(c.request("DELETE", "/users/" + second_id, "", bearer(acme.key))) ==
        "users.last_owner");
  CHECK(role_of(c, bearer(acme.key), "second@example.com") == "owner");

  // Two owners demoted at the same moment: the check and the change are one transaction, so
  // exactly one of them goes through, whatever the interleaving.
  for (int round = 0; round < 8; ++round) {
    INFO("round " << round);
    REQUIRE(
        c.request("PATCH", "/users/" + owner_id, R"({"role":"owner"})", bearer(acme.key)).status ==
        200);
    std::vector<int> statuses(2);
    {
      http_client c0(srv.port()), c1(srv.port());
      std::latch go(2);
      std::thread t0([&] {
        go.arrive_and_wait();
        statuses[0] =
            c0.request("PATCH", "/users/" + owner_id, R"({"role":"admin"})", bearer(acme.key))
                .status;
      });
      std::thread t1([&] {
        go.arrive_and_wait();
        statuses[1] =
            c1.request("PATCH", "/users/" + second_id, R"({"role":"viewer"})", bearer(acme.key))
                .status;
      });
      t0.join();
      t1.join();
    }
    CHECK(std::count(statuses.begin(), statuses.end(), 200) == 1);
    CHECK(std::count(statuses.begin(), statuses.end(), 409) == 1);
    const bool first_owner = role_of(c, bearer(acme.key), "owner@example.com") == "owner";
    const bool second_owner = role_of(c, bearer(acme.key), "second@example.com") == "owner";
    CHECK(first_owner != second_owner);
    // Back to two owners for the next round.
    if (!second_owner)
      REQUIRE(c.request("PATCH", "/users/" + second_id, R"({"role":"owner"})", bearer(acme.key))
                  .status == 200);
  }
}

TEST_CASE("security/people: another workspace's invitation opens nothing until it is accepted",
          "[proof][security][people]") {
  temp_dir dir;
  const auto db = test_db(dir.path);  // SQLite, or PostgreSQL for proof:pg:
  // "zeta" is the account's own workspace; "acme" sorts first, as a default would if it were
  // picked by name.
  const auto zeta = create_workspace(db, "zeta");
  const auto acme = create_workspace(db, "acme");
  add_account(db, "zed@example.com", "zeta", "viewer", "zed's own password");
  server_process srv(dir.path, {}, db);
  http_client c(srv.port());

  // Acme's owner adds zed as admin: today's form (naming a password) is refused, the new one
  // invites.
  CHECK(c.request("POST", "/users",
                  R"({"email":"ZED@example.com","password":"acme chose this 1","role":"admin"})",
                  bearer(acme.key))
            .status == 400);
  auto add = c.request("POST", "/users", R"({"email":"ZED@example.com","role":"admin"})",
                       bearer(acme.key));
  INFO(add.body);
  REQUIRE(add.status == 201);
  CHECK(s(parse(add).at("status")) == "invited");
  const auto invitation_id = s(parse(add).at("invitation").at("id"));
  auto listed = member(c, bearer(acme.key), "zed@example.com");
  CHECK(s(listed.at("status")) == "invited");
  CHECK(s(listed.at("id")) == invitation_id);

  // Acme's password does not open zed's account; zed's own still does, and shows only zeta.
  CHECK(
      c.request("POST", "/auth/login", login_body("zed@example.com", "acme chose this 1")).status ==
      401);
  const auto zed = sign_in(c, "zed@example.com", "zed's own password");
  CHECK(workspace_ids(zed.answer) == std::vector<std::string>{"zeta"});
  auto session = c.request("GET", "/auth/session", "", {{"Cookie", zed.cookie}});
  REQUIRE(session.status == 200);
  CHECK(s(parse(session).at("workspace")) == "zeta");
  CHECK(c.request("GET", "/events", "", zed.in("acme")).status == 404);
  CHECK(c.request("GET", "/events", "", zed.in("zeta")).status == 200);

  // Zed sees the invitation, and accepting it is what opens acme (as admin)...
  auto inv = c.request("GET", "/invitations", "", {{"Cookie", zed.cookie}});
  REQUIRE(inv.status == 200);
  const auto inv_json = parse(inv);
  const auto& list = inv_json.at("invitations").as_array();
  REQUIRE(list.size() == 1);
  CHECK(s(list[0].at("workspace")) == "acme");
  CHECK(s(list[0].at("role")) == "admin");
  // ...which another account cannot do for zed.
  add_account(db, "mallory@example.com", "acme", "viewer", "mallory password 1");
  const auto mallory = sign_in(c, "mallory@example.com", "mallory password 1");
  CHECK(c.request("POST", "/invitations/" + invitation_id + "/accept", "", mallory.h()).status ==
        404);
  CHECK(c.request("POST", "/invitations/" + invitation_id + "/accept", "", {{"Cookie", zed.cookie}})
            .status == 403);  // CSRF
  auto accept = c.request("POST", "/invitations/" + invitation_id + "/accept", "", zed.h());
  INFO(accept.body);
  CHECK(accept.status == 200);
  CHECK(c.request("GET", "/events", "", zed.in("acme")).status == 200);
  CHECK(s(member(c, bearer(acme.key), "zed@example.com").at("status")) == "active");
  CHECK(role_of(c, bearer(acme.key), "zed@example.com") == "admin");
  // Still zed's password, and zeta still opens first.
  const auto again = sign_in(c, "zed@example.com", "zed's own password");
  CHECK(
      c.request("POST", "/auth/login", login_body("zed@example.com", "acme chose this 1")).status ==
      401);
  auto session2 = c.request("GET", "/auth/session", "", {{"Cookie", again.cookie}});
  CHECK(s(parse(session2).at("workspace")) == "zeta");
  // Used once.
  CHECK(c.request("POST", "/invitations/" + invitation_id + "/accept", "", zed.h()).status == 404);

  SECTION("declined or revoked, an invitation is gone") {
    const auto beta = create_workspace(db, "beta");
    auto b = c.request("POST", "/users", R"({"email":"zed@example.com","role":"viewer"})",
                       bearer(beta.key));
    REQUIRE(b.status == 201);
    const auto id = s(parse(b).at("invitation").at("id"));
    CHECK(c.request("POST", "/invitations/" + id + "/decline", "", zed.h()).status == 204);
    CHECK(member(c, bearer(beta.key), "zed@example.com").empty());
    CHECK(c.request("POST", "/invitations/" + id + "/accept", "", zed.h()).status == 404);

    auto b2 = c.request("POST", "/users", R"({"email":"zed@example.com","role":"viewer"})",
                        bearer(beta.key));
    REQUIRE(b2.status == 201);
    const auto id2 = s(parse(b2).at("invitation").at("id"));
    CHECK(c.request("DELETE", "/users/" + id2, "", bearer(beta.key)).status == 204);
    CHECK(member(c, bearer(beta.key), "zed@example.com").empty());
    CHECK(c.request("POST", "/invitations/" + id2 + "/accept", "", zed.h()).status == 404);
    // Another workspace cannot revoke it.
    auto b3 = c.request("POST", "/users", R"({"email":"zed@example.com","role":"viewer"})",
                        bearer(beta.key));
    const auto id3 = s(parse(b3).at("invitation").at("id"));
    CHECK(c.request("DELETE", "/users/" + id3, "", bearer(acme.key)).status == 404);
    CHECK(s(member(c, bearer(beta.key), "zed@example.com").at("status")) == "invited");
  }
}

TEST_CASE("security/people: a known and an unknown email get the same answer",
          "[proof][security][people]") {
  temp_dir dir;
  const auto db = test_db(dir.path);  // SQLite, or PostgreSQL for proof:pg:
  const auto home = create_workspace(db, "home");
  const auto acme = create_workspace(db, "acme");
  add_account(db, "known@example.com", "home", "viewer", "known password 1");
  server_process srv(dir.path, {}, db);
  http_client c(srv.port());

  // Whatever else the body says (a short password, none, a role), the two answers agree.
  const std::string extras[] = {R"(,"password":"short")", R"(,"password":"long enough 1")", ""};
  for (const auto& extra : extras) {
    INFO("body extras: " << extra);
    auto known =
        c.request("POST", "/users", R"({"email":"known@example.com","role":"viewer")" + extra + "}",
                  bearer(acme.key));
    auto unknown = c.request("POST", "/users",
                             R"({"email":"unknown@example.com","role":"viewer")" + extra + "}",
                             bearer(acme.key));
    INFO(known.body << "\n" << unknown.body);
    CHECK(known.status == unknown.status);
    CHECK(shape(parse(known)) == shape(parse(unknown)));
    if (extra.empty()) CHECK(known.status == 201);
    // Nothing in the answer is about the account: only the invitation and its email.
    CHECK(known.body.find("u_") == std::string::npos);
    for (auto* r : {&known, &unknown})
      if (r->status == 201)
        CHECK(c.request("DELETE", "/users/" + s(parse(*r).at("invitation").at("id")), "",
                        bearer(acme.key))
                  .status == 204);
  }

  // The invitation's token is how a new person gets in: they choose their own password.
  auto add = c.request("POST", "/users", R"({"email":"unknown@example.com","role":"admin"})",
                       bearer(acme.key));
  REQUIRE(add.status == 201);
  const auto token = s(parse(add).at("token"));
  CHECK(
      c.request("POST", "/invitations/redeem",
                json::serialize(json::object{{"token", token + "x"}, {"password", "new pw 12345"}}))
          .status == 404);
  CHECK(code_of(c.request("POST", "/invitations/redeem",
                          json::serialize(json::object{
                              {"token", token}, {"password", "short"}}))) == "validation.password");
  auto redeem =
      c.request("POST", "/invitations/redeem",
                json::serialize(json::object{{"token", token}, {"password", "my own password 1"}}));
  INFO(redeem.body);
  REQUIRE(redeem.status == 200);
  CHECK_FALSE(redeem.header("set-cookie").empty());
  const auto newcomer = sign_in(c, "unknown@example.com", "my own password 1");
  CHECK(workspace_ids(newcomer.answer) == std::vector<std::string>{"acme"});
  CHECK(role_of(c, bearer(acme.key), "unknown@example.com") == "admin");
  // Used once.
  CHECK(c.request("POST", "/invitations/redeem",
                  json::serialize(json::object{{"token", token}, {"password", "another one 12"}}))
            .status == 404);

  // An existing account's token needs that account's password: it changes no password.
  auto add2 = c.request("POST", "/users", R"({"email":"known@example.com","role":"viewer"})",
                        bearer(acme.key));
  REQUIRE(add2.status == 201);
  const auto token2 = s(parse(add2).at("token"));
  auto wrong =
      c.request("POST", "/invitations/redeem",
                json::serialize(json::object{{"token", token2}, {"password", "acme's guess 123"}}));
  CHECK(wrong.status == 401);
  CHECK(code_of(wrong) == "auth.bad_credentials");
  CHECK(c.request("POST", "/auth/login", login_body("known@example.com", "acme's guess 123"))
            .status == 401);
  CHECK(s(member(c, bearer(acme.key), "known@example.com").at("status")) == "invited");
  auto right =
      c.request("POST", "/invitations/redeem",
                json::serialize(json::object{{"token", token2}, {"password", "known password 1"}}));
  CHECK(right.status == 200);
  CHECK(s(member(c, bearer(acme.key), "known@example.com").at("status")) == "active");
  // Its own workspace still opens first.
  const auto known = sign_in(c, "known@example.com", "known password 1");
  CHECK(
      s(parse(c.request("GET", "/auth/session", "", {{"Cookie", known.cookie}})).at("workspace")) ==
      "home");
  (void)home;
}

TEST_CASE("security/people: a password change ends the user's other sessions",
          "[proof][security][people]") {
  temp_dir dir;
  server_process srv(dir.path, {}, test_db(dir.path));
  http_client c(srv.port());
  const auto pw = srv.owner_password();
  const auto here = sign_in(c, srv.owner_email(), pw);
  const auto stolen = sign_in(c, srv.owner_email(), pw);  // another browser, or someone else's
  REQUIRE(c.request("GET", "/auth/session", "", {{"Cookie", stolen.cookie}}).status == 200);
  auto change = c.request("POST", "/auth/password",
                          json::serialize(json::object{{"currentPassword", pw},
                                                       {"newPassword", "a fresh passphrase 7"}}),
                          here.h());
  REQUIRE(change.status == 204);
  CHECK(c.request("GET", "/auth/session", "", {{"Cookie", stolen.cookie}}).status == 401);
  CHECK(c.request("GET", "/events", "", {{"Cookie", stolen.cookie}}).status == 401);
  // The session that changed it stays signed in.
  CHECK(c.request("GET", "/auth/session", "", {{"Cookie", here.cookie}}).status == 200);
  CHECK(c.request("GET", "/events", "", here.h()).status == 200);
}

TEST_CASE("security/people: 24 concurrent wrong passwords run at most 6 password hashes",
          "[proof][security][people]") {
  temp_dir dir;
  const auto db = test_db(dir.path);
  const auto ws = create_workspace(db, "acme");
  server_process srv(dir.path, metrics_token_args(dir.path), db);
  http_client c(srv.port());
  const auto before = metric(c, "sesami_password_hashes_total");

  constexpr int n = 24;
  std::vector<int> statuses(n);
  std::vector<std::string> retry_after(n), codes(n);
  {
    std::vector<std::unique_ptr<http_client>> clients;
    for (int i = 0; i < n; ++i) clients.push_back(std::make_unique<http_client>(srv.port()));
    std::latch go(n);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i)
      threads.emplace_back([&, i] {
        go.arrive_and_wait();
        auto r = clients[i]->request("POST", "/auth/login",
                                     login_body("admin", "wrong password " + std::to_string(i)));
        statuses[i] = r.status;
        retry_after[i] = r.header("retry-after");
        if (r.status >= 400) codes[i] = code_of(r);
      });
    for (auto& t : threads) t.join();
  }
  int refused = 0, wrong = 0;
  for (int i = 0; i < n; ++i) {
    INFO(i << ": " << statuses[i] << " " << codes[i]);
    if (statuses[i] == 429 || statuses[i] == 503) {
      ++refused;
      CHECK((codes[i] == "auth.throttled" || codes[i] == "auth.busy"));
      CHECK_FALSE(retry_after[i].empty());
    } else {
      CHECK(statuses[i] == 401);
      ++wrong;
    }
  }
  INFO("refused " << refused << ", wrong " << wrong);
  CHECK(refused >= 18);
  REQUIRE(before >= 0);
  const auto hashes = metric(c, "sesami_password_hashes_total") - before;
  INFO("hashes " << hashes);
  CHECK(hashes <= n - 18);
  CHECK(hashes >= wrong);  // every "wrong password" answer did check a hash
  // Those refused as busy were not counted as failures: in all, the account takes exactly five
  // wrong passwords, then it is throttled — even for its right password, at no hash.
  int more = 0;
  while (more < 10 &&
         c.request("POST", "/auth/login", login_body("admin", "one more wrong 1")).status == 401)
    ++more;
  CHECK(wrong + more == 5);
  const auto mid = metric(c, "sesami_password_hashes_total");
  CHECK(c.request("POST", "/auth/login", login_body("admin", srv.owner_password())).status == 429);
  CHECK(metric(c, "sesami_password_hashes_total") == mid);
}
