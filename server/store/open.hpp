#pragma once
// Picks the store backend from the --db / SESAMI_DB value: a postgresql:// (or postgres://) URL
// opens PostgreSQL, anything else is an SQLite file path.
#include <memory>
#include <string>

#include "accounts.hpp"
#include "aws_connections.hpp"
#include "mail_store.hpp"
#include "store.hpp"
#include "suppression_sync_store.hpp"

namespace sesami::store {

/// True when `db` names a PostgreSQL database rather than an SQLite file.
bool is_postgres_url(const std::string& db) noexcept;

/// `db` for logs and messages: a URL's password replaced by "***".
std::string redacted(const std::string& db);

/// Opens (and migrates) the store named by `db`.
result<std::unique_ptr<store>> open_store(const std::string& db);

/// The accounts of the store named by `db` (open it with open_store first: that migrates).
result<std::unique_ptr<accounts>> open_accounts(const std::string& db);

/// The sending side's tables of the store named by `db` (opened with open_store first).
result<std::unique_ptr<mail_store>> open_mail(const std::string& db);
result<std::unique_ptr<aws_connections>> open_aws_connections(const std::string& db);
result<std::unique_ptr<suppression_sync_store>> open_suppression_sync(const std::string& db);

}  // namespace sesami::store
