#include "connection.hpp"

#include <poll.h>

#include <charconv>
#include <chrono>
#include <utility>

namespace sesami::store::pg {
namespace {

// SQLSTATE classes (PostgreSQL appendix A) → the store's error kinds. Everything a retry can cure
// is `unavailable` (HTTP 503: AWS redelivers): the server restarting or shutting down, a lost
// connection, too many clients, a full disk, a deadlock or serialization failure.
errc kind_of(std::string_view state) noexcept {
  if (state.size() != 5) return errc::unavailable;  // no SQLSTATE: the connection broke
  const auto cls = state.substr(0, 2);
  if (cls == "08" || cls == "53" || cls == "57" || cls == "40" || cls == "55")
    return errc::unavailable;
  if (state == "25006") return errc::read_only;  // read-only transaction (a hot standby)
  if (cls == "42" && state == "42501") return errc::read_only;  // insufficient privilege
  if (cls == "XX") return state == "XX001" || state == "XX002" ? errc::corrupt : errc::internal;
  if (cls == "22" || cls == "23") return errc::bad_input;
  return errc::internal;
}

error make_error(PGconn* c, const PGresult* r, std::string_view what) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = r ? PQresultErrorMessage(r) : "";
  if (msg.empty()) msg = PQerrorMessage(c);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  errc kind = kind_of(state ? state : "");
  if (PQstatus(c) != CONNECTION_OK) kind = errc::unavailable;
  std::string text(what);
  text += ": ";
  text += msg.empty() ? "connection to PostgreSQL lost" : msg;
  if (state) text += std::string(" (SQLSTATE ") + state + ")";
  return error{kind, std::move(text)};
}

}  // namespace

std::string redact(std::string_view url) {
  // postgresql://user:secret@host/db → postgresql://user:***@host/db
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const auto at = url.find('@', scheme + 3);
  const auto slash = url.find('/', scheme + 3);
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at))
    return std::string(url);
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string_view::npos || colon > at) return std::string(url);
  std::string out(url.substr(0, colon + 1));
  out += "***";
  out += url.substr(at);
  return out;
}

bool is_url(std::string_view s) noexcept {
  return s.rfind("postgresql://", 0) == 0 || s.rfind("postgres://", 0) == 0;
}

void array::text(std::string_view v) {
  sep();
  s_ += '"';
  for (char ch : v) {
    if (ch == '"' || ch == '\\') s_ += '\\';
    s_ += ch;
  }
  s_ += '"';
}
void array::integer(std::int64_t v) {
  sep();
  s_ += std::to_string(v);
}
void array::null() {
  sep();
  s_ += "NULL";
}

std::int64_t rows::int64(int row, int col) const noexcept {
  const auto t = text(row, col);
  std::int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}
std::int64_t rows::affected() const noexcept {
  const char* t = PQcmdTuples(r_);
  std::int64_t v = 0;
  if (t) std::from_chars(t, t + std::char_traits<char>::length(t), v);
  return v;
}

result<std::unique_ptr<connection>> connection::open(const std::string& url) {
  // Defaults first: values in the URL override them (expand_dbname).
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "sesami", url.c_str(), nullptr};
  PGconn* c = PQconnectdbParams(keys, values, 1);
  if (!c) return error{errc::unavailable, "cannot allocate a PostgreSQL connection"};
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    PQfinish(c);
    // A refused password is not cured by a retry; everything else (server down, starting up,
    // too many clients) is.
    const bool auth = msg.find("authentication") != std::string::npos ||
                      msg.find("does not exist") != std::string::npos;
    return error{auth ? errc::bad_input : errc::unavailable,
                 "cannot connect to PostgreSQL at " + redact(url) + ": " + msg};
  }
  // Notices (e.g. "relation already exists, skipping") are not errors: keep them off stderr.
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<connection>(new connection(c));
}

namespace {
// Statements that cannot have changed anything whatever became of them: BEGIN opens a
// transaction (nothing after it ran yet), a plain SELECT of ours only reads. Everything else —
// an INSERT / UPDATE / DELETE / WITH … in autocommit, COMMIT — may have committed before the
// connection broke, and is never run twice; so is a script of several statements.
bool replayable(std::string_view sql) noexcept {
  if (sql.find(';') != std::string_view::npos) return false;
  while (!sql.empty() && (sql.front() == ' ' || sql.front() == '\n')) sql.remove_prefix(1);
  auto starts = [&](std::string_view w) {
    return sql.size() >= w.size() && sql.substr(0, w.size()) == w &&
           (sql.size() == w.size() || sql[w.size()] == ' ' || sql[w.size()] == '\n');
  };
  return starts("BEGIN") || starts("SELECT");
}
}  // namespace

bool connection::stale() const noexcept {
  if (PQstatus(c_) != CONNECTION_OK) return true;
  pollfd p{PQsocket(c_), POLLIN, 0};
  if (p.fd < 0) return true;
  return ::poll(&p, 1, 0) != 0;  // readable, hung up, or poll failed
}

// Runs a statement; when it is the first statement on a connection reused from the pool's idle
// list, the connection turns out broken (the server restarted while it sat idle and stale()
// did not see it yet) and the statement cannot have changed anything, reconnects and runs it
// once more. A connection that broke in the middle of a unit of work is never retried here.
template <class Run>
PGresult* connection::run_once_or_retry(std::string_view sql, Run&& run) {
  const bool first = std::exchange(reused_, false);
  PGresult* r = run();
  const auto st = PQresultStatus(r);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
  if (!first || PQstatus(c_) != CONNECTION_BAD || !replayable(sql)) return r;
  PQreset(c_);                                  // the same parameters, a new session
  if (PQstatus(c_) != CONNECTION_OK) return r;  // still down: report the first failure
  PQclear(r);
  return run();
}

result<rows> connection::exec(std::string_view sql, const params& p, std::string_view what) {
  const std::string text(sql);
  std::vector<const char*> values(p.size());
  for (std::size_t i = 0; i < p.size(); ++i)
    values[i] = p.is_null(i) ? nullptr : p.values()[i].c_str();
  PGresult* r = run_once_or_retry(sql, [&] {
    return PQexecParams(c_, text.c_str(), static_cast<int>(p.size()), nullptr, values.data(),
                        nullptr, nullptr, 0);
  });
  const auto st = PQresultStatus(r);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return rows(r);
  error e = make_error(c_, r, what);
  PQclear(r);
  return e;
}

status connection::script(std::string_view sql, std::string_view what) {
  const std::string text(sql);
  PGresult* r = run_once_or_retry(sql, [&] { return PQexec(c_, text.c_str()); });
  const auto st = PQresultStatus(r);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
    PQclear(r);
    return {};
  }
  error e = make_error(c_, r, what);
  PQclear(r);
  return e;
}

void connection::rollback() noexcept {
  if (PQstatus(c_) != CONNECTION_OK || PQtransactionStatus(c_) == PQTRANS_IDLE) return;
  PQclear(PQexec(c_, "ROLLBACK"));
}

result<pool::handle> pool::acquire() {
  std::unique_lock lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    if (!idle_.empty()) {
      connection* c = idle_.back().release();
      idle_.pop_back();
      if (c->stale()) {  // closed by the server while idle (a restart): replace it
        delete c;
        --open_;
        continue;
      }
      c->reused();
      return handle(c, deleter{this});
    }
    if (open_ < max_) {
      ++open_;
      lock.unlock();
      auto c = connection::open(url_);
      if (!c) {
        std::lock_guard again(mu_);
        --open_;
        cv_.notify_one();
        return c.error();
      }
      return handle(c->release(), deleter{this});
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= max_)
      return error{errc::unavailable, "every PostgreSQL connection of the pool is busy"};
  }
}

void pool::release(connection* c) {
  c->rollback();
  std::lock_guard lock(mu_);
  if (c->healthy()) {
    idle_.emplace_back(c);
  } else {  // the server went away: the next acquire connects afresh
    delete c;
    --open_;
  }
  cv_.notify_one();
}

}  // namespace sesami::store::pg
