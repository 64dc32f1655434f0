#pragma once
// The filter → SQL of GET /events, once for both backends. A listing is a few passes, each one
// index range scan in time order (per value of the driving user tag, per status, or per type),
// merged by finish_event_page(). What the two dialects differ in is a sql_dialect; everything else
// (which passes, which conditions, the page and its cursor) is here.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include <sesami/ascii.hpp>
#include <sesami/filter.hpp>

#include "../store.hpp"
#include "page_cursor.hpp"

namespace sesami::store::detail {

/// What SQLite and PostgreSQL spell differently in an event listing.
struct sql_dialect {
  /// The n-th (1-based) parameter: "?n", or "$n::text" / "$n::int8".
  std::string (*placeholder)(std::size_t n, bool integer);
  /// `column` ends with / starts with / contains the text parameter `x`.
  std::string (*ends_with)(std::string_view column, std::string_view x);
  std::string (*starts_with)(std::string_view column, std::string_view x);
  std::string (*contains)(std::string_view column, std::string_view x);
  /// The stored document (e.doc) has the user tag `name` with the value `value` (parameters).
  std::string (*has_tag)(std::string_view name, std::string_view value);
  /// The event's identity as the backend reads it back.
  std::string_view id_column;
  /// event_tags t joined to events e (after "JOIN events e ON ").
  std::string_view tag_join;
  /// Where a pair's current status is kept: status_events rows (SQLite, migration 11) or a
  /// status column on each of its events (PostgreSQL, migration 5).
  bool status_rows;
};

using sql_param = std::variant<std::string, std::int64_t>;

/// A query's text and its parameters, collected in order while the text is assembled.
struct sql_query {
  explicit sql_query(const sql_dialect& d) : dialect(&d) {}
  std::string text(std::string v) {
    params.emplace_back(std::move(v));
    return dialect->placeholder(params.size(), false);
  }
  std::string integer(std::int64_t v) {
    params.emplace_back(v);
    return dialect->placeholder(params.size(), true);
  }
  const sql_dialect* dialect;
  std::string sql;
  std::vector<sql_param> params;
};

/// One GET /events page request, checked: its size, where it goes on, the driving user tag.
struct event_listing {
  std::size_t limit = 0;
  std::optional<std::pair<std::int64_t, std::int64_t>> after;  // (ts, seq) of the last one given
  std::string driving_tag;  // the first user tag's name (not ses:*): tag rows drive the scan
};

/// One index range scan of a listing.
struct event_pass {
  std::optional<event_type> type;
  const std::string* tag_value = nullptr;
  std::optional<delivery_status> status;
};

inline result<event_listing> plan_event_listing(const event_query& q) {
  event_listing l;
  l.limit = std::clamp<std::size_t>(q.limit, 1, max_event_page);
  if (!q.cursor.empty()) {
    std::int64_t ts = 0, seq = 0;
    if (!decode_cursor(q.cursor, ts, seq)) return error{errc::bad_input, "invalid cursor"};
    l.after = std::pair{ts, seq};
  }
  const sesami::filter& f = q.filter;
  if (f.from && f.to && *f.from > *f.to) return error{errc::bad_input, "from is after to"};
  for (const auto& t : f.tags)
    if (t.name.rfind("ses:", 0) != 0) {
      l.driving_tag = t.name;
      break;
    }
  return l;
}

/// The passes: one per value of the driving tag; else one per status when `statuses_drive`; else
/// one per type (a single `IN (...)` scan would have to sort every matching row); else one.
inline std::vector<event_pass> event_passes(const sesami::filter& f, const event_listing& l,
                                            bool statuses_drive) {
  std::vector<event_pass> passes;
  if (!l.driving_tag.empty()) {
    for (const auto& t : f.tags)
      if (t.name == l.driving_tag) passes.push_back({std::nullopt, &t.value, std::nullopt});
  } else if (statuses_drive && !f.statuses.empty()) {
    std::vector<delivery_status> seen;
    for (auto s : f.statuses)
      if (std::find(seen.begin(), seen.end(), s) == seen.end()) {
        seen.push_back(s);
        passes.push_back({std::nullopt, nullptr, s});
      }
  } else if (f.types.empty()) {
    passes.push_back({});
  } else {
    std::vector<event_type> seen;
    for (auto t : f.types)
      if (std::find(seen.begin(), seen.end(), t) == seen.end()) {
        seen.push_back(t);
        passes.push_back({t, nullptr, std::nullopt});
      }
  }
  return passes;
}

/// The filter's recipient patterns (filter.hpp): "a@b.com" exact, "*part*" contains, "part*"
/// prefix, "*part" suffix, "@b.com" domain. Exact uses the recipient index; the others scan.
inline std::string recipient_condition(sql_query& q, std::string_view pattern) {
  const std::string p = sesami::ascii_lower(pattern);
  const bool lead = !p.empty() && p.front() == '*';
  const bool trail = p.size() > 1 && p.back() == '*';
  std::string core = p.substr(lead ? 1 : 0);
  if (trail) core.pop_back();
  const sql_dialect& d = *q.dialect;
  if ((!lead && !trail && !core.empty() && core.front() == '@') || (lead && !trail))
    return d.ends_with("e.recipient", q.text(core));
  if (lead && trail) return d.contains("e.recipient", q.text(core));
  if (trail) return d.starts_with("e.recipient", q.text(core));
  return "e.recipient = " + q.text(core);
}

namespace event_sql {

template <class T, class F>
void list_of(std::string& sql, const std::vector<T>& items, F&& item) {
  for (std::size_t i = 0; i < items.size(); ++i) sql += (i ? ", " : "") + item(items[i]);
}

inline std::string small_int(auto v) { return std::to_string(static_cast<int>(v)); }

// SELECT ... FROM ... WHERE <the pass's own range>; returns the table whose (ts, seq) order the
// scan follows.
inline std::string pass_source(sql_query& q, std::string_view workspace, const event_listing& l,
                               const event_pass& ps) {
  const sql_dialect& d = *q.dialect;
  q.sql = "SELECT e.seq, " + std::string(d.id_column) +
          ", e.ts, e.type, e.message_id, e.recipient, e.machine, e.doc ";
  if (ps.status && d.status_rows) {
    // CROSS JOIN: status_events stays the outer loop (its key order is the listing's).
    const auto ws = q.text(std::string(workspace));
    q.sql += "FROM status_events s CROSS JOIN events e ON e.seq = s.seq WHERE s.workspace = " + ws +
             " AND s.status = " + q.integer(static_cast<std::int64_t>(*ps.status)) +
             " AND e.workspace = " + ws;
    return "s.";
  }
  if (ps.tag_value) {
    const auto ws = q.text(std::string(workspace));
    q.sql += "FROM event_tags t JOIN events e ON " + std::string(d.tag_join) +
             " WHERE t.workspace = " + ws + " AND t.name = " + q.text(l.driving_tag) +
             " AND t.value = " + q.text(*ps.tag_value) + " AND e.workspace = " + ws;
    return "t.";
  }
  q.sql += "FROM events e WHERE e.workspace = " + q.text(std::string(workspace));
  if (ps.status) q.sql += " AND e.status = " + q.integer(static_cast<std::int64_t>(*ps.status));
  return "e.";
}

// Tags with the same name are alternatives; different names must all match. Names other than the
// driving one (and ses:* tags) are read from the stored document.
inline void tag_conditions(sql_query& q, const sesami::filter& f, const event_listing& l) {
  std::vector<std::string> names;
  for (const auto& t : f.tags)
    if (t.name != l.driving_tag && std::find(names.begin(), names.end(), t.name) == names.end())
      names.push_back(t.name);
  for (const auto& name : names) {
    q.sql += " AND (";
    bool first = true;
    for (const auto& t : f.tags) {
      if (t.name != name) continue;
      const auto n = q.text(t.name);
      const auto v = q.text(t.value);
      q.sql += (first ? "" : " OR ") + q.dialect->has_tag(n, v);
      first = false;
    }
    q.sql += ")";
  }
}

// The pair's current status, when statuses do not drive this pass.
inline void status_condition(sql_query& q, const sesami::filter& f) {
  if (q.dialect->status_rows) {
    q.sql +=
        " AND EXISTS (SELECT 1 FROM status_events s WHERE s.workspace = e.workspace AND "
        "s.status IN (";
    list_of(q.sql, f.statuses, small_int<delivery_status>);
    q.sql += ") AND s.ts = e.ts AND s.seq = e.seq)";
  } else {
    q.sql += " AND e.status IN (";
    list_of(q.sql, f.statuses, small_int<delivery_status>);
    q.sql += ")";
  }
}

}  // namespace event_sql

/// The query of one pass: newest first, one row more than the page holds (to know whether the
/// listing goes on).
inline sql_query event_pass_query(const sql_dialect& d, std::string_view workspace,
                                  const sesami::filter& f, const event_listing& l,
                                  const event_pass& ps) {
  using namespace event_sql;
  sql_query q(d);
  const std::string k = pass_source(q, workspace, l, ps);
  if (ps.type) q.sql += " AND e.type = " + q.integer(static_cast<std::int64_t>(*ps.type));
  if (!ps.type && !f.types.empty()) {
    q.sql += " AND e.type IN (";
    list_of(q.sql, f.types, small_int<event_type>);
    q.sql += ")";
  }
  if (f.from) q.sql += " AND " + k + "ts >= " + q.integer(*f.from);
  if (f.to) q.sql += " AND " + k + "ts < " + q.integer(*f.to);
  if (!f.recipients.empty()) {
    q.sql += " AND (";
    for (std::size_t i = 0; i < f.recipients.size(); ++i)
      q.sql += (i ? " OR " : "") + recipient_condition(q, f.recipients[i]);
    q.sql += ")";
  }
  if (!f.message_ids.empty()) {
    q.sql += " AND e.message_id IN (";
    list_of(q.sql, f.message_ids, [&](const std::string& m) { return q.text(m); });
    q.sql += ")";
  }
  if (!f.configuration_sets.empty()) {
    q.sql += " AND e.config_set IN (";
    list_of(q.sql, f.configuration_sets, [&](const std::string& c) { return q.text(c); });
    q.sql += ")";
  }
  tag_conditions(q, f, l);
  if (f.machine == sesami::machine_filter::exclude) q.sql += " AND e.machine = 0";
  if (f.machine == sesami::machine_filter::only) q.sql += " AND e.machine = 1";
  if (!f.statuses.empty() && !ps.status) status_condition(q, f);
  if (l.after)
    q.sql += " AND (" + k + "ts, " + k + "seq) < (" + q.integer(l.after->first) + ", " +
             q.integer(l.after->second) + ")";
  q.sql += " ORDER BY " + k + "ts DESC, " + k + "seq DESC LIMIT " + std::to_string(l.limit + 1);
  return q;
}

/// The passes' rows merged newest first, cut to the page, with the cursor of its last event.
inline event_page finish_event_page(std::vector<stored_event> rows, const event_listing& l) {
  std::sort(rows.begin(), rows.end(), [](const stored_event& a, const stored_event& b) {
    return std::tie(a.timestamp, a.seq) > std::tie(b.timestamp, b.seq);
  });
  event_page page;
  if (rows.size() > l.limit) {
    rows.resize(l.limit);
    page.next = encode_cursor(rows.back().timestamp, rows.back().seq);
  }
  page.events = std::move(rows);
  return page;
}

}  // namespace sesami::store::detail
