// `sesami migrate --from sesami.db --to postgresql://...`: everything an SQLite installation holds,
// moved into PostgreSQL (store/migrate.hpp), then counted table by table on both sides. Resumable:
// run it again after an interruption and it continues. Stop the server first; start it again with
// --db postgresql://... and the same --secret-key-file (sealed secrets stay sealed with that key).
// Exit status: 0 moved and every count matches, 2 refused, failed, or a count differs.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "../store/migrate.hpp"
#include "cmd_store_common.hpp"

namespace sesami::cli {

int run_migrate(args a) {
  CLI::App app{"Move an SQLite database into PostgreSQL: every table, resumable, counted.",
               "sesami migrate"};
  std::string from, to;
  std::size_t batch = 5000;
  bool quiet = false;
  app.add_option("--from", from, "the SQLite database file")->required();
  app.add_option("--to", to, "postgresql://user:pass@host/db (empty, or an unfinished migration)")
      ->required();
  app.add_option("--batch", batch, "rows per transaction (default 5000)")
      ->check(CLI::Range(1, 1000000));
  app.add_flag("--quiet", quiet, "no progress on stderr");
  if (int rc = parse_args(app, a); rc >= 0) return rc;
  if (store::is_postgres_url(from) || !store::is_postgres_url(to)) {
    std::fprintf(stderr,
                 "sesami migrate: --from names an SQLite file and --to a postgresql:// URL\n");
    return 2;
  }
  if (!database_exists("migrate", from)) return 2;
  // Both schemas at this binary's version first (SQLite backed up before its migration).
  for (const auto* db : {&from, &to}) {
    store_args sa;
    sa.db = *db;
    if (auto saved = store::backup_before_migration(sa.db); !saved) {
      std::fprintf(stderr, "sesami migrate: %s\n", saved.error().message.c_str());
      return 2;
    }
    auto st = store::open_store(sa.db);
    if (!st) {
      std::fprintf(stderr, "sesami migrate: %s\n", st.error().message.c_str());
      return 2;
    }
  }
  // Test hook (tests/ops/migrate_test.cpp): die as a crash would after this many batches.
  long kill_after = 0;
  if (const char* k = std::getenv("SESAMI_TEST_MIGRATE_KILL_AFTER_BATCHES"))
    kill_after = std::atol(k);
  long batches = 0;
  store::migrate_options o;
  o.batch = batch;
  o.progress = [&](std::string_view table, std::int64_t copied, std::int64_t total) {
    if (!quiet)
      std::fprintf(stderr, "%.*s: %lld of %lld rows\n", static_cast<int>(table.size()),
                   table.data(), static_cast<long long>(copied), static_cast<long long>(total));
    if (kill_after > 0 && ++batches == kill_after) std::raise(SIGKILL);
  };
  auto r = store::migrate_sqlite_to_postgres(from, to, o);
  if (!r) {
    std::fprintf(stderr, "sesami migrate: %s\n", r.error().message.c_str());
    return 2;
  }
  std::printf("%-32s %12s %12s\n", "TABLE", "SQLITE", "POSTGRESQL");
  for (const auto& t : r->tables)
    std::printf("%-32s %12lld %12lld%s\n", t.table.c_str(), static_cast<long long>(t.source),
                static_cast<long long>(t.target), t.source == t.target ? "" : "  MISMATCH");
  if (!r->counts_match()) {
    std::fprintf(stderr, "sesami migrate: the counts differ (above)\n");
    return 2;
  }
  std::fprintf(stderr, "sesami migrate: %s %s into %s; every count matches\n",
               r->resumed ? "finished moving" : "moved", from.c_str(), store::redacted(to).c_str());
  return 0;
}

}  // namespace sesami::cli
