// The reputation guard and alerts in PostgreSQL (migration 12): the semantics of sqlite/guard.cpp
// for several nodes on one database. The state is saved by compare and swap on its version; the
// alert mailer claims with one UPDATE over rows picked FOR UPDATE SKIP LOCKED, so each alert is
// mailed by one node.
#include <string>

#include "../guard_store.hpp"
#include "connection.hpp"

namespace sesami::store {
namespace pg {
namespace {
constexpr const char* alert_cols =
    "id, workspace, kind, summary, detail, action, dedupe_key, since, created_at, read_at, "
    "resolved_at, mailed_at, mail_result";

alert_row alert_of(const rows& r, int i) {
  alert_row a;
  a.id = r.text(i, 0), a.workspace = r.text(i, 1), a.kind = r.text(i, 2);
  a.summary = r.text(i, 3), a.detail = r.text(i, 4), a.action = r.text(i, 5);
  a.dedupe_key = r.text(i, 6), a.since = r.int64(i, 7), a.created_at = r.int64(i, 8);
  a.read_at = r.int64(i, 9), a.resolved_at = r.int64(i, 10), a.mailed_at = r.int64(i, 11);
  a.mail_result = r.text(i, 12);
  return a;
}

std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }

class pg_guard final : public guard_store {
 public:
  explicit pg_guard(const std::string& url) : pool_(url, 4) {}

  status check() {
    return done(
        pool_.exec("SELECT 1 FROM alerts LIMIT 1", params(), "cannot open the alert tables"));
  }

  result<reputation_settings> settings(std::string_view ws) override {
    auto r = pool_.exec(
        "SELECT bounce_warning_ppm, bounce_pause_ppm, complaint_warning_ppm, complaint_pause_ppm, "
        "min_sends, pause_single, soft_bounce_limit, soft_bounce_days, alert_from FROM "
        "reputation_settings WHERE workspace = $1",
        params().text(ws), "cannot read the reputation settings");
    if (!r) return r.error();
    reputation_settings out;
    if (r->size() == 0) return out;
    const auto u = [&](int c) { return static_cast<std::uint64_t>(r->int64(0, c)); };
    out.bounce_warning_ppm = u(0), out.bounce_pause_ppm = u(1);
    out.complaint_warning_ppm = u(2), out.complaint_pause_ppm = u(3);
    out.min_sends = r->int64(0, 4), out.pause_single = r->int64(0, 5) != 0;
    out.soft_bounce_limit = r->int64(0, 6), out.soft_bounce_days = r->int64(0, 7);
    out.alert_from = r->text(0, 8);
    return out;
  }

  status put_settings(std::string_view ws, const reputation_settings& v) override {
    return done(pool_.exec(
        "INSERT INTO reputation_settings (workspace, bounce_warning_ppm, bounce_pause_ppm, "
        "complaint_warning_ppm, complaint_pause_ppm, min_sends, pause_single, soft_bounce_limit, "
        "soft_bounce_days, alert_from) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON "
        "CONFLICT (workspace) DO UPDATE SET bounce_warning_ppm = EXCLUDED.bounce_warning_ppm, "
        "bounce_pause_ppm = EXCLUDED.bounce_pause_ppm, complaint_warning_ppm = "
        "EXCLUDED.complaint_warning_ppm, complaint_pause_ppm = EXCLUDED.complaint_pause_ppm, "
        "min_sends = EXCLUDED.min_sends, pause_single = EXCLUDED.pause_single, soft_bounce_limit "
        "= EXCLUDED.soft_bounce_limit, soft_bounce_days = EXCLUDED.soft_bounce_days, alert_from = "
        "EXCLUDED.alert_from",
        params()
            .text(ws)
            .integer(i64(v.bounce_warning_ppm))
            .integer(i64(v.bounce_pause_ppm))
            .integer(i64(v.complaint_warning_ppm))
            .integer(i64(v.complaint_pause_ppm))
            .integer(v.min_sends)
            .integer(v.pause_single ? 1 : 0)
            .integer(v.soft_bounce_limit)
            .integer(v.soft_bounce_days)
            .text(v.alert_from),
        "cannot store the reputation settings"));
  }

  result<reputation_state> state(std::string_view ws) override {
    auto r = pool_.exec(
        "SELECT paused, paused_at, reason, crossed_window, warning_since, resumed_at, resumed_by, "
        "evidence, version FROM reputation_state WHERE workspace = $1",
        params().text(ws), "cannot read the reputation state");
    if (!r) return r.error();
    reputation_state out;
    if (r->size() == 0) return out;
    out.paused = r->int64(0, 0) != 0, out.paused_at = r->int64(0, 1);
    out.reason = r->text(0, 2), out.window = r->text(0, 3), out.warning_since = r->int64(0, 4);
    out.resumed_at = r->int64(0, 5), out.resumed_by = r->text(0, 6);
    out.evidence = r->text(0, 7), out.version = r->int64(0, 8);
    return out;
  }

  result<bool> save_state(std::string_view ws, const reputation_state& v) override {
    auto p = params()
                 .text(ws)
                 .integer(v.paused ? 1 : 0)
                 .integer(v.paused_at)
                 .text(v.reason)
                 .text(v.window)
                 .integer(v.warning_since)
                 .integer(v.resumed_at)
                 .text(v.resumed_by)
                 .text(v.evidence);
    auto r = v.version == 0
                 ? pool_.exec(
                       "INSERT INTO reputation_state (workspace, paused, paused_at, reason, "
                       "crossed_window, warning_since, resumed_at, resumed_by, evidence, "
                       "version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1) ON CONFLICT "
                       "(workspace) DO NOTHING",
                       p, "cannot store the reputation state")
                 : pool_.exec(
                       "UPDATE reputation_state SET paused = $2, paused_at = $3, reason = "
                       "$4, crossed_window = $5, warning_since = $6, resumed_at = $7, "
                       "resumed_by = $8, evidence = $9, version = version + 1 WHERE "
                       "workspace = $1 AND version = $10",
                       p.integer(v.version), "cannot store the reputation state");
    if (!r) return r.error();
    return r->affected() > 0;
  }

  result<std::int64_t> release_held_bulk(std::string_view ws) override {
    auto r = pool_.exec(
        "UPDATE mail_bulk_jobs SET status = 'queued' WHERE workspace = $1 AND status = 'held'",
        params().text(ws), "cannot release held bulk sends");
    if (!r) return r.error();
    return r->affected();
  }

  result<std::int64_t> add_soft_bounce(std::string_view ws, std::string_view address,
                                       std::string_view message_id, std::int64_t at,
                                       std::int64_t since) override {
    // One statement: the insert's row is not visible to its own count, so it is added by hand
    // when it was new.
    auto r = pool_.exec(
        "WITH ins AS (INSERT INTO soft_bounces (workspace, address, message_id, at) VALUES ($1, "
        "$2, $3, $4) ON CONFLICT DO NOTHING RETURNING at) SELECT (SELECT count(*) FROM "
        "soft_bounces WHERE workspace = $1 AND address = $2 AND at >= $5) + (SELECT count(*) FROM "
        "ins WHERE at >= $5)",
        params().text(ws).text(address).text(message_id).integer(at).integer(since),
        "cannot record a soft bounce");
    if (!r) return r.error();
    return r->int64(0, 0);
  }

  result<std::optional<alert_row>> raise_alert(const alert_row& a) override {
    auto r = pool_.exec(std::string("INSERT INTO alerts (") + alert_cols +
                            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, 0, 0, '') ON "
                            "CONFLICT (workspace, dedupe_key) WHERE resolved_at = 0 DO NOTHING",
                        params()
                            .text(a.id)
                            .text(a.workspace)
                            .text(a.kind)
                            .text(a.summary)
                            .text(a.detail)
                            .text(a.action)
                            .text(a.dedupe_key)
                            .integer(a.since)
                            .integer(a.created_at),
                        "cannot store the alert");
    if (!r) return r.error();
    if (r->affected() == 0) return std::optional<alert_row>{};
    alert_row out = a;
    out.read_at = out.resolved_at = out.mailed_at = 0;
    return std::optional<alert_row>{std::move(out)};
  }

  result<bool> resolve_alert(std::string_view ws, std::string_view key, std::int64_t now) override {
    auto r = pool_.exec(
        "UPDATE alerts SET resolved_at = $3 WHERE workspace = $1 AND dedupe_key = $2 AND "
        "resolved_at = 0",
        params().text(ws).text(key).integer(now), "cannot resolve the alert");
    if (!r) return r.error();
    return r->affected() > 0;
  }

  result<std::vector<alert_row>> list_alerts(std::string_view ws, const alert_query& q) override {
    auto r = pool_.exec(std::string("SELECT ") + alert_cols +
                            " FROM alerts WHERE workspace = $1 AND ($2 = 0 OR read_at = 0) ORDER "
                            "BY created_at DESC, id DESC LIMIT $3",
                        params()
                            .text(ws)
                            .integer(q.unread_only ? 1 : 0)
                            .integer(static_cast<std::int64_t>(q.limit)),
                        "cannot list alerts");
    if (!r) return r.error();
    std::vector<alert_row> out;
    for (int i = 0; i < r->size(); ++i) out.push_back(alert_of(*r, i));
    return out;
  }

  result<std::int64_t> unread_alerts(std::string_view ws) override {
    auto r = pool_.exec("SELECT count(*) FROM alerts WHERE workspace = $1 AND read_at = 0",
                        params().text(ws), "cannot count alerts");
    if (!r) return r.error();
    return r->int64(0, 0);
  }

  result<std::int64_t> mark_read(std::string_view ws, std::string_view id,
                                 std::int64_t now) override {
    auto r = pool_.exec(
        "UPDATE alerts SET read_at = $3 WHERE workspace = $1 AND ($2 = '' OR id = $2) AND "
        "read_at = 0",
        params().text(ws).text(id).integer(now), "cannot mark alerts read");
    if (!r) return r.error();
    return r->affected();
  }

  result<std::vector<alert_row>> claim_alert_mail(std::size_t limit) override {
    auto r =
        pool_.exec(std::string("UPDATE alerts SET mailed_at = -1 WHERE id IN (SELECT id FROM "
                               "alerts WHERE mailed_at = 0 ORDER BY created_at LIMIT $1 FOR "
                               "UPDATE SKIP LOCKED) RETURNING ") +
                       alert_cols,
                   params().integer(static_cast<std::int64_t>(limit)), "cannot claim alert mails");
    if (!r) return r.error();
    std::vector<alert_row> out;
    for (int i = 0; i < r->size(); ++i) out.push_back(alert_of(*r, i));
    return out;
  }

  status finish_alert_mail(std::string_view id, std::int64_t at, std::string_view result_text,
                           std::int64_t mails) override {
    return done(
        pool_.exec("UPDATE alerts SET mailed_at = $2, mail_result = $3, mails = $4 WHERE id = $1",
                   params().text(id).integer(at).text(result_text).integer(mails),
                   "cannot record the alert mail"));
  }

  result<std::int64_t> alert_mails_since(std::string_view ws, std::int64_t since) override {
    auto r = pool_.exec(
        "SELECT coalesce(sum(mails), 0)::bigint FROM alerts WHERE workspace = $1 AND mailed_at "
        ">= $2",
        params().text(ws).integer(since), "cannot count alert mails");
    if (!r) return r.error();
    return r->int64(0, 0);
  }

 private:
  pool pool_;
};
}  // namespace
}  // namespace pg

result<std::unique_ptr<guard_store>> open_postgres_guard(const std::string& url) {
  auto g = std::make_unique<pg::pg_guard>(url);
  if (auto s = g->check(); !s) return s.error();
  return std::unique_ptr<guard_store>(std::move(g));
}

result<std::unique_ptr<guard_store>> open_guard(const std::string& db) {
  if (pg::is_url(db)) return open_postgres_guard(db);
  return open_sqlite_guard(db);
}

}  // namespace sesami::store
