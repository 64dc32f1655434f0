// Outbound webhooks in SQLite (migration 17): endpoints, the delivery outbox, the attempt log.
// One connection behind a mutex for the management routes and the worker; the outbox rows of
// stored events are written by the event store's writer (enqueue_webhook_deliveries).
#include "webhooks.hpp"

#include <mutex>
#include <string>

namespace sesami::store {

std::string join_event_types(const std::vector<std::string>& types) {
  if (types.empty()) return {};
  std::string out = ",";
  for (const auto& t : types) out += t + ",";
  return out;
}

std::vector<std::string> split_event_types(std::string_view stored) {
  std::vector<std::string> out;
  while (!stored.empty()) {
    const auto comma = stored.find(',');
    if (comma != 0) out.emplace_back(stored.substr(0, comma));
    if (comma == std::string_view::npos) break;
    stored.remove_prefix(comma + 1);
  }
  return out;
}

namespace sqlite {
namespace {
int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 0;
}
// Event identities are 16 bytes in SQLite (events.id); the app speaks 32 hex chars.
std::string hex_to_blob(std::string_view hex) {
  std::string out(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<char>(hex_digit(hex[2 * i]) * 16 + hex_digit(hex[2 * i + 1]));
  return out;
}
std::string blob_to_hex(std::string_view b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(b.size() * 2);
  for (unsigned char c : b) out.push_back(digits[c >> 4]), out.push_back(digits[c & 15]);
  return out;
}
}  // namespace

status enqueue_webhook_deliveries(connection& c, std::string_view ws,
                                  std::span<const webhook_event_ref> events, std::int64_t now) {
  if (events.empty()) return {};
  // The workspace's enabled endpoints, read once per request in the transaction (index
  // webhook_endpoints_workspace): a workspace without endpoints pays this one lookup.
  struct target {
    std::string id, types;
  };
  std::vector<target> targets;
  {
    auto s = c.prepare_static(
        "SELECT id, event_types FROM webhook_endpoints WHERE workspace = ?1 AND enabled = 1");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, ws);
    int rc;
    while ((rc = (*s)->step()) == SQLITE_ROW)
      targets.push_back({std::string((*s)->text(0)), std::string((*s)->text(1))});
    if (rc != SQLITE_DONE) return c.fail(rc, "cannot read webhook endpoints");
  }
  if (targets.empty()) return {};
  auto ins = c.prepare_static(
      "INSERT INTO webhook_deliveries (workspace, endpoint_id, event_id, webhook_id, type, "
      "next_attempt_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)");
  if (!ins) return ins.error();
  std::string key;
  for (const auto& ev : events) {
    const std::string_view type = sesami::to_string(ev.type);
    key.assign(",").append(type).push_back(',');
    for (const auto& t : targets) {
      if (!t.types.empty() && t.types.find(key) == std::string::npos) continue;
      auto& s = **ins;
      s.bind(1, ws);
      s.bind(2, t.id);
      s.bind_blob(3, hex_to_blob(ev.id));
      s.bind(4, webhook_message_id(ev.id, t.id));
      s.bind(5, type);
      s.bind(6, now);
      if (auto r = run(c, s, "cannot queue a webhook delivery"); !r) return r;
    }
  }
  return {};
}

namespace {
constexpr const char* endpoint_cols =
    "id, workspace, url, event_types, description, enabled, disabled_reason, secret, "
    "previous_secret, previous_expires_at, failing_since, created_at, updated_at";
constexpr const char* delivery_cols =
    "d.id, d.workspace, d.endpoint_id, d.event_id, d.webhook_id, d.type, d.state, d.attempts, "
    "d.next_attempt_at, d.last_status, d.last_latency_ms, d.last_response, d.last_error, "
    "d.created_at";

webhook_endpoint endpoint_of(const statement& s) {
  webhook_endpoint e;
  e.id = s.text(0), e.workspace = s.text(1), e.url = s.text(2);
  e.event_types = split_event_types(s.text(3));
  e.description = s.text(4), e.enabled = s.int64(5) != 0, e.disabled_reason = s.text(6);
  e.secret = s.text(7), e.previous_secret = s.text(8), e.previous_expires_at = s.int64(9);
  e.failing_since = s.int64(10), e.created_at = s.int64(11), e.updated_at = s.int64(12);
  return e;
}

webhook_delivery delivery_of(const statement& s) {
  webhook_delivery d;
  d.id = s.int64(0), d.workspace = s.text(1), d.endpoint_id = s.text(2);
  d.event_id = blob_to_hex(s.blob(3)), d.webhook_id = s.text(4), d.type = s.text(5);
  d.state = static_cast<delivery_state>(s.int64(6));
  d.attempts = static_cast<int>(s.int64(7)), d.next_attempt_at = s.int64(8);
  d.last_status = static_cast<int>(s.int64(9)), d.last_latency_ms = s.int64(10);
  d.last_response = s.text(11), d.last_error = s.text(12), d.created_at = s.int64(13);
  return d;
}

class sqlite_webhooks final : public webhook_store {
 public:
  // `work` serves the delivery worker (claims, outcomes) with synchronous = NORMAL: an outcome lost
  // to a power cut means the message is sent again, which at-least-once allows; the endpoints'
  // changes stay on `c`, durable (FULL) before the API answers.
  sqlite_webhooks(std::unique_ptr<connection> c, std::unique_ptr<connection> work)
      : db_(std::move(c)), work_(std::move(work)) {}

  status create_endpoint(const webhook_endpoint& e) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare(std::string("INSERT INTO webhook_endpoints (") + endpoint_cols +
                          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
    if (!s) return s.error();
    bind_endpoint(**s, e);
    return run(*db_, **s, "cannot store the webhook endpoint");
  }

  result<std::vector<webhook_endpoint>> list_endpoints(std::string_view ws) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare(std::string("SELECT ") + endpoint_cols +
                          " FROM webhook_endpoints WHERE workspace = ?1 ORDER BY created_at, id");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, ws);
    std::vector<webhook_endpoint> out;
    int rc;
    while ((rc = (*s)->step()) == SQLITE_ROW) out.push_back(endpoint_of(**s));
    if (rc != SQLITE_DONE) return db_->fail(rc, "cannot list webhook endpoints");
    return out;
  }

  result<std::optional<webhook_endpoint>> find_endpoint(std::string_view ws,
                                                        std::string_view id) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare(std::string("SELECT ") + endpoint_cols +
                          " FROM webhook_endpoints WHERE workspace = ?1 AND id = ?2");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, ws), (*s)->bind(2, id);
    const int rc = (*s)->step();
    if (rc == SQLITE_DONE) return std::optional<webhook_endpoint>{};
    if (rc != SQLITE_ROW) return db_->fail(rc, "cannot read the webhook endpoint");
    return std::optional<webhook_endpoint>{endpoint_of(**s)};
  }

  status update_endpoint(const webhook_endpoint& e) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "UPDATE webhook_endpoints SET url = ?3, event_types = ?4, description = ?5, enabled = ?6, "
        "disabled_reason = ?7, secret = ?8, previous_secret = ?9, previous_expires_at = ?10, "
        "failing_since = ?11, updated_at = ?13 WHERE id = ?1 AND workspace = ?2");
    if (!s) return s.error();
    bind_endpoint(**s, e);
    return run(*db_, **s, "cannot update the webhook endpoint");
  }

  result<bool> delete_endpoint(std::string_view ws, std::string_view id) override {
    std::lock_guard lock(mu_);
    bool found = false;
    auto tx = in_transaction(*db_, [&]() -> status {
      auto s =
          db_->prepare_static("DELETE FROM webhook_endpoints WHERE workspace = ?1 AND id = ?2");
      if (!s) return s.error();
      (*s)->bind(1, ws), (*s)->bind(2, id);
      if (auto r = run(*db_, **s, "cannot delete the webhook endpoint"); !r) return r;
      found = db_->changes() > 0;
      if (!found) return {};
      auto a = db_->prepare_static(
          "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries "
          "WHERE endpoint_id = ?1)");
      if (!a) return a.error();
      (*a)->bind(1, id);
      if (auto r = run(*db_, **a, "cannot delete webhook attempts"); !r) return r;
      auto d = db_->prepare_static("DELETE FROM webhook_deliveries WHERE endpoint_id = ?1");
      if (!d) return d.error();
      (*d)->bind(1, id);
      return run(*db_, **d, "cannot delete webhook deliveries");
    });
    if (!tx) return tx.error();
    return found;
  }

  result<std::int64_t> add_message(std::string_view ws, std::string_view endpoint_id,
                                   std::string_view type, std::string_view payload,
                                   std::int64_t now) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "INSERT INTO webhook_deliveries (workspace, endpoint_id, webhook_id, type, payload, "
        "next_attempt_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)");
    if (!s) return s.error();
    // A message of its own: its webhook-id is made from the row id once known.
    const std::string tmp = "msg_pending";
    (*s)->bind(1, ws), (*s)->bind(2, endpoint_id), (*s)->bind(3, tmp), (*s)->bind(4, type);
    (*s)->bind(5, payload), (*s)->bind(6, now);
    std::int64_t id = 0;
    auto tx = in_transaction(*db_, [&]() -> status {
      if (auto r = run(*db_, **s, "cannot queue the webhook message"); !r) return r;
      id = sqlite3_last_insert_rowid(db_->get());
      auto u = db_->prepare_static("UPDATE webhook_deliveries SET webhook_id = ?2 WHERE id = ?1");
      if (!u) return u.error();
      (*u)->bind(1, id),
          (*u)->bind(2, "msg_" + std::to_string(id) + "_" + std::string(endpoint_id));
      return run(*db_, **u, "cannot queue the webhook message");
    });
    if (!tx) return tx.error();
    return id;
  }

  result<delivery_page> list_deliveries(std::string_view ws, std::string_view endpoint_id,
                                        const delivery_query& q) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare(std::string("SELECT ") + delivery_cols +
                          " FROM webhook_deliveries d WHERE d.endpoint_id = ?1 AND d.workspace = "
                          "?2 AND d.id < ?3 ORDER BY d.id DESC LIMIT ?4");
    if (!s) return s.error();
    delivery_page page;
    {
      reset_guard g{**s};
      (*s)->bind(1, endpoint_id), (*s)->bind(2, ws);
      (*s)->bind(3, q.before > 0 ? q.before : INT64_MAX);
      (*s)->bind(4, static_cast<std::int64_t>(q.limit + 1));
      int rc;
      while ((rc = (*s)->step()) == SQLITE_ROW) page.deliveries.push_back(delivery_of(**s));
      if (rc != SQLITE_DONE) return db_->fail(rc, "cannot list webhook deliveries");
    }
    if (page.deliveries.size() > q.limit) {
      page.deliveries.resize(q.limit);
      page.next = page.deliveries.back().id;
    }
    auto a = db_->prepare_static(
        "SELECT at, status, latency_ms, response, error, next_attempt_at FROM webhook_attempts "
        "WHERE delivery_id = ?1 ORDER BY n");
    if (!a) return a.error();
    for (auto& d : page.deliveries) {
      reset_guard g{**a};
      (*a)->bind(1, d.id);
      int rc;
      while ((rc = (*a)->step()) == SQLITE_ROW) {
        auto& x = **a;
        d.log.push_back({x.int64(0), static_cast<int>(x.int64(1)), x.int64(2),
                         std::string(x.text(3)), std::string(x.text(4)), x.int64(5)});
      }
      if (rc != SQLITE_DONE) return db_->fail(rc, "cannot read webhook attempts");
    }
    return page;
  }

  result<bool> retry_delivery(std::string_view ws, std::string_view endpoint_id, std::int64_t id,
                              std::int64_t now) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "UPDATE webhook_deliveries SET state = 0, next_attempt_at = ?4 WHERE id = ?3 AND "
        "workspace = ?1 AND endpoint_id = ?2");
    if (!s) return s.error();
    (*s)->bind(1, ws), (*s)->bind(2, endpoint_id), (*s)->bind(3, id), (*s)->bind(4, now);
    if (auto r = run(*db_, **s, "cannot retry the webhook delivery"); !r) return r.error();
    return db_->changes() > 0;
  }

  result<std::vector<due_delivery>> claim_due(std::string_view owner, std::int64_t now,
                                              std::int64_t lease_ms, std::size_t limit) override {
    std::lock_guard lock(work_mu_);
    std::vector<due_delivery> out;
    auto tx = in_transaction(*work_, [&]() -> status {
      // Index webhook_deliveries_due: the oldest due first; a row under another owner's live
      // lease is left alone, an expired lease (its node died) is taken over.
      auto s = work_->prepare(
          std::string("SELECT ") + delivery_cols +
          ", e.url, e.secret, e.previous_secret, e.previous_expires_at, "
          "CASE WHEN d.payload IS NOT NULL THEN d.payload ELSE ev.doc END, "
          "CASE WHEN d.payload IS NOT NULL THEN d.created_at ELSE ev.ts END, "
          "d.payload IS NULL AND ev.doc IS NULL "
          "FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id "
          "LEFT JOIN events ev ON d.payload IS NULL AND ev.workspace = d.workspace AND ev.id = "
          "d.event_id WHERE d.state = 0 AND d.next_attempt_at <= ?1 AND d.lease_until < ?1 AND "
          "e.enabled = 1 ORDER BY d.next_attempt_at LIMIT ?2");
      if (!s) return s.error();
      {
        reset_guard g{**s};
        (*s)->bind(1, now), (*s)->bind(2, static_cast<std::int64_t>(limit));
        int rc;
        while ((rc = (*s)->step()) == SQLITE_ROW) {
          auto& x = **s;
          due_delivery dd;
          dd.d = delivery_of(x);
          dd.url = x.text(14), dd.secret = x.text(15), dd.previous_secret = x.text(16);
          dd.previous_expires_at = x.int64(17), dd.data = x.text(18), dd.timestamp = x.int64(19);
          dd.event_missing = x.int64(20) != 0;
          out.push_back(std::move(dd));
        }
        if (rc != SQLITE_DONE) return work_->fail(rc, "cannot look for due webhook deliveries");
      }
      auto u = work_->prepare_static(
          "UPDATE webhook_deliveries SET lease_owner = ?2, lease_until = ?3 WHERE id = ?1");
      if (!u) return u.error();
      for (const auto& dd : out) {
        (*u)->bind(1, dd.d.id), (*u)->bind(2, owner), (*u)->bind(3, now + lease_ms);
        if (auto r = run(*work_, **u, "cannot claim a webhook delivery"); !r) return r;
      }
      return {};
    });
    if (!tx) return tx.error();
    return out;
  }

  result<std::vector<std::string>> record(std::string_view owner,
                                          std::span<const delivery_outcome> outcomes,
                                          std::int64_t now, std::int64_t disable_before,
                                          std::string_view reason) override {
    std::lock_guard lock(work_mu_);
    std::vector<std::string> disabled;
    auto tx = in_transaction(*work_, [&]() -> status {
      auto u = work_->prepare_static(
          "UPDATE webhook_deliveries SET state = ?3, attempts = attempts + 1, next_attempt_at = "
          "?4, lease_owner = '', lease_until = 0, last_status = ?5, last_latency_ms = ?6, "
          "last_response = ?7, last_error = ?8 WHERE id = ?1 AND lease_owner = ?2 "
          "RETURNING attempts");
      auto a = work_->prepare_static(
          "INSERT OR REPLACE INTO webhook_attempts (delivery_id, n, at, status, latency_ms, "
          "response, error, next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
      auto ok = work_->prepare_static(
          "UPDATE webhook_endpoints SET failing_since = 0 WHERE id = ?1 AND failing_since <> 0");
      auto bad = work_->prepare_static(
          "UPDATE webhook_endpoints SET failing_since = ?2 WHERE id = ?1 AND failing_since = 0");
      auto off = work_->prepare_static(
          "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?3, updated_at = ?4 WHERE "
          "id = ?1 AND enabled = 1 AND failing_since <> 0 AND failing_since < ?2");
      if (!u) return u.error();
      if (!a) return a.error();
      if (!ok) return ok.error();
      if (!bad) return bad.error();
      if (!off) return off.error();
      for (const auto& o : outcomes) {
        const auto state = o.delivered
                               ? delivery_state::delivered
                               : (o.give_up ? delivery_state::failed : delivery_state::pending);
        std::int64_t n = 0;
        {
          auto& s = **u;
          reset_guard g{s};
          s.bind(1, o.id), s.bind(2, owner), s.bind(3, static_cast<int>(state));
          s.bind(4, o.attempt.next_attempt_at), s.bind(5, o.attempt.status);
          s.bind(6, o.attempt.latency_ms), s.bind(7, o.attempt.response);
          s.bind(8, o.attempt.error);
          const int rc = s.step();
          if (rc == SQLITE_DONE) continue;  // the claim was lost: another node has it now
          if (rc != SQLITE_ROW) return work_->fail(rc, "cannot record a webhook attempt");
          n = s.int64(0);
        }
        auto& s = **a;
        s.bind(1, o.id), s.bind(2, n), s.bind(3, o.attempt.at), s.bind(4, o.attempt.status);
        s.bind(5, o.attempt.latency_ms), s.bind(6, o.attempt.response);
        s.bind(7, o.attempt.error), s.bind(8, o.attempt.next_attempt_at);
        if (auto r = run(*work_, s, "cannot record a webhook attempt"); !r) return r;
        auto& e = o.delivered ? **ok : **bad;
        e.bind(1, o.endpoint_id);
        if (!o.delivered) e.bind(2, now);
        if (auto r = run(*work_, e, "cannot record the endpoint's health"); !r) return r;
        if (o.delivered) continue;
        auto& x = **off;
        x.bind(1, o.endpoint_id), x.bind(2, disable_before), x.bind(3, reason), x.bind(4, now);
        if (auto r = run(*work_, x, "cannot disable the webhook endpoint"); !r) return r;
        if (work_->changes() > 0) disabled.push_back(o.endpoint_id);
      }
      return {};
    });
    if (!tx) return tx.error();
    return disabled;
  }

 private:
  static void bind_endpoint(statement& s, const webhook_endpoint& e) {
    s.bind(1, e.id), s.bind(2, e.workspace), s.bind(3, e.url);
    s.bind(4, join_event_types(e.event_types)), s.bind(5, e.description);
    s.bind(6, e.enabled ? 1 : 0), s.bind(7, e.disabled_reason), s.bind(8, e.secret);
    s.bind(9, e.previous_secret), s.bind(10, e.previous_expires_at), s.bind(11, e.failing_since);
    s.bind(12, e.created_at), s.bind(13, e.updated_at);
  }

  std::mutex mu_, work_mu_;
  std::unique_ptr<connection> db_, work_;
};
}  // namespace
}  // namespace sqlite

result<std::unique_ptr<webhook_store>> open_sqlite_webhooks(const std::string& path,
                                                            int busy_timeout_ms) {
  auto c = sqlite::open_existing(path, busy_timeout_ms);
  if (!c) return c.error();
  auto work = sqlite::open_existing(path, busy_timeout_ms);
  if (!work) return work.error();
  if (auto s = (*work)->exec("PRAGMA synchronous = NORMAL"); !s) return s.error();
  return std::unique_ptr<webhook_store>(
      new sqlite::sqlite_webhooks(std::move(*c), std::move(*work)));
}

}  // namespace sesami::store
