// The suppression sync tables in SQLite (migration 10). One connection behind a mutex: a sync
// runs every few minutes per workspace.
#include <mutex>

#include "detail/text_columns.hpp"
#include "sqlite/connection.hpp"
#include "suppression_sync_store.hpp"

namespace sesami::store {
namespace {
using sqlite::connection;
using sqlite::reset_guard;
using sqlite::statement;

// Errors are stored one per line, fields separated by tabs (detail/text_columns.hpp).
using detail::sync_failures_of;
using detail::sync_failures_text;

class sqlite_sync final : public suppression_sync_store {
 public:
  explicit sqlite_sync(std::unique_ptr<connection> c) : db_(std::move(c)) {}

  result<std::vector<std::string>> baseline(std::string_view workspace) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "SELECT address FROM suppression_sync_baseline WHERE workspace = ? ORDER BY address");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, workspace);
    std::vector<std::string> out;
    int rc;
    while ((rc = (*s)->step()) == SQLITE_ROW) out.emplace_back((*s)->text(0));
    if (rc != SQLITE_DONE) return db_->fail(rc, "cannot read the suppression sync baseline");
    return out;
  }

  status save(std::string_view workspace, const sync_record& r,
              const std::vector<std::string>& baseline) override {
    std::lock_guard lock(mu_);
    return sqlite::in_transaction(*db_, [&] { return save_locked(workspace, r, baseline); });
  }

  result<std::optional<sync_record>> last(std::string_view workspace,
                                          std::size_t max_changes) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "SELECT seq, at, cause, pulled, pushed, removed_local, removed_remote, errors "
        "FROM suppression_sync_runs WHERE workspace = ? ORDER BY seq DESC LIMIT 1");
    if (!s) return s.error();
    std::int64_t seq = 0;
    sync_record r;
    {
      reset_guard g{**s};
      (*s)->bind(1, workspace);
      const int rc = (*s)->step();
      if (rc == SQLITE_DONE) return std::optional<sync_record>{};
      if (rc != SQLITE_ROW) return db_->fail(rc, "cannot read the last suppression sync");
      seq = (*s)->int64(0), r.at = (*s)->int64(1), r.cause = std::string((*s)->text(2));
      r.pulled = (*s)->int64(3), r.pushed = (*s)->int64(4);
      r.removed_local = (*s)->int64(5), r.removed_remote = (*s)->int64(6);
      r.errors = sync_failures_of((*s)->text(7));
    }
    auto c = db_->prepare_static(
        "SELECT address, change, reason FROM suppression_sync_changes WHERE run = ? "
        "ORDER BY address LIMIT ?");
    if (!c) return c.error();
    reset_guard g{**c};
    (*c)->bind(1, seq), (*c)->bind(2, static_cast<std::int64_t>(max_changes));
    int rc;
    while ((rc = (*c)->step()) == SQLITE_ROW)
      r.changes.push_back(
          {std::string((*c)->text(0)), std::string((*c)->text(1)), std::string((*c)->text(2))});
    if (rc != SQLITE_DONE) return db_->fail(rc, "cannot read suppression sync changes");
    return std::optional<sync_record>{std::move(r)};
  }

 private:
  status save_locked(std::string_view workspace, const sync_record& r,
                     const std::vector<std::string>& baseline) {
    auto run = db_->prepare_static(
        "INSERT INTO suppression_sync_runs (workspace, at, cause, pulled, pushed, removed_local, "
        "removed_remote, errors) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!run) return run.error();
    {
      reset_guard g{**run};
      (*run)->bind(1, workspace), (*run)->bind(2, r.at), (*run)->bind(3, r.cause);
      (*run)->bind(4, r.pulled), (*run)->bind(5, r.pushed), (*run)->bind(6, r.removed_local);
      (*run)->bind(7, r.removed_remote), (*run)->bind(8, sync_failures_text(r.errors));
      if (auto st = sqlite::run(*db_, **run, "cannot record the suppression sync"); !st) return st;
    }
    const std::int64_t seq = sqlite3_last_insert_rowid(db_->get());
    auto ch = db_->prepare_static(
        "INSERT OR REPLACE INTO suppression_sync_changes (run, address, change, reason) "
        "VALUES (?, ?, ?, ?)");
    if (!ch) return ch.error();
    for (auto& c : r.changes) {
      reset_guard g{**ch};
      (*ch)->bind(1, seq), (*ch)->bind(2, c.address), (*ch)->bind(3, c.change);
      (*ch)->bind(4, c.reason);
      if (auto st = sqlite::run(*db_, **ch, "cannot record a suppression sync change"); !st)
        return st;
    }
    auto del = db_->prepare_static("DELETE FROM suppression_sync_baseline WHERE workspace = ?");
    if (!del) return del.error();
    {
      reset_guard g{**del};
      (*del)->bind(1, workspace);
      if (auto st = sqlite::run(*db_, **del, "cannot replace the sync baseline"); !st) return st;
    }
    auto ins = db_->prepare_static(
        "INSERT OR IGNORE INTO suppression_sync_baseline (workspace, address) VALUES (?, ?)");
    if (!ins) return ins.error();
    for (auto& a : baseline) {
      reset_guard g{**ins};
      (*ins)->bind(1, workspace), (*ins)->bind(2, a);
      if (auto st = sqlite::run(*db_, **ins, "cannot write the sync baseline"); !st) return st;
    }
    return {};
  }

  std::mutex mu_;
  std::unique_ptr<connection> db_;
};

}  // namespace

result<std::unique_ptr<suppression_sync_store>> open_sqlite_suppression_sync(
    const std::string& path, int busy_timeout_ms) {
  auto c = sqlite::open_existing(path, busy_timeout_ms);
  if (!c) return c.error();
  return std::unique_ptr<suppression_sync_store>(new sqlite_sync(std::move(*c)));
}

}  // namespace sesami::store
