// `sesami user add EMAIL --workspace ID --role ROLE`: adds a user, or adds an existing user to
// another workspace (their password unchanged). Without --password a random one-time password is
// generated and printed once; the first sign-in with it must set a new one.
// `sesami user reset-password EMAIL`: the operator's way back in — a new one-time password,
// printed once; the user's sessions end.
#include <cstdio>
#include <string>

#include <sesami/ascii.hpp>

#include "../app/auth.hpp"
#include "../store/accounts.hpp"
#include "../store/open.hpp"
#include "cmd_store_common.hpp"

namespace sesami::cli {
namespace {
void print_sign_in(const std::string& email, const std::string& password) {
  std::printf(
      "sign in with email: %s\none-time password: %s\n"
      "(the first sign-in asks for a new password)\n",
      email.c_str(), password.c_str());
}

int add_user(app::auth& auth, store::accounts& acc, const std::string& email_in,
             const std::string& workspace, const std::string& role, std::string password) {
  const std::string reset_hint = "; a new password: sesami user reset-password " + email_in;
  const std::string lowered = ascii_lower(email_in);  // the store keeps emails lower-cased
  auto existing = acc.user_by_email(lowered);
  if (!existing) {
    std::fprintf(stderr, "sesami user add: %s\n", existing.error().message.c_str());
    return 2;
  }
  if (*existing) {
    // A known user joins another workspace. `user add` never changes a password, so it never
    // prints one that would not work.
    auto ms = acc.memberships_of_user((*existing)->id);
    if (!ms) {
      std::fprintf(stderr, "sesami user add: %s\n", ms.error().message.c_str());
      return 2;
    }
    for (const auto& m : *ms)
      if (m.workspace == workspace) {
        std::fprintf(stderr, "sesami user add: %s is already %s in workspace %s%s\n",
                     email_in.c_str(), m.role.c_str(), workspace.c_str(), reset_hint.c_str());
        return 2;
      }
    if (!password.empty() && !app::auth::check_password((*existing)->password_hash, password)) {
      std::fprintf(stderr,
                   "sesami user add: %s exists and `user add` does not change passwords: leave "
                   "out --password to add them to workspace %s%s\n",
                   email_in.c_str(), workspace.c_str(), reset_hint.c_str());
      return 2;
    }
  }
  const bool generated = password.empty() && !*existing;
  if (generated) password = app::auth::random_token(18);
  auto id = auth.add_user(email_in, password, workspace, *app::parse_role(role), generated);
  if (!id) {
    std::fprintf(stderr, "sesami user add: %s\n", id.error().message.c_str());
    return 2;
  }
  std::printf("user %s (%s) is %s in workspace %s\n", email_in.c_str(), id->c_str(), role.c_str(),
              workspace.c_str());
  if (generated)
    print_sign_in(email_in, password);
  else if (*existing)
    std::printf("(an existing user: their password is unchanged)\n");
  return 0;
}
}  // namespace

int run_user(args a) {
  CLI::App app{"Manage users.", "sesami user"};
  app.require_subcommand(1);
  std::string db = "sesami.db", email, workspace = "default", role = "viewer", password;
  auto* add = app.add_subcommand("add", "add a user to a workspace (an existing one: to another)");
  add->add_option("EMAIL", email, "the sign-in: an email address")->required();
  add->add_option("--workspace,-w", workspace, "workspace id (default \"default\"; must exist)");
  add->add_option("--role", role, "owner, admin or viewer (default viewer)")
      ->check(CLI::IsMember({"owner", "admin", "viewer"}));
  add->add_option("--password", password,
                  "initial password (default: a random one-time password, printed once, that "
                  "the first sign-in replaces); command lines are visible to other users");
  auto* reset = app.add_subcommand(
      "reset-password", "a new one-time password for a user, printed once; their sessions end");
  reset->add_option("EMAIL", email, "the user's email address")->required();
  for (auto* s : {add, reset})
    s->add_option("--db", db, "SQLite file (default ./sesami.db) or postgresql:// URL")
        ->envname("SESAMI_DB");
  if (int rc = parse_args(app, a); rc >= 0) return rc;

  if (!database_exists("user", db)) return 2;
  auto st = store::open_store(db);  // a postgresql:// URL or an SQLite file
  if (!st) {
    std::fprintf(stderr, "sesami user: %s\n", st.error().message.c_str());
    return 2;
  }
  auto acc = store::open_accounts(db);
  if (!acc) {
    std::fprintf(stderr, "sesami user: %s\n", acc.error().message.c_str());
    return 2;
  }
  app::auth auth(**st, **acc);
  if (add->parsed()) {
    if (!workspace_exists("user add", **st, workspace)) return 2;
    return add_user(auth, **acc, email, workspace, role, password);
  }
  auto pw = auth.reset_password(email);
  if (!pw) {
    std::fprintf(stderr, "sesami user reset-password: %s\n", pw.error().message.c_str());
    return 2;
  }
  std::printf("new one-time password for %s; their sessions have ended.\n", email.c_str());
  print_sign_in(email, *pw);
  return 0;
}

}  // namespace sesami::cli
