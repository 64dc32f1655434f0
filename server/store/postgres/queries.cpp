// Reading events: filtered listings and the histories of a recipient and of a message.
#include <tuple>

#include "../detail/event_filter_sql.hpp"
#include "../detail/page_cursor.hpp"
#include "store.hpp"

namespace sesami::store::pg {
namespace {

// PostgreSQL's spelling of an event listing (detail/event_filter_sql.hpp).
std::string sv(std::string_view v) { return std::string(v); }
const detail::sql_dialect dialect{
    [](std::size_t n, bool integer) {
      return "$" + std::to_string(n) + (integer ? "::int8" : "::text");
    },
    [](std::string_view col, std::string_view x) {
      return "right(" + sv(col) + ", char_length(" + sv(x) + ")) = " + sv(x);
    },
    [](std::string_view col, std::string_view x) {
      return "left(" + sv(col) + ", char_length(" + sv(x) + ")) = " + sv(x);
    },
    [](std::string_view col, std::string_view x) {
      return "strpos(" + sv(col) + ", " + sv(x) + ") > 0";
    },
    // Tags other than the driving one, read from the stored document as jsonb.
    [](std::string_view name, std::string_view value) {
      return "coalesce((e.doc::jsonb -> 'tags' -> " + sv(name) + ") ? " + sv(value) + ", false)";
    },
    "encode(e.id, 'hex')",
    "e.workspace = t.workspace AND e.ts = t.ts AND e.seq = t.seq",
    false,
};

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

// The passes and their SQL are detail/event_filter_sql.hpp's. Statuses drive before types: a rare
// status (bounced) is a short range of events_status_time (migration 5) where the time index would
// be read through every other event to fill a page. A pair's current status is carried by each of
// its events (kept on write).
result<event_page> pg_store::list_events(std::string_view workspace, const event_query& q) {
  const sesami::filter& f = q.filter;
  auto listing = detail::plan_event_listing(q);
  if (!listing) return listing.error();
  auto c = pool_.acquire();
  if (!c) return c.error();
  std::vector<stored_event> rows;
  for (const auto& pass : detail::event_passes(f, *listing, true)) {
    const auto query = detail::event_pass_query(dialect, workspace, f, *listing, pass);
    params p;
    for (const auto& v : query.params) {
      if (auto* str = std::get_if<std::string>(&v))
        p.text(*str);
      else
        p.integer(std::get<std::int64_t>(v));
    }
    auto r = (*c)->exec(query.sql, p, "cannot list events");
    if (!r) return r.error();
    for (int i = 0; i < r->size(); ++i) rows.push_back(read_event(*r, i));
  }
  return detail::finish_event_page(std::move(rows), *listing);
}

// Histories are read a page at a time (detail/page_cursor.hpp), as in SQLite.
result<recipient_history> pg_store::recipient(std::string_view workspace, std::string_view address,
                                              const history_query& q) {
  recipient_history h;
  h.address = ascii_lower(address);
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
