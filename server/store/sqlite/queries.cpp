// Reading events: filtered listings and the histories of a recipient and of a message.
#include <algorithm>
#include <tuple>
#include <variant>

#include "../detail/event_filter_sql.hpp"
#include "../detail/page_cursor.hpp"
#include "store.hpp"

namespace sesami::store::sqlite {
namespace {

// SQLite's spelling of an event listing (detail/event_filter_sql.hpp).
std::string sv(std::string_view v) { return std::string(v); }
const detail::sql_dialect dialect{
    [](std::size_t n, bool) { return "?" + std::to_string(n); },
    [](std::string_view col, std::string_view x) {
      return "substr(" + sv(col) + ", -length(" + sv(x) + ")) = " + sv(x);
    },
    [](std::string_view col, std::string_view x) {
      return "substr(" + sv(col) + ", 1, length(" + sv(x) + ")) = " + sv(x);
    },
    [](std::string_view col, std::string_view x) {
      return "instr(" + sv(col) + ", " + sv(x) + ") > 0";
    },
    // Tags other than the driving one, read from the stored document with JSON1.
    [](std::string_view name, std::string_view value) {
      return "EXISTS (SELECT 1 FROM json_each(e.doc, '$.tags') jt, json_each(jt.value) jv "
             "WHERE jt.key = " +
             sv(name) + " AND jv.value = " + sv(value) + ")";
    },
    "e.id",
    "e.seq = t.seq",
    true,
};

void bind_params(statement& s, const std::vector<detail::sql_param>& params) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const int n = static_cast<int>(i + 1);
    if (auto* str = std::get_if<std::string>(&params[i]))
      s.bind(n, *str);
    else
      s.bind(n, std::get<std::int64_t>(params[i]));
  }
}

// Whether the chosen statuses are rare: under 10 % of the workspace's pairs (status_counts).
result<bool> statuses_are_rare(connection& c, std::string_view workspace,
                               const std::vector<delivery_status>& statuses) {
  auto st = c.prepare("SELECT status, n FROM status_counts WHERE workspace = ?1");
  if (!st) return st.error();
  reset_on_exit guard{*st};
  (*st)->bind(1, workspace);
  std::int64_t all = 0, chosen = 0;
  int rc;
  while ((rc = (*st)->step()) == SQLITE_ROW) {
    const auto n = (*st)->int64(1);
    all += n;
    if (std::find(statuses.begin(), statuses.end(),
                  static_cast<delivery_status>((*st)->int64(0))) != statuses.end())
      chosen += n;
  }
  if (rc != SQLITE_DONE) return c.fail(rc, "cannot read status counts");
  return chosen * 10 < all;
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

// The passes and their SQL are detail/event_filter_sql.hpp's. A user tag filter (not ses:*)
// drives from event_tags; statuses drive from status_events (migration 11), one pass per status:
// an event matches when its (message, recipient) pair's CURRENT status is one of them — events of
// a pair without a status row never do. With a tag, or with types when the statuses are common
// (10 % of the pairs or more), the tag or types drive and the status is checked on status_events'
// key for each walked row.
result<event_page> sqlite_store::list_events(std::string_view workspace, const event_query& q) {
  const sesami::filter& f = q.filter;
  auto listing = detail::plan_event_listing(q);
  if (!listing) return listing.error();
  auto r = reader();
  if (!r) return r.error();
  bool statuses_drive = !f.statuses.empty() && listing->driving_tag.empty();
  if (statuses_drive && !f.types.empty()) {
    auto rare = statuses_are_rare(**r, workspace, f.statuses);
    if (!rare) return rare.error();
    statuses_drive = *rare;
  }
  std::vector<stored_event> rows;
  for (const auto& pass : detail::event_passes(f, *listing, statuses_drive)) {
    const auto query = detail::event_pass_query(dialect, workspace, f, *listing, pass);
    auto st = (*r)->prepare(query.sql);
    if (!st) return st.error();
    auto& s = **st;
    reset_on_exit guard{&s};
    bind_params(s, query.params);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) rows.push_back(read_event(s));
    if (rc != SQLITE_DONE) return (*r)->fail(rc, "cannot list events");
  }
  return detail::finish_event_page(std::move(rows), *listing);
}

// Histories are read a page at a time (detail/page_cursor.hpp): each list with one row more
// than the page holds, to know whether it goes on.
result<recipient_history> sqlite_store::recipient(std::string_view workspace,
                                                  std::string_view address,
                                                  const history_query& q) {
  recipient_history h;
  h.address = ascii_lower(address);
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
