#pragma once
// Persistence of the suppression sync with SES (app/suppression_sync.hpp): per workspace, the
// baseline (addresses on both sides after the last sync) and a record of every run with what it
// changed. Migration 10 in sqlite/migrations.hpp. Thread-safe.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store.hpp"

namespace sesami::store {

struct sync_change {
  std::string address;
  std::string change;  // "pulled", "pushed", "removed-local", "removed-remote"
  std::string reason;  // the entry's reason ("hard-bounce", "complaint", "BOUNCE" ...)
};
struct sync_failure {
  std::string address;    // empty for a failure of the whole run (listing, credentials)
  std::string operation;  // "list", "put", "delete", "add-local", "remove-local", "credentials"
  std::string code;
  std::string message;
};
struct sync_record {
  std::int64_t at = 0;  // ms since epoch
  std::string cause;    // "manual", "schedule"
  std::int64_t pulled = 0, pushed = 0, removed_local = 0, removed_remote = 0;
  std::vector<sync_failure> errors;
  std::vector<sync_change> changes;
};

class suppression_sync_store {
 public:
  virtual ~suppression_sync_store() = default;
  virtual result<std::vector<std::string>> baseline(std::string_view workspace) = 0;
  /// Records a run and replaces the workspace's baseline, in one transaction.
  virtual status save(std::string_view workspace, const sync_record& r,
                      const std::vector<std::string>& baseline) = 0;
  /// The latest run (its changes included, at most `max_changes` of them).
  virtual result<std::optional<sync_record>> last(std::string_view workspace,
                                                  std::size_t max_changes = 1000) = 0;
};

/// Opens the sync tables of an SQLite database that open_sqlite() has already migrated.
result<std::unique_ptr<suppression_sync_store>> open_sqlite_suppression_sync(
    const std::string& path, int busy_timeout_ms = 5000);
/// The sync tables of a PostgreSQL database that open_postgres() has migrated.
result<std::unique_ptr<suppression_sync_store>> open_postgres_suppression_sync(
    const std::string& url);

}  // namespace sesami::store
