// `sesami backup` and the copy made before a start-up migration: SQLite's online backup API in
// one step, so the copy is the snapshot of one read transaction while the server keeps writing.
#include "../backup.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <random>

#include "../open.hpp"
#include "connection.hpp"
#include "migrations.hpp"

namespace sesami::store {
namespace {

/// A fresh, empty, owner-only file beside `to` (SQLite takes an empty file as a new database).
result<std::string> private_temp_beside(const std::string& to) {
  std::random_device rd;
  for (int attempt = 0; attempt < 16; ++attempt) {
    const std::string tmp = to + ".tmp-" + std::to_string(rd() % 1'000'000'000u);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::close(fd);
      return tmp;
    }
    if (errno != EEXIST)
      return error{errno == EACCES || errno == EROFS ? errc::read_only : errc::unavailable,
                   "cannot create " + tmp + ": " + std::strerror(errno)};
  }
  return error{errc::internal, "cannot find a free temporary name beside " + to};
}

status sync_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const int e = errno;
    if (fd >= 0) ::close(fd);
    return error{errc::unavailable, "cannot sync " + path + ": " + std::strerror(e)};
  }
  ::close(fd);
  return {};
}

/// Copies every page of `src` into `dst` in one step: one read transaction on the source.
status copy_pages(sqlite::connection& src, sqlite::connection& dst) {
  sqlite3_backup* b = sqlite3_backup_init(dst.get(), "main", src.get(), "main");
  if (!b) return dst.fail(sqlite3_errcode(dst.get()), "cannot start the backup");
  int rc = SQLITE_OK;
  // SQLITE_BUSY/LOCKED: a writer is checkpointing or recovering the WAL; retried a while.
  for (int tries = 0; tries < 200; ++tries) {
    rc = sqlite3_backup_step(b, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
    sqlite3_sleep(50);
  }
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return dst.fail(rc, "backup of " + src.path() + " failed");
  return {};
}

result<int> schema_version(sqlite::connection& c) {
  auto st = c.prepare("PRAGMA user_version");
  if (!st) return st.error();
  sqlite::reset_guard guard{**st};
  const int rc = (*st)->step();
  if (rc != SQLITE_ROW) return c.fail(rc, "cannot read the schema version of " + c.path());
  return static_cast<int>((*st)->int64(0));
}

std::string utc_stamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace

result<void> backup_sqlite(const std::string& from, const std::string& to) {
  if (is_postgres_url(from))
    return error{errc::bad_input,
                 "backup copies SQLite databases; for PostgreSQL use pg_dump (docs/storage.md)"};
  struct stat sb {};
  if (::stat(from.c_str(), &sb) != 0 || !S_ISREG(sb.st_mode))
    return error{errc::not_found, "no database file at " + from};
  if (::lstat(to.c_str(), &sb) == 0)
    return error{errc::bad_input, to + " exists: choose a new file for the backup"};
  auto src = sqlite::connection::open(from, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, 10000);
  if (!src) return src.error();
  if (auto v = schema_version(**src); !v) return v.error();  // not a database: said here
  auto tmp = private_temp_beside(to);
  if (!tmp) return tmp.error();
  auto fail = [&](error e) -> result<void> {
    ::unlink(tmp->c_str());
    return e;
  };
  {
    auto dst = sqlite::connection::open(
        *tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, 10000);
    if (!dst) return fail(dst.error());
    if (auto r = copy_pages(**src, **dst); !r) return fail(r.error());
    // The copy inherits the source's WAL mode; a checkpoint leaves all of it in the one file.
    if (auto r = (*dst)->exec("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE"); !r)
      return fail(r.error());
  }
  if (auto r = sync_file(*tmp); !r) return fail(r.error());
  // link() refuses an existing name, where rename() would replace a file made meanwhile.
  if (::link(tmp->c_str(), to.c_str()) != 0) {
    const int e = errno;
    return fail(error{e == EEXIST ? errc::bad_input : errc::unavailable,
                      "cannot create " + to + ": " + std::strerror(e)});
  }
  ::unlink(tmp->c_str());
  return {};
}

result<std::optional<std::string>> backup_before_migration(const std::string& db) {
  if (is_postgres_url(db)) return std::optional<std::string>();
  struct stat sb {};
  if (::stat(db.c_str(), &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0)
    return std::optional<std::string>();  // nothing to keep yet; open_store says what is wrong
  int version = 0;
  {
    auto c = sqlite::connection::open(db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, 10000);
    if (!c) return c.error();
    auto v = schema_version(**c);
    if (!v) return v.error();
    version = *v;
  }
  // 0: a new database; above ours: open_store refuses it, unchanged.
  if (version <= 0 || version >= sqlite::latest_version) return std::optional<std::string>();
  const std::string to = db + ".pre-v" + std::to_string(version) + "-" + utc_stamp() + ".bak";
  if (auto r = backup_sqlite(db, to); !r)
    return error{r.error().code, "the backup before migrating schema version " +
                                     std::to_string(version) + " to " +
                                     std::to_string(sqlite::latest_version) +
                                     " failed (nothing migrated): " + r.error().message};
  return std::optional<std::string>(to);
}

}  // namespace sesami::store
