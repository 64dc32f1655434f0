// Topics and contacts in SQLite (migration 20). One connection behind a mutex: topic management
// and the preference page are rare; the send path's read is one primary-key lookup per recipient.
#include <algorithm>
#include <mutex>

#include <sesami/ascii.hpp>

#include "../detail/page_cursor.hpp"
#include "../topic_store.hpp"
#include "connection.hpp"

namespace sesami::store {
namespace {
using sqlite::connection;
using sqlite::reset_guard;

class sqlite_topics final : public topic_store {
 public:
  explicit sqlite_topics(std::unique_ptr<connection> c) : db_(std::move(c)) {}

  result<bool> create_topic(std::string_view ws, const topic& t) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "INSERT INTO topics (workspace, name, description, default_subscribed, created_at, "
        "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT DO NOTHING");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, ws), (*s)->bind(2, t.name), (*s)->bind(3, t.description);
    (*s)->bind(4, t.default_subscribed ? 1 : 0), (*s)->bind(5, t.created_at);
    if (auto r = sqlite::run(*db_, **s, "cannot create topic"); !r) return r.error();
    return db_->changes() > 0;
  }

  result<std::vector<topic>> list_topics(std::string_view ws) override {
    std::lock_guard lock(mu_);
    return read_topics(ws, {});
  }

  result<std::optional<topic>> find_topic(std::string_view ws, std::string_view name) override {
    std::lock_guard lock(mu_);
    auto all = read_topics(ws, name);
    if (!all) return all.error();
    if (all->empty()) return std::optional<topic>{};
    return std::optional<topic>{std::move(all->front())};
  }

  result<bool> update_topic(std::string_view ws, const topic& t) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "UPDATE topics SET description = ?3, default_subscribed = ?4, updated_at = ?5 "
        "WHERE workspace = ?1 AND name = ?2");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, ws), (*s)->bind(2, t.name), (*s)->bind(3, t.description);
    (*s)->bind(4, t.default_subscribed ? 1 : 0), (*s)->bind(5, t.updated_at);
    if (auto r = sqlite::run(*db_, **s, "cannot update topic"); !r) return r.error();
    return db_->changes() > 0;
  }

  result<bool> delete_topic(std::string_view ws, std::string_view name) override {
    std::lock_guard lock(mu_);
    bool found = false;
    auto st = sqlite::in_transaction(*db_, [&]() -> status {
      for (const char* sql : {"DELETE FROM contact_topics WHERE workspace = ?1 AND topic = ?2",
                              "DELETE FROM topics WHERE workspace = ?1 AND name = ?2"}) {
        auto s = db_->prepare_static(sql);
        if (!s) return s.error();
        reset_guard g{**s};
        (*s)->bind(1, ws), (*s)->bind(2, name);
        if (auto r = sqlite::run(*db_, **s, "cannot delete topic"); !r) return r;
      }
      found = db_->changes() > 0;
      return {};
    });
    if (!st) return st.error();
    return found;
  }

  result<contact_page> list_contacts(std::string_view ws, const contact_query& q) override {
    const std::size_t limit = std::clamp<std::size_t>(q.limit, 1, 1000);
    std::string after;
    if (!detail::decode_address_cursor(q.cursor, after))
      return error{errc::bad_input, "invalid cursor"};
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "SELECT address, created_at, updated_at FROM contacts WHERE workspace = ?1 AND "
        "address > ?2 AND (?3 = '' OR instr(address, ?3) > 0) ORDER BY address LIMIT ?4");
    if (!s) return s.error();
    contact_page page;
    {
      reset_guard g{**s};
      (*s)->bind(1, ws), (*s)->bind(2, after), (*s)->bind(3, ascii_lower(q.contains));
      (*s)->bind(4, static_cast<std::int64_t>(limit + 1));
      int rc;
      while ((rc = (*s)->step()) == SQLITE_ROW)
        page.contacts.push_back({std::string((*s)->text(0)), {}, (*s)->int64(1), (*s)->int64(2)});
      if (rc != SQLITE_DONE) return db_->fail(rc, "cannot list contacts");
    }
    if (page.contacts.size() > limit) {
      page.contacts.resize(limit);
      page.next = detail::encode_address_cursor(page.contacts.back().address);
    }
    for (auto& c : page.contacts)
      if (auto r = read_choices(ws, c); !r) return r.error();
    return page;
  }

  result<std::optional<contact>> find_contact(std::string_view ws,
                                              std::string_view address) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "SELECT created_at, updated_at FROM contacts WHERE workspace = ?1 AND address = ?2");
    if (!s) return s.error();
    contact c;
    c.address = ascii_lower(address);
    {
      reset_guard g{**s};
      (*s)->bind(1, ws), (*s)->bind(2, c.address);
      const int rc = (*s)->step();
      if (rc == SQLITE_DONE) return std::optional<contact>{};
      if (rc != SQLITE_ROW) return db_->fail(rc, "cannot read contact");
      c.created_at = (*s)->int64(0), c.updated_at = (*s)->int64(1);
    }
    if (auto r = read_choices(ws, c); !r) return r.error();
    return std::optional<contact>{std::move(c)};
  }

  status save_contacts(std::string_view ws, std::span<const contact> contacts,
                       std::span<const std::string> scope, std::int64_t now) override {
    std::lock_guard lock(mu_);
    return sqlite::in_transaction(*db_, [&]() -> status {
      for (const auto& c : contacts)
        if (auto r = save_one(ws, c, scope, now); !r) return r;
      return {};
    });
  }

  result<bool> delete_contact(std::string_view ws, std::string_view address) override {
    std::lock_guard lock(mu_);
    bool found = false;
    const std::string a = ascii_lower(address);
    auto st = sqlite::in_transaction(*db_, [&]() -> status {
      for (const char* sql : {"DELETE FROM contact_topics WHERE workspace = ?1 AND address = ?2",
                              "DELETE FROM contacts WHERE workspace = ?1 AND address = ?2"}) {
        auto s = db_->prepare_static(sql);
        if (!s) return s.error();
        reset_guard g{**s};
        (*s)->bind(1, ws), (*s)->bind(2, a);
        if (auto r = sqlite::run(*db_, **s, "cannot delete contact"); !r) return r;
      }
      found = db_->changes() > 0;
      return {};
    });
    if (!st) return st.error();
    return found;
  }

  result<std::map<std::string, bool>> choices(std::string_view ws, std::string_view topic,
                                              std::span<const std::string> addresses) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "SELECT subscribed FROM contact_topics WHERE workspace = ?1 AND address = ?2 AND "
        "topic = ?3");
    if (!s) return s.error();
    std::map<std::string, bool> out;
    for (const auto& a : addresses) {
      reset_guard g{**s};
      (*s)->bind(1, ws), (*s)->bind(2, a), (*s)->bind(3, topic);
      const int rc = (*s)->step();
      if (rc == SQLITE_ROW)
        out[a] = (*s)->int64(0) != 0;
      else if (rc != SQLITE_DONE)
        return db_->fail(rc, "cannot read topic choices");
    }
    return out;
  }

 private:
  // Topics of the workspace, or the one named `only` (empty: all), by name. Caller holds mu_.
  result<std::vector<topic>> read_topics(std::string_view ws, std::string_view only) {
    auto s = db_->prepare_static(
        "SELECT name, description, default_subscribed, created_at, updated_at FROM topics "
        "WHERE workspace = ?1 AND (?2 = '' OR name = ?2) ORDER BY name");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, ws), (*s)->bind(2, only.empty() ? std::string_view("") : only);  // never NULL
    std::vector<topic> out;
    int rc;
    while ((rc = (*s)->step()) == SQLITE_ROW)
      out.push_back({std::string((*s)->text(0)), std::string((*s)->text(1)), (*s)->int64(2) != 0,
                     (*s)->int64(3), (*s)->int64(4)});
    if (rc != SQLITE_DONE) return db_->fail(rc, "cannot read topics");
    return out;
  }

  status read_choices(std::string_view ws, contact& c) {
    auto s = db_->prepare_static(
        "SELECT topic, subscribed FROM contact_topics WHERE workspace = ?1 AND address = ?2");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, ws), (*s)->bind(2, c.address);
    int rc;
    while ((rc = (*s)->step()) == SQLITE_ROW)
      c.topics[std::string((*s)->text(0))] = (*s)->int64(1) != 0;
    if (rc != SQLITE_DONE) return db_->fail(rc, "cannot read contact topics");
    return {};
  }

  status save_one(std::string_view ws, const contact& c, std::span<const std::string> scope,
                  std::int64_t now) {
    const std::string a = ascii_lower(c.address);
    auto up = db_->prepare_static(
        "INSERT INTO contacts (workspace, address, created_at, updated_at) VALUES (?1, ?2, ?3, ?3) "
        "ON CONFLICT (workspace, address) DO UPDATE SET updated_at = excluded.updated_at");
    if (!up) return up.error();
    {
      reset_guard g{**up};
      (*up)->bind(1, ws), (*up)->bind(2, a), (*up)->bind(3, now);
      if (auto r = sqlite::run(*db_, **up, "cannot save contact"); !r) return r;
    }
    auto del = db_->prepare_static(
        "DELETE FROM contact_topics WHERE workspace = ?1 AND address = ?2 AND topic = ?3");
    auto ins = db_->prepare_static(
        "INSERT INTO contact_topics (workspace, address, topic, subscribed, updated_at) "
        "SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS "
        "(SELECT 1 FROM topics WHERE workspace = ?1 AND name = ?3)");
    if (!del) return del.error();
    if (!ins) return ins.error();
    for (const auto& t : scope) {
      {
        reset_guard g{**del};
        (*del)->bind(1, ws), (*del)->bind(2, a), (*del)->bind(3, t);
        if (auto r = sqlite::run(*db_, **del, "cannot save contact topics"); !r) return r;
      }
      const auto it = c.topics.find(t);
      if (it == c.topics.end()) continue;
      reset_guard g{**ins};
      (*ins)->bind(1, ws), (*ins)->bind(2, a), (*ins)->bind(3, t);
      (*ins)->bind(4, it->second ? 1 : 0), (*ins)->bind(5, now);
      if (auto r = sqlite::run(*db_, **ins, "cannot save contact topics"); !r) return r;
    }
    return {};
  }

  std::mutex mu_;
  std::unique_ptr<connection> db_;
};

}  // namespace

result<std::unique_ptr<topic_store>> open_sqlite_topics(const std::string& path,
                                                        int busy_timeout_ms) {
  auto c = sqlite::open_existing(path, busy_timeout_ms);
  if (!c) return c.error();
  return std::unique_ptr<topic_store>(new sqlite_topics(std::move(*c)));
}

}  // namespace sesami::store
