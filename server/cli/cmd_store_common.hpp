#pragma once
// What the store-backed subcommands (import, events, stats, suppression, demo) share: the --db
// and --workspace options, opening the store with a clear message, and running a CLI11 app on
// the arguments after the subcommand's name.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "../store/backup.hpp"
#include "../store/open.hpp"
#include "../store/store.hpp"
#include "commands.hpp"

namespace sesami::cli {

struct store_args {
  std::string db = "sesami.db";
  std::string workspace = "default";
};

/// Whether a command may bring a database (and the "default" workspace) into being. Only import,
/// demo, workspace create and serve do (docs/cli.md); every other command needs both to exist, so
/// a typo in --db or --workspace is an error rather than a new, empty database or workspace.
enum class open_mode { existing, create };

inline void add_store_options(CLI::App& app, store_args& s, open_mode m = open_mode::existing) {
  app.add_option("--db", s.db,
                 "SQLite database file (default ./sesami.db) or postgresql://user:pass@host/db")
      ->envname("SESAMI_DB");
  app.add_option("--workspace,-w", s.workspace,
                 m == open_mode::create
                     ? "workspace (default \"default\", created on demand; others must exist)"
                     : "workspace (default \"default\"; must exist)");
}

/// The --secret-key-file a database uses when none is given: DB.key beside an SQLite file,
/// ./sesami.key for PostgreSQL. serve and `workspace create` (which seals the owner key's SigV4
/// secret) agree on it.
inline std::string default_secret_key_file(const std::string& db) {
  return store::is_postgres_url(db) ? std::string("sesami.key") : db + ".key";
}

/// For open_mode::existing: an SQLite file that is not there is an error (printed), not a new
/// database. PostgreSQL URLs name a server's database, which the server decides about.
inline bool database_exists(const char* cmd, const std::string& db) {
  if (store::is_postgres_url(db)) return true;
  std::error_code ec;
  if (std::filesystem::exists(db, ec)) return true;
  std::fprintf(stderr,
               "sesami %s: no database '%s' (check --db or SESAMI_DB; `sesami import`, `sesami "
               "demo`, `sesami workspace create` and `sesami serve` create one)\n",
               cmd, db.c_str());
  return false;
}

/// Whether `workspace` exists in `st`; if not, prints an error naming the known ones.
inline bool workspace_exists(const char* cmd, store::store& st, const std::string& workspace) {
  auto found = st.find_workspace(workspace);
  if (!found) {
    std::fprintf(stderr, "sesami %s: %s\n", cmd, found.error().message.c_str());
    return false;
  }
  if (*found) return true;
  std::string known;
  if (auto all = st.list_workspaces())
    for (const auto& w : *all) known += (known.empty() ? "" : ", ") + w.id;
  std::fprintf(stderr,
               "sesami %s: no workspace '%s' (known: %s; `sesami workspace create NAME` "
               "makes one)\n",
               cmd, workspace.c_str(), known.empty() ? "none" : known.c_str());
  return false;
}

/// Opens the store and checks the workspace (open_mode::create: the database may be new and the
/// "default" workspace is made on demand); prints the error and returns nullptr.
inline std::unique_ptr<store::store> open_store(const char* cmd, const store_args& s,
                                                open_mode m = open_mode::existing) {
  if (m == open_mode::existing && !database_exists(cmd, s.db)) return nullptr;
  // Opening migrates: an SQLite database is copied first when a migration is pending.
  if (auto saved = store::backup_before_migration(s.db); !saved) {
    std::fprintf(stderr, "sesami %s: %s\n", cmd, saved.error().message.c_str());
    return nullptr;
  } else if (*saved) {
    std::fprintf(stderr, "sesami %s: backed up %s to %s before migrating it\n", cmd, s.db.c_str(),
                 (*saved)->c_str());
  }
  auto st = store::open_store(s.db);  // a postgresql:// URL or an SQLite file
  if (!st) {
    std::fprintf(stderr, "sesami %s: %s\n", cmd, st.error().message.c_str());
    return nullptr;
  }
  if (m == open_mode::create && s.workspace == "default") {
    if (auto ws = (*st)->ensure_workspace(s.workspace); !ws) {
      std::fprintf(stderr, "sesami %s: %s\n", cmd, ws.error().message.c_str());
      return nullptr;
    }
  } else if (!workspace_exists(cmd, **st, s.workspace)) {
    return nullptr;
  }
  return std::move(*st);
}

/// Parses `a` (the arguments after the subcommand name) into `app`; returns -1 to continue, else
/// the exit code (0 after --help, 2 on a usage error).
inline int parse_args(CLI::App& app, args a) {
  std::vector<std::string> rev;  // CLI11 takes the arguments in reverse order
  for (auto it = a.rbegin(); it != a.rend(); ++it) rev.emplace_back(*it);
  try {
    app.parse(rev);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return -1;
}

}  // namespace sesami::cli
