#include "open.hpp"

#include "postgres/connection.hpp"
#include "postgres/pg_store.hpp"

namespace sesami::store {

bool is_postgres_url(const std::string& db) noexcept { return pg::is_url(db); }

std::string redacted(const std::string& db) { return pg::redact(db); }

result<std::unique_ptr<store>> open_store(const std::string& db) {
  if (is_postgres_url(db)) {
    pg_options o;
    o.url = db;
    return open_postgres(o);
  }
  open_options o;
  o.path = db;
  return open_sqlite(o);
}

result<std::unique_ptr<accounts>> open_accounts(const std::string& db) {
  if (is_postgres_url(db)) return open_postgres_accounts(db);
  return open_sqlite_accounts(db);
}

}  // namespace sesami::store
