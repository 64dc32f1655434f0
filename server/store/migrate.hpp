#pragma once
// Moving an installation from SQLite to PostgreSQL (`sesami migrate`): every table of the SQLite
// schema, row for row — workspaces, users, API keys (hashes and sealed secrets as they are: the
// same --secret-key-file opens them), sessions, settings, suppression lists, events, statuses,
// rollups, mail attempts, bulk jobs, webhooks, ingestion tokens. The two schemas differ where a
// backend keeps a derived index its own way (SQLite's status_events, PostgreSQL's events.status):
// those are rebuilt, not copied.
//
// The migrator knows every SQLite table by name. A table it does not know (a migration added
// after it was written) stops it before anything is written, so no table is ever left behind
// silently. Columns are matched by name; a SQLite column without a place in PostgreSQL stops it
// too.
//
// Resumable: rows go over in batches, each committed together with the migration's progress
// (sesami_migrate_progress in the target), so an interrupted run continues where the last commit
// left it and never copies a row twice. A target that already holds data is refused, unless that
// data is an unfinished migration of the same source.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store.hpp"

namespace sesami::store {

struct migrate_options {
  std::size_t batch = 5000;  // rows per transaction
  /// After each committed batch: the table, its rows copied so far and its total.
  std::function<void(std::string_view table, std::int64_t copied, std::int64_t total)> progress;
};

struct migrate_count {
  std::string table;
  std::int64_t source = 0;  // rows in SQLite
  std::int64_t target = 0;  // rows in PostgreSQL at the end
};

struct migrate_report {
  bool resumed = false;  // an unfinished migration of this source was continued
  std::vector<migrate_count> tables;
  bool counts_match() const noexcept {
    for (const auto& t : tables)
      if (t.source != t.target) return false;
    return true;
  }
};

/// Copies the SQLite database at `sqlite_path` (already migrated to this binary's schema) into
/// the PostgreSQL database `pg_url` (likewise). Stop the server using the SQLite file first: the
/// copy is of one snapshot, and later writes there would not move.
result<migrate_report> migrate_sqlite_to_postgres(const std::string& sqlite_path,
                                                  const std::string& pg_url,
                                                  const migrate_options& o = {});

/// How the migrator treats each SQLite table it knows.
enum class migrate_treatment { copy, rebuilt };
struct migrate_table {
  std::string_view name;
  migrate_treatment treatment;
  std::string_view note;  // for rebuilt tables: where PostgreSQL keeps that information
};
/// Every SQLite table the migrator knows, in copy order.
std::vector<migrate_table> migrate_known_tables();

}  // namespace sesami::store
