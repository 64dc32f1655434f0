// The SQLite store: opening and migrating the database, the reader pool, workspaces and the
// group commit that every write of events goes through.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>

#include "migrations.hpp"
#include "store.hpp"

namespace sesami::store::sqlite {
namespace {

bool is_writable(const std::string& path) { return ::access(path.c_str(), W_OK) == 0; }
std::string directory_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// ---- opening and migrating
// -----------------------------------------------------------------------
result<int> read_version(connection& c) {
  auto st = c.prepare("PRAGMA user_version");
  if (!st) return st.error();
  reset_on_exit guard{*st};
  const int rc = (*st)->step();
  if (rc != SQLITE_ROW) return c.fail(rc, "cannot read schema version");
  return static_cast<int>((*st)->int64(0));
}

result<int> migrate(connection& c, const std::string& path) {
  auto v = read_version(c);
  if (!v) return v.error();
  if (*v > latest_version)
    return error{errc::schema_too_new,
                 "database " + path + " has schema version " + std::to_string(*v) +
                     ", newer than this sesami understands (" + std::to_string(latest_version) +
                     "): upgrade sesami, or open a copy made before the upgrade"};
  for (const auto& m : migrations) {
    if (m.version <= *v) continue;
    // Each migration and its version bump commit together: a crash leaves the previous version.
    if (auto b = c.exec("BEGIN IMMEDIATE"); !b) return b.error();
    auto applied = c.exec(m.sql);
    if (applied) applied = c.exec("PRAGMA user_version = " + std::to_string(m.version));
    if (!applied) {
      (void)c.exec("ROLLBACK");
      error e = applied.error();
      e.message = "migration " + std::to_string(m.version) + " (" + std::string(m.description) +
                  ") failed: " + e.message;
      return e;
    }
    if (auto cm = c.exec("COMMIT"); !cm) return cm.error();
  }
  return latest_version;
}

}  // namespace

result<workspace> sqlite_store::create_workspace(const workspace& w) {
  std::lock_guard lock(write_mu_);
  auto st = writer_->prepare(
      "INSERT INTO workspaces (id, name, created_at, retention_days) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT DO NOTHING");
  if (!st) return st.error();
  auto& s = **st;
  s.bind(1, w.id);
  s.bind(2, w.name.empty() ? w.id : w.name);
  s.bind(3, w.created_at);
  s.bind(4, w.retention_days);
  if (auto r = run(*writer_, s, "cannot create workspace"); !r) return r.error();
  if (writer_->changes() == 0) return error{errc::bad_input, "workspace '" + w.id + "' exists"};
  workspace out = w;
  if (out.name.empty()) out.name = w.id;
  return out;
}

result<workspace> sqlite_store::ensure_workspace(std::string_view id) {
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

result<std::optional<workspace>> sqlite_store::find_workspace(std::string_view id) {
  auto r = reader();
  if (!r) return r.error();
  auto st =
      (*r)->prepare("SELECT id, name, created_at, retention_days FROM workspaces WHERE id = ?1");
  if (!st) return st.error();
  auto& s = **st;
  reset_on_exit guard{&s};
  s.bind(1, id);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<workspace>();
  if (rc != SQLITE_ROW) return (*r)->fail(rc, "cannot read workspace");
  workspace w{std::string(s.text(0)), std::string(s.text(1)), s.int64(2),
              static_cast<int>(s.int64(3))};
  return std::optional<workspace>(std::move(w));
}

result<std::vector<workspace>> sqlite_store::list_workspaces() {
  auto r = reader();
  if (!r) return r.error();
  auto st =
      (*r)->prepare("SELECT id, name, created_at, retention_days FROM workspaces ORDER BY id");
  if (!st) return st.error();
  auto& s = **st;
  reset_on_exit guard{&s};
  std::vector<workspace> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    out.push_back(
        {std::string(s.text(0)), std::string(s.text(1)), s.int64(2), static_cast<int>(s.int64(3))});
  if (rc != SQLITE_DONE) return (*r)->fail(rc, "cannot list workspaces");
  return out;
}

status sqlite_store::set_retention(std::string_view workspace, int days) {
  if (days < 0) return error{errc::bad_input, "retention must be 0 (forever) or a number of days"};
  std::lock_guard lock(write_mu_);
  auto st = writer_->prepare("UPDATE workspaces SET retention_days = ?2 WHERE id = ?1");
  if (!st) return st.error();
  (*st)->bind(1, workspace);
  (*st)->bind(2, days);
  if (auto r = run(*writer_, **st, "cannot set retention"); !r) return r;
  if (writer_->changes() == 0)
    return error{errc::not_found, "no workspace '" + std::string(workspace) + "'"};
  return {};
}

// Concurrent requests share one transaction (detail/group_commit.hpp). A caller returns only
// after the transaction holding its events committed, so acknowledging after ingest() returns
// never acknowledges an event that could be lost.
result<ingest_summary> sqlite_store::ingest(std::string_view workspace,
                                            std::span<const ingest_item> items, std::int64_t now,
                                            const ingest_options& o) {
  request req{workspace, items, now, o.remember_sns_message_ids, o.durable};
  committer_.submit(
      req, [this](std::vector<request*>& group) { commit_group(group); },
      [this](std::vector<request*>& group, const std::exception_ptr& e) {
        // An exception (out of memory ...) inside the transaction: undo it, fail the group.
        std::lock_guard lock(write_mu_);
        (void)writer_->exec("ROLLBACK");
        const error err{errc::unavailable, sesami::store::detail::describe(e)};
        for (auto* r : group) r->outcome = err;
      });
  return std::move(req.outcome);
}

result<bool> sqlite_store::remember_sns_message(std::string_view workspace, std::string_view id,
                                                std::int64_t now) {
  std::lock_guard lock(write_mu_);
  auto st = writer_->prepare(
      "INSERT INTO sns_messages (workspace, sns_message_id, seen_at) VALUES (?1, ?2, ?3) "
      "ON CONFLICT DO NOTHING");
  if (!st) return st.error();
  (*st)->bind(1, workspace);
  (*st)->bind(2, id);
  (*st)->bind(3, now);
  if (auto r = run(*writer_, **st, "cannot record SNS message"); !r) return r.error();
  return writer_->changes() > 0;
}

result<bool> sqlite_store::sns_message_seen(std::string_view workspace, std::string_view id) {
  auto r = reader();
  if (!r) return r.error();
  auto st =
      (*r)->prepare("SELECT 1 FROM sns_messages WHERE workspace = ?1 AND sns_message_id = ?2");
  if (!st) return st.error();
  reset_on_exit guard{*st};
  (*st)->bind(1, workspace);
  (*st)->bind(2, id);
  const int rc = (*st)->step();
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return (*r)->fail(rc, "cannot read SNS messages");
}

std::int64_t sqlite_store::now_ms() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

result<sqlite_store::reader_handle> sqlite_store::reader() {
  {
    std::lock_guard lock(pool_mu_);
    if (!pool_.empty()) {
      connection* c = pool_.back().release();
      pool_.pop_back();
      return reader_handle(c, reader_deleter{this});
    }
  }
  auto c =
      connection::open(opt_.path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, opt_.busy_timeout_ms);
  if (!c) return c.error();
  (void)(*c)->exec("PRAGMA mmap_size = 268435456");
  return reader_handle(c->release(), reader_deleter{this});
}

void sqlite_store::release(connection* c) {
  std::lock_guard lock(pool_mu_);
  if (pool_.size() < std::max<std::size_t>(opt_.readers, 1))
    pool_.emplace_back(c);
  else
    delete c;
}

void sqlite_store::commit_group(std::vector<request*>& group) {
  std::lock_guard lock(write_mu_);
  txn_state txn;
  auto fail_all = [&](const error& e) {
    (void)writer_->exec("ROLLBACK");
    for (auto* r : group) r->outcome = e;
  };
  // One durable request makes the whole group's commit durable (the webhook's acknowledgement
  // may share a transaction with an import's batch).
  const bool durable =
      std::any_of(group.begin(), group.end(), [](const request* r) { return r->durable; });
  if (auto d = set_durability(durable); !d) {
    for (auto* r : group) r->outcome = d.error();
    return;
  }
  if (auto b = writer_->exec("BEGIN IMMEDIATE"); !b) {
    for (auto* r : group) r->outcome = b.error();
    return;
  }
  for (auto* r : group) {
    // An unknown workspace is found before anything of that request is written: it fails that
    // request alone, not the neighbours sharing the transaction.
    auto days = retention_days(txn, r->workspace);
    if (!days && days.error().code == errc::not_found) {
      r->outcome = days.error();
      continue;
    }
    auto s = ingest_one(txn, *r);
    if (!s) return fail_all(s.error());
    r->outcome = *s;
  }
  if (auto f = flush_state(txn); !f) return fail_all(f.error());
  if (auto c = writer_->exec("COMMIT"); !c) return fail_all(c.error());
  if (durable && deferred_) {
    // The commit above (synchronous = FULL) synced the WAL, which holds every frame not yet
    // checkpointed; a checkpoint syncs the WAL before copying and the database after, so it also
    // covers a commit that wrote nothing (an empty final ingest).
    if (auto c = writer_->exec("PRAGMA wal_checkpoint(PASSIVE)"); !c) {
      for (auto* r : group) r->outcome = c.error();
      return;
    }
    deferred_ = false;
  }
}

// Bulk batches (ingest_options::durable false) commit with synchronous = NORMAL; durable ones
// with FULL, as the store opens.
status sqlite_store::set_durability(bool durable) {
  if (durable == !deferred_) return {};
  if (!durable) deferred_ = true;
  return writer_->exec(durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
}

result<int> sqlite_store::retention_days(txn_state& txn, std::string_view workspace) {
  if (auto it = txn.retention.find(workspace); it != txn.retention.end()) return it->second;
  auto st = writer_->prepare_static("SELECT retention_days FROM workspaces WHERE id = ?1");
  if (!st) return st.error();
  reset_on_exit guard{*st};
  (*st)->bind(1, workspace);
  const int rc = (*st)->step();
  if (rc == SQLITE_DONE)
    return error{errc::not_found, "no workspace '" + std::string(workspace) + "'"};
  if (rc != SQLITE_ROW) return writer_->fail(rc, "cannot read workspace");
  const int days = static_cast<int>((*st)->int64(0));
  txn.retention.emplace(std::string(workspace), days);
  return days;
}

}  // namespace sesami::store::sqlite

namespace sesami::store {

result<std::unique_ptr<store>> open_sqlite(const open_options& opt) {
  using namespace sqlite;
  if (opt.path.empty() || opt.path == ":memory:" || opt.path.rfind("file:", 0) == 0)
    return error{errc::bad_input, "the SQLite store needs a file path"};
  struct stat sb {};
  const bool exists = ::stat(opt.path.c_str(), &sb) == 0;
  if (exists && S_ISDIR(sb.st_mode))
    return error{errc::bad_input, opt.path + " is a directory, not a database file"};
  if (!exists && !opt.create) return error{errc::not_found, "no database at " + opt.path};
  // Clear messages for the usual permission problems, before SQLite reports them obliquely.
  if (exists && !is_writable(opt.path))
    return error{errc::read_only, "database file " + opt.path + " is read-only"};
  const std::string dir = directory_of(opt.path);
  if (!is_writable(dir))
    return error{errc::read_only, "directory " + dir + " is not writable (SQLite keeps its " +
                                      "write-ahead log next to " + opt.path + ")"};

  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (opt.create) flags |= SQLITE_OPEN_CREATE;
  auto c = connection::open(opt.path, flags, opt.busy_timeout_ms);
  if (!c) return c.error();
  auto& db = **c;
  // The first read tells a non-database file apart before anything is written to it.
  if (auto v = read_version(db); !v) return v.error();
  // 256 MB of page cache for the writer: at ten million events the random-order indexes
  // (identity, message, recipient, recipient_status) are hundreds of MB, and every page an insert
  // finds in the cache is one it does not read back. Pages are allocated as they are used.
  // A checkpoint every ~40 MB of WAL instead of SQLite's ~4 MB: the pages every group commit
  // touches (rollups, the newest index pages) are copied to the database once per checkpoint, not
  // once per 4 MB — bulk imports, and webhook ingestion +5 % (docs/performance.md, #4).
  if (auto w = db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                       "PRAGMA wal_autocheckpoint = 10000; "
                       "PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY; "
                       "PRAGMA foreign_keys = ON");
      !w)
    return w.error();
  auto version = migrate(db, opt.path);
  if (!version) return version.error();
  return std::unique_ptr<store>(new sqlite_store(opt, std::move(*c), *version));
}

}  // namespace sesami::store
