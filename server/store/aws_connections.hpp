#pragma once
// Persistence of each workspace's AWS connection (issue #5): the customer's role ARN and region,
// the External ID SESami generated for it, the configuration set and queue its events come back
// through. Secrets are not stored here: the External ID is not one (it is shown for the trust
// policy), and credentials live only in the credential cache. Table: migration 7 (SQLite).
// Thread-safe.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store.hpp"

namespace sesami::store {

struct aws_connection_row {
  std::string workspace;
  std::string external_id;
  std::string role_arn;  // empty: not connected
  std::string region;
  std::string configuration_set;
  std::string queue_url;
  std::string mode;  // "sqs" | "api-destination" | "event-bus" | ""
  std::int64_t updated_at = 0;
  bool connected() const noexcept { return !role_arn.empty(); }
};

class aws_connections {
 public:
  virtual ~aws_connections() = default;
  /// The workspace's row, created with `new_external_id` when it has none yet (the first caller
  /// wins; its External ID is kept from then on).
  virtual result<aws_connection_row> ensure(std::string_view workspace,
                                            std::string_view new_external_id,
                                            std::int64_t now_ms) = 0;
  virtual result<std::optional<aws_connection_row>> get(std::string_view workspace) = 0;
  /// Sets role, region, configuration set, queue URL and mode; never the External ID. The row
  /// must exist (ensure() first).
  virtual status connect(const aws_connection_row& r) = 0;
  /// Clears the connection, keeping the External ID.
  virtual status disconnect(std::string_view workspace, std::int64_t now_ms) = 0;
  /// Every connected workspace (the pollers and the sync scheduler walk these).
  virtual result<std::vector<aws_connection_row>> connected() = 0;
};

/// Opens the table in an SQLite database that open_sqlite() has already migrated.
result<std::unique_ptr<aws_connections>> open_sqlite_aws_connections(const std::string& path,
                                                                     int busy_timeout_ms = 5000);
/// The table in a PostgreSQL database that open_postgres() has migrated.
result<std::unique_ptr<aws_connections>> open_postgres_aws_connections(const std::string& url);

}  // namespace sesami::store
