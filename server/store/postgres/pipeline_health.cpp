// Pipeline health in PostgreSQL (migration 13): the semantics of sqlite/pipeline_health.cpp for
// several nodes on one database. Each node merges its own counts (additions, greatest/least
// times), so nodes never overwrite each other; a flush is one statement per table.
#include <map>
#include <string>

#include "../pipeline_health_store.hpp"
#include "connection.hpp"

namespace sesami::store {
namespace pg {
namespace {

constexpr const char* source_cols =
    "workspace, id, kind, name, first_event_at, last_event_at, last_error_at, last_error, "
    "silence_window_ms, created_at";

source_row source_of(const rows& r, int i) {
  source_row s;
  s.workspace = r.text(i, 0), s.id = r.text(i, 1), s.kind = r.text(i, 2), s.name = r.text(i, 3);
  s.first_event_at = r.int64(i, 4), s.last_event_at = r.int64(i, 5);
  s.last_error_at = r.int64(i, 6), s.last_error = r.text(i, 7);
  s.silence_window_ms = r.int64(i, 8), s.created_at = r.int64(i, 9);
  return s;
}

class pg_pipeline_health final : public pipeline_health_store {
 public:
  explicit pg_pipeline_health(const std::string& url) : pool_(url, 2) {}

  status check() {
    return done(pool_.exec("SELECT 1 FROM ingest_sources LIMIT 1", params(),
                           "cannot open the pipeline health tables"));
  }

  status merge(std::span<const source_delta> deltas, std::int64_t prune_before) override {
    array ws, id, kind, name, first, last, err_at, err;
    array h_ws, h_id, h_hour, h_n;
    for (const auto& d : deltas) {
      ws.text(d.workspace), id.text(d.id), kind.text(d.kind), name.text(d.name);
      first.integer(d.first_event_at), last.integer(d.last_event_at);
      err_at.integer(d.last_error_at), err.text(d.last_error);
      for (const auto& [hour, n] : d.hours) {
        if (hour < prune_before || n <= 0) continue;
        h_ws.text(d.workspace), h_id.text(d.id), h_hour.integer(hour), h_n.integer(n);
      }
    }
    auto c = pool_.acquire();
    if (!c) return c.error();
    auto& cn = **c;
    if (auto b = cn.script("BEGIN", "cannot begin a transaction"); !b) return b;
    auto fail = [&](status s) {
      cn.rollback();
      return s;
    };
    // The rows in a fixed order (workspace, id): two nodes flushing the same sources lock them
    // in the same order and never deadlock.
    if (!ws.empty()) {
      auto r = cn.exec(
          "INSERT INTO ingest_sources AS s (workspace, id, kind, name, first_event_at, "
          "last_event_at, last_error_at, last_error, created_at) "
          "SELECT u.ws, u.id, u.kind, u.name, u.f, u.l, u.ea, u.e, greatest(u.l, u.ea) "
          "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], "
          "$6::bigint[], $7::bigint[], $8::text[]) AS u(ws, id, kind, name, f, l, ea, e) "
          "ORDER BY u.ws, u.id "
          "ON CONFLICT (workspace, id) DO UPDATE SET "
          "first_event_at = CASE WHEN s.first_event_at = 0 THEN excluded.first_event_at "
          "WHEN excluded.first_event_at = 0 THEN s.first_event_at "
          "ELSE least(s.first_event_at, excluded.first_event_at) END, "
          "last_event_at = greatest(s.last_event_at, excluded.last_event_at), "
          "last_error = CASE WHEN excluded.last_error_at > s.last_error_at "
          "THEN excluded.last_error ELSE s.last_error END, "
          "last_error_at = greatest(s.last_error_at, excluded.last_error_at)",
          params()
              .text(ws.str())
              .text(id.str())
              .text(kind.str())
              .text(name.str())
              .text(first.str())
              .text(last.str())
              .text(err_at.str())
              .text(err.str()),
          "cannot record event sources");
      if (!r) return fail(r.error());
    }
    if (!h_ws.empty()) {
      auto r = cn.exec(
          "INSERT INTO ingest_source_hours AS h (workspace, id, hour, events) "
          "SELECT u.ws, u.id, u.hour, sum(u.n) FROM unnest($1::text[], $2::text[], $3::bigint[], "
          "$4::bigint[]) AS u(ws, id, hour, n) GROUP BY u.ws, u.id, u.hour "
          "ORDER BY u.ws, u.id, u.hour "
          "ON CONFLICT (workspace, id, hour) DO UPDATE SET events = h.events + excluded.events",
          params().text(h_ws.str()).text(h_id.str()).text(h_hour.str()).text(h_n.str()),
          "cannot count the sources' events");
      if (!r) return fail(r.error());
    }
    if (auto r = cn.exec("DELETE FROM ingest_source_hours WHERE hour < $1",
                         params().integer(prune_before), "cannot prune old hourly counts");
        !r)
      return fail(r.error());
    return cn.script("COMMIT", "cannot commit");
  }

  result<std::vector<source_row>> sources(std::string_view ws, std::int64_t hours_from) override {
    auto c = pool_.acquire();
    if (!c) return c.error();
    auto r = (*c)->exec(std::string("SELECT ") + source_cols +
                            " FROM ingest_sources WHERE workspace = $1 ORDER BY kind, name, id",
                        params().text(ws), "cannot list event sources");
    if (!r) return r.error();
    std::vector<source_row> out;
    std::map<std::string, std::size_t, std::less<>> at;
    for (int i = 0; i < r->size(); ++i) {
      out.push_back(source_of(*r, i));
      at[out.back().id] = out.size() - 1;
    }
    auto h = (*c)->exec(
        "SELECT id, hour, events FROM ingest_source_hours WHERE workspace = $1 AND hour >= $2 "
        "ORDER BY id, hour",
        params().text(ws).integer(hours_from), "cannot read hourly counts");
    if (!h) return h.error();
    for (int i = 0; i < h->size(); ++i)
      if (auto it = at.find(h->text(i, 0)); it != at.end())
        out[it->second].hours.emplace_back(h->int64(i, 1), h->int64(i, 2));
    return out;
  }

  result<std::vector<source_row>> all_sources() override {
    auto r = pool_.exec(std::string("SELECT ") + source_cols +
                            " FROM ingest_sources WHERE last_event_at > 0 ORDER BY workspace, id",
                        params(), "cannot list event sources");
    if (!r) return r.error();
    std::vector<source_row> out;
    for (int i = 0; i < r->size(); ++i) out.push_back(source_of(*r, i));
    return out;
  }

  result<bool> set_silence_window(std::string_view ws, std::string_view id, std::int64_t window_ms,
                                  std::int64_t) override {
    auto r = pool_.exec(
        "UPDATE ingest_sources SET silence_window_ms = $3 WHERE workspace = $1 AND id = $2",
        params().text(ws).text(id).integer(window_ms), "cannot set the silence window");
    if (!r) return r.error();
    return r->affected() > 0;
  }

  result<std::vector<unanswered_send>> unanswered_sends(std::string_view ws, std::int64_t from,
                                                        std::int64_t to,
                                                        std::size_t limit) override {
    auto r = pool_.exec(
        "SELECT a.id, a.message_id, a.transport, a.created_at FROM (SELECT id, message_id, "
        "transport, created_at, seq, status FROM mail_attempts WHERE workspace = $1 AND "
        "created_at >= $2 AND created_at < $3 ORDER BY created_at DESC LIMIT $5) a "
        "WHERE a.status = 'sent' AND a.message_id <> '' AND NOT EXISTS (SELECT 1 FROM events e "
        "WHERE e.workspace = $1 AND e.message_id = a.message_id) "
        "ORDER BY a.created_at, a.seq LIMIT $4",
        params()
            .text(ws)
            .integer(from)
            .integer(to)
            .integer(static_cast<std::int64_t>(limit))
            .integer(static_cast<std::int64_t>(unanswered_scan)),
        "cannot read unanswered sends");
    if (!r) return r.error();
    std::vector<unanswered_send> out;
    for (int i = 0; i < r->size(); ++i)
      out.push_back({std::string(r->text(i, 0)), std::string(r->text(i, 1)),
                     std::string(r->text(i, 2)), r->int64(i, 3)});
    return out;
  }

 private:
  pool pool_;
};

}  // namespace
}  // namespace pg

result<std::unique_ptr<pipeline_health_store>> open_postgres_pipeline_health(
    const std::string& url) {
  auto s = std::make_unique<pg::pg_pipeline_health>(url);
  if (auto c = s->check(); !c) return c.error();
  return std::unique_ptr<pipeline_health_store>(std::move(s));
}

}  // namespace sesami::store
