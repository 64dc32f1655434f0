// The PostgreSQL store: connecting and migrating, monthly partitions, workspaces and the group
// commit that every write of events goes through.
#include "store.hpp"
#include "migrations.hpp"

namespace sesami::store::pg {
namespace {

// ---- opening and migrating
// -----------------------------------------------------------------------
result<int> migrate(connection& c, const std::string& where) {
  if (auto t =
          c.script("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
                   "description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
                   "cannot create schema_migrations");
      !t && t.error().message.find("23505") == std::string::npos)  // created concurrently
    return t.error();
  for (const auto& m : migrations) {
    auto done = in_transaction(c, [&](connection& cn) -> result<bool> {
      // One node migrates; the others wait here, then find the version applied.
      if (auto l = cn.exec("SELECT pg_advisory_xact_lock(7366353600)", "cannot lock migrations");
          !l)
        return l.error();
      // Each version is applied unless recorded: migrations written in parallel may land in the
      // list after a higher version a database already has.
      auto v = cn.exec(
          "SELECT coalesce(max(version), 0), count(*) FILTER (WHERE version = $1) "
          "FROM schema_migrations",
          params().integer(m.version), "cannot read schema version");
      if (!v) return v.error();
      const auto have = v->int64(0, 0);
      if (have > latest_version)
        return error{errc::schema_too_new,
                     "database " + where + " has schema version " + std::to_string(have) +
                         ", newer than this sesami understands (" + std::to_string(latest_version) +
                         "): upgrade sesami, or use a database made before the upgrade"};
      if (v->int64(0, 1) > 0) return false;
      if (auto s = cn.script(m.sql, "migration"); !s) {
        error e = s.error();
        e.message = "migration " + std::to_string(m.version) + " (" + std::string(m.description) +
                    ") failed: " + e.message;
        return e;
      }
      auto rec =
          cn.exec("INSERT INTO schema_migrations (version, description) VALUES ($1, $2)",
                  params().integer(m.version).text(m.description), "cannot record migration");
      if (!rec) return rec.error();
      return true;
    });
    if (!done) return done.error();
  }
  return latest_version;
}

}  // namespace

result<workspace> pg_store::create_workspace(const workspace& w) {
  auto c = pool_.acquire();
  if (!c) return c.error();
  params p;
  p.text(w.id).text(w.name.empty() ? w.id : w.name).integer(w.created_at).integer(w.retention_days);
  auto r = (*c)->exec(
      "INSERT INTO workspaces (id, name, created_at, retention_days) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT DO NOTHING",
      p, "cannot create workspace");
  if (!r) return r.error();
  if (r->affected() == 0) return error{errc::bad_input, "workspace '" + w.id + "' exists"};
  workspace out = w;
  if (out.name.empty()) out.name = w.id;
  return out;
}

result<workspace> pg_store::ensure_workspace(std::string_view id) {
  auto found = find_workspace(id);
  if (!found) return found.error();
  if (*found) return **found;
  workspace w;
  w.id = id;
  w.name = id;
  w.created_at = now_ms();
  auto created = create_workspace(w);
  if (!created && created.error().code == errc::bad_input) {  // created concurrently
    auto again = find_workspace(id);
    if (!again) return again.error();
    if (*again) return **again;
  }
  return created;
}

result<std::optional<workspace>> pg_store::find_workspace(std::string_view id) {
  auto r = pool_.exec("SELECT id, name, created_at, retention_days FROM workspaces WHERE id = $1",
                      params().text(id), "cannot read workspace");
  if (!r) return r.error();
  if (r->size() == 0) return std::optional<workspace>();
  return std::optional<workspace>(workspace{std::string(r->text(0, 0)), std::string(r->text(0, 1)),
                                            r->int64(0, 2), static_cast<int>(r->int64(0, 3))});
}

result<std::vector<workspace>> pg_store::list_workspaces() {
  auto r = pool_.exec("SELECT id, name, created_at, retention_days FROM workspaces ORDER BY id", {},
                      "cannot list workspaces");
  if (!r) return r.error();
  std::vector<workspace> out;
  for (int i = 0; i < r->size(); ++i)
    out.push_back({std::string(r->text(i, 0)), std::string(r->text(i, 1)), r->int64(i, 2),
                   static_cast<int>(r->int64(i, 3))});
  return out;
}

status pg_store::set_retention(std::string_view workspace, int days) {
  if (days < 0) return error{errc::bad_input, "retention must be 0 (forever) or a number of days"};
  auto r = pool_.exec("UPDATE workspaces SET retention_days = $2 WHERE id = $1",
                      params().text(workspace).integer(days), "cannot set retention");
  if (!r) return r.error();
  if (r->affected() == 0)
    return error{errc::not_found, "no workspace '" + std::string(workspace) + "'"};
  return {};
}

// As in SQLite (detail/group_commit.hpp): concurrent requests share one transaction; a caller
// returns only after its transaction committed.
result<ingest_summary> pg_store::ingest(std::string_view workspace,
                                        std::span<const ingest_item> items, std::int64_t now,
                                        const ingest_options& o) {
  request req{workspace, items, now, o.remember_sns_message_ids};
  committer_.submit(
      req, [this](std::vector<request*>& group) { commit_group(group); },
      [](std::vector<request*>& group, const std::exception_ptr& e) {
        // An exception inside the transaction: commit_group's connection (and with it the open
        // transaction) was dropped on the way out; the next group takes another.
        const error err{errc::unavailable, sesami::store::detail::describe(e)};
        for (auto* r : group) r->outcome = err;
      });
  return std::move(req.outcome);
}

result<bool> pg_store::remember_sns_message(std::string_view workspace, std::string_view id,
                                            std::int64_t now) {
  auto r = pool_.exec(
      "INSERT INTO sns_messages (workspace, sns_message_id, seen_at) VALUES ($1, $2, $3) "
      "ON CONFLICT DO NOTHING",
      params().text(workspace).text(id).integer(now), "cannot record SNS message");
  if (!r) return r.error();
  return r->affected() > 0;
}

result<bool> pg_store::sns_message_seen(std::string_view workspace, std::string_view id) {
  auto r = pool_.exec("SELECT 1 FROM sns_messages WHERE workspace = $1 AND sns_message_id = $2",
                      params().text(workspace).text(id), "cannot read SNS messages");
  if (!r) return r.error();
  return r->size() > 0;
}

/// Creates the partitions for the months of `ts` values that do not exist yet.
status pg_store::ensure_partitions(connection& c, const std::set<month>& months) {
  array names;
  for (const auto& m : months) names.text(partition_name(m));
  if (names.empty()) return {};
  auto missing = c.exec("SELECT n FROM unnest($1::text[]) n WHERE to_regclass(n) IS NULL",
                        params().text(names.str()), "cannot check event partitions");
  if (!missing) return missing.error();
  for (int i = 0; i < missing->size(); ++i) {
    const std::string name(missing->text(i, 0));
    const auto mo = month_of_name(name);
    if (!mo) continue;
    auto r = c.script("CREATE TABLE IF NOT EXISTS " + name +
                          " PARTITION OF events FOR VALUES FROM (" + std::to_string(start_ms(*mo)) +
                          ") TO (" + std::to_string(start_ms(next(*mo))) + ")",
                      "cannot create partition " + name);
    // Another node created it at the same moment: fine (duplicate table / type).
    if (!r && r.error().message.find("42P07") == std::string::npos &&
        r.error().message.find("23505") == std::string::npos)
      return r;
  }
  return {};
}

void pg_store::commit_group(std::vector<request*>& group) {
  auto fail = [&](const error& e) {
    for (auto* r : group) r->outcome = e;
  };
  std::unique_ptr<connection> writer;
  {
    std::lock_guard lock(writers_mu_);
    if (!idle_writers_.empty()) writer = std::move(idle_writers_.back()), idle_writers_.pop_back();
  }
  if (!writer || !writer->healthy()) {  // first use, or the server went away since
    auto opened = connection::open(pool_.url());
    if (!opened) return fail(opened.error());
    writer = std::move(*opened);
  }
  connection& c = *writer;
  // Back to the idle list when the group ends (failed or not); an exception drops it instead.
  struct give_back {
    pg_store* s;
    std::unique_ptr<connection>& w;
    ~give_back() {
      if (std::uncaught_exceptions() > 0) return;
      std::lock_guard lock(s->writers_mu_);
      s->idle_writers_.push_back(std::move(w));
    }
  } returned{this, writer};
  std::set<month> months;
  // The group's requests by workspace, in arrival order within each.
  std::map<std::string, std::vector<request*>, std::less<>> by_ws;
  for (auto* r : group) {
    by_ws[std::string(r->workspace)].push_back(r);
    for (const auto& it : r->items) months.insert(month_of(it.ev->timestamp));
  }
  if (auto p = ensure_partitions(c, months); !p) return fail(p.error());

  txn_state txn;
  auto fail_all = [&](const error& e) {
    c.rollback();
    fail(e);
  };
  if (auto b = c.script("BEGIN", "cannot begin a transaction"); !b) return fail(b.error());
  // No lock per workspace: writers on every node wait only for the pairs they share (their
  // recipient_status rows, taken in one sorted order: workspaces here, pairs in load_state).
  for (auto& [ws, reqs] : by_ws) {
    // An unknown workspace fails its requests alone, not the neighbours sharing the transaction.
    auto days = retention_days(c, txn, ws);
    if (!days && days.error().code == errc::not_found) {
      for (auto* r : reqs) r->outcome = days.error();
      continue;
    }
    if (!days) return fail_all(days.error());
    if (auto s = ingest_workspace(c, txn, ws, *days, reqs); !s) return fail_all(s.error());
  }
  if (auto f = flush_state(c, txn); !f) return fail_all(f.error());
  if (auto cm = c.script("COMMIT", "cannot commit"); !cm) return fail_all(cm.error());
}

result<int> pg_store::retention_days(connection& c, txn_state& txn, std::string_view workspace) {
  if (auto it = txn.retention.find(workspace); it != txn.retention.end()) return it->second;
  auto r = c.exec("SELECT retention_days FROM workspaces WHERE id = $1", params().text(workspace),
                  "cannot read workspace");
  if (!r) return r.error();
  if (r->size() == 0)
    return error{errc::not_found, "no workspace '" + std::string(workspace) + "'"};
  const int days = static_cast<int>(r->int64(0, 0));
  txn.retention.emplace(std::string(workspace), days);
  return days;
}

}  // namespace sesami::store::pg

namespace sesami::store {

result<std::unique_ptr<store>> open_postgres(const pg_options& opt) {
  using namespace pg;
  auto c = connection::open(opt.url);
  if (!c) return c.error();
  auto version = migrate(**c, redact(opt.url));
  if (!version) return version.error();
  auto s = std::make_unique<pg_store>(opt, *version);
  // This month and the next ones exist before the first event needs them.
  std::set<month> ahead;
  month m = month_of(now_ms());
  for (int i = 0; i <= opt.months_ahead; ++i, m = next(m)) ahead.insert(m);
  if (auto p = s->ensure_partitions(**c, ahead); !p) return p.error();
  return std::unique_ptr<store>(std::move(s));
}

}  // namespace sesami::store
