// `sesami workspace create NAME`: a workspace with its ingestion token and secret and an owner
// API key, each shown once. `sesami workspace rotate-token ID`, `sesami workspace connect-account`,
// `sesami workspace set-retention -w ID --days N | --off`.
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include <boost/json/serialize.hpp>

#include "../app/auth.hpp"
#include "../app/retention.hpp"
#include "../app/secret_box.hpp"
#include "../store/accounts.hpp"
#include "../store/open.hpp"
#include "cmd_store_common.hpp"

namespace sesami::cli {
namespace {
struct opened {
  std::unique_ptr<store::store> st;
  std::unique_ptr<store::accounts> acc;
};
std::optional<opened> open_all(const std::string& db) {
  auto st = store::open_store(db);  // a postgresql:// URL or an SQLite file
  if (!st) {
    std::fprintf(stderr, "sesami workspace: %s\n", st.error().message.c_str());
    return std::nullopt;
  }
  auto acc = store::open_accounts(db);
  if (!acc) {
    std::fprintf(stderr, "sesami workspace: %s\n", acc.error().message.c_str());
    return std::nullopt;
  }
  return opened{std::move(*st), std::move(*acc)};
}

// set-retention needs the workspace settings alone (no accounts, no server key). A running server
// notices the change within a minute (its purger re-reads the settings) and purges then.
int set_retention(const std::string& db, const std::string& workspace, std::optional<int> days,
                  bool json) {
  constexpr const char* cmd = "workspace set-retention";
  if (!database_exists("workspace", db)) return 2;
  auto st = store::open_store(db);
  if (!st) {
    std::fprintf(stderr, "sesami %s: %s\n", cmd, st.error().message.c_str());
    return 2;
  }
  if (!workspace_exists(cmd, **st, workspace)) return 2;
  if (auto r = app::set_retention(**st, workspace, days); !r) {
    std::fprintf(stderr, "sesami %s: %s\n", cmd, r.error().message.c_str());
    return 2;
  }
  if (json)
    std::printf("%s\n", boost::json::serialize(
                            boost::json::object{{"id", workspace},
                                                {"retentionDays", days ? boost::json::value(*days)
                                                                       : boost::json::value()}})
                            .c_str());
  else if (days)
    std::printf(
        "workspace %s keeps raw events for %d days; older ones are deleted by the server "
        "(rollups and the suppression list stay)\n",
        workspace.c_str(), *days);
  else
    std::printf("workspace %s keeps raw events forever\n", workspace.c_str());
  return 0;
}
}  // namespace

int run_workspace(args a) {
  CLI::App app{"Manage workspaces.", "sesami workspace"};
  app.require_subcommand(1);
  std::string db = "sesami.db", name, id, account, key_file;
  bool json = false;
  auto* create = app.add_subcommand("create", "create a workspace; prints its secrets once");
  create->add_option("NAME", name, "workspace name (its id is the name as a slug)")->required();
  auto* rotate = app.add_subcommand(
      "rotate-token", "new ingestion token and secret; the old ones work for serve's grace");
  rotate->add_option("ID", id, "workspace id")->required();
  auto* connect =
      app.add_subcommand("connect-account", "accept EventBridge events from this AWS account");
  connect->add_option("ID", id, "workspace id")->required();
  connect->add_option("ACCOUNT", account, "12-digit AWS account id")->required();
  std::string ws = "default";
  int days = 0;
  bool off = false;
  auto* retention = app.add_subcommand(
      "set-retention", "how long raw events are kept (rollups and suppressions stay)");
  retention->add_option("--db", db, "SQLite file (default ./sesami.db) or postgresql:// URL")
      ->envname("SESAMI_DB");
  retention->add_option("--workspace,-w", ws, "workspace (default \"default\"; must exist)");
  auto* days_opt = retention
                       ->add_option("--days", days,
                                    "keep raw events this many days (1.." +
                                        std::to_string(app::max_retention_days) + ")")
                       ->check(CLI::Range(1, app::max_retention_days));
  auto* off_opt = retention->add_flag("--off", off, "keep raw events forever");
  days_opt->excludes(off_opt);
  retention->add_flag("--json", json, "print JSON");
  for (auto* s : {create, rotate, connect}) {
    s->add_option("--db", db, "SQLite file (default ./sesami.db) or postgresql:// URL")
        ->envname("SESAMI_DB");
    s->add_flag("--json", json, "print JSON");
    s->add_option("--secret-key-file", key_file,
                  "the server key (as serve's): seals the ingestion token so admins can read it "
                  "again on Settings (default: DB.key next to an SQLite database, sesami.key with "
                  "PostgreSQL; skipped when missing)")
        ->envname("SESAMI_SECRET_KEY_FILE");
  }
  if (int rc = parse_args(app, a); rc >= 0) return rc;
  if (retention->parsed()) {
    if (days_opt->count() == 0 && !off) {
      std::fprintf(stderr, "sesami workspace set-retention: give --days N (1..%d) or --off\n",
                   app::max_retention_days);
      return 2;
    }
    return set_retention(db, ws, off ? std::nullopt : std::optional<int>(days), json);
  }
  // Only `create` may bring a database into being (docs/cli.md).
  if (!create->parsed() && !database_exists("workspace", db)) return 2;
  auto o = open_all(db);
  if (!o) return 2;
  app::auth auth(*o->st, *o->acc);
  // The server's key seals the owner key's SigV4 secret (`create` makes the key file when
  // missing, as serve does) and the ingestion token, so admins can read it again on Settings.
  if (key_file.empty()) key_file = default_secret_key_file(db);
  std::optional<app::secret_box> box;
  if (create->parsed() || std::filesystem::exists(key_file)) {
    auto k = app::load_or_create_key_file(key_file, "the server key");
    if (!k) {
      std::fprintf(stderr, "sesami workspace: --secret-key-file %s\n", k.error().c_str());
      return 2;
    }
    box.emplace(app::database_key(k->key));
    k->key.fill(0);
    auth.set_secret_box(&*box);
  }

  if (create->parsed()) {
    auto w = auth.create_workspace(name);
    if (!w) {
      std::fprintf(stderr, "sesami workspace create: %s\n", w.error().message.c_str());
      return w.error().code == "conflict" ? 1 : 2;
    }
    if (json) {
      boost::json::object out{{"id", w->id},
                              {"ingestToken", w->ingest_token},
                              {"ingestSecret", w->ingest_secret},
                              {"apiKey", w->api_key},
                              {"apiKeyId", w->api_key_id},
                              {"accessKeyId", w->access_key_id},
                              {"secretAccessKey", w->secret_access_key}};
      std::printf("%s\n", boost::json::serialize(out).c_str());
    } else {
      std::printf(
          "workspace     %s\ningest token  %s\ningest secret %s\napi key       %s (owner)\n"
          "access key id %s\nsecret key    %s (SigV4, for the SES API)\n"
          "These are shown once; store them now.\n",
          w->id.c_str(), w->ingest_token.c_str(), w->ingest_secret.c_str(), w->api_key.c_str(),
          w->access_key_id.c_str(), w->secret_access_key.c_str());
    }
    return 0;
  }
  if (rotate->parsed()) {
    if (!workspace_exists("workspace rotate-token", *o->st, id)) return 2;
    auto r = auth.rotate_ingest(id);
    if (!r) {
      std::fprintf(stderr, "sesami workspace rotate-token: %s\n", r.error().message.c_str());
      return 2;
    }
    if (json)
      std::printf("%s\n", boost::json::serialize(boost::json::object{{"id", id},
                                                                     {"ingestToken", r->first},
                                                                     {"ingestSecret", r->second}})
                              .c_str());
    else
      std::printf("ingest token  %s\ningest secret %s\n", r->first.c_str(), r->second.c_str());
    return 0;
  }
  if (!workspace_exists("workspace connect-account", *o->st, id)) return 2;
  if (auto r = auth.connect_aws_account(id, account); !r) {
    std::fprintf(stderr, "sesami workspace connect-account: %s\n", r.error().message.c_str());
    return 2;
  }
  if (json) std::printf("{\"id\":\"%s\",\"accountId\":\"%s\"}\n", id.c_str(), account.c_str());
  return 0;
}

}  // namespace sesami::cli
