// Reading events: filtered listings and the histories of a recipient and of a message.
#include <algorithm>
#include <tuple>
#include <variant>

#include "../detail/page_cursor.hpp"
#include "store.hpp"

namespace sesami::store::sqlite {
namespace {

using sesami::store::detail::decode_cursor;
using sesami::store::detail::encode_cursor;

// Collects parameters while a query's text is assembled, then binds them in order.
struct sql_builder {
  std::vector<std::variant<std::string, std::int64_t>> params;
  std::string text(std::string v) {
    params.emplace_back(std::move(v));
    return "?" + std::to_string(params.size());
  }
  std::string integer(std::int64_t v) {
    params.emplace_back(v);
    return "?" + std::to_string(params.size());
  }
  void bind(statement& s) const {
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int n = static_cast<int>(i + 1);
      if (auto* str = std::get_if<std::string>(&params[i]))
        s.bind(n, *str);
      else
        s.bind(n, std::get<std::int64_t>(params[i]));
    }
  }
};

// The filter's recipient patterns (filter.hpp): "a@b.com" exact, "*part*" contains, "part*"
// prefix, "*part" suffix, "@b.com" domain. Exact uses events_recipient; the others scan.
std::string recipient_condition(sql_builder& b, const std::string& p) {
  const bool lead = !p.empty() && p.front() == '*';
  const bool trail = p.size() > 1 && p.back() == '*';
  std::string core = p.substr(lead ? 1 : 0);
  if (trail) core.pop_back();
  if (!lead && !trail && !core.empty() && core.front() == '@') {
    const auto x = b.text(core);
    return "substr(e.recipient, -length(" + x + ")) = " + x;
  }
  if (lead && trail) return "instr(e.recipient, " + b.text(core) + ") > 0";
  if (lead) {
    const auto x = b.text(core);
    return "substr(e.recipient, -length(" + x + ")) = " + x;
  }
  if (trail) {
    const auto x = b.text(core);
    return "substr(e.recipient, 1, length(" + x + ")) = " + x;
  }
  return "e.recipient = " + b.text(core);
}

// Column list shared by every event read, in stored_event order.
constexpr std::string_view event_columns = "seq, id, ts, type, message_id, recipient, machine, doc";
stored_event read_event(const statement& s) {
  stored_event e;
  e.seq = s.int64(0);
  e.id = blob_to_id(s.blob(1));
  e.timestamp = s.int64(2);
  const auto t = s.int64(3);
  e.type = t >= 0 && t < static_cast<std::int64_t>(event_type_count) ? static_cast<event_type>(t)
                                                                     : event_type::unknown;
  e.message_id = s.text(4);
  e.recipient = s.text(5);
  e.machine = s.int64(6) != 0;
  e.doc = s.text(7);
  return e;
}
recipient_status read_status(const statement& s) {
  recipient_status r;
  r.message_id = s.text(0);
  r.recipient = s.text(1);
  const auto st = s.int64(2);
  r.status = st >= 0 && st < static_cast<std::int64_t>(delivery_status_count)
                 ? static_cast<delivery_status>(st)
                 : delivery_status::sent;
  r.first_seen = s.int64(3);
  r.last_seen = s.int64(4);
  return r;
}

}  // namespace

result<event_page> sqlite_store::list_events(std::string_view workspace, const event_query& q) {
  const sesami::filter& f = q.filter;
  const std::size_t limit = std::clamp<std::size_t>(q.limit, 1, max_event_page);
  std::int64_t cur_ts = 0, cur_seq = 0;
  const bool has_cursor = !q.cursor.empty();
  if (has_cursor && !decode_cursor(q.cursor, cur_ts, cur_seq))
    return error{errc::bad_input, "invalid cursor"};
  if (f.from && f.to && *f.from > *f.to) return error{errc::bad_input, "from is after to"};

  // Each pass is one index range scan in time order; passes are merged here. A user tag filter
  // (not ses:*) drives from event_tags, one pass per value of its first name; otherwise several
  // types give one pass each over events_type_time — a single `IN (...)` scan would have to sort
  // every matching row.
  std::string driving_tag;
  for (const auto& t : f.tags)
    if (t.name.rfind("ses:", 0) != 0) {
      driving_tag = t.name;
      break;
    }
  // Statuses drive from status_events (migration 11), one pass per status: an event matches
  // when its (message, recipient) pair's CURRENT status is one of them — events of a pair
  // without a status row never do. With a tag, or with types when the statuses are common (10 %
  // of the pairs or more, from status_counts), the tag or types drive and the status is checked
  // on status_events' key for each walked row.
  auto r = reader();
  if (!r) return r.error();
  bool status_drives = !f.statuses.empty() && driving_tag.empty();
  if (status_drives && !f.types.empty()) {
    auto st = (*r)->prepare("SELECT status, n FROM status_counts WHERE workspace = ?1");
    if (!st) return st.error();
    reset_on_exit guard{*st};
    (*st)->bind(1, workspace);
    std::int64_t all = 0, chosen = 0;
    int rc;
    while ((rc = (*st)->step()) == SQLITE_ROW) {
      const auto n = (*st)->int64(1);
      all += n;
      if (std::find(f.statuses.begin(), f.statuses.end(),
                    static_cast<delivery_status>((*st)->int64(0))) != f.statuses.end())
        chosen += n;
    }
    if (rc != SQLITE_DONE) return (*r)->fail(rc, "cannot read status counts");
    status_drives = chosen * 10 < all;
  }
  struct pass {
    std::optional<event_type> type;
    const std::string* tag_value = nullptr;
    std::optional<int> status;
  };
  std::vector<pass> passes;
  if (!driving_tag.empty()) {
    for (const auto& t : f.tags)
      if (t.name == driving_tag) passes.push_back({std::nullopt, &t.value, std::nullopt});
  } else if (status_drives) {
    std::vector<int> seen;
    for (auto st : f.statuses)
      if (std::find(seen.begin(), seen.end(), static_cast<int>(st)) == seen.end()) {
        seen.push_back(static_cast<int>(st));
        passes.push_back({std::nullopt, nullptr, seen.back()});
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

  std::vector<stored_event> rows;
  for (const auto& ps : passes) {
    sql_builder b;
    // k: the table whose (ts, seq) order the scan follows.
    const std::string k = ps.tag_value ? "t." : ps.status ? "s." : "e.";
    std::string sql =
        "SELECT e.seq, e.id, e.ts, e.type, e.message_id, e.recipient, e.machine, e.doc ";
    if (ps.status) {
      // CROSS JOIN: status_events stays the outer loop (its key order is the listing's).
      const auto ws = b.text(std::string(workspace));
      sql += "FROM status_events s CROSS JOIN events e ON e.seq = s.seq WHERE s.workspace = " + ws +
             " AND s.status = " + b.integer(*ps.status) + " AND e.workspace = " + ws;
    } else if (ps.tag_value) {
      const auto ws = b.text(std::string(workspace));
      sql += "FROM event_tags t JOIN events e ON e.seq = t.seq WHERE t.workspace = " + ws +
             " AND t.name = " + b.text(driving_tag) + " AND t.value = " + b.text(*ps.tag_value) +
             " AND e.workspace = " + ws;
    } else {
      sql += "FROM events e WHERE e.workspace = " + b.text(std::string(workspace));
    }
    if (ps.type) sql += " AND e.type = " + b.integer(static_cast<std::int64_t>(*ps.type));
    if ((ps.tag_value || ps.status) && !f.types.empty()) {
      sql += " AND e.type IN (";
      for (std::size_t i = 0; i < f.types.size(); ++i)
        sql += (i ? ", " : "") + std::to_string(static_cast<int>(f.types[i]));
      sql += ")";
    }
    if (f.from) sql += " AND " + k + "ts >= " + b.integer(*f.from);
    if (f.to) sql += " AND " + k + "ts < " + b.integer(*f.to);
    if (!f.recipients.empty()) {
      sql += " AND (";
      for (std::size_t i = 0; i < f.recipients.size(); ++i) {
        if (i) sql += " OR ";
        sql += recipient_condition(b, lower(f.recipients[i]));
      }
      sql += ")";
    }
    if (!f.message_ids.empty()) {
      sql += " AND e.message_id IN (";
      for (std::size_t i = 0; i < f.message_ids.size(); ++i)
        sql += (i ? ", " : "") + b.text(f.message_ids[i]);
      sql += ")";
    }
    if (!f.configuration_sets.empty()) {
      sql += " AND e.config_set IN (";
      for (std::size_t i = 0; i < f.configuration_sets.size(); ++i)
        sql += (i ? ", " : "") + b.text(f.configuration_sets[i]);
      sql += ")";
    }
    // Tags with the same name are alternatives; different names must all match. Names other
    // than the driving one (and ses:* tags) are read from the stored document with JSON1.
    std::vector<std::string> names;
    for (const auto& t : f.tags)
      if (t.name != driving_tag && std::find(names.begin(), names.end(), t.name) == names.end())
        names.push_back(t.name);
    for (const auto& name : names) {
      sql += " AND (";
      bool first = true;
      for (const auto& t : f.tags) {
        if (t.name != name) continue;
        sql += (first ? "" : " OR ") +
               std::string(
                   "EXISTS (SELECT 1 FROM json_each(e.doc, '$.tags') jt, json_each(jt.value) jv "
                   "WHERE jt.key = ") +
               b.text(t.name) + " AND jv.value = " + b.text(t.value) + ")";
        first = false;
      }
      sql += ")";
    }
    if (f.machine == sesami::machine_filter::exclude) sql += " AND e.machine = 0";
    if (f.machine == sesami::machine_filter::only) sql += " AND e.machine = 1";
    if (!f.statuses.empty() && !ps.status) {
      sql +=
          " AND EXISTS (SELECT 1 FROM status_events s WHERE s.workspace = e.workspace AND "
          "s.status IN (";
      for (std::size_t i = 0; i < f.statuses.size(); ++i)
        sql += (i ? ", " : "") + std::to_string(static_cast<int>(f.statuses[i]));
      sql += ") AND s.ts = e.ts AND s.seq = e.seq)";
    }
    if (has_cursor)
      sql += " AND (" + k + "ts, " + k + "seq) < (" + b.integer(cur_ts) + ", " +
             b.integer(cur_seq) + ")";
    sql += " ORDER BY " + k + "ts DESC, " + k + "seq DESC LIMIT " + std::to_string(limit + 1);

    auto st = (*r)->prepare(sql);
    if (!st) return st.error();
    auto& s = **st;
    reset_on_exit guard{&s};
    b.bind(s);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) rows.push_back(read_event(s));
    if (rc != SQLITE_DONE) return (*r)->fail(rc, "cannot list events");
  }
  std::sort(rows.begin(), rows.end(), [](const stored_event& a, const stored_event& b) {
    return std::tie(a.timestamp, a.seq) > std::tie(b.timestamp, b.seq);
  });
  event_page page;
  if (rows.size() > limit) {
    rows.resize(limit);
    page.next = encode_cursor(rows.back().timestamp, rows.back().seq);
  }
  page.events = std::move(rows);
  return page;
}

// Histories are read a page at a time (detail/page_cursor.hpp): each list with one row more
// than the page holds, to know whether it goes on.
result<recipient_history> sqlite_store::recipient(std::string_view workspace,
                                                  std::string_view address,
                                                  const history_query& q) {
  recipient_history h;
  h.address = lower(address);
  sesami::store::detail::history_cursor cur;
  if (!sesami::store::detail::decode_history_cursor(q.cursor, cur))
    return error{errc::bad_input, "cursor: not one this server gave out"};
  const std::size_t limit = std::clamp<std::size_t>(q.limit, 1, max_history_page);
  const auto rows = static_cast<std::int64_t>(limit + 1);
  auto r = reader();
  if (!r) return r.error();
  if (cur.first || cur.statuses) {
    auto st = (*r)->prepare(
        // Named: without ANALYZE statistics the planner prefers the primary key's workspace
        // prefix (a scan of every pair of the workspace) over this index.
        std::string("SELECT message_id, recipient, status, first_seen, last_seen FROM "
                    "recipient_status INDEXED BY recipient_status_recipient "
                    "WHERE workspace = ?1 AND recipient = ?2 ") +
        (cur.statuses ? "AND (last_seen < ?4 OR (last_seen = ?4 AND message_id > ?5)) " : "") +
        "ORDER BY last_seen DESC, message_id LIMIT ?3");
    if (!st) return st.error();
    reset_on_exit guard{*st};
    (*st)->bind(1, workspace);
    (*st)->bind(2, h.address);
    (*st)->bind(3, rows);
    if (cur.statuses) {
      (*st)->bind(4, cur.statuses->last_seen);
      (*st)->bind(5, cur.statuses->key);
    }
    int rc;
    while ((rc = (*st)->step()) == SQLITE_ROW) h.messages.push_back(read_status(**st));
    if (rc != SQLITE_DONE) return (*r)->fail(rc, "cannot read recipient status");
  }
  if (cur.first || cur.events) {
    auto st = (*r)->prepare("SELECT " + std::string(event_columns) +
                            " FROM events WHERE workspace = ?1 AND recipient = ?2 " +
                            (cur.events ? "AND (ts < ?4 OR (ts = ?4 AND seq < ?5)) " : "") +
                            "ORDER BY ts DESC, seq DESC LIMIT ?3");
    if (!st) return st.error();
    reset_on_exit guard{*st};
    (*st)->bind(1, workspace);
    (*st)->bind(2, h.address);
    (*st)->bind(3, rows);
    if (cur.events) {
      (*st)->bind(4, cur.events->first);
      (*st)->bind(5, cur.events->second);
    }
    int rc;
    while ((rc = (*st)->step()) == SQLITE_ROW) h.events.push_back(read_event(**st));
    if (rc != SQLITE_DONE) return (*r)->fail(rc, "cannot read recipient events");
  }
  h.next = sesami::store::detail::finish_history_page(
      h.messages, h.events, limit, [](const recipient_status& s) { return s.message_id; });
  {
    // The recipient's status, over all their messages (not only this page's).
    auto st = (*r)->prepare(
        "SELECT max(status) FROM recipient_status INDEXED BY recipient_status_recipient "
        "WHERE workspace = ?1 AND recipient = ?2");
    if (!st) return st.error();
    reset_on_exit guard{*st};
    (*st)->bind(1, workspace);
    (*st)->bind(2, h.address);
    const int rc = (*st)->step();
    if (rc != SQLITE_ROW) return (*r)->fail(rc, "cannot read recipient status");
    if (!(*st)->is_null(0)) {
      const auto v = (*st)->int64(0);
      if (v >= 0 && v < static_cast<std::int64_t>(delivery_status_count))
        h.status = static_cast<delivery_status>(v);
    }
  }
  auto sup = find_suppression_with(**r, workspace, h.address);
  if (!sup) return sup.error();
  if (*sup) h.suppressed = (*sup)->reason;
  return h;
}

result<message_history> sqlite_store::message(std::string_view workspace,
                                              std::string_view message_id, const history_query& q) {
  message_history h;
  h.message_id = message_id;
  sesami::store::detail::history_cursor cur;
  if (!sesami::store::detail::decode_history_cursor(q.cursor, cur))
    return error{errc::bad_input, "cursor: not one this server gave out"};
  const std::size_t limit = std::clamp<std::size_t>(q.limit, 1, max_history_page);
  const auto rows = static_cast<std::int64_t>(limit + 1);
  auto r = reader();
  if (!r) return r.error();
  if (cur.first || cur.statuses) {
    auto st = (*r)->prepare(
        std::string("SELECT message_id, recipient, status, first_seen, last_seen FROM "
                    "recipient_status WHERE workspace = ?1 AND message_id = ?2 ") +
        (cur.statuses ? "AND recipient > ?4 " : "") + "ORDER BY recipient LIMIT ?3");
    if (!st) return st.error();
    reset_on_exit guard{*st};
    (*st)->bind(1, workspace);
    (*st)->bind(2, message_id);
    (*st)->bind(3, rows);
    if (cur.statuses) (*st)->bind(4, cur.statuses->key);
    int rc;
    while ((rc = (*st)->step()) == SQLITE_ROW) h.recipients.push_back(read_status(**st));
    if (rc != SQLITE_DONE) return (*r)->fail(rc, "cannot read message status");
  }
  if (cur.first || cur.events) {
    auto st = (*r)->prepare("SELECT " + std::string(event_columns) +
                            " FROM events WHERE workspace = ?1 AND message_id = ?2 " +
                            (cur.events ? "AND (ts > ?4 OR (ts = ?4 AND seq > ?5)) " : "") +
                            "ORDER BY ts, seq LIMIT ?3");
    if (!st) return st.error();
    reset_on_exit guard{*st};
    (*st)->bind(1, workspace);
    (*st)->bind(2, message_id);
    (*st)->bind(3, rows);
    if (cur.events) {
      (*st)->bind(4, cur.events->first);
      (*st)->bind(5, cur.events->second);
    }
    int rc;
    while ((rc = (*st)->step()) == SQLITE_ROW) h.events.push_back(read_event(**st));
    if (rc != SQLITE_DONE) return (*r)->fail(rc, "cannot read message events");
  }
  // A message's statuses are in address order: the position is the address alone.
  h.next = sesami::store::detail::finish_history_page(
      h.recipients, h.events, limit, [](const recipient_status& s) { return s.recipient; });
  return h;
}

}  // namespace sesami::store::sqlite
