// Topics and contacts in PostgreSQL (migration 14): the semantics of sqlite/topics.cpp. The send
// path reads every recipient's choice in one statement (= ANY of an array).
#include <algorithm>

#include <sesami/ascii.hpp>

#include "../detail/page_cursor.hpp"
#include "../topic_store.hpp"
#include "connection.hpp"

namespace sesami::store {
namespace {
using pg::connection;
using pg::params;
using pg::rows;

bool is_true(std::string_view v) { return v == "t" || v == "true" || v == "1"; }

// Runs `fn(connection&) -> status` between BEGIN and COMMIT; rolls back on any failure.
template <class F>
status transaction(pg::pool& pool, std::string_view what, F&& fn) {
  auto c = pool.acquire();
  if (!c) return c.error();
  connection& db = **c;
  if (auto b = db.script("BEGIN", what); !b) return b;
  if (auto st = fn(db); !st) {
    db.rollback();
    return st;
  }
  return db.script("COMMIT", what);
}

class pg_topics final : public topic_store {
 public:
  explicit pg_topics(const std::string& url) : pool_(url, 2) {}

  result<bool> create_topic(std::string_view ws, const topic& t) override {
    auto r = pool_.exec(
        "INSERT INTO topics (workspace, name, description, default_subscribed, created_at, "
        "updated_at) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT DO NOTHING",
        params()
            .text(ws)
            .text(t.name)
            .text(t.description)
            .text(t.default_subscribed ? "true" : "false")
            .integer(t.created_at),
        "cannot create topic");
    if (!r) return r.error();
    return r->affected() > 0;
  }

  result<std::vector<topic>> list_topics(std::string_view ws) override {
    return read_topics(ws, {});
  }

  result<std::optional<topic>> find_topic(std::string_view ws, std::string_view name) override {
    auto all = read_topics(ws, name);
    if (!all) return all.error();
    if (all->empty()) return std::optional<topic>{};
    return std::optional<topic>{std::move(all->front())};
  }

  result<bool> update_topic(std::string_view ws, const topic& t) override {
    auto r = pool_.exec(
        "UPDATE topics SET description = $3, default_subscribed = $4, updated_at = $5 "
        "WHERE workspace = $1 AND name = $2",
        params()
            .text(ws)
            .text(t.name)
            .text(t.description)
            .text(t.default_subscribed ? "true" : "false")
            .integer(t.updated_at),
        "cannot update topic");
    if (!r) return r.error();
    return r->affected() > 0;
  }

  result<bool> delete_topic(std::string_view ws, std::string_view name) override {
    bool found = false;
    auto st = transaction(pool_, "cannot delete topic", [&](connection& db) -> status {
      if (auto d = db.exec("DELETE FROM contact_topics WHERE workspace = $1 AND topic = $2",
                           params().text(ws).text(name), "cannot delete topic");
          !d)
        return d.error();
      auto d = db.exec("DELETE FROM topics WHERE workspace = $1 AND name = $2",
                       params().text(ws).text(name), "cannot delete topic");
      if (!d) return d.error();
      found = d->affected() > 0;
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
    // The page's contacts with their choices in one statement (a contact without choices keeps
    // one row with a NULL topic).
    auto r = pool_.exec(
        "SELECT c.address, c.created_at, c.updated_at, t.topic, t.subscribed FROM "
        "(SELECT address, created_at, updated_at FROM contacts WHERE workspace = $1 AND "
        "address > $2 AND ($3 = '' OR strpos(address, $3) > 0) ORDER BY address LIMIT $4) c "
        "LEFT JOIN contact_topics t ON t.workspace = $1 AND t.address = c.address "
        "ORDER BY c.address",
        params()
            .text(ws)
            .text(after)
            .text(ascii_lower(q.contains))
            .integer(static_cast<std::int64_t>(limit + 1)),
        "cannot list contacts");
    if (!r) return r.error();
    contact_page page;
    for (int i = 0; i < r->size(); ++i) {
      if (page.contacts.empty() || page.contacts.back().address != r->text(i, 0))
        page.contacts.push_back({std::string(r->text(i, 0)), {}, r->int64(i, 1), r->int64(i, 2)});
      if (!r->is_null(i, 3))
        page.contacts.back().topics[std::string(r->text(i, 3))] = is_true(r->text(i, 4));
    }
    if (page.contacts.size() > limit) {
      page.contacts.resize(limit);
      page.next = detail::encode_address_cursor(page.contacts.back().address);
    }
    return page;
  }

  result<std::optional<contact>> find_contact(std::string_view ws,
                                              std::string_view address) override {
    auto r = pool_.exec(
        "SELECT c.created_at, c.updated_at, t.topic, t.subscribed FROM contacts c "
        "LEFT JOIN contact_topics t ON t.workspace = c.workspace AND t.address = c.address "
        "WHERE c.workspace = $1 AND c.address = $2",
        params().text(ws).text(ascii_lower(address)), "cannot read contact");
    if (!r) return r.error();
    if (r->size() == 0) return std::optional<contact>{};
    contact c{ascii_lower(address), {}, r->int64(0, 0), r->int64(0, 1)};
    for (int i = 0; i < r->size(); ++i)
      if (!r->is_null(i, 2)) c.topics[std::string(r->text(i, 2))] = is_true(r->text(i, 3));
    return std::optional<contact>{std::move(c)};
  }

  status save_contacts(std::string_view ws, std::span<const contact> contacts,
                       std::span<const std::string> scope, std::int64_t now) override {
    if (contacts.empty()) return {};
    // Three statements whatever the number of contacts: upsert them, clear the scope's choices,
    // insert the new ones (only for topics that exist).
    pg::array addr, scope_arr, c_addr, c_topic, c_sub;
    for (const auto& c : contacts) {
      const std::string a = ascii_lower(c.address);
      addr.text(a);
      for (const auto& t : scope) {
        const auto it = c.topics.find(t);
        if (it == c.topics.end()) continue;
        c_addr.text(a), c_topic.text(t), c_sub.text(it->second ? "true" : "false");
      }
    }
    for (const auto& t : scope) scope_arr.text(t);
    return transaction(pool_, "cannot save contacts", [&](connection& db) -> status {
      if (auto x = db.exec(
              "INSERT INTO contacts (workspace, address, created_at, updated_at) "
              "SELECT $1, a, $3, $3 FROM unnest($2::text[]) AS x(a) "
              "ON CONFLICT (workspace, address) DO UPDATE SET updated_at = excluded.updated_at",
              params().text(ws).text(addr.str()).integer(now), "cannot save contacts");
          !x)
        return x.error();
      if (scope_arr.empty()) return {};
      if (auto x = db.exec(
              "DELETE FROM contact_topics WHERE workspace = $1 AND address = ANY($2::text[]) "
              "AND topic = ANY($3::text[])",
              params().text(ws).text(addr.str()).text(scope_arr.str()), "cannot save contacts");
          !x)
        return x.error();
      if (c_addr.empty()) return {};
      if (auto x = db.exec(
              "INSERT INTO contact_topics (workspace, address, topic, subscribed, updated_at) "
              "SELECT $1, x.a, x.t, x.s, $5 FROM unnest($2::text[], $3::text[], $4::boolean[]) "
              "AS x(a, t, s) WHERE EXISTS (SELECT 1 FROM topics WHERE workspace = $1 AND "
              "name = x.t) ON CONFLICT (workspace, address, topic) DO UPDATE SET "
              "subscribed = excluded.subscribed, updated_at = excluded.updated_at",
              params()
                  .text(ws)
                  .text(c_addr.str())
                  .text(c_topic.str())
                  .text(c_sub.str())
                  .integer(now),
              "cannot save contacts");
          !x)
        return x.error();
      return {};
    });
  }

  result<bool> delete_contact(std::string_view ws, std::string_view address) override {
    bool found = false;
    const std::string a = ascii_lower(address);
    auto st = transaction(pool_, "cannot delete contact", [&](connection& db) -> status {
      if (auto d = db.exec("DELETE FROM contact_topics WHERE workspace = $1 AND address = $2",
                           params().text(ws).text(a), "cannot delete contact");
          !d)
        return d.error();
      auto d = db.exec("DELETE FROM contacts WHERE workspace = $1 AND address = $2",
                       params().text(ws).text(a), "cannot delete contact");
      if (!d) return d.error();
      found = d->affected() > 0;
      return {};
    });
    if (!st) return st.error();
    return found;
  }

  result<std::map<std::string, bool>> choices(std::string_view ws, std::string_view topic,
                                              std::span<const std::string> addresses) override {
    std::map<std::string, bool> out;
    if (addresses.empty()) return out;
    pg::array a;
    for (const auto& x : addresses) a.text(x);
    auto r = pool_.exec(
        "SELECT address, subscribed FROM contact_topics WHERE workspace = $1 AND topic = $2 AND "
        "address = ANY($3::text[])",
        params().text(ws).text(topic).text(a.str()), "cannot read topic choices");
    if (!r) return r.error();
    for (int i = 0; i < r->size(); ++i) out[std::string(r->text(i, 0))] = is_true(r->text(i, 1));
    return out;
  }

 private:
  result<std::vector<topic>> read_topics(std::string_view ws, std::string_view only) {
    auto r = pool_.exec(
        "SELECT name, description, default_subscribed, created_at, updated_at FROM topics "
        "WHERE workspace = $1 AND ($2 = '' OR name = $2) ORDER BY name",
        params().text(ws).text(only), "cannot read topics");
    if (!r) return r.error();
    std::vector<topic> out;
    for (int i = 0; i < r->size(); ++i)
      out.push_back({std::string(r->text(i, 0)), std::string(r->text(i, 1)), is_true(r->text(i, 2)),
                     r->int64(i, 3), r->int64(i, 4)});
    return out;
  }

  pg::pool pool_;
};

}  // namespace

result<std::unique_ptr<topic_store>> open_postgres_topics(const std::string& url) {
  auto s = std::make_unique<pg_topics>(url);
  if (auto t = s->list_topics(""); !t) return t.error();  // reachable and migrated
  return std::unique_ptr<topic_store>(std::move(s));
}

result<std::unique_ptr<topic_store>> open_topics(const std::string& db) {
  if (pg::is_url(db)) return open_postgres_topics(db);
  return open_sqlite_topics(db);
}

}  // namespace sesami::store
