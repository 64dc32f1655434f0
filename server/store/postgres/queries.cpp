// Reading events: filtered listings and the histories of a recipient and of a message.
#include <tuple>

#include "../detail/page_cursor.hpp"
#include "store.hpp"

namespace sesami::store::pg {
namespace {

// ---- cursors: detail/page_cursor.hpp, the same as SQLite's
// ----------------------------------------
using sesami::store::detail::decode_cursor;
using sesami::store::detail::encode_cursor;

// Collects parameters while a query's text is assembled ($1, $2, ...).
struct sql_builder {
  params p;
  std::string text(std::string_view v) {
    p.text(v);
    return "$" + std::to_string(p.size()) + "::text";
  }
  std::string integer(std::int64_t v) {
    p.integer(v);
    return "$" + std::to_string(p.size()) + "::int8";
  }
};

// The filter's recipient patterns (filter.hpp), as in sqlite_store.cpp.
std::string recipient_condition(sql_builder& b, const std::string& p) {
  const bool lead = !p.empty() && p.front() == '*';
  const bool trail = p.size() > 1 && p.back() == '*';
  std::string core = p.substr(lead ? 1 : 0);
  if (trail) core.pop_back();
  if ((!lead && !trail && !core.empty() && core.front() == '@') || (lead && !trail)) {
    const auto x = b.text(core);
    return "right(e.recipient, char_length(" + x + ")) = " + x;
  }
  if (lead && trail) return "strpos(e.recipient, " + b.text(core) + ") > 0";
  if (trail) {
    const auto x = b.text(core);
    return "left(e.recipient, char_length(" + x + ")) = " + x;
  }
  return "e.recipient = " + b.text(core);
}

constexpr std::string_view event_columns =
    "seq, encode(id, 'hex'), ts, type, message_id, recipient, machine, doc";
stored_event read_event(const rows& r, int i) {
  stored_event e;
  e.seq = r.int64(i, 0);
  e.id = id_of_hex(r.text(i, 1));
  e.timestamp = r.int64(i, 2);
  const auto t = r.int64(i, 3);
  e.type = t >= 0 && t < static_cast<std::int64_t>(event_type_count) ? static_cast<event_type>(t)
                                                                     : event_type::unknown;
  e.message_id = r.text(i, 4);
  e.recipient = r.text(i, 5);
  e.machine = r.int64(i, 6) != 0;
  e.doc = r.text(i, 7);
  return e;
}
recipient_status read_status(const rows& r, int i) {
  recipient_status s;
  s.message_id = r.text(i, 0);
  s.recipient = r.text(i, 1);
  const auto st = r.int64(i, 2);
  s.status = st >= 0 && st < static_cast<std::int64_t>(delivery_status_count)
                 ? static_cast<delivery_status>(st)
                 : delivery_status::sent;
  s.first_seen = r.int64(i, 3);
  s.last_seen = r.int64(i, 4);
  return s;
}

}  // namespace

result<event_page> pg_store::list_events(std::string_view workspace, const event_query& q) {
  const sesami::filter& f = q.filter;
  const std::size_t limit = std::clamp<std::size_t>(q.limit, 1, max_event_page);
  std::int64_t cur_ts = 0, cur_seq = 0;
  const bool has_cursor = !q.cursor.empty();
  if (has_cursor && !decode_cursor(q.cursor, cur_ts, cur_seq))
    return error{errc::bad_input, "invalid cursor"};
  if (f.from && f.to && *f.from > *f.to) return error{errc::bad_input, "from is after to"};

  // Passes as in SQLite: one index range scan in time order each (per value of the driving user
  // tag, or per type), merged here.
  std::string driving_tag;
  for (const auto& t : f.tags)
    if (t.name.rfind("ses:", 0) != 0) {
      driving_tag = t.name;
      break;
    }
  struct pass {
    std::optional<event_type> type;
    const std::string* tag_value = nullptr;
    std::optional<delivery_status> status;  // a range of events_status_time (migration 5)
  };
  std::vector<pass> passes;
  if (!driving_tag.empty()) {
    for (const auto& t : f.tags)
      if (t.name == driving_tag) passes.push_back({std::nullopt, &t.value, std::nullopt});
  } else if (!f.statuses.empty()) {
    // Statuses drive before types: a rare status (bounced) is a short range of its index where
    // the time index would be read through every other event to fill a page.
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

  auto c = pool_.acquire();
  if (!c) return c.error();
  std::vector<stored_event> rows_out;
  for (const auto& ps : passes) {
    sql_builder b;
    const std::string k = ps.tag_value ? "t." : "e.";
    std::string sql =
        "SELECT e.seq, encode(e.id, 'hex'), e.ts, e.type, e.message_id, e.recipient, e.machine, "
        "e.doc ";
    if (ps.tag_value) {
      const auto ws = b.text(workspace);
      sql +=
          "FROM event_tags t JOIN events e ON e.workspace = t.workspace AND e.ts = t.ts AND "
          "e.seq = t.seq WHERE t.workspace = " +
          ws + " AND t.name = " + b.text(driving_tag) + " AND t.value = " + b.text(*ps.tag_value);
    } else {
      sql += "FROM events e WHERE e.workspace = " + b.text(workspace);
    }
    if (ps.type) sql += " AND e.type = " + b.integer(static_cast<std::int64_t>(*ps.type));
    if (ps.status) sql += " AND e.status = " + b.integer(static_cast<std::int64_t>(*ps.status));
    if (!ps.type && !f.types.empty()) {
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
    // than the driving one (and ses:* tags) are read from the stored document as jsonb.
    std::vector<std::string> names;
    for (const auto& t : f.tags)
      if (t.name != driving_tag && std::find(names.begin(), names.end(), t.name) == names.end())
        names.push_back(t.name);
    for (const auto& name : names) {
      sql += " AND (";
      bool first = true;
      for (const auto& t : f.tags) {
        if (t.name != name) continue;
        sql += (first ? "" : " OR ") + std::string("coalesce((e.doc::jsonb -> 'tags' -> ") +
               b.text(t.name) + ") ? " + b.text(t.value) + ", false)";
        first = false;
      }
      sql += ")";
    }
    if (f.machine == sesami::machine_filter::exclude) sql += " AND e.machine = 0";
    if (f.machine == sesami::machine_filter::only) sql += " AND e.machine = 1";
    // The pair's current status, carried by each of its events (kept on write).
    if (!ps.status && !f.statuses.empty()) {
      sql += " AND e.status IN (";
      for (std::size_t i = 0; i < f.statuses.size(); ++i)
        sql += (i ? ", " : "") + std::to_string(static_cast<int>(f.statuses[i]));
      sql += ")";
    }
    if (has_cursor)
      sql += " AND (" + k + "ts, " + k + "seq) < (" + b.integer(cur_ts) + ", " +
             b.integer(cur_seq) + ")";
    sql += " ORDER BY " + k + "ts DESC, " + k + "seq DESC LIMIT " + std::to_string(limit + 1);
    auto r = (*c)->exec(sql, b.p, "cannot list events");
    if (!r) return r.error();
    for (int i = 0; i < r->size(); ++i) rows_out.push_back(read_event(*r, i));
  }
  std::sort(rows_out.begin(), rows_out.end(), [](const stored_event& a, const stored_event& b) {
    return std::tie(a.timestamp, a.seq) > std::tie(b.timestamp, b.seq);
  });
  event_page page;
  if (rows_out.size() > limit) {
    rows_out.resize(limit);
    page.next = encode_cursor(rows_out.back().timestamp, rows_out.back().seq);
  }
  page.events = std::move(rows_out);
  return page;
}

// Histories are read a page at a time (detail/page_cursor.hpp), as in SQLite.
result<recipient_history> pg_store::recipient(std::string_view workspace, std::string_view address,
                                              const history_query& q) {
  recipient_history h;
  h.address = lower(address);
  sesami::store::detail::history_cursor cur;
  if (!sesami::store::detail::decode_history_cursor(q.cursor, cur))
    return error{errc::bad_input, "cursor: not one this server gave out"};
  const std::size_t limit = std::clamp<std::size_t>(q.limit, 1, max_history_page);
  const auto rows_wanted = static_cast<std::int64_t>(limit + 1);
  auto c = pool_.acquire();
  if (!c) return c.error();
  if (cur.first || cur.statuses) {
    auto p = params().text(workspace).text(h.address).integer(rows_wanted);
    if (cur.statuses) p.integer(cur.statuses->last_seen).text(cur.statuses->key);
    auto st = (*c)->exec(
        std::string("SELECT message_id, recipient, status, first_seen, last_seen FROM "
                    "recipient_status WHERE workspace = $1 AND recipient = $2 ") +
            (cur.statuses ? "AND (last_seen < $4 OR (last_seen = $4 AND message_id > $5)) " : "") +
            "ORDER BY last_seen DESC, message_id LIMIT $3",
        p, "cannot read recipient status");
    if (!st) return st.error();
    for (int i = 0; i < st->size(); ++i) h.messages.push_back(read_status(*st, i));
  }
  if (cur.first || cur.events) {
    auto p = params().text(workspace).text(h.address).integer(rows_wanted);
    if (cur.events) p.integer(cur.events->first).integer(cur.events->second);
    auto ev = (*c)->exec("SELECT " + std::string(event_columns) +
                             " FROM events WHERE workspace = $1 AND recipient = $2 " +
                             (cur.events ? "AND (ts, seq) < ($4, $5) " : "") +
                             "ORDER BY ts DESC, seq DESC LIMIT $3",
                         p, "cannot read recipient events");
    if (!ev) return ev.error();
    for (int i = 0; i < ev->size(); ++i) h.events.push_back(read_event(*ev, i));
  }
  h.next = sesami::store::detail::finish_history_page(
      h.messages, h.events, limit, [](const recipient_status& s) { return s.message_id; });
  // The recipient's status, over all their messages (not only this page's).
  auto all =
      (*c)->exec("SELECT max(status) FROM recipient_status WHERE workspace = $1 AND recipient = $2",
                 params().text(workspace).text(h.address), "cannot read recipient status");
  if (!all) return all.error();
  if (all->size() > 0 && !all->is_null(0, 0)) {
    const auto v = all->int64(0, 0);
    if (v >= 0 && v < static_cast<std::int64_t>(delivery_status_count))
      h.status = static_cast<delivery_status>(v);
  }
  auto sup = find_suppression_with(**c, workspace, h.address);
  if (!sup) return sup.error();
  if (*sup) h.suppressed = (*sup)->reason;
  return h;
}

result<message_history> pg_store::message(std::string_view workspace, std::string_view message_id,
                                          const history_query& q) {
  message_history h;
  h.message_id = message_id;
  sesami::store::detail::history_cursor cur;
  if (!sesami::store::detail::decode_history_cursor(q.cursor, cur))
    return error{errc::bad_input, "cursor: not one this server gave out"};
  const std::size_t limit = std::clamp<std::size_t>(q.limit, 1, max_history_page);
  const auto rows_wanted = static_cast<std::int64_t>(limit + 1);
  auto c = pool_.acquire();
  if (!c) return c.error();
  if (cur.first || cur.statuses) {
    auto p = params().text(workspace).text(message_id).integer(rows_wanted);
    if (cur.statuses) p.text(cur.statuses->key);
    auto st =
        (*c)->exec(std::string("SELECT message_id, recipient, status, first_seen, last_seen FROM "
                               "recipient_status WHERE workspace = $1 AND message_id = $2 ") +
                       (cur.statuses ? "AND recipient > $4 " : "") + "ORDER BY recipient LIMIT $3",
                   p, "cannot read message status");
    if (!st) return st.error();
    for (int i = 0; i < st->size(); ++i) h.recipients.push_back(read_status(*st, i));
  }
  if (cur.first || cur.events) {
    auto p = params().text(workspace).text(message_id).integer(rows_wanted);
    if (cur.events) p.integer(cur.events->first).integer(cur.events->second);
    auto ev = (*c)->exec("SELECT " + std::string(event_columns) +
                             " FROM events WHERE workspace = $1 AND message_id = $2 " +
                             (cur.events ? "AND (ts, seq) > ($4, $5) " : "") +
                             "ORDER BY ts, seq LIMIT $3",
                         p, "cannot read message events");
    if (!ev) return ev.error();
    for (int i = 0; i < ev->size(); ++i) h.events.push_back(read_event(*ev, i));
  }
  h.next = sesami::store::detail::finish_history_page(
      h.recipients, h.events, limit, [](const recipient_status& s) { return s.recipient; });
  return h;
}

}  // namespace sesami::store::pg
