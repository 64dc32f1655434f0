// Email templates in SQLite (migration 21). One connection behind a mutex: templates change
// rarely, and a send reads one row by its primary key.
#include <mutex>

#include "sqlite/connection.hpp"
#include "template_store.hpp"

namespace sesami::store {
namespace {
using sqlite::connection;
using sqlite::reset_guard;

class sqlite_templates final : public template_store {
 public:
  explicit sqlite_templates(std::unique_ptr<connection> c) : db_(std::move(c)) {}

  result<bool> create_template(const stored_template& t) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "INSERT INTO email_templates (workspace, name, subject, text_part, html_part, created_at, "
        "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT DO NOTHING");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, t.workspace), (*s)->bind(2, t.name), (*s)->bind(3, t.subject);
    (*s)->bind(4, t.text), (*s)->bind(5, t.html), (*s)->bind(6, t.created_at);
    if (auto st = sqlite::run(*db_, **s, "cannot store the template"); !st) return st.error();
    return sqlite3_changes(db_->get()) > 0;
  }

  result<std::optional<stored_template>> find_template(std::string_view workspace,
                                                       std::string_view name) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "SELECT subject, text_part, html_part, created_at, updated_at FROM email_templates "
        "WHERE workspace = ?1 AND name = ?2");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, workspace), (*s)->bind(2, name);
    const int rc = (*s)->step();
    if (rc == SQLITE_DONE) return std::optional<stored_template>();
    if (rc != SQLITE_ROW) return db_->fail(rc, "cannot read the template");
    stored_template t;
    t.workspace = std::string(workspace), t.name = std::string(name);
    t.subject = std::string((*s)->text(0)), t.text = std::string((*s)->text(1));
    t.html = std::string((*s)->text(2));
    t.created_at = (*s)->int64(3), t.updated_at = (*s)->int64(4);
    return std::optional<stored_template>(std::move(t));
  }

  result<bool> update_template(const stored_template& t) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "UPDATE email_templates SET subject = ?3, text_part = ?4, html_part = ?5, "
        "updated_at = ?6 WHERE workspace = ?1 AND name = ?2");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, t.workspace), (*s)->bind(2, t.name), (*s)->bind(3, t.subject);
    (*s)->bind(4, t.text), (*s)->bind(5, t.html), (*s)->bind(6, t.updated_at);
    if (auto st = sqlite::run(*db_, **s, "cannot update the template"); !st) return st.error();
    return sqlite3_changes(db_->get()) > 0;
  }

  result<bool> delete_template(std::string_view workspace, std::string_view name) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static("DELETE FROM email_templates WHERE workspace = ?1 AND name = ?2");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, workspace), (*s)->bind(2, name);
    if (auto st = sqlite::run(*db_, **s, "cannot delete the template"); !st) return st.error();
    return sqlite3_changes(db_->get()) > 0;
  }

  result<template_page> list_templates(std::string_view workspace, std::string_view after,
                                       std::size_t limit) override {
    std::lock_guard lock(mu_);
    // The primary key (workspace, name) serves the range and the order.
    auto s = db_->prepare_static(
        "SELECT name, subject, created_at, updated_at FROM email_templates "
        "WHERE workspace = ?1 AND name > ?2 ORDER BY name LIMIT ?3");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, workspace), (*s)->bind(2, after);
    (*s)->bind(3, static_cast<std::int64_t>(limit + 1));
    template_page page;
    int rc;
    while ((rc = (*s)->step()) == SQLITE_ROW) {
      stored_template t;
      t.workspace = std::string(workspace), t.name = std::string((*s)->text(0));
      t.subject = std::string((*s)->text(1));
      t.created_at = (*s)->int64(2), t.updated_at = (*s)->int64(3);
      page.items.push_back(std::move(t));
    }
    if (rc != SQLITE_DONE) return db_->fail(rc, "cannot list templates");
    if (page.items.size() > limit) {
      page.items.pop_back();
      page.next = page.items.back().name;
    }
    return page;
  }

 private:
  std::mutex mu_;
  std::unique_ptr<connection> db_;
};

}  // namespace

result<std::unique_ptr<template_store>> open_sqlite_templates(const std::string& path,
                                                              int busy_timeout_ms) {
  auto c = sqlite::open_existing(path, busy_timeout_ms);
  if (!c) return c.error();
  return std::unique_ptr<template_store>(new sqlite_templates(std::move(*c)));
}

}  // namespace sesami::store
