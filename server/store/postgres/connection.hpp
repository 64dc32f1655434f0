#pragma once
// A thin RAII layer over libpq: a connection that runs parameterised SQL (text format), results,
// array literals for unnest()-based multi-row statements, and a small connection pool. PostgreSQL
// SQLSTATEs become store errors here, once.
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <libpq-fe.h>

#include "../store.hpp"

namespace sesami::store::pg {

/// The URL with its password replaced by "***": for messages and logs.
std::string redact(std::string_view url);

/// Parameters of one statement, all sent as text (numbers in decimal).
class params {
 public:
  params& text(std::string_view v) {
    values_.emplace_back(v);
    null_.push_back(false);
    return *this;
  }
  params& integer(std::int64_t v) { return text(std::to_string(v)); }
  params& null() {
    values_.emplace_back();
    null_.push_back(true);
    return *this;
  }
  std::size_t size() const noexcept { return values_.size(); }
  const std::vector<std::string>& values() const noexcept { return values_; }
  bool is_null(std::size_t i) const noexcept { return null_[i]; }

 private:
  std::vector<std::string> values_;
  std::vector<bool> null_;
};

/// A PostgreSQL array literal ('{"a","b",NULL}') for one unnest() column: a whole batch travels
/// as one parameter per column, so N rows cost one statement instead of N round trips.
class array {
 public:
  void text(std::string_view v);
  void integer(std::int64_t v);
  void null();
  void optional(const std::optional<std::int64_t>& v) { v ? integer(*v) : null(); }
  std::string str() const { return s_ + "}"; }
  bool empty() const noexcept { return n_ == 0; }

 private:
  void sep() {
    if (n_++) s_ += ',';
  }
  std::string s_ = "{";
  std::size_t n_ = 0;
};

/// The rows of a statement's result (text format).
class rows {
 public:
  explicit rows(PGresult* r) noexcept : r_(r) {}
  rows(rows&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  rows& operator=(rows&& o) noexcept {
    std::swap(r_, o.r_);
    return *this;
  }
  rows(const rows&) = delete;
  rows& operator=(const rows&) = delete;
  ~rows() { PQclear(r_); }

  int size() const noexcept { return PQntuples(r_); }
  bool is_null(int row, int col) const noexcept { return PQgetisnull(r_, row, col) != 0; }
  std::string_view text(int row, int col) const noexcept {
    return {PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col))};
  }
  std::int64_t int64(int row, int col) const noexcept;
  /// Rows changed by an INSERT / UPDATE / DELETE.
  std::int64_t affected() const noexcept;

 private:
  PGresult* r_;
};

class connection {
 public:
  /// Connects to `url` (postgresql://user:pass@host:port/db?options=...).
  static result<std::unique_ptr<connection>> open(const std::string& url);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection() { PQfinish(c_); }

  /// Runs one statement with parameters; `what` names the operation in the error message.
  result<rows> exec(std::string_view sql, const params& p, std::string_view what);
  result<rows> exec(std::string_view sql, std::string_view what) {
    return exec(sql, params{}, what);
  }
  /// Runs SQL text without parameters (may hold several statements).
  status script(std::string_view sql, std::string_view what);
  /// False once the server went away: the pool drops such connections.
  bool healthy() const noexcept {
    return PQstatus(c_) == CONNECTION_OK && PQtransactionStatus(c_) == PQTRANS_IDLE;
  }
  /// Rolls back an open transaction, if any (ignoring errors: the connection may be gone).
  void rollback() noexcept;
  /// For an idle pooled connection: true when the server has spoken or hung up since it went
  /// idle. It never does to an idle session except to end it (a restart, a crash, a terminated
  /// backend: a FATAL message and EOF), so such a connection is discarded before use. One poll().
  bool stale() const noexcept;
  /// Marks the connection as just taken from the pool's idle list: its first statement, if it
  /// fails because the connection is broken and cannot have changed anything, is retried once on
  /// a fresh connection (see exec).
  void reused() noexcept { reused_ = true; }

 private:
  explicit connection(PGconn* c) noexcept : c_(c) {}
  template <class Run>
  PGresult* run_once_or_retry(std::string_view sql, Run&& run);
  PGconn* c_;
  bool reused_ = false;
};

/// The outcome of a statement whose rows are not needed.
inline status done(const result<rows>& r) {
  if (!r) return r.error();
  return {};
}

/// Runs `fn` between BEGIN and COMMIT on `c`; a failure of `fn` or of the COMMIT rolls back.
/// `fn` takes the connection or nothing and returns a status or a result<T>, passed through.
template <class F>
auto in_transaction(connection& c, F&& fn) {
  auto call = [&] {
    if constexpr (std::is_invocable_v<F&, connection&>)
      return fn(c);
    else
      return fn();
  };
  using R = decltype(call());
  if (auto b = c.script("BEGIN", "cannot begin a transaction"); !b) return R(b.error());
  R r = call();
  if (!r) {
    c.rollback();
    return r;
  }
  if (auto cm = c.script("COMMIT", "cannot commit"); !cm) {
    c.rollback();
    return R(cm.error());
  }
  return r;
}

/// A pool of connections to one database; at most `max` open at once.
class pool {
 public:
  pool(std::string url, std::size_t max) : url_(std::move(url)), max_(max ? max : 1) {}
  ~pool() = default;

  struct deleter {
    pool* owner;
    void operator()(connection* c) const { owner->release(c); }
  };
  using handle = std::unique_ptr<connection, deleter>;

  /// An idle connection, a new one, or (all busy) the next one released within 30 s.
  result<handle> acquire();
  /// One statement on a pooled connection (its own transaction), the connection returned after.
  result<rows> exec(std::string_view sql, const params& p, std::string_view what) {
    auto c = acquire();
    if (!c) return c.error();
    return (*c)->exec(sql, p, what);
  }
  const std::string& url() const noexcept { return url_; }

 private:
  void release(connection* c);
  std::string url_;
  std::size_t max_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<connection>> idle_;
  std::size_t open_ = 0;
};

/// True for a postgresql:// or postgres:// URL.
bool is_url(std::string_view s) noexcept;

}  // namespace sesami::store::pg
