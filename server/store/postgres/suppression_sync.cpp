// The suppression sync tables (migration 3) in PostgreSQL: the semantics of
// sqlite/suppression_sync.cpp. A run and the new baseline are saved in one transaction, holding a
// per-workspace advisory lock so two nodes saving the same workspace do not interleave their
// baseline replacements (SQLite gets that from BEGIN IMMEDIATE).
#include <map>

#include "../detail/text_columns.hpp"
#include "../suppression_sync_store.hpp"
#include "connection.hpp"

namespace sesami::store {
namespace {
using pg::connection;
using pg::params;
using pg::rows;

// Errors are stored one per line, fields separated by tabs (detail/text_columns.hpp).
using detail::sync_failures_of;
using detail::sync_failures_text;

class pg_sync final : public suppression_sync_store {
 public:
  explicit pg_sync(const std::string& url) : pool_(url, 2) {}

  result<std::vector<std::string>> baseline(std::string_view workspace) override {
    auto r = pool_.exec(
        "SELECT address FROM suppression_sync_baseline WHERE workspace = $1 ORDER BY address",
        params().text(workspace), "cannot read the suppression sync baseline");
    if (!r) return r.error();
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(r->size()));
    for (int i = 0; i < r->size(); ++i) out.emplace_back(r->text(i, 0));
    return out;
  }

  status save(std::string_view workspace, const sync_record& r,
              const std::vector<std::string>& baseline) override {
    auto c = pool_.acquire();
    if (!c) return c.error();
    connection& db = **c;
    if (auto b = db.script("BEGIN", "cannot record the suppression sync"); !b) return b;
    auto st = save_in(db, workspace, r, baseline);
    if (!st) {
      db.rollback();
      return st;
    }
    return db.script("COMMIT", "cannot record the suppression sync");
  }

  result<std::optional<sync_record>> last(std::string_view workspace,
                                          std::size_t max_changes) override {
    auto c = pool_.acquire();
    if (!c) return c.error();
    auto run_row = (*c)->exec(
        "SELECT seq, at, cause, pulled, pushed, removed_local, removed_remote, errors "
        "FROM suppression_sync_runs WHERE workspace = $1 ORDER BY seq DESC LIMIT 1",
        params().text(workspace), "cannot read the last suppression sync");
    if (!run_row) return run_row.error();
    if (run_row->size() == 0) return std::optional<sync_record>{};
    const rows& x = *run_row;
    sync_record rec;
    const std::int64_t seq = x.int64(0, 0);
    rec.at = x.int64(0, 1), rec.cause = std::string(x.text(0, 2));
    rec.pulled = x.int64(0, 3), rec.pushed = x.int64(0, 4);
    rec.removed_local = x.int64(0, 5), rec.removed_remote = x.int64(0, 6);
    rec.errors = sync_failures_of(x.text(0, 7));
    auto ch = (*c)->exec(
        "SELECT address, change, reason FROM suppression_sync_changes WHERE run = $1 "
        "ORDER BY address LIMIT $2",
        params().integer(seq).integer(static_cast<std::int64_t>(max_changes)),
        "cannot read suppression sync changes");
    if (!ch) return ch.error();
    for (int i = 0; i < ch->size(); ++i)
      rec.changes.push_back(
          {std::string(ch->text(i, 0)), std::string(ch->text(i, 1)), std::string(ch->text(i, 2))});
    return std::optional<sync_record>{std::move(rec)};
  }

 private:
  static status save_in(connection& db, std::string_view workspace, const sync_record& r,
                        const std::vector<std::string>& baseline) {
    if (auto l =
            db.exec("SELECT pg_advisory_xact_lock(hashtextextended('sesami.sync:' || $1::text, 0))",
                    params().text(workspace), "cannot lock the suppression sync");
        !l)
      return l.error();
    auto run = db.exec(
        "INSERT INTO suppression_sync_runs (workspace, at, cause, pulled, pushed, removed_local, "
        "removed_remote, errors) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq",
        params()
            .text(workspace)
            .integer(r.at)
            .text(r.cause)
            .integer(r.pulled)
            .integer(r.pushed)
            .integer(r.removed_local)
            .integer(r.removed_remote)
            .text(sync_failures_text(r.errors)),
        "cannot record the suppression sync");
    if (!run) return run.error();
    const std::int64_t seq = run->int64(0, 0);
    if (!r.changes.empty()) {
      // SQLite's INSERT OR REPLACE keeps an address's last change; one multi-row statement may not
      // touch a row twice here, so the last one per address is picked first.
      std::map<std::string_view, const sync_change*> last;
      for (auto& c : r.changes) last[c.address] = &c;
      pg::array addr, change, reason;
      for (auto& [a, c] : last) addr.text(a), change.text(c->change), reason.text(c->reason);
      if (auto x = db.exec(
              "INSERT INTO suppression_sync_changes (run, address, change, reason) "
              "SELECT $1, a, c, r FROM unnest($2::text[], $3::text[], $4::text[]) AS x(a, c, r)",
              params().integer(seq).text(addr.str()).text(change.str()).text(reason.str()),
              "cannot record a suppression sync change");
          !x)
        return x.error();
    }
    if (auto d = db.exec("DELETE FROM suppression_sync_baseline WHERE workspace = $1",
                         params().text(workspace), "cannot replace the sync baseline");
        !d)
      return d.error();
    if (!baseline.empty()) {
      pg::array addr;
      for (auto& a : baseline) addr.text(a);
      if (auto x =
              db.exec("INSERT INTO suppression_sync_baseline (workspace, address) "
                      "SELECT $1, a FROM unnest($2::text[]) AS x(a) ON CONFLICT DO NOTHING",
                      params().text(workspace).text(addr.str()), "cannot write the sync baseline");
          !x)
        return x.error();
    }
    return {};
  }

  pg::pool pool_;
};

}  // namespace

result<std::unique_ptr<suppression_sync_store>> open_postgres_suppression_sync(
    const std::string& url) {
  auto s = std::make_unique<pg_sync>(url);
  if (auto b = s->baseline(""); !b) return b.error();  // reachable and migrated
  return std::unique_ptr<suppression_sync_store>(std::move(s));
}

}  // namespace sesami::store
