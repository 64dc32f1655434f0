#include "connection.hpp"

#include "../../app/private_files.hpp"

namespace sesami::store::sqlite {

error make_error(int rc, sqlite3* db, std::string_view what) {
  std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const char* file = db ? sqlite3_db_filename(db, "main") : nullptr;
  std::string where = file && *file ? std::string(" (") + file + ")" : std::string();
  std::string msg = std::string(what) + ": " + detail + where;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
    case SQLITE_INTERRUPT:
      return {errc::unavailable, msg};
    case SQLITE_FULL:
      return {errc::unavailable, msg + ": disk full"};
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return {errc::read_only, msg};
    case SQLITE_CANTOPEN:
      return {errc::unavailable, msg};
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return {errc::corrupt, msg};
    default:
      return {errc::internal, msg};
  }
}

result<std::unique_ptr<connection>> connection::open(const std::string& path, int flags,
                                                     int busy_timeout_ms) {
  // A new database file is owner-only whatever the umask: SQLite would make it 0644 & ~umask, and
  // it gives the -wal and -shm files the database file's mode.
  if ((flags & SQLITE_OPEN_CREATE) && !path.empty() && path != ":memory:" &&
      !path.starts_with("file:"))
    (void)app::create_private_file(path);  // a failure shows in sqlite3_open_v2's answer
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    error e = make_error(rc, db, "cannot open database " + path);
    sqlite3_close(db);
    return e;
  }
  sqlite3_busy_timeout(db, busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<connection>(new connection(db, path));
}

connection::~connection() {
  by_address_.clear();
  cache_.clear();  // statements must be finalized before the connection closes
  sqlite3_close(db_);
}

status connection::exec(std::string_view sql) {
  char* msg = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &msg);
  sqlite3_free(msg);
  if (rc != SQLITE_OK) return fail(rc, "cannot run SQL");
  return {};
}

result<statement*> connection::prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    it->second->reset();
    return it->second.get();
  }
  sqlite3_stmt* s = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) return fail(rc, "cannot prepare a query");
  auto& slot = cache_[sql];
  slot = std::make_unique<statement>(s);
  return slot.get();
}

result<statement*> connection::prepare_static(const char* literal) {
  auto it = by_address_.find(literal);
  if (it != by_address_.end()) {
    it->second->reset();
    return it->second;
  }
  auto st = prepare(std::string(literal));
  if (st) by_address_.emplace(literal, *st);
  return st;
}

status run(connection& c, statement& s, std::string_view what) {
  const int rc = s.step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    error e = c.fail(rc, what);
    s.reset();
    return e;
  }
  s.reset();
  return {};
}

}  // namespace sesami::store::sqlite
