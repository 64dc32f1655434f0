#pragma once
// The PostgreSQL store and accounts: the same contracts as SQLite's (store.hpp, accounts.hpp), for
// several SESami nodes on one database. Most callers go through open_store() (open.hpp), which
// picks the backend from the --db value.
#include <cstddef>
#include <memory>
#include <string>

#include "../accounts.hpp"
#include "../store.hpp"

namespace sesami::store {

struct pg_options {
  std::string url;              // postgresql://user:password@host:port/db[?options=...]
  std::size_t connections = 8;  // pooled connections for reads and small writes (plus writers)
  // Writer connections: group transactions committed at once by this node (the pairs they share
  // are their only point of contact; docs/storage.md). More than 1 makes groups smaller: on a
  // CPU-bound machine that costs more than it overlaps (docs/performance.md, issue #19).
  std::size_t writers = 1;
  int months_ahead = 2;  // monthly event partitions created ahead of the current month
};

/// Connects, migrates (refusing a newer schema: schema_too_new) and creates the partitions ahead.
/// Errors: unavailable (server unreachable), bad_input (authentication), schema_too_new, internal.
result<std::unique_ptr<store>> open_postgres(const pg_options& opt);

/// The accounts tables of a PostgreSQL database that open_postgres() has migrated.
result<std::unique_ptr<accounts>> open_postgres_accounts(const std::string& url);

}  // namespace sesami::store
