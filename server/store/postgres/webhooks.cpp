// Outbound webhooks in PostgreSQL (migration 11): the semantics of sqlite/webhooks.cpp for several
// nodes on one database. Due deliveries are claimed with one UPDATE whose rows are picked FOR
// UPDATE SKIP LOCKED (two nodes never take the same delivery, and neither waits for the other);
// an outcome is recorded only while its claimer still holds the lease.
#include "webhooks.hpp"

#include <string>

namespace sesami::store {
namespace pg {

status enqueue_webhook_deliveries(connection& c, std::string_view ws,
                                  std::span<const webhook_event_ref> events, std::int64_t now) {
  if (events.empty()) return {};
  // The workspace's enabled endpoints, read once per group in the transaction (index
  // webhook_endpoints_workspace): a workspace without endpoints pays this one lookup.
  auto t = c.exec("SELECT id, event_types FROM webhook_endpoints WHERE workspace = $1 AND enabled",
                  params().text(ws), "cannot read webhook endpoints");
  if (!t) return t.error();
  if (t->size() == 0) return {};
  array a_ep, a_ev, a_wid, a_type;
  std::string key;
  for (const auto& ev : events) {
    const std::string_view type = sesami::to_string(ev.type);
    key.assign(",").append(type).push_back(',');
    for (int i = 0; i < t->size(); ++i) {
      const auto types = t->text(i, 1);
      if (!types.empty() && types.find(key) == std::string_view::npos) continue;
      const auto ep = t->text(i, 0);
      a_ep.text(ep), a_ev.text(ev.id), a_wid.text(webhook_message_id(ev.id, ep)), a_type.text(type);
    }
  }
  if (a_ep.empty()) return {};
  return done(c.exec(
      "INSERT INTO webhook_deliveries (workspace, endpoint_id, event_id, webhook_id, type, "
      "next_attempt_at, created_at) SELECT $1, u.ep, decode(u.ev, 'hex'), u.wid, u.ty, $6, $6 "
      "FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS u(ep, ev, wid, ty)",
      params()
          .text(ws)
          .text(a_ep.str())
          .text(a_ev.str())
          .text(a_wid.str())
          .text(a_type.str())
          .integer(now),
      "cannot queue webhook deliveries"));
}

namespace {
constexpr const char* endpoint_cols =
    "id, workspace, url, event_types, description, enabled::int, disabled_reason, secret, "
    "previous_secret, previous_expires_at, failing_since, created_at, updated_at";
constexpr const char* insert_cols =
    "id, workspace, url, event_types, description, enabled, disabled_reason, secret, "
    "previous_secret, previous_expires_at, failing_since, created_at, updated_at";
constexpr const char* delivery_cols =
    "d.id, d.workspace, d.endpoint_id, encode(d.event_id, 'hex'), d.webhook_id, d.type, d.state, "
    "d.attempts, d.next_attempt_at, d.last_status, d.last_latency_ms, d.last_response, "
    "d.last_error, d.created_at";

webhook_endpoint endpoint_of(const rows& r, int i) {
  webhook_endpoint e;
  e.id = r.text(i, 0), e.workspace = r.text(i, 1), e.url = r.text(i, 2);
  e.event_types = split_event_types(r.text(i, 3));
  e.description = r.text(i, 4), e.enabled = r.int64(i, 5) != 0, e.disabled_reason = r.text(i, 6);
  e.secret = r.text(i, 7), e.previous_secret = r.text(i, 8);
  e.previous_expires_at = r.int64(i, 9), e.failing_since = r.int64(i, 10);
  e.created_at = r.int64(i, 11), e.updated_at = r.int64(i, 12);
  return e;
}

webhook_delivery delivery_of(const rows& r, int i) {
  webhook_delivery d;
  d.id = r.int64(i, 0), d.workspace = r.text(i, 1), d.endpoint_id = r.text(i, 2);
  d.event_id = r.text(i, 3), d.webhook_id = r.text(i, 4), d.type = r.text(i, 5);
  d.state = static_cast<delivery_state>(r.int64(i, 6));
  d.attempts = static_cast<int>(r.int64(i, 7)), d.next_attempt_at = r.int64(i, 8);
  d.last_status = static_cast<int>(r.int64(i, 9)), d.last_latency_ms = r.int64(i, 10);
  d.last_response = r.text(i, 11), d.last_error = r.text(i, 12), d.created_at = r.int64(i, 13);
  return d;
}

params endpoint_params(const webhook_endpoint& e) {
  return std::move(params()
                       .text(e.id)
                       .text(e.workspace)
                       .text(e.url)
                       .text(join_event_types(e.event_types))
                       .text(e.description)
                       .text(e.enabled ? "true" : "false")
                       .text(e.disabled_reason)
                       .text(e.secret)
                       .text(e.previous_secret)
                       .integer(e.previous_expires_at)
                       .integer(e.failing_since)
                       .integer(e.created_at)
                       .integer(e.updated_at));
}

class pg_webhooks final : public webhook_store {
 public:
  explicit pg_webhooks(const std::string& url) : pool_(url, 4) {}

  status check() {
    return done(pool_.exec("SELECT 1 FROM webhook_endpoints LIMIT 1", params(),
                           "cannot open the webhook tables"));
  }

  status create_endpoint(const webhook_endpoint& e) override {
    return done(pool_.exec(std::string("INSERT INTO webhook_endpoints (") + insert_cols +
                               ") VALUES ($1, $2, $3, $4, $5, $6::boolean, $7, $8, $9, $10, $11, "
                               "$12, $13)",
                           endpoint_params(e), "cannot store the webhook endpoint"));
  }

  result<std::vector<webhook_endpoint>> list_endpoints(std::string_view ws) override {
    auto r = pool_.exec(std::string("SELECT ") + endpoint_cols +
                            " FROM webhook_endpoints WHERE workspace = $1 ORDER BY created_at, id",
                        params().text(ws), "cannot list webhook endpoints");
    if (!r) return r.error();
    std::vector<webhook_endpoint> out;
    for (int i = 0; i < r->size(); ++i) out.push_back(endpoint_of(*r, i));
    return out;
  }

  result<std::optional<webhook_endpoint>> find_endpoint(std::string_view ws,
                                                        std::string_view id) override {
    auto r = pool_.exec(std::string("SELECT ") + endpoint_cols +
                            " FROM webhook_endpoints WHERE workspace = $1 AND id = $2",
                        params().text(ws).text(id), "cannot read the webhook endpoint");
    if (!r) return r.error();
    if (r->size() == 0) return std::optional<webhook_endpoint>{};
    return std::optional<webhook_endpoint>{endpoint_of(*r, 0)};
  }

  status update_endpoint(const webhook_endpoint& e) override {
    return done(pool_.exec(
        "UPDATE webhook_endpoints SET url = $3, event_types = $4, description = $5, enabled = "
        "$6::boolean, disabled_reason = $7, secret = $8, previous_secret = $9, "
        "previous_expires_at = $10, failing_since = $11, updated_at = $13 WHERE id = $1 AND "
        "workspace = $2 AND $12::bigint IS NOT NULL",
        endpoint_params(e), "cannot update the webhook endpoint"));
  }

  result<bool> delete_endpoint(std::string_view ws, std::string_view id) override {
    auto c = pool_.acquire();
    if (!c) return c.error();
    bool found = false;
    auto r = in_transaction(**c, [&]() -> status {
      auto d = (*c)->exec("DELETE FROM webhook_endpoints WHERE workspace = $1 AND id = $2",
                          params().text(ws).text(id), "cannot delete the webhook endpoint");
      if (!d) return d.error();
      found = d->affected() > 0;
      if (!found) return {};
      if (auto a = (*c)->exec("DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM "
                              "webhook_deliveries WHERE endpoint_id = $1)",
                              params().text(id), "cannot delete webhook attempts");
          !a)
        return a.error();
      return done((*c)->exec("DELETE FROM webhook_deliveries WHERE endpoint_id = $1",
                             params().text(id), "cannot delete webhook deliveries"));
    });
    if (!r) return r.error();
    return found;
  }

  result<std::int64_t> add_message(std::string_view ws, std::string_view endpoint_id,
                                   std::string_view type, std::string_view payload,
                                   std::int64_t now) override {
    auto r = pool_.exec(
        "INSERT INTO webhook_deliveries (id, workspace, endpoint_id, webhook_id, type, payload, "
        "next_attempt_at, created_at) SELECT n, $1, $2, 'msg_' || n || '_' || $2, $3, $4, $5, $5 "
        "FROM (SELECT nextval(pg_get_serial_sequence('webhook_deliveries', 'id')) AS n) s "
        "RETURNING id",
        params().text(ws).text(endpoint_id).text(type).text(payload).integer(now),
        "cannot queue the webhook message");
    if (!r) return r.error();
    return r->int64(0, 0);
  }

  result<delivery_page> list_deliveries(std::string_view ws, std::string_view endpoint_id,
                                        const delivery_query& q) override {
    auto r = pool_.exec(std::string("SELECT ") + delivery_cols +
                            " FROM webhook_deliveries d WHERE d.endpoint_id = $1 AND "
                            "d.workspace = $2 AND d.id < $3 ORDER BY d.id DESC LIMIT $4",
                        params()
                            .text(endpoint_id)
                            .text(ws)
                            .integer(q.before > 0 ? q.before : INT64_MAX)
                            .integer(static_cast<std::int64_t>(q.limit + 1)),
                        "cannot list webhook deliveries");
    if (!r) return r.error();
    delivery_page page;
    for (int i = 0; i < r->size(); ++i) page.deliveries.push_back(delivery_of(*r, i));
    if (page.deliveries.size() > q.limit) {
      page.deliveries.resize(q.limit);
      page.next = page.deliveries.back().id;
    }
    if (page.deliveries.empty()) return page;
    array ids;
    for (const auto& d : page.deliveries) ids.integer(d.id);
    auto a = pool_.exec(
        "SELECT delivery_id, at, status, latency_ms, response, error, next_attempt_at FROM "
        "webhook_attempts WHERE delivery_id = ANY($1::int8[]) ORDER BY delivery_id, n",
        params().text(ids.str()), "cannot read webhook attempts");
    if (!a) return a.error();
    for (int i = 0; i < a->size(); ++i) {
      const auto id = a->int64(i, 0);
      for (auto& d : page.deliveries)
        if (d.id == id)
          d.log.push_back({a->int64(i, 1), static_cast<int>(a->int64(i, 2)), a->int64(i, 3),
                           std::string(a->text(i, 4)), std::string(a->text(i, 5)), a->int64(i, 6)});
    }
    return page;
  }

  result<bool> retry_delivery(std::string_view ws, std::string_view endpoint_id, std::int64_t id,
                              std::int64_t now) override {
    auto r = pool_.exec(
        "UPDATE webhook_deliveries SET state = 0, next_attempt_at = $4 WHERE id = $3 AND "
        "workspace = $1 AND endpoint_id = $2",
        params().text(ws).text(endpoint_id).integer(id).integer(now),
        "cannot retry the webhook delivery");
    if (!r) return r.error();
    return r->affected() > 0;
  }

  result<std::vector<due_delivery>> claim_due(std::string_view owner, std::int64_t now,
                                              std::int64_t lease_ms, std::size_t limit) override {
    // The subquery locks the oldest due rows, skipping those another node is claiming right now;
    // the outer condition re-checks the lease on the locked rows' latest versions.
    auto r = pool_.exec(
        std::string("WITH c AS (UPDATE webhook_deliveries d SET lease_owner = $1, lease_until = "
                    "$2::bigint + $3::bigint WHERE d.id IN (SELECT d2.id FROM webhook_deliveries "
                    "d2 JOIN webhook_endpoints e2 ON e2.id = d2.endpoint_id WHERE d2.state = 0 "
                    "AND d2.next_attempt_at <= $2 AND d2.lease_until < $2 AND e2.enabled ORDER BY "
                    "d2.next_attempt_at LIMIT $4 FOR UPDATE OF d2 SKIP LOCKED) AND d.state = 0 "
                    "AND d.lease_until < $2 RETURNING d.*) SELECT ") +
            delivery_cols +
            ", e.url, e.secret, e.previous_secret, e.previous_expires_at, "
            "COALESCE(d.payload, ev.doc, ''), CASE WHEN d.payload IS NOT NULL THEN d.created_at "
            "ELSE COALESCE(ev.ts, 0) END, (d.payload IS NULL AND ev.doc IS NULL)::int "
            "FROM c d JOIN webhook_endpoints e ON e.id = d.endpoint_id LEFT JOIN events ev ON "
            "d.payload IS NULL AND ev.workspace = d.workspace AND ev.id = d.event_id",
        params().text(owner).integer(now).integer(lease_ms).integer(
            static_cast<std::int64_t>(limit)),
        "cannot claim webhook deliveries");
    if (!r) return r.error();
    std::vector<due_delivery> out;
    for (int i = 0; i < r->size(); ++i) {
      due_delivery dd;
      dd.d = delivery_of(*r, i);
      dd.url = r->text(i, 14), dd.secret = r->text(i, 15), dd.previous_secret = r->text(i, 16);
      dd.previous_expires_at = r->int64(i, 17), dd.data = r->text(i, 18);
      dd.timestamp = r->int64(i, 19), dd.event_missing = r->int64(i, 20) != 0;
      out.push_back(std::move(dd));
    }
    return out;
  }

  result<std::vector<std::string>> record(std::string_view owner,
                                          std::span<const delivery_outcome> outcomes,
                                          std::int64_t now, std::int64_t disable_before,
                                          std::string_view reason) override {
    auto c = pool_.acquire();
    if (!c) return c.error();
    std::vector<std::string> disabled;
    auto r = in_transaction(**c, [&]() -> status {
      for (const auto& o : outcomes) {
        const auto state = o.delivered
                               ? delivery_state::delivered
                               : (o.give_up ? delivery_state::failed : delivery_state::pending);
        auto u = (*c)->exec(
            "UPDATE webhook_deliveries SET state = $3, attempts = attempts + 1, next_attempt_at "
            "= $4, lease_owner = '', lease_until = 0, last_status = $5, last_latency_ms = $6, "
            "last_response = $7, last_error = $8 WHERE id = $1 AND lease_owner = $2 "
            "RETURNING attempts",
            params()
                .integer(o.id)
                .text(owner)
                .integer(static_cast<int>(state))
                .integer(o.attempt.next_attempt_at)
                .integer(o.attempt.status)
                .integer(o.attempt.latency_ms)
                .text(o.attempt.response)
                .text(o.attempt.error),
            "cannot record a webhook attempt");
        if (!u) return u.error();
        if (u->size() == 0) continue;  // the claim was lost: another node has it now
        auto a = (*c)->exec(
            "INSERT INTO webhook_attempts (delivery_id, n, at, status, latency_ms, response, "
            "error, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT "
            "(delivery_id, n) DO NOTHING",
            params()
                .integer(o.id)
                .integer(u->int64(0, 0))
                .integer(o.attempt.at)
                .integer(o.attempt.status)
                .integer(o.attempt.latency_ms)
                .text(o.attempt.response)
                .text(o.attempt.error)
                .integer(o.attempt.next_attempt_at),
            "cannot record a webhook attempt");
        if (!a) return a.error();
        auto h = o.delivered ? (*c)->exec(
                                   "UPDATE webhook_endpoints SET failing_since = 0 WHERE id = $1 "
                                   "AND failing_since <> 0",
                                   params().text(o.endpoint_id), "cannot record endpoint health")
                             : (*c)->exec(
                                   "UPDATE webhook_endpoints SET failing_since = $2 WHERE id = $1 "
                                   "AND failing_since = 0",
                                   params().text(o.endpoint_id).integer(now),
                                   "cannot record endpoint health");
        if (!h) return h.error();
        if (o.delivered) continue;
        auto x = (*c)->exec(
            "UPDATE webhook_endpoints SET enabled = false, disabled_reason = $3, updated_at = $4 "
            "WHERE id = $1 AND enabled AND failing_since <> 0 AND failing_since < $2",
            params().text(o.endpoint_id).integer(disable_before).text(reason).integer(now),
            "cannot disable the webhook endpoint");
        if (!x) return x.error();
        if (x->affected() > 0) disabled.push_back(o.endpoint_id);
      }
      return {};
    });
    if (!r) return r.error();
    return disabled;
  }

 private:
  pool pool_;
};
}  // namespace
}  // namespace pg

result<std::unique_ptr<webhook_store>> open_postgres_webhooks(const std::string& url) {
  auto w = std::make_unique<pg::pg_webhooks>(url);
  if (auto s = w->check(); !s) return s.error();
  return std::unique_ptr<webhook_store>(std::move(w));
}

}  // namespace sesami::store
