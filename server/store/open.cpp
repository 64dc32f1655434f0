#include "open.hpp"

#include "pipeline_health_store.hpp"
#include "template_store.hpp"
#include "webhook_store.hpp"

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

result<std::unique_ptr<mail_store>> open_mail(const std::string& db) {
  if (is_postgres_url(db)) return open_postgres_mail(db);
  return open_sqlite_mail(db);
}

result<std::unique_ptr<webhook_store>> open_webhooks(const std::string& db) {
  if (is_postgres_url(db)) return open_postgres_webhooks(db);
  return open_sqlite_webhooks(db);
}

result<std::unique_ptr<pipeline_health_store>> open_pipeline_health(const std::string& db) {
  if (is_postgres_url(db)) return open_postgres_pipeline_health(db);
  return open_sqlite_pipeline_health(db);
}

result<std::unique_ptr<template_store>> open_templates(const std::string& db) {
  if (is_postgres_url(db)) return open_postgres_templates(db);
  return open_sqlite_templates(db);
}

result<std::unique_ptr<aws_connections>> open_aws_connections(const std::string& db) {
  if (is_postgres_url(db)) return open_postgres_aws_connections(db);
  return open_sqlite_aws_connections(db);
}

result<std::unique_ptr<suppression_sync_store>> open_suppression_sync(const std::string& db) {
  if (is_postgres_url(db)) return open_postgres_suppression_sync(db);
  return open_sqlite_suppression_sync(db);
}

}  // namespace sesami::store
