#pragma once
// Copies of an SQLite database (issue #21): `sesami backup`, and the automatic copy made before
// a start-up migration changes the schema. PostgreSQL has pg_dump (docs/storage.md).
#include <optional>
#include <string>

#include "store.hpp"

namespace sesami::store {

/// Copies the SQLite database `from` to the new file `to` with SQLite's online backup API, in one
/// read transaction: a consistent snapshot while a server keeps writing (WAL readers never block
/// the writer). The copy is written to a temporary file (0600) beside `to`, synced and renamed:
/// `to` is either absent or complete. An existing `to` is refused (errc::conflict).
result<void> backup_sqlite(const std::string& from, const std::string& to);

/// When the SQLite database `db` exists and a migration is pending (its schema version is above 0
/// and below this sesami's), copies it to `DB.pre-vN-YYYYMMDDTHHMMSSZ.bak` (N: its version) and
/// answers that path; nothing pending (or a PostgreSQL URL, or no file yet): nullopt.
result<std::optional<std::string>> backup_before_migration(const std::string& db);

}  // namespace sesami::store
