// Pipeline health in SQLite (migration 19): event sources, their hourly counts, their last
// errors, and the sends whose events never came. One connection behind a mutex: the app writes
// here once per flush (a few seconds), never per event.
#include <map>
#include <mutex>

#include "../pipeline_health_store.hpp"
#include "connection.hpp"

namespace sesami::store {
namespace sqlite {
namespace {

constexpr const char* source_cols =
    "workspace, id, kind, name, first_event_at, last_event_at, last_error_at, last_error, "
    "silence_window_ms, created_at";

source_row source_of(statement& s) {
  source_row r;
  r.workspace = s.text(0), r.id = s.text(1), r.kind = s.text(2), r.name = s.text(3);
  r.first_event_at = s.int64(4), r.last_event_at = s.int64(5), r.last_error_at = s.int64(6);
  r.last_error = s.text(7), r.silence_window_ms = s.int64(8), r.created_at = s.int64(9);
  return r;
}

class sqlite_pipeline_health final : public pipeline_health_store {
 public:
  explicit sqlite_pipeline_health(std::unique_ptr<connection> c) : db_(std::move(c)) {}

  status merge(std::span<const source_delta> deltas, std::int64_t prune_before) override {
    std::lock_guard lock(mu_);
    return in_transaction(*db_, [&]() -> status {
      // Commutative merges: whichever node flushes first, the result is the same.
      auto up = db_->prepare_static(
          "INSERT INTO ingest_sources (workspace, id, kind, name, first_event_at, last_event_at, "
          "last_error_at, last_error, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
          "ON CONFLICT (workspace, id) DO UPDATE SET "
          "first_event_at = CASE WHEN ingest_sources.first_event_at = 0 THEN "
          "excluded.first_event_at WHEN excluded.first_event_at = 0 THEN "
          "ingest_sources.first_event_at ELSE min(ingest_sources.first_event_at, "
          "excluded.first_event_at) END, "
          "last_event_at = max(ingest_sources.last_event_at, excluded.last_event_at), "
          "last_error = CASE WHEN excluded.last_error_at > ingest_sources.last_error_at THEN "
          "excluded.last_error ELSE ingest_sources.last_error END, "
          "last_error_at = max(ingest_sources.last_error_at, excluded.last_error_at)");
      if (!up) return up.error();
      auto hr = db_->prepare_static(
          "INSERT INTO ingest_source_hours (workspace, id, hour, events) VALUES (?1, ?2, ?3, ?4) "
          "ON CONFLICT (workspace, id, hour) DO UPDATE SET "
          "events = ingest_source_hours.events + excluded.events");
      if (!hr) return hr.error();
      for (const auto& d : deltas) {
        auto& s = **up;
        s.bind(1, d.workspace), s.bind(2, d.id), s.bind(3, d.kind), s.bind(4, d.name);
        s.bind(5, d.first_event_at), s.bind(6, d.last_event_at), s.bind(7, d.last_error_at);
        s.bind(8, d.last_error);
        s.bind(9, d.last_event_at ? d.last_event_at : d.last_error_at);
        if (auto r = run(*db_, s, "cannot record an event source"); !r) return r;
        for (const auto& [hour, n] : d.hours) {
          if (hour < prune_before || n <= 0) continue;
          auto& h = **hr;
          h.bind(1, d.workspace), h.bind(2, d.id), h.bind(3, hour), h.bind(4, n);
          if (auto r = run(*db_, h, "cannot count a source's events"); !r) return r;
        }
      }
      auto pr = db_->prepare_static("DELETE FROM ingest_source_hours WHERE hour < ?1");
      if (!pr) return pr.error();
      (*pr)->bind(1, prune_before);
      return run(*db_, **pr, "cannot prune old hourly counts");
    });
  }

  result<std::vector<source_row>> sources(std::string_view ws, std::int64_t hours_from) override {
    std::lock_guard lock(mu_);
    std::vector<source_row> out;
    std::map<std::string, std::size_t, std::less<>> at;
    {
      auto s = db_->prepare(std::string("SELECT ") + source_cols +
                            " FROM ingest_sources WHERE workspace = ?1 ORDER BY kind, name, id");
      if (!s) return s.error();
      reset_guard g{**s};
      (*s)->bind(1, ws);
      int rc;
      while ((rc = (*s)->step()) == SQLITE_ROW) {
        out.push_back(source_of(**s));
        at[out.back().id] = out.size() - 1;
      }
      if (rc != SQLITE_DONE) return db_->fail(rc, "cannot list event sources");
    }
    auto h = db_->prepare_static(
        "SELECT id, hour, events FROM ingest_source_hours WHERE workspace = ?1 AND hour >= ?2 "
        "ORDER BY id, hour");
    if (!h) return h.error();
    reset_guard g{**h};
    (*h)->bind(1, ws), (*h)->bind(2, hours_from);
    int rc;
    while ((rc = (*h)->step()) == SQLITE_ROW)
      if (auto it = at.find((*h)->text(0)); it != at.end())
        out[it->second].hours.emplace_back((*h)->int64(1), (*h)->int64(2));
    if (rc != SQLITE_DONE) return db_->fail(rc, "cannot read hourly counts");
    return out;
  }

  result<std::vector<source_row>> all_sources() override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare(std::string("SELECT ") + source_cols +
                          " FROM ingest_sources WHERE last_event_at > 0 ORDER BY workspace, id");
    if (!s) return s.error();
    reset_guard g{**s};
    std::vector<source_row> out;
    int rc;
    while ((rc = (*s)->step()) == SQLITE_ROW) out.push_back(source_of(**s));
    if (rc != SQLITE_DONE) return db_->fail(rc, "cannot list event sources");
    return out;
  }

  result<bool> set_silence_window(std::string_view ws, std::string_view id, std::int64_t window_ms,
                                  std::int64_t) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "UPDATE ingest_sources SET silence_window_ms = ?3 WHERE workspace = ?1 AND id = ?2");
    if (!s) return s.error();
    (*s)->bind(1, ws), (*s)->bind(2, id), (*s)->bind(3, window_ms);
    if (auto r = run(*db_, **s, "cannot set the silence window"); !r) return r.error();
    return db_->changes() > 0;
  }

  result<std::vector<unanswered_send>> unanswered_sends(std::string_view ws, std::int64_t from,
                                                        std::int64_t to,
                                                        std::size_t limit) override {
    std::lock_guard lock(mu_);
    // mail_attempts_created picks the newest `scan` attempts of the window; events_message
    // answers each NOT EXISTS: the cost is bounded whatever the workspace sends a day.
    auto s = db_->prepare_static(
        "SELECT a.id, a.message_id, a.transport, a.created_at FROM (SELECT id, message_id, "
        "transport, created_at, seq, status FROM mail_attempts WHERE workspace = ?1 AND "
        "created_at >= ?2 AND created_at < ?3 ORDER BY created_at DESC LIMIT ?5) a "
        "WHERE a.status = 'sent' AND a.message_id != '' AND NOT EXISTS (SELECT 1 FROM events e "
        "WHERE e.workspace = ?1 AND e.message_id = a.message_id) "
        "ORDER BY a.created_at, a.seq LIMIT ?4");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, ws), (*s)->bind(2, from), (*s)->bind(3, to);
    (*s)->bind(4, static_cast<std::int64_t>(limit));
    (*s)->bind(5, static_cast<std::int64_t>(unanswered_scan));
    std::vector<unanswered_send> out;
    int rc;
    while ((rc = (*s)->step()) == SQLITE_ROW)
      out.push_back({std::string((*s)->text(0)), std::string((*s)->text(1)),
                     std::string((*s)->text(2)), (*s)->int64(3)});
    if (rc != SQLITE_DONE) return db_->fail(rc, "cannot read unanswered sends");
    return out;
  }

 private:
  std::mutex mu_;
  std::unique_ptr<connection> db_;
};

}  // namespace
}  // namespace sqlite

result<std::unique_ptr<pipeline_health_store>> open_sqlite_pipeline_health(const std::string& path,
                                                                           int busy_timeout_ms) {
  auto c = sqlite::open_existing(path, busy_timeout_ms);
  if (!c) return c.error();
  // Health counters are not events: a power cut may lose the last flush, never an event.
  if (auto s = (*c)->exec("PRAGMA synchronous = NORMAL"); !s) return s.error();
  return std::unique_ptr<pipeline_health_store>(new sqlite::sqlite_pipeline_health(std::move(*c)));
}

}  // namespace sesami::store
