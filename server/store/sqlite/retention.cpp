// Retention: events older than a workspace's retention, with their tag and status rows, deleted
// in short transactions that group commits interleave with.
#include <algorithm>

#include "store.hpp"

namespace sesami::store::sqlite {

result<std::size_t> sqlite_store::apply_retention(std::string_view workspace, std::int64_t now,
                                                  std::size_t batch,
                                                  const std::function<bool()>& between) {
  auto ws = find_workspace(workspace);
  if (!ws) return ws.error();
  if (!*ws) return error{errc::not_found, "no workspace '" + std::string(workspace) + "'"};
  if ((*ws)->retention_days <= 0) return std::size_t{0};
  const std::int64_t cutoff = now - (*ws)->retention_days * ms_per_day;
  batch = std::max<std::size_t>(batch, 1);
  // Tag and status rows first, so neither outlives its event for long (listings join events and
  // skip rows whose event is gone). Every DELETE below is idempotent: two purgers (a CLI run while
  // the server purges) only find less to do.
  auto t = expire_tags(workspace, cutoff, batch, between);
  if (!t) return t.error();
  if (!*t) return std::size_t{0};
  auto se = expire_status_events(workspace, cutoff, batch, between);
  if (!se) return se.error();
  if (!*se) return std::size_t{0};
  std::size_t total = 0;
  for (;;) {
    std::size_t n = 0;
    {
      // One short transaction per batch: the writer mutex is released in between, so group
      // commits interleave with a long purge instead of waiting for it.
      std::lock_guard lock(write_mu_);
      if (auto b = writer_->exec("BEGIN IMMEDIATE"); !b) return b.error();
      auto st = writer_->prepare_static(
          "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE workspace = ?1 AND "
          "ts < ?2 LIMIT ?3)");
      if (!st) {
        (void)writer_->exec("ROLLBACK");
        return st.error();
      }
      (*st)->bind(1, workspace);
      (*st)->bind(2, cutoff);
      (*st)->bind(3, static_cast<std::int64_t>(batch));
      if (auto r = run(*writer_, **st, "cannot delete old events"); !r) {
        (void)writer_->exec("ROLLBACK");
        return r.error();
      }
      n = static_cast<std::size_t>(writer_->changes());
      if (auto c = writer_->exec("COMMIT"); !c) {
        (void)writer_->exec("ROLLBACK");
        return c.error();
      }
    }
    total += n;
    if (n < batch) break;
    if (between && !between()) return total;
  }
  std::lock_guard lock(write_mu_);
  auto st = writer_->prepare("DELETE FROM sns_messages WHERE workspace = ?1 AND seen_at < ?2");
  if (!st) return st.error();
  (*st)->bind(1, workspace);
  (*st)->bind(2, cutoff);
  if (auto r = run(*writer_, **st, "cannot delete old SNS message ids"); !r) return r.error();
  return total;
}

// status_events rows of events older than the cutoff, along their key (workspace, status, ts)
// in batches like the tag rows; the pairs' lists drop such entries when they next move.
result<bool> sqlite_store::expire_status_events(std::string_view workspace, std::int64_t cutoff,
                                                std::size_t batch,
                                                const std::function<bool()>& between) {
  for (int st = 0; st < static_cast<int>(delivery_status_count); ++st) {
    auto r = delete_in_batches(
        "DELETE FROM status_events WHERE workspace = ?1 AND status = ?2 AND ts < ?3 AND ts <= "
        "coalesce((SELECT ts FROM status_events WHERE workspace = ?1 AND status = ?2 AND "
        "ts < ?3 ORDER BY ts LIMIT 1 OFFSET ?4), ?3)",
        batch, "cannot delete old status rows",
        [&](statement& del) {
          del.bind(1, workspace);
          del.bind(2, st);
          del.bind(3, cutoff);
          del.bind(4, static_cast<std::int64_t>(batch - 1));
        },
        between);
    if (!r || !*r) return r;
  }
  std::lock_guard lock(write_mu_);
  auto st = writer_->prepare_static("DELETE FROM status_orphans WHERE workspace = ?1 AND ts < ?2");
  if (!st) return st.error();
  (*st)->bind(1, workspace);
  (*st)->bind(2, cutoff);
  if (auto r = run(*writer_, **st, "cannot delete old status orphans"); !r) return r.error();
  return true;
}

// The tag rows of events older than the cutoff (the same ts as their event), deleted along
// their own key (workspace, name, value, ts): one short range per tag value, in transactions of
// about `batch` rows, so writers interleave. Runs before the events go, so a tag row never
// outlives its event for long; a tag listing joins events and skips any that are gone.
result<bool> sqlite_store::expire_tags(std::string_view workspace, std::int64_t cutoff,
                                       std::size_t batch, const std::function<bool()>& between) {
  std::string name, value;
  for (bool first = true;; first = false) {
    {  // the next (name, value): a seek on the primary key, not a scan
      std::lock_guard lock(write_mu_);
      auto nx = first ? writer_->prepare_static(
                            "SELECT name, value FROM event_tags WHERE workspace = ?1 "
                            "ORDER BY name, value LIMIT 1")
                      : writer_->prepare_static(
                            "SELECT name, value FROM event_tags WHERE workspace = ?1 AND "
                            "(name, value) > (?2, ?3) ORDER BY name, value LIMIT 1");
      if (!nx) return nx.error();
      reset_on_exit guard{*nx};
      (*nx)->bind(1, workspace);
      if (!first) {
        (*nx)->bind(2, name);
        (*nx)->bind(3, value);
      }
      const int rc = (*nx)->step();
      if (rc == SQLITE_DONE) return true;
      if (rc != SQLITE_ROW) return writer_->fail(rc, "cannot read event tags");
      name = (*nx)->text(0);
      value = (*nx)->text(1);
    }
    auto r = delete_in_batches(
        "DELETE FROM event_tags WHERE workspace = ?1 AND name = ?2 AND value = ?3 AND ts < ?4 "
        "AND ts <= coalesce((SELECT ts FROM event_tags WHERE workspace = ?1 AND name = ?2 AND "
        "value = ?3 AND ts < ?4 ORDER BY ts LIMIT 1 OFFSET ?5), ?4)",
        batch, "cannot delete old event tags",
        [&](statement& del) {
          del.bind(1, workspace);
          del.bind(2, name);
          del.bind(3, value);
          del.bind(4, cutoff);
          del.bind(5, static_cast<std::int64_t>(batch - 1));
        },
        between);
    if (!r || !*r) return r;
  }
}

}  // namespace sesami::store::sqlite
