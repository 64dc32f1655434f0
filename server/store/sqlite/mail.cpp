// The mail tables (migration 8) in SQLite. One connection behind a mutex: a send costs a few small
// writes, far below what the event ingestion's group commit handles on its own connection.
#include <algorithm>
#include <cstdint>
#include <mutex>
#include <string>

#include "detail/attempt_cursor.hpp"
#include "detail/mail_columns.hpp"
#include "detail/text_columns.hpp"
#include "mail_store.hpp"
#include "sqlite/connection.hpp"

namespace sesami::store {
namespace {
using sqlite::connection;
using sqlite::reset_guard;
using sqlite::statement;

using detail::join_lines;
using detail::join_pairs;
using detail::split_lines;
using detail::split_pairs;

using detail::attempt_cols;
using detail::job_cols;

class sqlite_mail final : public mail_store {
 public:
  explicit sqlite_mail(std::unique_ptr<connection> c) : db_(std::move(c)) {}

  result<std::string> server_secret(std::string_view candidate) override {
    std::lock_guard lock(mu_);
    {
      auto s = prep("INSERT OR IGNORE INTO mail_secret (id, secret) VALUES (1, ?)");
      if (!s) return s.error();
      reset_guard g{**s};
      (*s)->bind(1, candidate);
      if (auto r = sqlite::run(*db_, **s, "cannot store the server secret"); !r) return r.error();
    }
    auto s = prep("SELECT secret FROM mail_secret WHERE id = 1");
    if (!s) return s.error();
    reset_guard g{**s};
    const int rc = (*s)->step();
    if (rc != SQLITE_ROW) return db_->fail(rc, "cannot read the server secret");
    return std::string((*s)->text(0));
  }

  result<bool> replace_server_secret(std::string_view expected,
                                     std::string_view replacement) override {
    std::lock_guard lock(mu_);
    auto s = prep("UPDATE mail_secret SET secret = ? WHERE id = 1 AND secret = ?");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, replacement);
    (*s)->bind(2, expected);
    if (auto r = sqlite::run(*db_, **s, "cannot replace the server secret"); !r) return r.error();
    return db_->changes() > 0;
  }

  result<bool> claim_idempotency(std::string_view ws, std::string_view key, std::string_view hash,
                                 std::int64_t now) override {
    std::lock_guard lock(mu_);
    auto s = prep(
        "INSERT OR IGNORE INTO mail_idempotency (workspace, key, request_hash, created_at) "
        "VALUES (?, ?, ?, ?)");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, ws), (*s)->bind(2, key), (*s)->bind(3, hash), (*s)->bind(4, now);
    if (auto r = sqlite::run(*db_, **s, "cannot record the idempotency key"); !r) return r.error();
    return db_->changes() > 0;
  }

  result<std::optional<idempotency_record>> find_idempotency(std::string_view ws,
                                                             std::string_view key) override {
    std::lock_guard lock(mu_);
    auto s = prep(
        "SELECT request_hash, done, code, response, created_at FROM mail_idempotency "
        "WHERE workspace = ? AND key = ?");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, ws), (*s)->bind(2, key);
    const int rc = (*s)->step();
    if (rc == SQLITE_DONE) return std::optional<idempotency_record>{};
    if (rc != SQLITE_ROW) return db_->fail(rc, "cannot read the idempotency key");
    auto& st = **s;
    return std::optional<idempotency_record>{
        idempotency_record{std::string(st.text(0)), st.int64(1) != 0, std::string(st.text(2)),
                           std::string(st.text(3)), st.int64(4)}};
  }

  status finish_idempotency(std::string_view ws, std::string_view key, std::string_view code,
                            std::string_view response) override {
    std::lock_guard lock(mu_);
    auto s = prep(
        "UPDATE mail_idempotency SET done = 1, code = ?, response = ? "
        "WHERE workspace = ? AND key = ?");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, code), (*s)->bind(2, response), (*s)->bind(3, ws), (*s)->bind(4, key);
    return sqlite::run(*db_, **s, "cannot record the idempotent answer");
  }

  status release_idempotency(std::string_view ws, std::string_view key) override {
    std::lock_guard lock(mu_);
    auto s = prep("DELETE FROM mail_idempotency WHERE workspace = ? AND key = ? AND done = 0");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, ws), (*s)->bind(2, key);
    return sqlite::run(*db_, **s, "cannot release the idempotency key");
  }

  status add_attempt(const mail_attempt& a) override {
    std::lock_guard lock(mu_);
    return insert_attempt(a);
  }

  status insert_attempt(const mail_attempt& a) {
    auto s = prep(
        "INSERT INTO mail_attempts (id, workspace, created_at, transport, status, message_id, "
        "error_code, error_message, recipients, suppressed, correlation_id, subject, bulk_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!s) return s.error();
    reset_guard g{**s};
    auto& st = **s;
    st.bind(1, a.id), st.bind(2, a.workspace), st.bind(3, a.created_at), st.bind(4, a.transport);
    st.bind(5, a.status), st.bind(6, a.message_id), st.bind(7, a.error_code);
    st.bind(8, a.error_message), st.bind(9, join_lines(a.recipients));
    st.bind(10, join_pairs(a.suppressed)), st.bind(11, a.correlation_id), st.bind(12, a.subject);
    st.bind(13, a.bulk_id);
    return sqlite::run(*db_, st, "cannot record the send attempt");
  }

  status update_attempt(const mail_attempt& a) override {
    std::lock_guard lock(mu_);
    auto s = prep(
        "UPDATE mail_attempts SET status = ?, message_id = ?, error_code = ?, error_message = ?, "
        "recipients = ?, suppressed = ?, transport = ? WHERE workspace = ? AND id = ?");
    if (!s) return s.error();
    reset_guard g{**s};
    auto& st = **s;
    st.bind(1, a.status), st.bind(2, a.message_id), st.bind(3, a.error_code);
    st.bind(4, a.error_message), st.bind(5, join_lines(a.recipients));
    st.bind(6, join_pairs(a.suppressed)), st.bind(7, a.transport), st.bind(8, a.workspace);
    st.bind(9, a.id);
    return sqlite::run(*db_, st, "cannot record the send outcome");
  }

  result<attempt_page> list_attempts(std::string_view ws, const attempt_query& q) override {
    const auto first = detail::attempts_before(q.cursor);
    if (!first) return first.error();
    const std::int64_t before = *first;
    const std::size_t limit = std::clamp<std::size_t>(q.limit, 1, 1000);
    std::lock_guard lock(mu_);
    // Index mail_attempts_correlation or mail_attempts_list, newest first.
    const std::string sql = std::string("SELECT ") + attempt_cols +
                            " FROM mail_attempts WHERE workspace = ?1 AND seq < ?2" +
                            (q.correlation_id.empty() ? "" : " AND correlation_id = ?4") +
                            " ORDER BY seq DESC LIMIT ?3";
    auto s = db_->prepare(sql);
    if (!s) return s.error();
    reset_guard g{**s};
    auto& st = **s;
    st.bind(1, ws), st.bind(2, before), st.bind(3, static_cast<std::int64_t>(limit + 1));
    if (!q.correlation_id.empty()) st.bind(4, q.correlation_id);
    attempt_page page;
    std::int64_t last = 0;
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
      if (page.attempts.size() == limit) {
        page.next = std::to_string(last);
        break;
      }
      last = st.int64(0);
      mail_attempt a;
      a.id = st.text(1), a.workspace = st.text(2), a.created_at = st.int64(3);
      a.transport = st.text(4), a.status = st.text(5), a.message_id = st.text(6);
      a.error_code = st.text(7), a.error_message = st.text(8);
      a.recipients = split_lines(st.text(9)), a.suppressed = split_pairs(st.text(10));
      a.correlation_id = st.text(11), a.subject = st.text(12), a.bulk_id = st.text(13);
      page.attempts.push_back(std::move(a));
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_->fail(rc, "cannot list send attempts");
    return page;
  }

  status create_bulk(const bulk_job& j, const std::vector<std::string>& batches) override {
    std::lock_guard lock(mu_);
    return sqlite::in_transaction(*db_, [&]() -> status {
      auto s = prep(
          "INSERT INTO mail_bulk_jobs (id, workspace, status, request, total, created_at, "
          "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
      if (!s) return s.error();
      {
        reset_guard g{**s};
        auto& st = **s;
        st.bind(1, j.id), st.bind(2, j.workspace), st.bind(3, j.status), st.bind(4, j.request);
        st.bind(5, j.total), st.bind(6, j.created_at), st.bind(7, j.updated_at);
        if (auto x = sqlite::run(*db_, st, "cannot queue the bulk send"); !x) return x;
      }
      auto b = prep("INSERT INTO mail_bulk_batches (job_id, idx, destinations) VALUES (?, ?, ?)");
      if (!b) return b.error();
      for (std::size_t i = 0; i < batches.size(); ++i) {
        reset_guard g{**b};
        (*b)->bind(1, j.id), (*b)->bind(2, static_cast<std::int64_t>(i));
        (*b)->bind(3, batches[i]);
        if (auto x = sqlite::run(*db_, **b, "cannot queue the bulk send"); !x) return x;
      }
      return {};
    });
  }

  result<std::optional<bulk_job>> find_bulk(std::string_view ws, std::string_view id) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare(std::string("SELECT ") + job_cols +
                          " FROM mail_bulk_jobs WHERE workspace = ? AND id = ?");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, ws), (*s)->bind(2, id);
    const int rc = (*s)->step();
    if (rc == SQLITE_DONE) return std::optional<bulk_job>{};
    if (rc != SQLITE_ROW) return db_->fail(rc, "cannot read the bulk send");
    return std::optional<bulk_job>{job_of(**s)};
  }

  result<std::optional<bulk_job>> claim_bulk(std::string_view owner, std::int64_t now,
                                             std::int64_t lease_ms) override {
    std::lock_guard lock(mu_);
    std::optional<bulk_job> job;
    auto r = sqlite::in_transaction(*db_, [&]() -> status {
      // Index mail_bulk_jobs_claim: oldest first.
      auto s = db_->prepare(std::string("SELECT ") + job_cols +
                            " FROM mail_bulk_jobs WHERE status = 'queued' OR "
                            "(status = 'running' AND lease_until < ?) ORDER BY created_at LIMIT 1");
      if (!s) return s.error();
      {
        reset_guard g{**s};
        (*s)->bind(1, now);
        const int rc = (*s)->step();
        if (rc == SQLITE_DONE) return {};
        if (rc != SQLITE_ROW) return db_->fail(rc, "cannot look for bulk work");
        job = job_of(**s);
      }
      auto u = prep(
          "UPDATE mail_bulk_jobs SET status = 'running', lease_owner = ?, lease_until = ?, "
          "updated_at = ? WHERE id = ?");
      if (!u) return u.error();
      reset_guard g{**u};
      (*u)->bind(1, owner), (*u)->bind(2, now + lease_ms), (*u)->bind(3, now);
      (*u)->bind(4, job->id);
      job->status = "running";
      return sqlite::run(*db_, **u, "cannot claim the bulk send");
    });
    if (!r) return r.error();
    return job;
  }

  result<bool> renew_bulk(std::string_view id, std::string_view owner, std::int64_t now,
                          std::int64_t lease_ms) override {
    std::lock_guard lock(mu_);
    auto s = prep(
        "UPDATE mail_bulk_jobs SET lease_until = ? WHERE id = ? AND lease_owner = ? "
        "AND status = 'running'");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, now + lease_ms), (*s)->bind(2, id), (*s)->bind(3, owner);
    if (auto r = sqlite::run(*db_, **s, "cannot renew the bulk lease"); !r) return r.error();
    return db_->changes() > 0;
  }

  result<std::optional<bulk_batch>> next_batch(std::string_view job_id) override {
    std::lock_guard lock(mu_);
    auto s = prep(
        "SELECT idx, destinations, state FROM mail_bulk_batches WHERE job_id = ? AND state < 2 "
        "ORDER BY idx LIMIT 1");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, job_id);
    const int rc = (*s)->step();
    if (rc == SQLITE_DONE) return std::optional<bulk_batch>{};
    if (rc != SQLITE_ROW) return db_->fail(rc, "cannot read the next bulk batch");
    auto& st = **s;
    return std::optional<bulk_batch>{bulk_batch{std::string(job_id), st.int64(0),
                                                std::string(st.text(1)),
                                                static_cast<batch_state>(st.int64(2))}};
  }

  status begin_batch(std::string_view job_id, std::int64_t index, std::int64_t now) override {
    std::lock_guard lock(mu_);
    auto s = prep(
        "UPDATE mail_bulk_batches SET state = 1, updated_at = ? WHERE job_id = ? AND idx = ? "
        "AND state = 0");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, now), (*s)->bind(2, job_id), (*s)->bind(3, index);
    if (auto r = sqlite::run(*db_, **s, "cannot mark the batch in flight"); !r) return r;
    if (db_->changes() == 0) return error{errc::not_found, "the batch is not pending any more"};
    return {};
  }

  status finish_batch(std::string_view job_id, std::int64_t index, std::int64_t sent,
                      std::int64_t failed, std::int64_t suppressed,
                      const std::vector<mail_attempt>& attempts, std::int64_t now) override {
    std::lock_guard lock(mu_);
    return sqlite::in_transaction(*db_, [&]() -> status {
      auto s = prep(
          "UPDATE mail_bulk_batches SET state = 2, updated_at = ? WHERE job_id = ? AND idx = ? "
          "AND state < 2");
      if (!s) return s.error();
      {
        reset_guard g{**s};
        (*s)->bind(1, now), (*s)->bind(2, job_id), (*s)->bind(3, index);
        if (auto x = sqlite::run(*db_, **s, "cannot finish the batch"); !x) return x;
      }
      if (db_->changes() == 0) return {};  // already counted
      for (const auto& a : attempts)
        if (auto x = insert_attempt(a); !x) return x;
      auto u = prep(
          "UPDATE mail_bulk_jobs SET sent = sent + ?, failed = failed + ?, "
          "suppressed = suppressed + ?, updated_at = ? WHERE id = ?");
      if (!u) return u.error();
      reset_guard g{**u};
      (*u)->bind(1, sent), (*u)->bind(2, failed), (*u)->bind(3, suppressed), (*u)->bind(4, now);
      (*u)->bind(5, job_id);
      return sqlite::run(*db_, **u, "cannot count the batch");
    });
  }

  status finish_bulk(std::string_view job_id, std::string_view st, std::int64_t now) override {
    std::lock_guard lock(mu_);
    auto s = prep(
        "UPDATE mail_bulk_jobs SET status = ?, lease_owner = '', lease_until = 0, updated_at = ? "
        "WHERE id = ?");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, st), (*s)->bind(2, now), (*s)->bind(3, job_id);
    return sqlite::run(*db_, **s, "cannot finish the bulk send");
  }

 private:
  result<statement*> prep(const char* sql) { return db_->prepare_static(sql); }

  static bulk_job job_of(const statement& st) {
    bulk_job j;
    j.id = st.text(0), j.workspace = st.text(1), j.status = st.text(2), j.request = st.text(3);
    j.total = st.int64(4), j.sent = st.int64(5), j.failed = st.int64(6);
    j.suppressed = st.int64(7), j.created_at = st.int64(8), j.updated_at = st.int64(9);
    return j;
  }

  std::mutex mu_;
  std::unique_ptr<connection> db_;
};
}  // namespace

result<std::unique_ptr<mail_store>> open_sqlite_mail(const std::string& path, int busy_timeout_ms) {
  auto c = sqlite::open_existing(path, busy_timeout_ms);
  if (!c) return c.error();
  return std::unique_ptr<mail_store>(new sqlite_mail(std::move(*c)));
}

}  // namespace sesami::store
