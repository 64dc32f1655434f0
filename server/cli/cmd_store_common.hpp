#pragma once
// What the store-backed subcommands (import, events, stats, suppression, demo) share: the --db
// and --workspace options, opening the store with a clear message, and running a CLI11 app on
// the arguments after the subcommand's name.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "../store/open.hpp"
#include "../store/store.hpp"
#include "commands.hpp"

namespace sesami::cli {

struct store_args {
  std::string db = "sesami.db";
  std::string workspace = "default";
};

inline void add_store_options(CLI::App& app, store_args& s) {
  app.add_option("--db", s.db,
                 "SQLite database file (default ./sesami.db) or postgresql://user:pass@host/db")
      ->envname("SESAMI_DB");
  app.add_option("--workspace,-w", s.workspace,
                 "workspace (default \"default\", created on demand)");
}

/// Opens the store and makes sure the workspace exists; prints the error and returns nullptr.
inline std::unique_ptr<store::store> open_store(const char* cmd, const store_args& s) {
  auto st = store::open_store(s.db);  // a postgresql:// URL or an SQLite file
  if (!st) {
    std::fprintf(stderr, "sesami %s: %s\n", cmd, st.error().message.c_str());
    return nullptr;
  }
  if (auto ws = (*st)->ensure_workspace(s.workspace); !ws) {
    std::fprintf(stderr, "sesami %s: %s\n", cmd, ws.error().message.c_str());
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
