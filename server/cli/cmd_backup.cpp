// `sesami backup --db sesami.db --to FILE`: a consistent copy of an SQLite database, also while a
// server runs and ingests (SQLite's online backup API; store/backup.hpp). The copy is owner-only
// and appears complete or not at all. PostgreSQL: pg_dump (docs/storage.md).
#include <cstdio>
#include <string>

#include "../store/backup.hpp"
#include "cmd_store_common.hpp"

namespace sesami::cli {

int run_backup(args a) {
  CLI::App app{"Copy an SQLite database consistently, also while `sesami serve` writes to it.",
               "sesami backup"};
  std::string db = "sesami.db", to;
  app.add_option("--db", db, "SQLite database file (default ./sesami.db)")->envname("SESAMI_DB");
  app.add_option("--to", to, "the new file to write (refused if it exists); mode 0600")->required();
  if (int rc = parse_args(app, a); rc >= 0) return rc;
  if (store::is_postgres_url(db)) {
    std::fprintf(stderr,
                 "sesami backup: %s is PostgreSQL: use pg_dump --format=custom (docs/storage.md, "
                 "\"Backup and restore\")\n",
                 store::redacted(db).c_str());
    return 2;
  }
  if (!database_exists("backup", db)) return 2;
  if (auto r = store::backup_sqlite(db, to); !r) {
    std::fprintf(stderr, "sesami backup: %s\n", r.error().message.c_str());
    return 2;
  }
  std::printf("sesami: backed up %s to %s\n", db.c_str(), to.c_str());
  return 0;
}

}  // namespace sesami::cli
