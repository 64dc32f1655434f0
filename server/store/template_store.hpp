#pragma once
// Persistence of a workspace's email templates (issue #20): the simulator's own stored templates
// (a workspace connected to SES keeps them in SES; app/templates.hpp decides which). SQLite:
// sqlite/templates.cpp, migration 21; PostgreSQL: postgres/templates.cpp, migration 15.
// Every query names its workspace. Thread-safe.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store.hpp"

namespace sesami::store {

struct stored_template {
  std::string workspace, name;
  std::string subject, text, html;  // Handlebars source, as written
  std::int64_t created_at = 0, updated_at = 0;
};

struct template_page {
  std::vector<stored_template> items;  // by name; text and html left empty
  std::optional<std::string> next;     // the last name of this page: pass as `after`
};

class template_store {
 public:
  virtual ~template_store() = default;
  /// False when the workspace already has a template of that name (nothing written).
  virtual result<bool> create_template(const stored_template& t) = 0;
  virtual result<std::optional<stored_template>> find_template(std::string_view workspace,
                                                               std::string_view name) = 0;
  /// Replaces subject, text, html and updated_at; false when there is no such template.
  virtual result<bool> update_template(const stored_template& t) = 0;
  virtual result<bool> delete_template(std::string_view workspace, std::string_view name) = 0;
  /// Names after `after` (byte order), at most `limit`.
  virtual result<template_page> list_templates(std::string_view workspace, std::string_view after,
                                               std::size_t limit) = 0;
};

result<std::unique_ptr<template_store>> open_sqlite_templates(const std::string& path,
                                                              int busy_timeout_ms = 5000);
result<std::unique_ptr<template_store>> open_postgres_templates(const std::string& url);
/// Either, by the --db value.
result<std::unique_ptr<template_store>> open_templates(const std::string& db);

}  // namespace sesami::store
