// Email templates in PostgreSQL (migration 15): the semantics of sqlite/templates.cpp.
#include "../template_store.hpp"
#include "connection.hpp"

namespace sesami::store {
namespace {
using pg::params;

class pg_templates final : public template_store {
 public:
  explicit pg_templates(const std::string& url) : pool_(url, 2) {}

  result<bool> create_template(const stored_template& t) override {
    auto r = pool_.exec(
        "INSERT INTO email_templates (workspace, name, subject, text_part, html_part, created_at, "
        "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT DO NOTHING",
        params()
            .text(t.workspace)
            .text(t.name)
            .text(t.subject)
            .text(t.text)
            .text(t.html)
            .integer(t.created_at),
        "cannot store the template");
    if (!r) return r.error();
    return r->affected() > 0;
  }

  result<std::optional<stored_template>> find_template(std::string_view workspace,
                                                       std::string_view name) override {
    auto r = pool_.exec(
        "SELECT subject, text_part, html_part, created_at, updated_at FROM email_templates "
        "WHERE workspace = $1 AND name = $2",
        params().text(workspace).text(name), "cannot read the template");
    if (!r) return r.error();
    if (r->size() == 0) return std::optional<stored_template>();
    stored_template t;
    t.workspace = std::string(workspace), t.name = std::string(name);
    t.subject = std::string(r->text(0, 0)), t.text = std::string(r->text(0, 1));
    t.html = std::string(r->text(0, 2));
    t.created_at = r->int64(0, 3), t.updated_at = r->int64(0, 4);
    return std::optional<stored_template>(std::move(t));
  }

  result<bool> update_template(const stored_template& t) override {
    auto r = pool_.exec(
        "UPDATE email_templates SET subject = $3, text_part = $4, html_part = $5, "
        "updated_at = $6 WHERE workspace = $1 AND name = $2",
        params()
            .text(t.workspace)
            .text(t.name)
            .text(t.subject)
            .text(t.text)
            .text(t.html)
            .integer(t.updated_at),
        "cannot update the template");
    if (!r) return r.error();
    return r->affected() > 0;
  }

  result<bool> delete_template(std::string_view workspace, std::string_view name) override {
    auto r = pool_.exec("DELETE FROM email_templates WHERE workspace = $1 AND name = $2",
                        params().text(workspace).text(name), "cannot delete the template");
    if (!r) return r.error();
    return r->affected() > 0;
  }

  result<template_page> list_templates(std::string_view workspace, std::string_view after,
                                       std::size_t limit) override {
    auto r = pool_.exec(
        "SELECT name, subject, created_at, updated_at FROM email_templates "
        "WHERE workspace = $1 AND name > $2 ORDER BY name LIMIT $3",
        params().text(workspace).text(after).integer(static_cast<std::int64_t>(limit + 1)),
        "cannot list templates");
    if (!r) return r.error();
    template_page page;
    for (int i = 0; i < r->size(); ++i) {
      stored_template t;
      t.workspace = std::string(workspace), t.name = std::string(r->text(i, 0));
      t.subject = std::string(r->text(i, 1));
      t.created_at = r->int64(i, 2), t.updated_at = r->int64(i, 3);
      page.items.push_back(std::move(t));
    }
    if (page.items.size() > limit) {
      page.items.pop_back();
      page.next = page.items.back().name;
    }
    return page;
  }

  pg::pool pool_;
};

}  // namespace

result<std::unique_ptr<template_store>> open_postgres_templates(const std::string& url) {
  auto s = std::make_unique<pg_templates>(url);
  if (auto f = s->find_template("", ""); !f) return f.error();  // reachable and migrated
  return std::unique_ptr<template_store>(std::move(s));
}

}  // namespace sesami::store
