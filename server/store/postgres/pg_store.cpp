// The PostgreSQL store: the semantics of sqlite/sqlite_store.cpp (the reference) on a server
// shared by several SESami nodes. Differences in how, never in what:
// - Group commit as in SQLite (one leader per process commits every queued caller in one
//   transaction); across processes, writers to one workspace serialise on a transaction-level
//   advisory lock, so the read-modify-write of statuses and unique counts stays exact with several
//   nodes on one database.
// - Each request's events go in as ONE multi-row INSERT … SELECT FROM unnest(arrays) … ON CONFLICT
//   DO NOTHING RETURNING; the statuses and first clicks a request touches are read in one query and
//   written back in one upsert per table: a fixed number of round trips per request and per group,
//   not per event.
// - events is partitioned by month; partitions are created ahead and on demand, and retention
//   drops a whole month when no other workspace has rows in it.
// All of PostgreSQL's dialect lives in this directory.
#include <algorithm>
#include <condition_variable>
#include <ctime>
#include <map>
#include <mutex>
#include <set>
#include <tuple>
#include <unordered_map>

#include <sesami/aggregate.hpp>

#include "../detail/group_commit.hpp"
#include "../detail/page_cursor.hpp"
#include "../detail/rollup_sums.hpp"
#include "../detail/rollup_time.hpp"
#include "../store.hpp"
#include "connection.hpp"
#include "migrations.hpp"
#include "pg_store.hpp"
#include "webhooks.hpp"

namespace sesami::store {
namespace pg {
namespace {

using sesami::store::detail::day_of_hour;
using sesami::store::detail::day_split;
using sesami::store::detail::domain_delta;
using sesami::store::detail::floor_div;
using sesami::store::detail::hour_of;
using sesami::store::detail::link_delta;
using sesami::store::detail::ms_per_day;
using sesami::store::detail::ms_per_hour;
using sesami::store::detail::rollup_delta;
using sesami::store::detail::split_days;

// ---- months (civil calendar, H. Hinnant's algorithms) ------------------------------------------
struct month {
  std::int64_t year;
  int mon;  // 1..12
  bool operator<(const month& o) const noexcept {
    return std::tie(year, mon) < std::tie(o.year, o.mon);
  }
};
month month_of(std::int64_t ms) noexcept {
  std::int64_t z = floor_div(ms, ms_per_day) + 719468;
  const std::int64_t era = floor_div(z, 146097);
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (m <= 2 ? 1 : 0), m};
}
std::int64_t start_ms(month mo) noexcept {
  const std::int64_t y = mo.year - (mo.mon <= 2 ? 1 : 0);
  const std::int64_t era = floor_div(y, 400);
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = mo.mon > 2 ? mo.mon - 3 : mo.mon + 9;
  const std::int64_t doy = (153 * mp + 2) / 5;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (era * 146097 + doe - 719468) * ms_per_day;
}
month next(month mo) noexcept {
  return mo.mon == 12 ? month{mo.year + 1, 1} : month{mo.year, mo.mon + 1};
}
std::string partition_name(month mo) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "events_%s%04lld%02d", mo.year < 0 ? "bc" : "",
                static_cast<long long>(mo.year < 0 ? -mo.year : mo.year), mo.mon);
  return buf;
}
// The month of a partition named by partition_name (events_YYYYMM), if it is one.
std::optional<month> month_of_name(std::string_view n) {
  if (n.rfind("events_", 0) != 0) return std::nullopt;
  n.remove_prefix(7);
  bool bc = false;
  if (n.rfind("bc", 0) == 0) bc = true, n.remove_prefix(2);
  if (n.size() < 6) return std::nullopt;
  std::int64_t v = 0;
  for (char c : n) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  month mo{v / 100, static_cast<int>(v % 100)};
  if (mo.mon < 1 || mo.mon > 12) return std::nullopt;
  if (bc) mo.year = -mo.year;
  return mo;
}

// ---- identities: 32 hex chars stored as 16 bytes, sent and read as hex -------------------------
int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
std::string to_hex(std::string_view raw) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) out += digits[c >> 4], out += digits[c & 15];
  return out;
}
std::string from_hex(std::string_view hex) {
  std::string out(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<char>(hex_value(hex[2 * i]) * 16 + hex_value(hex[2 * i + 1]));
  return out;
}
// The bytea (as hex) for an identity: its 16 bytes when it is 32 hex chars, else its raw bytes
// (sqlite_store's id_to_blob).
std::string id_hex(std::string_view id) {
  if (id.size() == 32 &&
      std::all_of(id.begin(), id.end(), [](char c) { return hex_value(c) >= 0; })) {
    std::string out(id);
    for (auto& c : out)
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    return out;
  }
  return to_hex(id);
}
// The identity from its bytea (hex): 16 bytes read back as 32 hex chars, else the raw bytes.
std::string id_of_hex(std::string_view hex) {
  return hex.size() == 32 ? std::string(hex) : from_hex(hex);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

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
suppression_entry read_suppression(const rows& r, int i) {
  suppression_entry e;
  e.address = r.text(i, 0);
  e.reason = r.text(i, 1);
  e.source = parse_suppression_source(r.text(i, 2)).value_or(suppression_source::manual);
  e.event_id = r.text(i, 3);
  e.created_at = r.int64(i, 4);
  return e;
}

std::int64_t now_ms() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

// Runs `fn(connection&)` between BEGIN and COMMIT, rolling back on failure.
template <class F>
auto in_transaction(connection& c, F&& fn) -> decltype(fn(c)) {
  if (auto b = c.script("BEGIN", "cannot begin a transaction"); !b) return b.error();
  auto r = fn(c);
  if (!r) {
    c.rollback();
    return r;
  }
  if (auto cm = c.script("COMMIT", "cannot commit"); !cm) {
    c.rollback();
    return cm.error();
  }
  return r;
}

}  // namespace

class pg_store final : public store {
 public:
  using store::ingest;
  pg_store(const pg_options& opt, int version)
      : pool_(opt.url, std::max<std::size_t>(opt.connections, 2)), version_(version) {}

  // ---- workspaces ------------------------------------------------------------------------------
  result<workspace> create_workspace(const workspace& w) override {
    auto c = pool_.acquire();
    if (!c) return c.error();
    params p;
    p.text(w.id)
        .text(w.name.empty() ? w.id : w.name)
        .integer(w.created_at)
        .integer(w.retention_days);
    auto r = (*c)->exec(
        "INSERT INTO workspaces (id, name, created_at, retention_days) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT DO NOTHING",
        p, "cannot create workspace");
    if (!r) return r.error();
    if (r->affected() == 0) return error{errc::bad_input, "workspace '" + w.id + "' exists"};
    workspace out = w;
    if (out.name.empty()) out.name = w.id;
    return out;
  }

  result<workspace> ensure_workspace(std::string_view id) override {
    auto found = find_workspace(id);
    if (!found) return found.error();
    if (*found) return **found;
    workspace w;
    w.id = id;
    w.name = id;
    w.created_at = now_ms();
    auto created = create_workspace(w);
    if (!created && created.error().code == errc::bad_input) {  // created concurrently
      auto again = find_workspace(id);
      if (!again) return again.error();
      if (*again) return **again;
    }
    return created;
  }

  result<std::optional<workspace>> find_workspace(std::string_view id) override {
    auto r = pool_.exec("SELECT id, name, created_at, retention_days FROM workspaces WHERE id = $1",
                        params().text(id), "cannot read workspace");
    if (!r) return r.error();
    if (r->size() == 0) return std::optional<workspace>();
    return std::optional<workspace>(workspace{std::string(r->text(0, 0)),
                                              std::string(r->text(0, 1)), r->int64(0, 2),
                                              static_cast<int>(r->int64(0, 3))});
  }

  result<std::vector<workspace>> list_workspaces() override {
    auto r = pool_.exec("SELECT id, name, created_at, retention_days FROM workspaces ORDER BY id",
                        {}, "cannot list workspaces");
    if (!r) return r.error();
    std::vector<workspace> out;
    for (int i = 0; i < r->size(); ++i)
      out.push_back({std::string(r->text(i, 0)), std::string(r->text(i, 1)), r->int64(i, 2),
                     static_cast<int>(r->int64(i, 3))});
    return out;
  }

  status set_retention(std::string_view workspace, int days) override {
    if (days < 0)
      return error{errc::bad_input, "retention must be 0 (forever) or a number of days"};
    auto r = pool_.exec("UPDATE workspaces SET retention_days = $2 WHERE id = $1",
                        params().text(workspace).integer(days), "cannot set retention");
    if (!r) return r.error();
    if (r->affected() == 0)
      return error{errc::not_found, "no workspace '" + std::string(workspace) + "'"};
    return {};
  }

  // ---- writes: group commit --------------------------------------------------------------------
  // As in SQLite (detail/group_commit.hpp): concurrent requests share one transaction; a caller
  // returns only after its transaction committed.
  result<ingest_summary> ingest(std::string_view workspace, std::span<const ingest_item> items,
                                std::int64_t now, const ingest_options& o) override {
    request req{workspace, items, now, o.remember_sns_message_ids};
    committer_.submit(
        req, [this](std::vector<request*>& group) { commit_group(group); },
        [this](std::vector<request*>& group, const std::exception_ptr& e) {
          // An exception inside the transaction: drop the connection (and with it the open
          // transaction); the next group opens a new one.
          std::lock_guard lock(write_mu_);
          writer_.reset();
          const error err{errc::unavailable, sesami::store::detail::describe(e)};
          for (auto* r : group) r->outcome = err;
        });
    return std::move(req.outcome);
  }

  result<bool> remember_sns_message(std::string_view workspace, std::string_view id,
                                    std::int64_t now) override {
    auto r = pool_.exec(
        "INSERT INTO sns_messages (workspace, sns_message_id, seen_at) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING",
        params().text(workspace).text(id).integer(now), "cannot record SNS message");
    if (!r) return r.error();
    return r->affected() > 0;
  }

  result<bool> sns_message_seen(std::string_view workspace, std::string_view id) override {
    auto r = pool_.exec("SELECT 1 FROM sns_messages WHERE workspace = $1 AND sns_message_id = $2",
                        params().text(workspace).text(id), "cannot read SNS messages");
    if (!r) return r.error();
    return r->size() > 0;
  }

  // ---- reads -----------------------------------------------------------------------------------
  result<event_page> list_events(std::string_view workspace, const event_query& q) override {
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

  using store::message;
  using store::recipient;

  // Histories are read a page at a time (detail/page_cursor.hpp), as in SQLite.
  result<recipient_history> recipient(std::string_view workspace, std::string_view address,
                                      const history_query& q) override {
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
              (cur.statuses ? "AND (last_seen < $4 OR (last_seen = $4 AND message_id > $5)) "
                            : "") +
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
    auto all = (*c)->exec(
        "SELECT max(status) FROM recipient_status WHERE workspace = $1 AND recipient = $2",
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

  result<message_history> message(std::string_view workspace, std::string_view message_id,
                                  const history_query& q) override {
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
      auto st = (*c)->exec(
          std::string("SELECT message_id, recipient, status, first_seen, last_seen FROM "
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

  result<std::vector<rollup_row>> rollups(std::string_view workspace, std::int64_t since,
                                          std::int64_t until) override {
    return read_rollups(
        "SELECT hour, type, count, machine, uniq, uniq_human, hard, soft, suppressed, "
        "undetermined, "
        "sim_count, sim_uniq_human, sim_hard FROM rollups "
        "WHERE workspace = $1 AND hour >= $2 AND hour < $3 ORDER BY hour, type",
        hour_range(workspace, since, until));
  }

  result<std::vector<rollup_row>> rollups_by_day(std::string_view workspace, std::int64_t since,
                                                 std::int64_t until) override {
    // Whole days from rollups_daily (one row per day and type, at the day's first hour), the
    // partial edge days hour by hour: ~types x (days + 46) rows instead of types x hours.
    constexpr const char* columns =
        "type, count, machine, uniq, uniq_human, hard, soft, suppressed, undetermined, "
        "sim_count, sim_uniq_human, sim_hard";
    return read_rollups(std::string("SELECT * FROM (SELECT day * 24 AS hour, ") + columns +
                            " FROM rollups_daily WHERE workspace = $1 AND day >= $4 AND day < $5 "
                            "UNION ALL SELECT hour, " +
                            columns +
                            " FROM rollups WHERE workspace = $1 AND hour >= $2 AND hour < $3 "
                            "UNION ALL SELECT hour, " +
                            columns +
                            " FROM rollups WHERE workspace = $1 AND hour >= $6 AND hour < $7) "
                            "AS x ORDER BY hour, type",
                        day_range(workspace, since, until));
  }

  result<std::vector<rollup_row>> read_rollups(const std::string& sql, const params& p) {
    auto r = pool_.exec(sql, p, "cannot read rollups");
    if (!r) return r.error();
    std::vector<rollup_row> out;
    for (int i = 0; i < r->size(); ++i) {
      rollup_row row;
      row.hour = r->int64(i, 0) * ms_per_hour;
      const auto t = r->int64(i, 1);
      row.type = t >= 0 && t < static_cast<std::int64_t>(event_type_count)
                     ? static_cast<event_type>(t)
                     : event_type::unknown;
      row.count = r->int64(i, 2);
      row.machine = r->int64(i, 3);
      row.unique = r->int64(i, 4);
      row.unique_human = r->int64(i, 5);
      row.hard = r->int64(i, 6);
      row.soft = r->int64(i, 7);
      row.suppressed = r->int64(i, 8);
      row.undetermined = r->int64(i, 9);
      row.sim_count = r->int64(i, 10);
      row.sim_unique_human = r->int64(i, 11);
      row.sim_hard = r->int64(i, 12);
      out.push_back(row);
    }
    return out;
  }

  result<std::vector<link_rollup>> top_links(std::string_view workspace, std::int64_t since,
                                             std::int64_t until, std::size_t n) override {
    auto c = pool_.acquire();
    if (!c) return c.error();
    auto p = day_range(workspace, since, until);
    p.integer(static_cast<std::int64_t>(std::min<std::size_t>(n, 1'000'000)));
    auto r = (*c)->exec(
        "SELECT link, sum(c), sum(h), sum(u) FROM ("
        "SELECT link, clicks AS c, human AS h, uniq AS u FROM link_rollups_daily "
        "WHERE workspace = $1 AND day >= $4 AND day < $5 UNION ALL "
        "SELECT link, clicks, human, uniq FROM link_rollups WHERE workspace = $1 AND hour >= $2 "
        "AND hour < $3 UNION ALL "
        "SELECT link, clicks, human, uniq FROM link_rollups WHERE workspace = $1 AND hour >= $6 "
        "AND hour < $7) AS x "
        "GROUP BY link HAVING sum(c) > 0 ORDER BY 2 DESC, link LIMIT $8",
        p, "cannot read link rollups");
    if (!r) return r.error();
    std::vector<link_rollup> out;
    for (int i = 0; i < r->size(); ++i)
      out.push_back({std::string(r->text(i, 0)), r->int64(i, 1), r->int64(i, 2), r->int64(i, 3)});
    return out;
  }

  result<std::vector<domain_rollup>> top_bouncing_domains(std::string_view workspace,
                                                          std::int64_t since, std::int64_t until,
                                                          std::size_t n) override {
    auto c = pool_.acquire();
    if (!c) return c.error();
    auto p = day_range(workspace, since, until);
    p.integer(static_cast<std::int64_t>(std::min<std::size_t>(n, 1'000'000)));
    auto r = (*c)->exec(
        "SELECT domain, sum(b), sum(h) FROM ("
        "SELECT domain, bounces AS b, hard AS h FROM domain_rollups_daily "
        "WHERE workspace = $1 AND day >= $4 AND day < $5 UNION ALL "
        "SELECT domain, bounces, hard FROM domain_rollups WHERE workspace = $1 AND hour >= $2 AND "
        "hour < $3 UNION ALL "
        "SELECT domain, bounces, hard FROM domain_rollups WHERE workspace = $1 AND hour >= $6 AND "
        "hour < $7) AS x "
        "GROUP BY domain HAVING sum(b) > 0 ORDER BY 2 DESC, domain LIMIT $8",
        p, "cannot read domain rollups");
    if (!r) return r.error();
    std::vector<domain_rollup> out;
    for (int i = 0; i < r->size(); ++i)
      out.push_back({std::string(r->text(i, 0)), r->int64(i, 1), r->int64(i, 2)});
    return out;
  }

  result<std::vector<std::pair<delivery_status, std::int64_t>>> status_counts(
      std::string_view workspace, std::int64_t since, std::int64_t until) override {
    // A few rows per day of the range plus the edge days' hours (primary key ranges).
    return statuses(
        "SELECT status, sum(k) FROM ("
        "SELECT status, n AS k FROM status_rollups_daily "
        "WHERE workspace = $1 AND day >= $4 AND day < $5 UNION ALL "
        "SELECT status, n FROM status_rollups WHERE workspace = $1 AND hour >= $2 AND hour < $3 "
        "UNION ALL "
        "SELECT status, n FROM status_rollups WHERE workspace = $1 AND hour >= $6 AND hour < $7) "
        "AS x GROUP BY status HAVING sum(k) != 0 ORDER BY status",
        day_range(workspace, since, until));
  }

  result<std::vector<std::pair<delivery_status, std::int64_t>>> status_counts(
      std::string_view workspace) override {
    return statuses(
        "SELECT status, n FROM status_counts WHERE workspace = $1 AND n != 0 ORDER BY status",
        params().text(workspace));
  }

  // ---- suppression list ------------------------------------------------------------------------
  result<suppression_page> list_suppressions(std::string_view workspace,
                                             const suppression_query& q) override {
    const std::size_t limit = std::clamp<std::size_t>(q.limit, 1, 100000);
    std::string after;
    if (!q.cursor.empty()) {
      if (q.cursor.substr(0, 2) != "a.") return error{errc::bad_input, "invalid cursor"};
      after = q.cursor.substr(2);
    }
    auto r = pool_.exec(
        "SELECT address, reason, source, event_id, created_at FROM suppressions "
        "WHERE workspace = $1 AND address > $2 AND ($3 = '' OR strpos(address, $3) > 0) "
        "ORDER BY address LIMIT $4",
        params()
            .text(workspace)
            .text(after)
            .text(lower(q.contains))
            .integer(static_cast<std::int64_t>(limit + 1)),
        "cannot list suppressions");
    if (!r) return r.error();
    suppression_page page;
    for (int i = 0; i < r->size(); ++i) page.entries.push_back(read_suppression(*r, i));
    if (page.entries.size() > limit) {
      page.entries.resize(limit);
      page.next = "a." + page.entries.back().address;
    }
    return page;
  }

  result<std::optional<suppression_entry>> find_suppression(std::string_view workspace,
                                                            std::string_view address) override {
    auto c = pool_.acquire();
    if (!c) return c.error();
    return find_suppression_with(**c, workspace, lower(address));
  }

  result<std::size_t> add_suppressions(std::string_view workspace,
                                       std::span<const suppression_entry> entries) override {
    auto c = pool_.acquire();
    if (!c) return c.error();
    std::vector<suppression_entry> lowered(entries.begin(), entries.end());
    for (auto& e : lowered) e.address = lower(e.address);
    return in_transaction(**c, [&](connection& conn) -> result<std::size_t> {
      auto added = insert_suppressions(conn, workspace, lowered);
      if (!added) return added.error();
      return added->size();
    });
  }

  result<bool> remove_suppression(std::string_view workspace, std::string_view address) override {
    auto r = pool_.exec("DELETE FROM suppressions WHERE workspace = $1 AND address = $2",
                        params().text(workspace).text(lower(address)), "cannot remove suppression");
    if (!r) return r.error();
    return r->affected() > 0;
  }

  // ---- maintenance -----------------------------------------------------------------------------
  // Whole months older than the cutoff go at once (DETACH + DROP: no row-by-row delete, no bloat)
  // when no other workspace has events in them; the rest in batches of `batch` rows, one short
  // transaction each, so ingestion interleaves.
  result<std::size_t> apply_retention(std::string_view workspace, std::int64_t now,
                                      std::size_t batch) override {
    auto ws = find_workspace(workspace);
    if (!ws) return ws.error();
    if (!*ws) return error{errc::not_found, "no workspace '" + std::string(workspace) + "'"};
    if ((*ws)->retention_days <= 0) return std::size_t{0};
    const std::int64_t cutoff = now - (*ws)->retention_days * ms_per_day;
    auto c = pool_.acquire();
    if (!c) return c.error();
    auto& conn = **c;
    std::size_t total = 0;

    auto parts = conn.exec(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'events'::regclass ORDER BY 1",
        "cannot list event partitions");
    if (!parts) return parts.error();
    for (int i = 0; i < parts->size(); ++i) {
      const std::string name(parts->text(i, 0));
      const auto mo = month_of_name(name);
      if (!mo || start_ms(next(*mo)) > cutoff) continue;
      auto dropped = in_transaction(conn, [&](connection& cn) -> result<std::size_t> {
        // Writers hold ROW EXCLUSIVE on events and then on the partitions they write (an event
        // status update may reach an old month), so this takes the same order: SHARE on events
        // and its partitions waits for running writers and holds new ones (not readers) until
        // the drop commits, and the check below stays true. No deadlock with a writer.
        if (auto l = cn.script("LOCK TABLE events IN SHARE MODE", "cannot lock partition"); !l)
          return l.error();
        auto others =
            cn.exec("SELECT count(*) FILTER (WHERE workspace <> $1), count(*) FROM " + name,
                    params().text(workspace), "cannot inspect partition");
        if (!others) return others.error();
        if (others->int64(0, 0) > 0) return std::size_t{0};
        const auto n = static_cast<std::size_t>(others->int64(0, 1));
        auto tags =
            cn.exec("DELETE FROM event_tags WHERE workspace = $1 AND ts >= $2 AND ts < $3",
                    params().text(workspace).integer(start_ms(*mo)).integer(start_ms(next(*mo))),
                    "cannot delete old tags");
        if (!tags) return tags.error();
        if (auto d =
                cn.script("ALTER TABLE events DETACH PARTITION " + name + "; DROP TABLE " + name,
                          "cannot drop partition " + name);
            !d)
          return d.error();
        return n;
      });
      if (!dropped) return dropped.error();
      total += *dropped;
    }

    for (;;) {
      auto n = conn.exec(
          "WITH d AS (DELETE FROM events WHERE (workspace, ts, seq) IN (SELECT workspace, ts, seq "
          "FROM events WHERE workspace = $1 AND ts < $2 LIMIT $3) RETURNING ts, seq), "
          "t AS (DELETE FROM event_tags x USING d WHERE x.workspace = $1 AND x.ts = d.ts AND "
          "x.seq = d.seq) SELECT count(*) FROM d",
          params().text(workspace).integer(cutoff).integer(
              static_cast<std::int64_t>(std::max<std::size_t>(batch, 1))),
          "cannot delete old events");
      if (!n) return n.error();
      const auto deleted = static_cast<std::size_t>(n->int64(0, 0));
      total += deleted;
      if (deleted == 0) break;
    }
    auto sns =
        conn.exec("DELETE FROM sns_messages WHERE workspace = $1 AND seen_at < $2",
                  params().text(workspace).integer(cutoff), "cannot delete old SNS message ids");
    if (!sns) return sns.error();
    return total;
  }

  int schema_version() const override { return version_; }

  /// Creates the partitions for the months of `ts` values that do not exist yet.
  status ensure_partitions(connection& c, const std::set<month>& months) {
    array names;
    for (const auto& m : months) names.text(partition_name(m));
    if (names.empty()) return {};
    auto missing = c.exec("SELECT n FROM unnest($1::text[]) n WHERE to_regclass(n) IS NULL",
                          params().text(names.str()), "cannot check event partitions");
    if (!missing) return missing.error();
    for (int i = 0; i < missing->size(); ++i) {
      const std::string name(missing->text(i, 0));
      const auto mo = month_of_name(name);
      if (!mo) continue;
      auto r = c.script(
          "CREATE TABLE IF NOT EXISTS " + name + " PARTITION OF events FOR VALUES FROM (" +
              std::to_string(start_ms(*mo)) + ") TO (" + std::to_string(start_ms(next(*mo))) + ")",
          "cannot create partition " + name);
      // Another node created it at the same moment: fine (duplicate table / type).
      if (!r && r.error().message.find("42P07") == std::string::npos &&
          r.error().message.find("23505") == std::string::npos)
        return r;
    }
    return {};
  }

 private:
  struct request {
    std::string_view workspace;
    std::span<const ingest_item> items;
    std::int64_t now;
    bool remember_sns = true;
    result<ingest_summary> outcome = ingest_summary{};
  };

  static params hour_range(std::string_view workspace, std::int64_t since, std::int64_t until) {
    // An until inside an hour includes that hour: rollups are hourly, ranges round outwards.
    return params().text(workspace).integer(hour_of(since)).integer(hour_of(until - 1) + 1);
  }
  // $1 workspace, $2..$3 leading hours, $4..$5 whole days, $6..$7 trailing hours: the two-level
  // reads of the top lists and statuses.
  static params day_range(std::string_view workspace, std::int64_t since, std::int64_t until) {
    const day_split d = split_days(hour_of(since), hour_of(until - 1) + 1);
    return params()
        .text(workspace)
        .integer(d.a0)
        .integer(d.a1)
        .integer(d.d0)
        .integer(d.d1)
        .integer(d.b0)
        .integer(d.b1);
  }

  result<std::vector<std::pair<delivery_status, std::int64_t>>> statuses(const char* sql,
                                                                         const params& p) {
    auto r = pool_.exec(sql, p, "cannot read status counts");
    if (!r) return r.error();
    std::vector<std::pair<delivery_status, std::int64_t>> out;
    for (int i = 0; i < r->size(); ++i) {
      const auto v = r->int64(i, 0);
      if (v >= 0 && v < static_cast<std::int64_t>(delivery_status_count))
        out.emplace_back(static_cast<delivery_status>(v), r->int64(i, 1));
    }
    return out;
  }

  result<std::optional<suppression_entry>> find_suppression_with(connection& c,
                                                                 std::string_view workspace,
                                                                 const std::string& address) {
    auto r = c.exec(
        "SELECT address, reason, source, event_id, created_at FROM suppressions "
        "WHERE workspace = $1 AND address = $2",
        params().text(workspace).text(address), "cannot read suppression");
    if (!r) return r.error();
    if (r->size() == 0) return std::optional<suppression_entry>();
    return std::optional<suppression_entry>(read_suppression(*r, 0));
  }

  // Entries (addresses already lower-cased) in one statement, in order: the first of an address
  // wins, an existing address keeps its reason. Returns the addresses that were new.
  static result<std::vector<std::string>> insert_suppressions(
      connection& c, std::string_view workspace, const std::vector<suppression_entry>& entries) {
    if (entries.empty()) return std::vector<std::string>{};
    array address, reason, source, event_id, created;
    for (const auto& e : entries) {
      address.text(e.address), reason.text(e.reason), source.text(to_string(e.source));
      event_id.text(e.event_id), created.integer(e.created_at);
    }
    auto r = c.exec(
        "INSERT INTO suppressions (workspace, address, reason, source, event_id, created_at) "
        "SELECT $1, u.a, u.r, u.s, u.e, u.c FROM unnest($2::text[], $3::text[], $4::text[], "
        "$5::text[], $6::int8[]) WITH ORDINALITY AS u(a, r, s, e, c, o) ORDER BY u.o "
        "ON CONFLICT DO NOTHING RETURNING address",
        params()
            .text(workspace)
            .text(address.str())
            .text(reason.str())
            .text(source.str())
            .text(event_id.str())
            .text(created.str()),
        "cannot add suppressions");
    if (!r) return r.error();
    std::vector<std::string> out;
    for (int i = 0; i < r->size(); ++i) out.emplace_back(r->text(i, 0));
    return out;
  }

  using rollup_key = std::tuple<std::string, std::int64_t, int>;        // workspace, hour, type
  using status_key = std::pair<std::string, int>;                       // workspace, status
  using name_key = std::tuple<std::string, std::int64_t, std::string>;  // workspace, hour, name
  // workspace, message, recipient, link
  using link_key = std::tuple<std::string, std::string, std::string, std::string>;

  struct pair_state {
    int original = -1;  // status in the database before this transaction; -1: no row yet
    std::int64_t original_first_seen = 0;
    sesami::pair_state state;  // status, first / last seen, first opens and clicks (rollup.hpp)
    int status() const noexcept { return state.status ? static_cast<int>(*state.status) : -1; }
    bool touched = false;  // an event of this transaction changed it (else: read only)
  };
  struct pair_key {
    std::string workspace, message_id, recipient;
    bool operator==(const pair_key&) const = default;
  };
  struct pair_hash {
    std::size_t operator()(const pair_key& k) const noexcept {
      const std::hash<std::string> h;
      return h(k.message_id) * 31 + h(k.recipient) * 7 + h(k.workspace);
    }
  };
  struct first_click {
    std::optional<std::int64_t> at;
    bool dirty = false;
  };
  struct txn_state : detail::rollup_sums {  // the deltas, summed
    std::unordered_map<pair_key, pair_state, pair_hash> pairs;
    std::map<link_key, first_click> clicks;
    std::map<std::string, int, std::less<>> retention;
  };

  void commit_group(std::vector<request*>& group) {
    std::lock_guard lock(write_mu_);
    auto fail = [&](const error& e) {
      for (auto* r : group) r->outcome = e;
    };
    if (!writer_ || !writer_->healthy()) {  // first use, or the server went away since
      writer_.reset();
      auto c = connection::open(pool_.url());
      if (!c) return fail(c.error());
      writer_ = std::move(*c);
    }
    connection& c = *writer_;
    std::set<month> months;
    // The group's requests by workspace, in arrival order within each.
    std::map<std::string, std::vector<request*>, std::less<>> by_ws;
    for (auto* r : group) {
      by_ws[std::string(r->workspace)].push_back(r);
      for (const auto& it : r->items) months.insert(month_of(it.ev->timestamp));
    }
    if (auto p = ensure_partitions(c, months); !p) return fail(p.error());

    txn_state txn;
    auto fail_all = [&](const error& e) {
      c.rollback();
      fail(e);
    };
    if (auto b = c.script("BEGIN", "cannot begin a transaction"); !b) return fail(b.error());
    // Writers of one workspace on every node take turns (sorted: no deadlock between groups).
    for (const auto& [ws, reqs] : by_ws) {
      auto l = c.exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", params().text(ws),
                      "cannot lock workspace");
      if (!l) return fail_all(l.error());
    }
    for (auto& [ws, reqs] : by_ws) {
      // An unknown workspace fails its requests alone, not the neighbours sharing the transaction.
      auto days = retention_days(c, txn, ws);
      if (!days && days.error().code == errc::not_found) {
        for (auto* r : reqs) r->outcome = days.error();
        continue;
      }
      if (!days) return fail_all(days.error());
      if (auto s = ingest_workspace(c, txn, ws, *days, reqs); !s) return fail_all(s.error());
    }
    if (auto f = flush_state(c, txn); !f) return fail_all(f.error());
    if (auto cm = c.script("COMMIT", "cannot commit"); !cm) return fail_all(cm.error());
  }

  result<int> retention_days(connection& c, txn_state& txn, std::string_view workspace) {
    if (auto it = txn.retention.find(workspace); it != txn.retention.end()) return it->second;
    auto r = c.exec("SELECT retention_days FROM workspaces WHERE id = $1", params().text(workspace),
                    "cannot read workspace");
    if (!r) return r.error();
    if (r->size() == 0)
      return error{errc::not_found, "no workspace '" + std::string(workspace) + "'"};
    const int days = static_cast<int>(r->int64(0, 0));
    txn.retention.emplace(std::string(workspace), days);
    return days;
  }

  // One item of a request on its way in.
  struct slot {
    request* req;
    const ingest_item* item;
    std::string recipient, hex;
    std::int64_t seq = 0;
  };

  // Every request of the group for one workspace, as if they ran one after the other: the first
  // occurrence of an identity (in request order, then item order) is the stored one.
  status ingest_workspace(connection& c, txn_state& txn, const std::string& ws, int days,
                          const std::vector<request*>& reqs) {
    std::unordered_map<request*, ingest_summary> sums;
    // 1. Every event in one statement; RETURNING names the new ones.
    std::vector<slot> live;
    for (auto* r : reqs) {
      auto& sum = sums[r];
      sum.received = r->items.size();
      const std::int64_t cutoff = days > 0 ? r->now - days * ms_per_day : INT64_MIN;
      for (const auto& item : r->items) {
        const sesami::event& ev = *item.ev;
        if (ev.timestamp < cutoff) {
          ++sum.expired;
          continue;
        }
        live.push_back(
            slot{r, &item, ev.recipient ? lower(*ev.recipient) : std::string(), id_hex(item.id)});
      }
    }
    auto finish = [&] {
      for (auto* r : reqs) r->outcome = sums[r];
      return status{};
    };
    if (live.empty()) return finish();

    // The statuses and first clicks these events touch, read once (duplicates included: their
    // pairs' statuses already count them, so the pair's status after this group is known before
    // the insert and each new event goes in with it — migration 5's events.status).
    if (auto l = load_state(c, txn, ws, live); !l) return l;
    std::unordered_map<pair_key, int, pair_hash> after;  // pair → its status after this group
    for (const auto& sl : live) {
      const sesami::event& ev = *sl.item->ev;
      auto it = txn.pairs.find(pair_key{ws, ev.message_id, sl.recipient});
      int st = it == txn.pairs.end() ? -1 : it->second.status();
      if (auto s = status_of(ev.type)) st = std::max(st, static_cast<int>(*s));
      auto [a, fresh] = after.try_emplace(pair_key{ws, ev.message_id, sl.recipient}, st);
      if (!fresh) a->second = std::max(a->second, st);
    }
    array a_id, a_ts, a_type, a_msg, a_rcpt, a_machine, a_cs, a_doc, a_status;
    for (const auto& sl : live) {
      const sesami::event& ev = *sl.item->ev;
      a_id.text(sl.hex), a_ts.integer(ev.timestamp), a_type.integer(static_cast<int>(ev.type));
      a_msg.text(ev.message_id), a_rcpt.text(sl.recipient);
      a_machine.integer(ev.machine() ? 1 : 0), a_cs.text(ev.configuration_set);
      a_doc.text(sl.item->doc);
      const int st = after[pair_key{ws, ev.message_id, sl.recipient}];
      st >= 0 ? a_status.integer(st) : a_status.null();
    }
    auto ins = c.exec(
        "INSERT INTO events (workspace, id, ts, type, message_id, recipient, machine, config_set, "
        "doc, status) SELECT $1, decode(u.id, 'hex'), u.ts, u.ty, u.m, u.r, u.ma, u.cs, u.doc, "
        "u.st FROM unnest($2::text[], $3::int8[], $4::int2[], $5::text[], $6::text[], $7::int2[], "
        "$8::text[], $9::text[], $10::int2[]) WITH ORDINALITY AS u(id, ts, ty, m, r, ma, cs, doc, "
        "st, o) ORDER BY u.o ON CONFLICT DO NOTHING RETURNING encode(id, 'hex'), seq",
        params()
            .text(ws)
            .text(a_id.str())
            .text(a_ts.str())
            .text(a_type.str())
            .text(a_msg.str())
            .text(a_rcpt.str())
            .text(a_machine.str())
            .text(a_cs.str())
            .text(a_doc.str())
            .text(a_status.str()),
        "cannot store events");
    if (!ins) return ins.error();
    std::unordered_map<std::string, std::int64_t> fresh;  // identity (hex) → seq
    for (int i = 0; i < ins->size(); ++i) fresh.emplace(ins->text(i, 0), ins->int64(i, 1));
    std::vector<slot*> stored;
    for (auto& sl : live) {
      auto it = fresh.find(sl.hex);
      if (it == fresh.end()) {  // already present, or repeated earlier in the group
        ++sums[sl.req].duplicates;
        continue;
      }
      sl.seq = it->second;
      fresh.erase(it);
      ++sums[sl.req].stored;
      stored.push_back(&sl);
    }
    if (stored.empty()) return finish();
    {  // the outbox: deliveries of the new events, in this transaction
      std::vector<webhook_event_ref> hooks;
      for (const slot* sl : stored) hooks.push_back({sl->hex, sl->item->ev->type});
      if (auto w = enqueue_webhook_deliveries(c, ws, hooks, stored.front()->req->now); !w) return w;
    }

    // 3. Update in memory, in arrival order, through the core's roll_up (as in SQLite).
    array t_name, t_value, t_ts, t_seq, s_id;
    std::vector<suppression_entry> suppress;
    std::vector<request*> suppress_owner;
    std::int64_t sns_now = 0;
    sesami::rollup_deltas deltas;
    for (slot* sl : stored) {
      const auto& item = *sl->item;
      const sesami::event& ev = *item.ev;
      const std::string& recipient = sl->recipient;
      for (const auto& [name, values] : ev.tags) {
        if (name.rfind("ses:", 0) == 0) continue;
        for (const auto& v : values)
          t_name.text(name), t_value.text(v), t_ts.integer(ev.timestamp), t_seq.integer(sl->seq);
      }
      // A recipient-less event (an open of a multi-recipient message) belongs to the pair
      // (message, ''), as in SQLite and the core's aggregation. The core computes the event's
      // effect on its pair and on the rollups (rollup.hpp); the transaction sums the deltas.
      {
        pair_state& p = txn.pairs[pair_key{ws, ev.message_id, recipient}];
        first_click* link = nullptr;
        if (auto* ck = ev.get<click_info>(); ck && !ck->link.empty())
          link = &txn.clicks[link_key{ws, ev.message_id, recipient, ck->link}];
        const std::optional<std::int64_t> before = link ? link->at : std::nullopt;
        deltas.clear();
        sesami::roll_up(ev, recipient, p.state, link ? &link->at : nullptr, deltas);
        if (link && link->at != before) link->dirty = true;
        if (status_of(ev.type)) p.touched = true;
        txn.add(ws, deltas);
      }
      if (!recipient.empty()) {
        if (!item.suppress.empty()) {
          suppress.push_back(
              {recipient, item.suppress, suppression_source::event, item.id, sl->req->now});
          suppress_owner.push_back(sl->req);
        }
      }
      if (sl->req->remember_sns && !ev.source.sns_message_id.empty()) {
        s_id.text(ev.source.sns_message_id);
        sns_now = sl->req->now;
      }
    }

    // 4. Tags, suppressions and SNS ids: one statement each.
    if (!t_name.empty()) {
      auto r = c.exec(
          "INSERT INTO event_tags (workspace, name, value, ts, seq) SELECT $1, u.n, u.v, u.t, u.s "
          "FROM unnest($2::text[], $3::text[], $4::int8[], $5::int8[]) AS u(n, v, t, s) "
          "ON CONFLICT DO NOTHING",
          params()
              .text(ws)
              .text(t_name.str())
              .text(t_value.str())
              .text(t_ts.str())
              .text(t_seq.str()),
          "cannot index tags");
      if (!r) return r.error();
    }
    auto added = insert_suppressions(c, ws, suppress);
    if (!added) return added.error();
    // A new address counts for the request of its first entry (the one that was inserted).
    std::set<std::string, std::less<>> fresh_addresses(added->begin(), added->end());
    for (std::size_t i = 0; i < suppress.size(); ++i)
      if (fresh_addresses.erase(suppress[i].address)) ++sums[suppress_owner[i]].suppressed;
    if (!s_id.empty()) {
      auto r = c.exec(
          "INSERT INTO sns_messages (workspace, sns_message_id, seen_at) "
          "SELECT $1, u.id, $3 FROM unnest($2::text[]) AS u(id) ON CONFLICT DO NOTHING",
          params().text(ws).text(s_id.str()).integer(sns_now), "cannot record SNS messages");
      if (!r) return r.error();
    }
    return finish();
  }

  // Reads the recipient_status rows and pair_links first clicks the stored events touch and the
  // transaction has not read yet, one query each.
  status load_state(connection& c, txn_state& txn, const std::string& ws,
                    const std::vector<slot>& live) {
    array p_msg, p_rcpt, l_msg, l_rcpt, l_link;
    for (const auto& sl0 : live) {
      const slot* sl = &sl0;
      const sesami::event& ev = *sl->item->ev;
      const std::string& r = sl->recipient;
      {  // every event's pair, status or not: its events carry the pair's status
        auto [it, fresh] = txn.pairs.try_emplace(pair_key{ws, ev.message_id, r});
        if (fresh) p_msg.text(ev.message_id), p_rcpt.text(r);
      }
      if (auto* ck = ev.get<click_info>(); ck && !ck->link.empty()) {
        auto [it, fresh] = txn.clicks.try_emplace(link_key{ws, ev.message_id, r, ck->link});
        if (fresh) l_msg.text(ev.message_id), l_rcpt.text(r), l_link.text(ck->link);
      }
    }
    if (!p_msg.empty()) {
      auto r = c.exec(
          "SELECT s.message_id, s.recipient, s.status, s.first_seen, s.last_seen, s.first_open, "
          "s.first_human_open, s.first_click, s.first_human_click FROM recipient_status s "
          "JOIN unnest($2::text[], $3::text[]) AS k(m, r) ON s.message_id = k.m AND "
          "s.recipient = k.r WHERE s.workspace = $1",
          params().text(ws).text(p_msg.str()).text(p_rcpt.str()), "cannot read statuses");
      if (!r) return r.error();
      for (int i = 0; i < r->size(); ++i) {
        auto& p = txn.pairs[pair_key{ws, std::string(r->text(i, 0)), std::string(r->text(i, 1))}];
        p.original = static_cast<int>(r->int64(i, 2));
        p.state.status = static_cast<delivery_status>(p.original);
        p.state.first_seen = p.original_first_seen = r->int64(i, 3);
        p.state.last_seen = r->int64(i, 4);
        for (int k = 0; k < 4; ++k)
          if (!r->is_null(i, 5 + k))
            p.state.firsts[static_cast<std::size_t>(k)] = r->int64(i, 5 + k);
      }
    }
    if (!l_msg.empty()) {
      auto r = c.exec(
          "SELECT p.message_id, p.recipient, p.link, p.first_click FROM pair_links p "
          "JOIN unnest($2::text[], $3::text[], $4::text[]) AS k(m, r, l) ON p.message_id = k.m AND "
          "p.recipient = k.r AND p.link = k.l WHERE p.workspace = $1",
          params().text(ws).text(l_msg.str()).text(l_rcpt.str()).text(l_link.str()),
          "cannot read link clicks");
      if (!r) return r.error();
      for (int i = 0; i < r->size(); ++i)
        txn.clicks[link_key{ws, std::string(r->text(i, 0)), std::string(r->text(i, 1)),
                            std::string(r->text(i, 2))}]
            .at = r->int64(i, 3);
    }
    return {};
  }

  // Writes back what the transaction changed: one multi-row upsert per table.
  status flush_state(connection& c, txn_state& txn) {
    {
      array ws, msg, rcpt, st, fs, ls, f[4];
      array c_ws, c_msg, c_rcpt, c_st;  // pairs whose status changed
      for (const auto& [key, p] : txn.pairs) {
        if (p.status() < 0 || !p.touched) continue;  // read but never touched by an event
        if (p.status() != p.original)
          c_ws.text(key.workspace), c_msg.text(key.message_id), c_rcpt.text(key.recipient),
              c_st.integer(p.status());
        ws.text(key.workspace), msg.text(key.message_id), rcpt.text(key.recipient);
        st.integer(p.status()), fs.integer(p.state.first_seen), ls.integer(p.state.last_seen);
        for (std::size_t i = 0; i < 4; ++i) f[i].optional(p.state.firsts[i]);
      }
      if (!ws.empty()) {
        auto r = c.exec(
            "INSERT INTO recipient_status (workspace, message_id, recipient, status, first_seen, "
            "last_seen, first_open, first_human_open, first_click, first_human_click) "
            "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int2[], $5::int8[], "
            "$6::int8[], $7::int8[], $8::int8[], $9::int8[], $10::int8[]) "
            "ON CONFLICT (workspace, message_id, recipient) DO UPDATE SET status = "
            "excluded.status, "
            "first_seen = excluded.first_seen, last_seen = excluded.last_seen, "
            "first_open = excluded.first_open, first_human_open = excluded.first_human_open, "
            "first_click = excluded.first_click, first_human_click = excluded.first_human_click",
            params()
                .text(ws.str())
                .text(msg.str())
                .text(rcpt.str())
                .text(st.str())
                .text(fs.str())
                .text(ls.str())
                .text(f[0].str())
                .text(f[1].str())
                .text(f[2].str())
                .text(f[3].str()),
            "cannot update statuses");
        if (!r) return r.error();
      }
      if (!c_ws.empty()) {
        // The pair's earlier events follow its new status (the new ones went in with it). A
        // status only rises, so a pair is rewritten at most a few times in its life.
        auto r = c.exec(
            "UPDATE events e SET status = k.s FROM unnest($1::text[], $2::text[], $3::text[], "
            "$4::int2[]) AS k(w, m, r, s) WHERE e.workspace = k.w AND e.message_id = k.m AND "
            "e.recipient = k.r AND e.status IS DISTINCT FROM k.s",
            params().text(c_ws.str()).text(c_msg.str()).text(c_rcpt.str()).text(c_st.str()),
            "cannot update event statuses");
        if (!r) return r.error();
      }
    }
    {
      array ws, msg, rcpt, link, at;
      for (const auto& [key, fc] : txn.clicks) {
        if (!fc.dirty) continue;
        ws.text(std::get<0>(key)), msg.text(std::get<1>(key)), rcpt.text(std::get<2>(key));
        link.text(std::get<3>(key)), at.integer(*fc.at);
      }
      if (!ws.empty()) {
        auto r = c.exec(
            "INSERT INTO pair_links (workspace, message_id, recipient, link, first_click) "
            "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[]) "
            "ON CONFLICT (workspace, message_id, recipient, link) "
            "DO UPDATE SET first_click = excluded.first_click",
            params()
                .text(ws.str())
                .text(msg.str())
                .text(rcpt.str())
                .text(link.str())
                .text(at.str()),
            "cannot record link clicks");
        if (!r) return r.error();
      }
    }
    if (!txn.rollups.empty()) {
      array ws, hour, type, v[11];
      for (const auto& [key, d] : txn.rollups) {
        ws.text(std::get<0>(key)), hour.integer(std::get<1>(key)), type.integer(std::get<2>(key));
        const std::int64_t vals[11] = {d.count,     d.machine,        d.uniq,       d.uniq_human,
                                       d.hard,      d.soft,           d.suppressed, d.undetermined,
                                       d.sim_count, d.sim_uniq_human, d.sim_hard};
        for (int i = 0; i < 11; ++i) v[i].integer(vals[i]);
      }
      params p;
      p.text(ws.str()).text(hour.str()).text(type.str());
      for (auto& a : v) p.text(a.str());
      auto r = c.exec(
          "INSERT INTO rollups (workspace, hour, type, count, machine, uniq, uniq_human, hard, "
          "soft, suppressed, undetermined, sim_count, sim_uniq_human, sim_hard) "
          "SELECT * FROM unnest($1::text[], $2::int8[], $3::int2[], $4::int8[], $5::int8[], "
          "$6::int8[], $7::int8[], $8::int8[], $9::int8[], $10::int8[], $11::int8[], $12::int8[], "
          "$13::int8[], $14::int8[]) "
          "ON CONFLICT (workspace, hour, type) DO UPDATE SET "
          "count = rollups.count + excluded.count, machine = rollups.machine + excluded.machine, "
          "uniq = rollups.uniq + excluded.uniq, "
          "uniq_human = rollups.uniq_human + excluded.uniq_human, "
          "hard = rollups.hard + excluded.hard, soft = rollups.soft + excluded.soft, "
          "suppressed = rollups.suppressed + excluded.suppressed, "
          "undetermined = rollups.undetermined + excluded.undetermined, "
          "sim_count = rollups.sim_count + excluded.sim_count, "
          "sim_uniq_human = rollups.sim_uniq_human + excluded.sim_uniq_human, "
          "sim_hard = rollups.sim_hard + excluded.sim_hard",
          p, "cannot update rollups");
      if (!r) return r.error();
      // The same deltas summed by day (migration 6), in the same transaction.
      std::map<rollup_key, rollup_delta> days;
      for (const auto& [key, d] : txn.rollups) {
        auto& t = days[{std::get<0>(key), day_of_hour(std::get<1>(key)), std::get<2>(key)}];
        t.count += d.count, t.machine += d.machine, t.uniq += d.uniq, t.uniq_human += d.uniq_human;
        t.hard += d.hard, t.soft += d.soft, t.suppressed += d.suppressed;
        t.undetermined += d.undetermined, t.sim_count += d.sim_count;
        t.sim_uniq_human += d.sim_uniq_human, t.sim_hard += d.sim_hard;
      }
      array dws, dday, dtype, dv[11];
      for (const auto& [key, d] : days) {
        dws.text(std::get<0>(key)), dday.integer(std::get<1>(key)), dtype.integer(std::get<2>(key));
        const std::int64_t vals[11] = {d.count,     d.machine,        d.uniq,       d.uniq_human,
                                       d.hard,      d.soft,           d.suppressed, d.undetermined,
                                       d.sim_count, d.sim_uniq_human, d.sim_hard};
        for (int i = 0; i < 11; ++i) dv[i].integer(vals[i]);
      }
      params dp;
      dp.text(dws.str()).text(dday.str()).text(dtype.str());
      for (auto& a : dv) dp.text(a.str());
      auto rd = c.exec(
          "INSERT INTO rollups_daily (workspace, day, type, count, machine, uniq, uniq_human, "
          "hard, soft, suppressed, undetermined, sim_count, sim_uniq_human, sim_hard) "
          "SELECT * FROM unnest($1::text[], $2::int8[], $3::int2[], $4::int8[], $5::int8[], "
          "$6::int8[], $7::int8[], $8::int8[], $9::int8[], $10::int8[], $11::int8[], $12::int8[], "
          "$13::int8[], $14::int8[]) "
          "ON CONFLICT (workspace, day, type) DO UPDATE SET "
          "count = rollups_daily.count + excluded.count, "
          "machine = rollups_daily.machine + excluded.machine, "
          "uniq = rollups_daily.uniq + excluded.uniq, "
          "uniq_human = rollups_daily.uniq_human + excluded.uniq_human, "
          "hard = rollups_daily.hard + excluded.hard, soft = rollups_daily.soft + excluded.soft, "
          "suppressed = rollups_daily.suppressed + excluded.suppressed, "
          "undetermined = rollups_daily.undetermined + excluded.undetermined, "
          "sim_count = rollups_daily.sim_count + excluded.sim_count, "
          "sim_uniq_human = rollups_daily.sim_uniq_human + excluded.sim_uniq_human, "
          "sim_hard = rollups_daily.sim_hard + excluded.sim_hard",
          dp, "cannot update daily rollups");
      if (!rd) return rd.error();
    }
    if (!txn.links.empty()) {
      array ws, hour, link, clicks, human, uniq;
      for (const auto& [key, d] : txn.links) {
        ws.text(std::get<0>(key)), hour.integer(std::get<1>(key)), link.text(std::get<2>(key));
        clicks.integer(d.clicks), human.integer(d.human), uniq.integer(d.uniq);
      }
      auto r = c.exec(
          "INSERT INTO link_rollups (workspace, hour, link, clicks, human, uniq) "
          "SELECT * FROM unnest($1::text[], $2::int8[], $3::text[], $4::int8[], $5::int8[], "
          "$6::int8[]) ON CONFLICT (workspace, hour, link) DO UPDATE SET "
          "clicks = link_rollups.clicks + excluded.clicks, "
          "human = link_rollups.human + excluded.human, uniq = link_rollups.uniq + excluded.uniq",
          params()
              .text(ws.str())
              .text(hour.str())
              .text(link.str())
              .text(clicks.str())
              .text(human.str())
              .text(uniq.str()),
          "cannot update link rollups");
      if (!r) return r.error();
      // The same deltas summed by day (migration 4).
      std::map<name_key, link_delta> days;
      for (const auto& [key, d] : txn.links) {
        auto& day = days[{std::get<0>(key), day_of_hour(std::get<1>(key)), std::get<2>(key)}];
        day.clicks += d.clicks, day.human += d.human, day.uniq += d.uniq;
      }
      array dws, dday, dlink, dclicks, dhuman, duniq;
      for (const auto& [key, d] : days) {
        dws.text(std::get<0>(key)), dday.integer(std::get<1>(key)), dlink.text(std::get<2>(key));
        dclicks.integer(d.clicks), dhuman.integer(d.human), duniq.integer(d.uniq);
      }
      auto rd = c.exec(
          "INSERT INTO link_rollups_daily (workspace, day, link, clicks, human, uniq) "
          "SELECT * FROM unnest($1::text[], $2::int8[], $3::text[], $4::int8[], $5::int8[], "
          "$6::int8[]) ON CONFLICT (workspace, day, link) DO UPDATE SET "
          "clicks = link_rollups_daily.clicks + excluded.clicks, "
          "human = link_rollups_daily.human + excluded.human, "
          "uniq = link_rollups_daily.uniq + excluded.uniq",
          params()
              .text(dws.str())
              .text(dday.str())
              .text(dlink.str())
              .text(dclicks.str())
              .text(dhuman.str())
              .text(duniq.str()),
          "cannot update daily link rollups");
      if (!rd) return rd.error();
    }
    if (!txn.domains.empty()) {
      array ws, hour, domain, bounces, hard;
      for (const auto& [key, d] : txn.domains) {
        ws.text(std::get<0>(key)), hour.integer(std::get<1>(key)), domain.text(std::get<2>(key));
        bounces.integer(d.bounces), hard.integer(d.hard);
      }
      auto r = c.exec(
          "INSERT INTO domain_rollups (workspace, hour, domain, bounces, hard) "
          "SELECT * FROM unnest($1::text[], $2::int8[], $3::text[], $4::int8[], $5::int8[]) "
          "ON CONFLICT (workspace, hour, domain) DO UPDATE SET "
          "bounces = domain_rollups.bounces + excluded.bounces, "
          "hard = domain_rollups.hard + excluded.hard",
          params()
              .text(ws.str())
              .text(hour.str())
              .text(domain.str())
              .text(bounces.str())
              .text(hard.str()),
          "cannot update domain rollups");
      if (!r) return r.error();
      std::map<name_key, domain_delta> days;
      for (const auto& [key, d] : txn.domains) {
        auto& day = days[{std::get<0>(key), day_of_hour(std::get<1>(key)), std::get<2>(key)}];
        day.bounces += d.bounces, day.hard += d.hard;
      }
      array dws, dday, ddomain, dbounces, dhard;
      for (const auto& [key, d] : days) {
        dws.text(std::get<0>(key)), dday.integer(std::get<1>(key)), ddomain.text(std::get<2>(key));
        dbounces.integer(d.bounces), dhard.integer(d.hard);
      }
      auto rd = c.exec(
          "INSERT INTO domain_rollups_daily (workspace, day, domain, bounces, hard) "
          "SELECT * FROM unnest($1::text[], $2::int8[], $3::text[], $4::int8[], $5::int8[]) "
          "ON CONFLICT (workspace, day, domain) DO UPDATE SET "
          "bounces = domain_rollups_daily.bounces + excluded.bounces, "
          "hard = domain_rollups_daily.hard + excluded.hard",
          params()
              .text(dws.str())
              .text(dday.str())
              .text(ddomain.str())
              .text(dbounces.str())
              .text(dhard.str()),
          "cannot update daily domain rollups");
      if (!rd) return rd.error();
    }
    {
      array ws, st, n;
      for (const auto& [key, v] : txn.statuses)
        if (v != 0) ws.text(key.first), st.integer(key.second), n.integer(v);
      if (!ws.empty()) {
        auto r = c.exec(
            "INSERT INTO status_counts (workspace, status, n) "
            "SELECT * FROM unnest($1::text[], $2::int2[], $3::int8[]) "
            "ON CONFLICT (workspace, status) DO UPDATE SET n = status_counts.n + excluded.n",
            params().text(ws.str()).text(st.str()).text(n.str()), "cannot update status counts");
        if (!r) return r.error();
      }
    }
    {
      array ws, hour, st, n;
      for (const auto& [key, v] : txn.status_hours)
        if (v != 0)
          ws.text(std::get<0>(key)), hour.integer(std::get<1>(key)), st.integer(std::get<2>(key)),
              n.integer(v);
      if (!ws.empty()) {
        auto r = c.exec(
            "INSERT INTO status_rollups (workspace, hour, status, n) "
            "SELECT * FROM unnest($1::text[], $2::int8[], $3::int2[], $4::int8[]) "
            "ON CONFLICT (workspace, hour, status) DO UPDATE SET n = status_rollups.n + excluded.n",
            params().text(ws.str()).text(hour.str()).text(st.str()).text(n.str()),
            "cannot update status rollups");
        if (!r) return r.error();
      }
      std::map<rollup_key, std::int64_t> days;
      for (const auto& [key, v] : txn.status_hours)
        days[{std::get<0>(key), day_of_hour(std::get<1>(key)), std::get<2>(key)}] += v;
      array dws, dday, dst, dn;
      for (const auto& [key, v] : days)
        if (v != 0)
          dws.text(std::get<0>(key)), dday.integer(std::get<1>(key)), dst.integer(std::get<2>(key)),
              dn.integer(v);
      if (!dws.empty()) {
        auto r = c.exec(
            "INSERT INTO status_rollups_daily (workspace, day, status, n) "
            "SELECT * FROM unnest($1::text[], $2::int8[], $3::int2[], $4::int8[]) "
            "ON CONFLICT (workspace, day, status) DO UPDATE SET "
            "n = status_rollups_daily.n + excluded.n",
            params().text(dws.str()).text(dday.str()).text(dst.str()).text(dn.str()),
            "cannot update daily status rollups");
        if (!r) return r.error();
      }
    }
    return {};
  }

  pool pool_;
  int version_;

  std::mutex write_mu_;  // the writer connection: one group transaction at a time per process
  std::unique_ptr<connection> writer_;

  sesami::store::detail::group_committer<request> committer_;  // detail/group_commit.hpp
};

// ---- opening and migrating
// -----------------------------------------------------------------------
result<int> migrate(connection& c, const std::string& where) {
  if (auto t =
          c.script("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
                   "description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
                   "cannot create schema_migrations");
      !t && t.error().message.find("23505") == std::string::npos)  // created concurrently
    return t.error();
  for (const auto& m : migrations) {
    auto done = in_transaction(c, [&](connection& cn) -> result<bool> {
      // One node migrates; the others wait here, then find the version applied.
      if (auto l = cn.exec("SELECT pg_advisory_xact_lock(7366353600)", "cannot lock migrations");
          !l)
        return l.error();
      // Each version is applied unless recorded: migrations written in parallel may land in the
      // list after a higher version a database already has.
      auto v = cn.exec(
          "SELECT coalesce(max(version), 0), count(*) FILTER (WHERE version = $1) "
          "FROM schema_migrations",
          params().integer(m.version), "cannot read schema version");
      if (!v) return v.error();
      const auto have = v->int64(0, 0);
      if (have > latest_version)
        return error{errc::schema_too_new,
                     "database " + where + " has schema version " + std::to_string(have) +
                         ", newer than this sesami understands (" + std::to_string(latest_version) +
                         "): upgrade sesami, or use a database made before the upgrade"};
      if (v->int64(0, 1) > 0) return false;
      if (auto s = cn.script(m.sql, "migration"); !s) {
        error e = s.error();
        e.message = "migration " + std::to_string(m.version) + " (" + std::string(m.description) +
                    ") failed: " + e.message;
        return e;
      }
      auto rec =
          cn.exec("INSERT INTO schema_migrations (version, description) VALUES ($1, $2)",
                  params().integer(m.version).text(m.description), "cannot record migration");
      if (!rec) return rec.error();
      return true;
    });
    if (!done) return done.error();
  }
  return latest_version;
}

}  // namespace pg

result<std::unique_ptr<store>> open_postgres(const pg_options& opt) {
  using namespace pg;
  auto c = connection::open(opt.url);
  if (!c) return c.error();
  auto version = migrate(**c, redact(opt.url));
  if (!version) return version.error();
  auto s = std::make_unique<pg_store>(opt, *version);
  // This month and the next ones exist before the first event needs them.
  std::set<month> ahead;
  month m = month_of(now_ms());
  for (int i = 0; i <= opt.months_ahead; ++i, m = next(m)) ahead.insert(m);
  if (auto p = s->ensure_partitions(**c, ahead); !p) return p.error();
  return std::unique_ptr<store>(std::move(s));
}

}  // namespace sesami::store
