#pragma once
// A thin RAII layer over the SQLite C API: a connection with a cache of prepared statements, and
// statement binding / stepping helpers. SQLite result codes become store errors here, once.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include <sqlite3.h>

#include "../store.hpp"

namespace sesami::store::sqlite {

/// Maps an SQLite result code to the store's error kinds, with a message naming the file.
error make_error(int rc, sqlite3* db, std::string_view what);

class statement {
 public:
  explicit statement(sqlite3_stmt* s) noexcept : s_(s) {}
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement() { sqlite3_finalize(s_); }

  void reset() noexcept {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  void bind(int i, std::int64_t v) noexcept { sqlite3_bind_int64(s_, i, v); }
  void bind(int i, int v) noexcept { sqlite3_bind_int(s_, i, v); }
  void bind(int i, std::string_view v) noexcept {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bind_blob(int i, std::string_view v) noexcept {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bind_null(int i) noexcept { sqlite3_bind_null(s_, i); }
  /// Binds NULL for an empty string: optional text columns keep "not set" distinct from "".
  void bind_or_null(int i, std::string_view v) noexcept {
    if (v.empty())
      bind_null(i);
    else
      bind(i, v);
  }
  /// Binds without copying: `v` must stay alive and unchanged until the statement is reset (the
  /// write path binds each event's ~700-byte document this way, once per stored event).
  void bind_static(int i, std::string_view v) noexcept {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void bind_blob_static(int i, std::string_view v) noexcept {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  /// SQLITE_ROW, SQLITE_DONE or an error code.
  int step() noexcept { return sqlite3_step(s_); }

  std::int64_t int64(int col) const noexcept { return sqlite3_column_int64(s_, col); }
  bool is_null(int col) const noexcept { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::string_view text(int col) const noexcept {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
             : std::string_view();
  }
  std::string_view blob(int col) const noexcept {
    auto* p = static_cast<const char*>(sqlite3_column_blob(s_, col));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
             : std::string_view();
  }
  sqlite3_stmt* get() const noexcept { return s_; }

 private:
  sqlite3_stmt* s_;
};

/// Resets a cached statement when the scope ends, on every path: a statement left stepped would
/// keep its read transaction open and its bindings alive.
struct reset_guard {
  statement& s;
  ~reset_guard() { s.reset(); }
};

class connection {
 public:
  /// Opens `path` with `flags` (SQLITE_OPEN_*), sets the busy timeout.
  static result<std::unique_ptr<connection>> open(const std::string& path, int flags,
                                                  int busy_timeout_ms);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection();

  /// Runs SQL without results (may hold several statements).
  status exec(std::string_view sql);
  /// A cached prepared statement for this SQL text, reset and with bindings cleared.
  result<statement*> prepare(const std::string& sql);
  /// The same for SQL in a string literal, cached by address: no hashing of the text on the hot
  /// path. Never pass a pointer into a temporary string.
  result<statement*> prepare_static(const char* literal);
  error fail(int rc, std::string_view what) const { return make_error(rc, db_, what); }
  std::int64_t changes() const noexcept { return sqlite3_changes64(db_); }
  sqlite3* get() const noexcept { return db_; }
  const std::string& path() const noexcept { return path_; }

 private:
  connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, std::unique_ptr<statement>> cache_;
  std::unordered_map<const char*, statement*> by_address_;
};

/// Steps a statement that returns no rows; maps failure to an error naming `what`.
status run(connection& c, statement& s, std::string_view what);

/// Opens an existing, already migrated database file for reading and writing (the small stores
/// beside the event store: accounts, mail, AWS connections, suppression sync).
inline result<std::unique_ptr<connection>> open_existing(const std::string& path,
                                                         int busy_timeout_ms) {
  return connection::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, busy_timeout_ms);
}

/// Runs `body` (returning status) inside BEGIN IMMEDIATE ... COMMIT. Any failure, of the body or
/// of the COMMIT itself, rolls back: nothing is ever left half-written.
template <class Body>
status in_transaction(connection& c, Body&& body) {
  if (auto b = c.exec("BEGIN IMMEDIATE"); !b) return b;
  status r = body();
  if (r) r = c.exec("COMMIT");
  if (!r) (void)c.exec("ROLLBACK");
  return r;
}

}  // namespace sesami::store::sqlite
