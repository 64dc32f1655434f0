// `sesami user add EMAIL --workspace ID --role ROLE`: adds a user (or adds an existing user to
// another workspace). Without --password a random one is generated and printed once.
#include <cstdio>
#include <string>

#include "../app/auth.hpp"
#include "../store/accounts.hpp"
#include "../store/open.hpp"
#include "cmd_store_common.hpp"

namespace sesami::cli {

int run_user(args a) {
  CLI::App app{"Manage users.", "sesami user"};
  app.require_subcommand(1);
  std::string db = "sesami.db", email, workspace = "default", role = "viewer", password;
  auto* add = app.add_subcommand("add", "add a user to a workspace");
  add->add_option("EMAIL", email, "login name (an email address)")->required();
  add->add_option("--db", db,
                  "SQLite file (default ./sesami.db) or postgresql:// URL")
      ->envname("SESAMI_DB");
  add->add_option("--workspace,-w", workspace, "workspace id (default \"default\")");
  add->add_option("--role", role, "owner, admin or viewer (default viewer)")
      ->check(CLI::IsMember({"owner", "admin", "viewer"}));
  add->add_option("--password", password,
                  "initial password (default: a random one, printed once); prefer the prompt-free "
                  "default, command lines are visible to other users");
  if (int rc = parse_args(app, a); rc >= 0) return rc;

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
  const bool generated = password.empty();
  if (generated) password = app::auth::random_token(18);
  auto id = auth.add_user(email, password, workspace, *app::parse_role(role));
  if (!id) {
    std::fprintf(stderr, "sesami user add: %s\n", id.error().message.c_str());
    return 2;
  }
  std::printf("user %s (%s) is %s in workspace %s\n", email.c_str(), id->c_str(), role.c_str(),
              workspace.c_str());
  if (generated) std::printf("one-time password: %s\n", password.c_str());
  return 0;
}

}  // namespace sesami::cli
