// The reputation guard and alerts in SQLite (migration 18): settings, state, soft bounces,
// alerts. One connection behind a mutex; every write durable before the caller answers.
#include <mutex>
#include <string>

#include "../guard_store.hpp"
#include "connection.hpp"

namespace sesami::store {
namespace sqlite {
namespace {
constexpr const char* alert_cols =
    "id, workspace, kind, summary, detail, action, dedupe_key, since, created_at, read_at, "
    "resolved_at, mailed_at, mail_result";

alert_row alert_of(const statement& s) {
  alert_row a;
  a.id = s.text(0), a.workspace = s.text(1), a.kind = s.text(2), a.summary = s.text(3);
  a.detail = s.text(4), a.action = s.text(5), a.dedupe_key = s.text(6), a.since = s.int64(7);
  a.created_at = s.int64(8), a.read_at = s.int64(9), a.resolved_at = s.int64(10);
  a.mailed_at = s.int64(11), a.mail_result = s.text(12);
  return a;
}

class sqlite_guard final : public guard_store {
 public:
  explicit sqlite_guard(std::unique_ptr<connection> c) : db_(std::move(c)) {}

  result<reputation_settings> settings(std::string_view ws) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "SELECT bounce_warning_ppm, bounce_pause_ppm, complaint_warning_ppm, complaint_pause_ppm, "
        "min_sends, pause_single, soft_bounce_limit, soft_bounce_days, alert_from FROM "
        "reputation_settings WHERE workspace = ?1");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, ws);
    const int rc = (*s)->step();
    reputation_settings out;
    if (rc == SQLITE_DONE) return out;
    if (rc != SQLITE_ROW) return db_->fail(rc, "cannot read the reputation settings");
    const auto& r = **s;
    const auto u = [&](int i) { return static_cast<std::uint64_t>(r.int64(i)); };
    out.bounce_warning_ppm = u(0), out.bounce_pause_ppm = u(1);
    out.complaint_warning_ppm = u(2), out.complaint_pause_ppm = u(3);
    out.min_sends = r.int64(4), out.pause_single = r.int64(5) != 0;
    out.soft_bounce_limit = r.int64(6), out.soft_bounce_days = r.int64(7);
    out.alert_from = r.text(8);
    return out;
  }

  status put_settings(std::string_view ws, const reputation_settings& v) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "INSERT OR REPLACE INTO reputation_settings (workspace, bounce_warning_ppm, "
        "bounce_pause_ppm, complaint_warning_ppm, complaint_pause_ppm, min_sends, pause_single, "
        "soft_bounce_limit, soft_bounce_days, alert_from) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
        "?9, ?10)");
    if (!s) return s.error();
    auto& r = **s;
    const auto i = [](std::uint64_t x) { return static_cast<std::int64_t>(x); };
    r.bind(1, ws), r.bind(2, i(v.bounce_warning_ppm)), r.bind(3, i(v.bounce_pause_ppm));
    r.bind(4, i(v.complaint_warning_ppm)), r.bind(5, i(v.complaint_pause_ppm));
    r.bind(6, v.min_sends), r.bind(7, v.pause_single ? 1 : 0), r.bind(8, v.soft_bounce_limit);
    r.bind(9, v.soft_bounce_days), r.bind(10, v.alert_from);
    return run(*db_, r, "cannot store the reputation settings");
  }

  result<reputation_state> state(std::string_view ws) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "SELECT paused, paused_at, reason, crossed_window, warning_since, resumed_at, resumed_by, "
        "evidence, version FROM reputation_state WHERE workspace = ?1");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, ws);
    const int rc = (*s)->step();
    reputation_state out;
    if (rc == SQLITE_DONE) return out;
    if (rc != SQLITE_ROW) return db_->fail(rc, "cannot read the reputation state");
    const auto& r = **s;
    out.paused = r.int64(0) != 0, out.paused_at = r.int64(1), out.reason = r.text(2);
    out.window = r.text(3), out.warning_since = r.int64(4), out.resumed_at = r.int64(5);
    out.resumed_by = r.text(6), out.evidence = r.text(7), out.version = r.int64(8);
    return out;
  }

  result<bool> save_state(std::string_view ws, const reputation_state& v) override {
    std::lock_guard lock(mu_);
    // Version 0: insert (a concurrent first save makes this one a no-op); else update in place
    // while the version is the one read.
    auto s = v.version == 0
                 ? db_->prepare_static(
                       "INSERT OR IGNORE INTO reputation_state (workspace, paused, paused_at, "
                       "reason, crossed_window, warning_since, resumed_at, resumed_by, evidence, "
                       "version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1)")
                 : db_->prepare_static(
                       "UPDATE reputation_state SET paused = ?2, paused_at = ?3, reason = ?4, "
                       "crossed_window = ?5, warning_since = ?6, resumed_at = ?7, resumed_by = ?8, "
                       "evidence = ?9, version = version + 1 WHERE workspace = ?1 AND version = "
                       "?10");
    if (!s) return s.error();
    auto& r = **s;
    r.bind(1, ws), r.bind(2, v.paused ? 1 : 0), r.bind(3, v.paused_at), r.bind(4, v.reason);
    r.bind(5, v.window), r.bind(6, v.warning_since), r.bind(7, v.resumed_at);
    r.bind(8, v.resumed_by), r.bind(9, v.evidence);
    if (v.version != 0) r.bind(10, v.version);
    if (auto st = run(*db_, r, "cannot store the reputation state"); !st) return st.error();
    return db_->changes() > 0;
  }

  result<std::int64_t> release_held_bulk(std::string_view ws) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "UPDATE mail_bulk_jobs SET status = 'queued' WHERE workspace = ?1 AND status = 'held'");
    if (!s) return s.error();
    (*s)->bind(1, ws);
    if (auto st = run(*db_, **s, "cannot release held bulk sends"); !st) return st.error();
    return db_->changes();
  }

  result<std::int64_t> add_soft_bounce(std::string_view ws, std::string_view address,
                                       std::string_view message_id, std::int64_t at,
                                       std::int64_t since) override {
    std::lock_guard lock(mu_);
    std::int64_t n = 0;
    auto tx = in_transaction(*db_, [&]() -> status {
      auto i = db_->prepare_static(
          "INSERT OR IGNORE INTO soft_bounces (workspace, address, message_id, at) VALUES (?1, "
          "?2, ?3, ?4)");
      if (!i) return i.error();
      (*i)->bind(1, ws), (*i)->bind(2, address), (*i)->bind(3, message_id), (*i)->bind(4, at);
      if (auto st = run(*db_, **i, "cannot record a soft bounce"); !st) return st;
      auto c = db_->prepare_static(
          "SELECT count(*) FROM soft_bounces WHERE workspace = ?1 AND address = ?2 AND at >= ?3");
      if (!c) return c.error();
      reset_guard g{**c};
      (*c)->bind(1, ws), (*c)->bind(2, address), (*c)->bind(3, since);
      const int rc = (*c)->step();
      if (rc != SQLITE_ROW) return db_->fail(rc, "cannot count soft bounces");
      n = (*c)->int64(0);
      return {};
    });
    if (!tx) return tx.error();
    return n;
  }

  result<std::optional<alert_row>> raise_alert(const alert_row& a) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare(std::string("INSERT OR IGNORE INTO alerts (") + alert_cols +
                          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, 0, 0, '')");
    if (!s) return s.error();
    auto& r = **s;
    r.bind(1, a.id), r.bind(2, a.workspace), r.bind(3, a.kind), r.bind(4, a.summary);
    r.bind(5, a.detail), r.bind(6, a.action), r.bind(7, a.dedupe_key), r.bind(8, a.since);
    r.bind(9, a.created_at);
    if (auto st = run(*db_, r, "cannot store the alert"); !st) return st.error();
    if (db_->changes() == 0) return std::optional<alert_row>{};
    alert_row out = a;
    out.read_at = out.resolved_at = out.mailed_at = 0;
    return std::optional<alert_row>{std::move(out)};
  }

  result<bool> resolve_alert(std::string_view ws, std::string_view key, std::int64_t now) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "UPDATE alerts SET resolved_at = ?3 WHERE workspace = ?1 AND dedupe_key = ?2 AND "
        "resolved_at = 0");
    if (!s) return s.error();
    (*s)->bind(1, ws), (*s)->bind(2, key), (*s)->bind(3, now);
    if (auto st = run(*db_, **s, "cannot resolve the alert"); !st) return st.error();
    return db_->changes() > 0;
  }

  result<std::vector<alert_row>> list_alerts(std::string_view ws, const alert_query& q) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare(std::string("SELECT ") + alert_cols +
                          " FROM alerts WHERE workspace = ?1 AND (?2 = 0 OR read_at = 0) ORDER BY "
                          "created_at DESC, id DESC LIMIT ?3");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, ws), (*s)->bind(2, q.unread_only ? 1 : 0);
    (*s)->bind(3, static_cast<std::int64_t>(q.limit));
    std::vector<alert_row> out;
    int rc;
    while ((rc = (*s)->step()) == SQLITE_ROW) out.push_back(alert_of(**s));
    if (rc != SQLITE_DONE) return db_->fail(rc, "cannot list alerts");
    return out;
  }

  result<std::int64_t> unread_alerts(std::string_view ws) override {
    std::lock_guard lock(mu_);
    auto s =
        db_->prepare_static("SELECT count(*) FROM alerts WHERE workspace = ?1 AND read_at = 0");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, ws);
    const int rc = (*s)->step();
    if (rc != SQLITE_ROW) return db_->fail(rc, "cannot count alerts");
    return (*s)->int64(0);
  }

  result<std::int64_t> mark_read(std::string_view ws, std::string_view id,
                                 std::int64_t now) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "UPDATE alerts SET read_at = ?3 WHERE workspace = ?1 AND (?2 = '' OR id = ?2) AND "
        "read_at = 0");
    if (!s) return s.error();
    (*s)->bind(1, ws), (*s)->bind(2, id), (*s)->bind(3, now);
    if (auto st = run(*db_, **s, "cannot mark alerts read"); !st) return st.error();
    return db_->changes();
  }

  result<std::vector<alert_row>> claim_alert_mail(std::size_t limit) override {
    std::lock_guard lock(mu_);
    std::vector<alert_row> out;
    auto tx = in_transaction(*db_, [&]() -> status {
      out.clear();
      auto s = db_->prepare(std::string("SELECT ") + alert_cols +
                            " FROM alerts WHERE mailed_at = 0 ORDER BY created_at LIMIT ?1");
      if (!s) return s.error();
      {
        reset_guard g{**s};
        (*s)->bind(1, static_cast<std::int64_t>(limit));
        int rc;
        while ((rc = (*s)->step()) == SQLITE_ROW) out.push_back(alert_of(**s));
        if (rc != SQLITE_DONE) return db_->fail(rc, "cannot read alerts to mail");
      }
      auto u = db_->prepare_static("UPDATE alerts SET mailed_at = -1 WHERE id = ?1");
      if (!u) return u.error();
      for (const auto& a : out) {
        (*u)->bind(1, a.id);
        if (auto st = run(*db_, **u, "cannot claim an alert mail"); !st) return st;
      }
      return {};
    });
    if (!tx) return tx.error();
    return out;
  }

  status finish_alert_mail(std::string_view id, std::int64_t at, std::string_view result_text,
                           std::int64_t mails) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "UPDATE alerts SET mailed_at = ?2, mail_result = ?3, mails = ?4 WHERE id = ?1");
    if (!s) return s.error();
    (*s)->bind(1, id), (*s)->bind(2, at), (*s)->bind(3, result_text), (*s)->bind(4, mails);
    return run(*db_, **s, "cannot record the alert mail");
  }

  result<std::int64_t> alert_mails_since(std::string_view ws, std::int64_t since) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "SELECT coalesce(sum(mails), 0) FROM alerts WHERE workspace = ?1 AND mailed_at >= ?2");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, ws), (*s)->bind(2, since);
    const int rc = (*s)->step();
    if (rc != SQLITE_ROW) return db_->fail(rc, "cannot count alert mails");
    return (*s)->int64(0);
  }

 private:
  std::mutex mu_;
  std::unique_ptr<connection> db_;
};
}  // namespace
}  // namespace sqlite

result<std::unique_ptr<guard_store>> open_sqlite_guard(const std::string& path,
                                                       int busy_timeout_ms) {
  auto c = sqlite::open_existing(path, busy_timeout_ms);
  if (!c) return c.error();
  return std::unique_ptr<guard_store>(new sqlite::sqlite_guard(std::move(*c)));
}

}  // namespace sesami::store
