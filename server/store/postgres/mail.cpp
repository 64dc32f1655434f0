// The mail tables (migration 3) in PostgreSQL: the semantics of sqlite/mail.cpp, for several nodes
// on one database. Where SQLite serialises writers with BEGIN IMMEDIATE, PostgreSQL relies on row
// locks: a bulk job is claimed with one UPDATE whose target row is picked FOR UPDATE SKIP LOCKED
// (two nodes never take the same job, and neither waits for the other), a batch is finished by an
// UPDATE ... WHERE state < 2 that only one transaction can win.
#include <algorithm>
#include <cstdint>
#include <string>

#include "../detail/attempt_cursor.hpp"
#include "../detail/mail_columns.hpp"
#include "../detail/text_columns.hpp"
#include "../mail_store.hpp"
#include "connection.hpp"

namespace sesami::store {
namespace {
using pg::connection;
using pg::done;
using pg::in_transaction;
using pg::params;
using pg::rows;

using detail::join_lines;
using detail::join_pairs;
using detail::split_lines;
using detail::split_pairs;

using detail::attempt_cols;
using detail::job_cols;

bulk_job job_of(const rows& r, int i) {
  bulk_job j;
  j.id = r.text(i, 0), j.workspace = r.text(i, 1), j.status = r.text(i, 2);
  j.request = r.text(i, 3), j.total = r.int64(i, 4), j.sent = r.int64(i, 5);
  j.failed = r.int64(i, 6), j.suppressed = r.int64(i, 7), j.created_at = r.int64(i, 8);
  j.updated_at = r.int64(i, 9);
  return j;
}

status insert_attempt(connection& c, const mail_attempt& a) {
  auto r = c.exec(
      "INSERT INTO mail_attempts (id, workspace, created_at, transport, status, message_id, "
      "error_code, error_message, recipients, suppressed, correlation_id, subject, bulk_id) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
      params()
          .text(a.id)
          .text(a.workspace)
          .integer(a.created_at)
          .text(a.transport)
          .text(a.status)
          .text(a.message_id)
          .text(a.error_code)
          .text(a.error_message)
          .text(join_lines(a.recipients))
          .text(join_pairs(a.suppressed))
          .text(a.correlation_id)
          .text(a.subject)
          .text(a.bulk_id),
      "cannot record the send attempt");
  if (!r) return r.error();
  return {};
}

class pg_mail final : public mail_store {
 public:
  explicit pg_mail(const std::string& url) : pool_(url, 4) {}

  result<std::string> server_secret(std::string_view candidate) override {
    auto c = pool_.acquire();
    if (!c) return c.error();
    if (auto r = (*c)->exec(
            "INSERT INTO mail_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
            params().text(candidate), "cannot store the server secret");
        !r)
      return r.error();
    auto r =
        (*c)->exec("SELECT secret FROM mail_secret WHERE id = 1", "cannot read the server secret");
    if (!r) return r.error();
    if (r->size() == 0) return error{errc::internal, "cannot read the server secret: no row"};
    return std::string(r->text(0, 0));
  }

  result<bool> replace_server_secret(std::string_view expected,
                                     std::string_view replacement) override {
    auto r =
        pool_.exec("UPDATE mail_secret SET secret = $1 WHERE id = 1 AND secret = $2",
                   params().text(replacement).text(expected), "cannot replace the server secret");
    if (!r) return r.error();
    return r->affected() > 0;
  }

  result<bool> claim_idempotency(std::string_view ws, std::string_view key, std::string_view hash,
                                 std::int64_t now) override {
    auto r = pool_.exec(
        "INSERT INTO mail_idempotency (workspace, key, request_hash, created_at) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (workspace, key) DO NOTHING",
        params().text(ws).text(key).text(hash).integer(now), "cannot record the idempotency key");
    if (!r) return r.error();
    return r->affected() > 0;
  }

  result<std::optional<idempotency_record>> find_idempotency(std::string_view ws,
                                                             std::string_view key) override {
    auto r = pool_.exec(
        "SELECT request_hash, done, code, response, created_at FROM mail_idempotency "
        "WHERE workspace = $1 AND key = $2",
        params().text(ws).text(key), "cannot read the idempotency key");
    if (!r) return r.error();
    if (r->size() == 0) return std::optional<idempotency_record>{};
    return std::optional<idempotency_record>{
        idempotency_record{std::string(r->text(0, 0)), r->text(0, 1) == "t",
                           std::string(r->text(0, 2)), std::string(r->text(0, 3)), r->int64(0, 4)}};
  }

  status finish_idempotency(std::string_view ws, std::string_view key, std::string_view code,
                            std::string_view response) override {
    return done(
        pool_.exec("UPDATE mail_idempotency SET done = true, code = $1, response = $2 "
                   "WHERE workspace = $3 AND key = $4",
                   params().text(code).text(response).text(ws).text(key),
                   "cannot record the idempotent answer"));
  }

  status release_idempotency(std::string_view ws, std::string_view key) override {
    return done(
        pool_.exec("DELETE FROM mail_idempotency WHERE workspace = $1 AND key = $2 AND NOT done",
                   params().text(ws).text(key), "cannot release the idempotency key"));
  }

  status add_attempt(const mail_attempt& a) override {
    auto c = pool_.acquire();
    if (!c) return c.error();
    return insert_attempt(**c, a);
  }

  status update_attempt(const mail_attempt& a) override {
    return done(
        pool_.exec("UPDATE mail_attempts SET status = $1, message_id = $2, error_code = $3, "
                   "error_message = $4, recipients = $5, suppressed = $6, transport = $7 "
                   "WHERE workspace = $8 AND id = $9",
                   params()
                       .text(a.status)
                       .text(a.message_id)
                       .text(a.error_code)
                       .text(a.error_message)
                       .text(join_lines(a.recipients))
                       .text(join_pairs(a.suppressed))
                       .text(a.transport)
                       .text(a.workspace)
                       .text(a.id),
                   "cannot record the send outcome"));
  }

  result<attempt_page> list_attempts(std::string_view ws, const attempt_query& q) override {
    const auto first = detail::attempts_before(q.cursor);
    if (!first) return first.error();
    const std::int64_t before = *first;
    const std::size_t limit = std::clamp<std::size_t>(q.limit, 1, 1000);
    // Index mail_attempts_correlation or mail_attempts_list, newest first.
    const std::string sql = std::string("SELECT ") + attempt_cols +
                            " FROM mail_attempts WHERE workspace = $1 AND seq < $2" +
                            (q.correlation_id.empty() ? "" : " AND correlation_id = $4") +
                            " ORDER BY seq DESC LIMIT $3";
    params p;
    p.text(ws).integer(before).integer(static_cast<std::int64_t>(limit + 1));
    if (!q.correlation_id.empty()) p.text(q.correlation_id);
    auto r = pool_.exec(sql, p, "cannot list send attempts");
    if (!r) return r.error();
    attempt_page page;
    std::int64_t last = 0;
    for (int i = 0; i < r->size(); ++i) {
      if (page.attempts.size() == limit) {
        page.next = std::to_string(last);
        break;
      }
      last = r->int64(i, 0);
      mail_attempt a;
      a.id = r->text(i, 1), a.workspace = r->text(i, 2), a.created_at = r->int64(i, 3);
      a.transport = r->text(i, 4), a.status = r->text(i, 5), a.message_id = r->text(i, 6);
      a.error_code = r->text(i, 7), a.error_message = r->text(i, 8);
      a.recipients = split_lines(r->text(i, 9)), a.suppressed = split_pairs(r->text(i, 10));
      a.correlation_id = r->text(i, 11), a.subject = r->text(i, 12), a.bulk_id = r->text(i, 13);
      page.attempts.push_back(std::move(a));
    }
    return page;
  }

  status create_bulk(const bulk_job& j, const std::vector<std::string>& batches) override {
    auto c = pool_.acquire();
    if (!c) return c.error();
    pg::array idx, dest;
    for (std::size_t i = 0; i < batches.size(); ++i) {
      idx.integer(static_cast<std::int64_t>(i));
      dest.text(batches[i]);
    }
    return in_transaction(**c, [&]() -> status {
      if (auto r = (*c)->exec(
              "INSERT INTO mail_bulk_jobs (id, workspace, status, request, total, created_at, "
              "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
              params()
                  .text(j.id)
                  .text(j.workspace)
                  .text(j.status)
                  .text(j.request)
                  .integer(j.total)
                  .integer(j.created_at)
                  .integer(j.updated_at),
              "cannot queue the bulk send");
          !r)
        return r.error();
      if (batches.empty()) return {};
      // One statement for every batch (one parameter per column).
      if (auto r = (*c)->exec("INSERT INTO mail_bulk_batches (job_id, idx, destinations) "
                              "SELECT $1, i, d FROM unnest($2::bigint[], $3::text[]) AS b(i, d)",
                              params().text(j.id).text(idx.str()).text(dest.str()),
                              "cannot queue the bulk send");
          !r)
        return r.error();
      return {};
    });
  }

  result<std::optional<bulk_job>> find_bulk(std::string_view ws, std::string_view id) override {
    auto r = pool_.exec(
        std::string("SELECT ") + job_cols + " FROM mail_bulk_jobs WHERE workspace = $1 AND id = $2",
        params().text(ws).text(id), "cannot read the bulk send");
    if (!r) return r.error();
    if (r->size() == 0) return std::optional<bulk_job>{};
    return std::optional<bulk_job>{job_of(*r, 0)};
  }

  result<std::optional<bulk_job>> claim_bulk(std::string_view owner, std::int64_t now,
                                             std::int64_t lease_ms) override {
    // The subquery locks the oldest claimable job, skipping any another node is claiming right
    // now; READ COMMITTED re-checks the condition on the locked row's latest version, so a job a
    // concurrent claimer just took (its lease now in the future) is not taken again. The outer
    // condition repeats it for the same reason. Index mail_bulk_jobs_claim.
    auto r = pool_.exec(
        std::string("UPDATE mail_bulk_jobs SET status = 'running', lease_owner = $1, "
                    "lease_until = $2::bigint + $3::bigint, updated_at = $2 WHERE id = ("
                    "SELECT id FROM mail_bulk_jobs WHERE status = 'queued' OR "
                    "(status = 'running' AND lease_until < $2) ORDER BY created_at, id LIMIT 1 "
                    "FOR UPDATE SKIP LOCKED) AND (status = 'queued' OR "
                    "(status = 'running' AND lease_until < $2)) RETURNING ") +
            job_cols,
        params().text(owner).integer(now).integer(lease_ms), "cannot claim the bulk send");
    if (!r) return r.error();
    if (r->size() == 0) return std::optional<bulk_job>{};
    return std::optional<bulk_job>{job_of(*r, 0)};
  }

  result<bool> renew_bulk(std::string_view id, std::string_view owner, std::int64_t now,
                          std::int64_t lease_ms) override {
    auto r = pool_.exec(
        "UPDATE mail_bulk_jobs SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 "
        "AND status = 'running'",
        params().integer(now + lease_ms).text(id).text(owner), "cannot renew the bulk lease");
    if (!r) return r.error();
    return r->affected() > 0;
  }

  result<std::optional<bulk_batch>> next_batch(std::string_view job_id) override {
    auto r = pool_.exec(
        "SELECT idx, destinations, state FROM mail_bulk_batches WHERE job_id = $1 AND state < 2 "
        "ORDER BY idx LIMIT 1",
        params().text(job_id), "cannot read the next bulk batch");
    if (!r) return r.error();
    if (r->size() == 0) return std::optional<bulk_batch>{};
    return std::optional<bulk_batch>{bulk_batch{std::string(job_id), r->int64(0, 0),
                                                std::string(r->text(0, 1)),
                                                static_cast<batch_state>(r->int64(0, 2))}};
  }

  status begin_batch(std::string_view job_id, std::int64_t index, std::int64_t now) override {
    auto r = pool_.exec(
        "UPDATE mail_bulk_batches SET state = 1, updated_at = $1 WHERE job_id = $2 AND idx = $3 "
        "AND state = 0",
        params().integer(now).text(job_id).integer(index), "cannot mark the batch in flight");
    if (!r) return r.error();
    if (r->affected() == 0) return error{errc::not_found, "the batch is not pending any more"};
    return {};
  }

  status finish_batch(std::string_view job_id, std::int64_t index, std::int64_t sent,
                      std::int64_t failed, std::int64_t suppressed,
                      const std::vector<mail_attempt>& attempts, std::int64_t now) override {
    auto c = pool_.acquire();
    if (!c) return c.error();
    return in_transaction(**c, [&]() -> status {
      // The row lock taken here makes a second finisher wait, then find state = 2: counted once.
      auto u = (*c)->exec(
          "UPDATE mail_bulk_batches SET state = 2, updated_at = $1 WHERE job_id = $2 AND idx = $3 "
          "AND state < 2",
          params().integer(now).text(job_id).integer(index), "cannot finish the batch");
      if (!u) return u.error();
      if (u->affected() == 0) return {};  // already counted
      for (const auto& a : attempts)
        if (auto x = insert_attempt(**c, a); !x) return x;
      auto j = (*c)->exec(
          "UPDATE mail_bulk_jobs SET sent = sent + $1, failed = failed + $2, "
          "suppressed = suppressed + $3, updated_at = $4 WHERE id = $5",
          params().integer(sent).integer(failed).integer(suppressed).integer(now).text(job_id),
          "cannot count the batch");
      if (!j) return j.error();
      return {};
    });
  }

  status finish_bulk(std::string_view job_id, std::string_view st, std::int64_t now) override {
    return done(
        pool_.exec("UPDATE mail_bulk_jobs SET status = $1, lease_owner = '', lease_until = 0, "
                   "updated_at = $2 WHERE id = $3",
                   params().text(st).integer(now).text(job_id), "cannot finish the bulk send"));
  }

  /// Reachable and migrated (the table exists).
  status check() {
    return done(pool_.exec("SELECT 1 FROM mail_bulk_jobs LIMIT 1", params(),
                           "cannot open the mail tables"));
  }

 private:
  pg::pool pool_;
};
}  // namespace

result<std::unique_ptr<mail_store>> open_postgres_mail(const std::string& url) {
  auto m = std::make_unique<pg_mail>(url);
  if (auto s = m->check(); !s) return s.error();
  return std::unique_ptr<mail_store>(std::move(m));
}

}  // namespace sesami::store
