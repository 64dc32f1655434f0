// The SQLite store: one writer connection behind a mutex with group commit, a pool of read
// connections (WAL lets them read while the writer writes). All of SQLite's dialect lives in this
// directory.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>
#include <unordered_map>
#include <variant>

#include <sesami/aggregate.hpp>

#include "../detail/group_commit.hpp"
#include "../detail/page_cursor.hpp"
#include "../detail/rollup_sums.hpp"
#include "../detail/rollup_time.hpp"
#include "../store.hpp"
#include "connection.hpp"
#include "migrations.hpp"
#include "webhooks.hpp"

namespace sesami::store {
namespace sqlite {
namespace {

using sesami::store::detail::day_of_hour;
using sesami::store::detail::day_split;
using sesami::store::detail::domain_delta;
using sesami::store::detail::hour_of;
using sesami::store::detail::link_delta;
using sesami::store::detail::ms_per_day;
using sesami::store::detail::ms_per_hour;
using sesami::store::detail::rollup_delta;
using sesami::store::detail::split_days;

// ---- identities: 32 hex chars stored as 16 bytes (halves the unique index) ---------------------
int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
std::string id_to_blob(std::string_view id) {
  if (id.size() != 32) return std::string(id);
  std::string out(16, '\0');
  for (std::size_t i = 0; i < 16; ++i) {
    const int hi = hex_value(id[2 * i]), lo = hex_value(id[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::string(id);
    out[i] = static_cast<char>(hi * 16 + lo);
  }
  return out;
}
std::string blob_to_id(std::string_view b) {
  if (b.size() != 16) return std::string(b);
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(32, '0');
  for (std::size_t i = 0; i < 16; ++i) {
    const auto v = static_cast<unsigned char>(b[i]);
    out[2 * i] = digits[v >> 4];
    out[2 * i + 1] = digits[v & 15];
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// ---- cursors: detail/page_cursor.hpp ------------------------------------------------------------
using sesami::store::detail::decode_cursor;
using sesami::store::detail::encode_cursor;

bool is_writable(const std::string& path) { return ::access(path.c_str(), W_OK) == 0; }
std::string directory_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

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

// Resets a statement when a read leaves scope, so a reader never holds a WAL snapshot open.
struct reset_on_exit {
  statement* s;
  ~reset_on_exit() { s->reset(); }
};

// The per-type counters' upserts, hourly and daily (migration 12): ?1 workspace, ?2 hour or day,
// ?3 type, ?4.. the deltas in rollup_delta's order.
constexpr char upsert_rollups[] =
    "INSERT INTO rollups (workspace, hour, type, count, machine, uniq, uniq_human, hard, soft, "
    "suppressed, undetermined, sim_count, sim_uniq_human, sim_hard) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
    "ON CONFLICT (workspace, hour, type) DO UPDATE SET "
    "count = count + excluded.count, machine = machine + excluded.machine, "
    "uniq = uniq + excluded.uniq, uniq_human = uniq_human + excluded.uniq_human, "
    "hard = hard + excluded.hard, soft = soft + excluded.soft, "
    "suppressed = suppressed + excluded.suppressed, "
    "undetermined = undetermined + excluded.undetermined, "
    "sim_count = sim_count + excluded.sim_count, "
    "sim_uniq_human = sim_uniq_human + excluded.sim_uniq_human, sim_hard = sim_hard + "
    "excluded.sim_hard";
constexpr char upsert_rollups_daily[] =
    "INSERT INTO rollups_daily (workspace, day, type, count, machine, uniq, uniq_human, hard, "
    "soft, "
    "suppressed, undetermined, sim_count, sim_uniq_human, sim_hard) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
    "ON CONFLICT (workspace, day, type) DO UPDATE SET "
    "count = count + excluded.count, machine = machine + excluded.machine, "
    "uniq = uniq + excluded.uniq, uniq_human = uniq_human + excluded.uniq_human, "
    "hard = hard + excluded.hard, soft = soft + excluded.soft, "
    "suppressed = suppressed + excluded.suppressed, "
    "undetermined = undetermined + excluded.undetermined, "
    "sim_count = sim_count + excluded.sim_count, "
    "sim_uniq_human = sim_uniq_human + excluded.sim_uniq_human, sim_hard = sim_hard + "
    "excluded.sim_hard";

}  // namespace

class sqlite_store final : public store {
 public:
  using store::ingest;
  sqlite_store(open_options opt, std::unique_ptr<connection> writer, int version)
      : opt_(std::move(opt)), writer_(std::move(writer)), version_(version) {}

  // ---- workspaces ------------------------------------------------------------------------------
  result<workspace> create_workspace(const workspace& w) override {
    std::lock_guard lock(write_mu_);
    auto st = writer_->prepare(
        "INSERT INTO workspaces (id, name, created_at, retention_days) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT DO NOTHING");
    if (!st) return st.error();
    auto& s = **st;
    s.bind(1, w.id);
    s.bind(2, w.name.empty() ? w.id : w.name);
    s.bind(3, w.created_at);
    s.bind(4, w.retention_days);
    if (auto r = run(*writer_, s, "cannot create workspace"); !r) return r.error();
    if (writer_->changes() == 0) return error{errc::bad_input, "workspace '" + w.id + "' exists"};
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
    auto r = reader();
    if (!r) return r.error();
    auto st =
        (*r)->prepare("SELECT id, name, created_at, retention_days FROM workspaces WHERE id = ?1");
    if (!st) return st.error();
    auto& s = **st;
    reset_on_exit guard{&s};
    s.bind(1, id);
    const int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<workspace>();
    if (rc != SQLITE_ROW) return (*r)->fail(rc, "cannot read workspace");
    workspace w{std::string(s.text(0)), std::string(s.text(1)), s.int64(2),
                static_cast<int>(s.int64(3))};
    return std::optional<workspace>(std::move(w));
  }

  result<std::vector<workspace>> list_workspaces() override {
    auto r = reader();
    if (!r) return r.error();
    auto st =
        (*r)->prepare("SELECT id, name, created_at, retention_days FROM workspaces ORDER BY id");
    if (!st) return st.error();
    auto& s = **st;
    reset_on_exit guard{&s};
    std::vector<workspace> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW)
      out.push_back({std::string(s.text(0)), std::string(s.text(1)), s.int64(2),
                     static_cast<int>(s.int64(3))});
    if (rc != SQLITE_DONE) return (*r)->fail(rc, "cannot list workspaces");
    return out;
  }

  status set_retention(std::string_view workspace, int days) override {
    if (days < 0)
      return error{errc::bad_input, "retention must be 0 (forever) or a number of days"};
    std::lock_guard lock(write_mu_);
    auto st = writer_->prepare("UPDATE workspaces SET retention_days = ?2 WHERE id = ?1");
    if (!st) return st.error();
    (*st)->bind(1, workspace);
    (*st)->bind(2, days);
    if (auto r = run(*writer_, **st, "cannot set retention"); !r) return r;
    if (writer_->changes() == 0)
      return error{errc::not_found, "no workspace '" + std::string(workspace) + "'"};
    return {};
  }

  // ---- writes: group commit --------------------------------------------------------------------
  // Concurrent requests share one transaction (detail/group_commit.hpp). A caller returns only
  // after the transaction holding its events committed, so acknowledging after ingest() returns
  // never acknowledges an event that could be lost.
  result<ingest_summary> ingest(std::string_view workspace, std::span<const ingest_item> items,
                                std::int64_t now, const ingest_options& o) override {
    request req{workspace, items, now, o.remember_sns_message_ids, o.durable};
    committer_.submit(
        req, [this](std::vector<request*>& group) { commit_group(group); },
        [this](std::vector<request*>& group, const std::exception_ptr& e) {
          // An exception (out of memory ...) inside the transaction: undo it, fail the group.
          std::lock_guard lock(write_mu_);
          (void)writer_->exec("ROLLBACK");
          const error err{errc::unavailable, sesami::store::detail::describe(e)};
          for (auto* r : group) r->outcome = err;
        });
    return std::move(req.outcome);
  }

  result<bool> remember_sns_message(std::string_view workspace, std::string_view id,
                                    std::int64_t now) override {
    std::lock_guard lock(write_mu_);
    auto st = writer_->prepare(
        "INSERT INTO sns_messages (workspace, sns_message_id, seen_at) VALUES (?1, ?2, ?3) "
        "ON CONFLICT DO NOTHING");
    if (!st) return st.error();
    (*st)->bind(1, workspace);
    (*st)->bind(2, id);
    (*st)->bind(3, now);
    if (auto r = run(*writer_, **st, "cannot record SNS message"); !r) return r.error();
    return writer_->changes() > 0;
  }

  result<bool> sns_message_seen(std::string_view workspace, std::string_view id) override {
    auto r = reader();
    if (!r) return r.error();
    auto st =
        (*r)->prepare("SELECT 1 FROM sns_messages WHERE workspace = ?1 AND sns_message_id = ?2");
    if (!st) return st.error();
    reset_on_exit guard{*st};
    (*st)->bind(1, workspace);
    (*st)->bind(2, id);
    const int rc = (*st)->step();
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return (*r)->fail(rc, "cannot read SNS messages");
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
        sql +=
            "FROM status_events s CROSS JOIN events e ON e.seq = s.seq WHERE s.workspace = " + ws +
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

  using store::message;
  using store::recipient;

  // Histories are read a page at a time (detail/page_cursor.hpp): each list with one row more
  // than the page holds, to know whether it goes on.
  result<recipient_history> recipient(std::string_view workspace, std::string_view address,
                                      const history_query& q) override {
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

  result<message_history> message(std::string_view workspace, std::string_view message_id,
                                  const history_query& q) override {
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

  result<std::vector<rollup_row>> rollups(std::string_view workspace, std::int64_t since,
                                          std::int64_t until) override {
    auto r = reader();
    if (!r) return r.error();
    auto st = (*r)->prepare(std::string("SELECT hour, ") + rollup_columns +
                            " FROM rollups WHERE workspace = ?1 AND hour >= ?2 AND hour < ?3 "
                            "ORDER BY hour, type");
    if (!st) return st.error();
    reset_on_exit guard{*st};
    auto& s = **st;
    s.bind(1, workspace);
    s.bind(2, hour_of(since));
    // An until inside an hour includes that hour: rollups are hourly, ranges round outwards.
    s.bind(3, hour_of(until - 1) + 1);
    return read_rollup_rows(**r, s);
  }

  result<std::vector<rollup_row>> rollups_by_day(std::string_view workspace, std::int64_t since,
                                                 std::int64_t until) override {
    // Whole days from rollups_daily (one row per day and type, at the day's first hour), the
    // partial edge days hour by hour: ~types x (days + 46) rows instead of types x hours.
    auto r = reader();
    if (!r) return r.error();
    auto st = (*r)->prepare(std::string("SELECT day * 24 AS hour, ") + rollup_columns +
                            " FROM rollups_daily WHERE workspace = ?1 AND day >= ?5 AND day < ?6 "
                            "UNION ALL SELECT hour, " +
                            rollup_columns +
                            " FROM rollups WHERE workspace = ?1 AND hour >= ?2 AND hour < ?3 "
                            "UNION ALL SELECT hour, " +
                            rollup_columns +
                            " FROM rollups WHERE workspace = ?1 AND hour >= ?7 AND hour < ?8 "
                            "ORDER BY 1, 2");
    if (!st) return st.error();
    reset_on_exit guard{*st};
    auto& s = **st;
    s.bind(1, workspace);
    bind_split(s, since, until);
    return read_rollup_rows(**r, s);
  }

  // The counters of rollups and rollups_daily, after the hour column, in read_rollup_rows' order.
  static constexpr const char* rollup_columns =
      "type, count, machine, uniq, uniq_human, hard, soft, suppressed, undetermined, sim_count, "
      "sim_uniq_human, sim_hard";

  static result<std::vector<rollup_row>> read_rollup_rows(connection& c, statement& s) {
    std::vector<rollup_row> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      rollup_row row;
      row.hour = s.int64(0) * ms_per_hour;
      const auto t = s.int64(1);
      row.type = t >= 0 && t < static_cast<std::int64_t>(event_type_count)
                     ? static_cast<event_type>(t)
                     : event_type::unknown;
      row.count = s.int64(2);
      row.machine = s.int64(3);
      row.unique = s.int64(4);
      row.unique_human = s.int64(5);
      row.hard = s.int64(6);
      row.soft = s.int64(7);
      row.suppressed = s.int64(8);
      row.undetermined = s.int64(9);
      row.sim_count = s.int64(10);
      row.sim_unique_human = s.int64(11);
      row.sim_hard = s.int64(12);
      out.push_back(row);
    }
    if (rc != SQLITE_DONE) return c.fail(rc, "cannot read rollups");
    return out;
  }

  // Binds ?2..?3, ?5..?8 of the two-level rollup reads: leading hours, whole days, trailing hours.
  static void bind_split(statement& s, std::int64_t since, std::int64_t until) {
    // An until inside an hour includes that hour: rollups are hourly, ranges round outwards.
    const day_split d = split_days(hour_of(since), hour_of(until - 1) + 1);
    s.bind(2, d.a0);
    s.bind(3, d.a1);
    s.bind(5, d.d0);
    s.bind(6, d.d1);
    s.bind(7, d.b0);
    s.bind(8, d.b1);
  }

  // The top lists and statuses sum a few rows per day of the range plus the edge days' hours
  // (primary key ranges), never raw events.
  result<std::vector<link_rollup>> top_links(std::string_view workspace, std::int64_t since,
                                             std::int64_t until, std::size_t n) override {
    auto r = reader();
    if (!r) return r.error();
    auto st = (*r)->prepare(
        "SELECT link, sum(c), sum(h), sum(u) FROM ("
        "SELECT link, clicks AS c, human AS h, uniq AS u FROM link_rollups_daily "
        "WHERE workspace = ?1 AND day >= ?5 AND day < ?6 UNION ALL "
        "SELECT link, clicks, human, uniq FROM link_rollups WHERE workspace = ?1 AND hour >= ?2 "
        "AND hour < ?3 UNION ALL "
        "SELECT link, clicks, human, uniq FROM link_rollups WHERE workspace = ?1 AND hour >= ?7 "
        "AND hour < ?8) "
        "GROUP BY link HAVING sum(c) > 0 ORDER BY 2 DESC, link LIMIT ?4");
    if (!st) return st.error();
    reset_on_exit guard{*st};
    auto& s = **st;
    s.bind(1, workspace);
    bind_split(s, since, until);
    s.bind(4, static_cast<std::int64_t>(std::min<std::size_t>(n, 1'000'000)));
    std::vector<link_rollup> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW)
      out.push_back({std::string(s.text(0)), s.int64(1), s.int64(2), s.int64(3)});
    if (rc != SQLITE_DONE) return (*r)->fail(rc, "cannot read link rollups");
    return out;
  }

  result<std::vector<domain_rollup>> top_bouncing_domains(std::string_view workspace,
                                                          std::int64_t since, std::int64_t until,
                                                          std::size_t n) override {
    auto r = reader();
    if (!r) return r.error();
    auto st = (*r)->prepare(
        "SELECT domain, sum(b), sum(h) FROM ("
        "SELECT domain, bounces AS b, hard AS h FROM domain_rollups_daily "
        "WHERE workspace = ?1 AND day >= ?5 AND day < ?6 UNION ALL "
        "SELECT domain, bounces, hard FROM domain_rollups WHERE workspace = ?1 AND hour >= ?2 AND "
        "hour < ?3 UNION ALL "
        "SELECT domain, bounces, hard FROM domain_rollups WHERE workspace = ?1 AND hour >= ?7 AND "
        "hour < ?8) "
        "GROUP BY domain HAVING sum(b) > 0 ORDER BY 2 DESC, domain LIMIT ?4");
    if (!st) return st.error();
    reset_on_exit guard{*st};
    auto& s = **st;
    s.bind(1, workspace);
    bind_split(s, since, until);
    s.bind(4, static_cast<std::int64_t>(std::min<std::size_t>(n, 1'000'000)));
    std::vector<domain_rollup> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW)
      out.push_back({std::string(s.text(0)), s.int64(1), s.int64(2)});
    if (rc != SQLITE_DONE) return (*r)->fail(rc, "cannot read domain rollups");
    return out;
  }

  result<std::vector<std::pair<delivery_status, std::int64_t>>> status_counts(
      std::string_view workspace, std::int64_t since, std::int64_t until) override {
    auto r = reader();
    if (!r) return r.error();
    auto st = (*r)->prepare(
        "SELECT status, sum(k) FROM ("
        "SELECT status, n AS k FROM status_rollups_daily "
        "WHERE workspace = ?1 AND day >= ?5 AND day < ?6 UNION ALL "
        "SELECT status, n FROM status_rollups WHERE workspace = ?1 AND hour >= ?2 AND hour < ?3 "
        "UNION ALL "
        "SELECT status, n FROM status_rollups WHERE workspace = ?1 AND hour >= ?7 AND hour < ?8) "
        "GROUP BY status HAVING sum(k) != 0 ORDER BY status");
    if (!st) return st.error();
    reset_on_exit guard{*st};
    auto& s = **st;
    s.bind(1, workspace);
    bind_split(s, since, until);
    std::vector<std::pair<delivery_status, std::int64_t>> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      const auto v = s.int64(0);
      if (v >= 0 && v < static_cast<std::int64_t>(delivery_status_count))
        out.emplace_back(static_cast<delivery_status>(v), s.int64(1));
    }
    if (rc != SQLITE_DONE) return (*r)->fail(rc, "cannot read status rollups");
    return out;
  }

  result<std::vector<std::pair<delivery_status, std::int64_t>>> status_counts(
      std::string_view workspace) override {
    auto r = reader();
    if (!r) return r.error();
    auto st = (*r)->prepare(
        "SELECT status, n FROM status_counts WHERE workspace = ?1 AND n != 0 ORDER BY status");
    if (!st) return st.error();
    reset_on_exit guard{*st};
    (*st)->bind(1, workspace);
    std::vector<std::pair<delivery_status, std::int64_t>> out;
    int rc;
    while ((rc = (*st)->step()) == SQLITE_ROW) {
      const auto v = (*st)->int64(0);
      if (v >= 0 && v < static_cast<std::int64_t>(delivery_status_count))
        out.emplace_back(static_cast<delivery_status>(v), (*st)->int64(1));
    }
    if (rc != SQLITE_DONE) return (*r)->fail(rc, "cannot read status counts");
    return out;
  }

  // ---- suppression list
  // --------------------------------------------------------------------------
  result<suppression_page> list_suppressions(std::string_view workspace,
                                             const suppression_query& q) override {
    const std::size_t limit = std::clamp<std::size_t>(q.limit, 1, 100000);
    std::string after;
    if (!q.cursor.empty()) {
      if (q.cursor.substr(0, 2) != "a.") return error{errc::bad_input, "invalid cursor"};
      after = q.cursor.substr(2);
    }
    auto r = reader();
    if (!r) return r.error();
    auto st = (*r)->prepare(
        "SELECT address, reason, source, event_id, created_at FROM suppressions "
        "WHERE workspace = ?1 AND address > ?2 AND (?3 = '' OR instr(address, ?3) > 0) "
        "ORDER BY address LIMIT ?4");
    if (!st) return st.error();
    reset_on_exit guard{*st};
    auto& s = **st;
    s.bind(1, workspace);
    s.bind(2, after);
    s.bind(3, lower(q.contains));
    s.bind(4, static_cast<std::int64_t>(limit + 1));
    suppression_page page;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) page.entries.push_back(read_suppression(s));
    if (rc != SQLITE_DONE) return (*r)->fail(rc, "cannot list suppressions");
    if (page.entries.size() > limit) {
      page.entries.resize(limit);
      page.next = "a." + page.entries.back().address;
    }
    return page;
  }

  result<std::optional<suppression_entry>> find_suppression(std::string_view workspace,
                                                            std::string_view address) override {
    auto r = reader();
    if (!r) return r.error();
    return find_suppression_with(**r, workspace, lower(address));
  }

  result<std::size_t> add_suppressions(std::string_view workspace,
                                       std::span<const suppression_entry> entries) override {
    std::lock_guard lock(write_mu_);
    if (auto b = writer_->exec("BEGIN IMMEDIATE"); !b) return b.error();
    std::size_t added = 0;
    for (const auto& e : entries) {
      auto n = insert_suppression(workspace, e);
      if (!n) {
        (void)writer_->exec("ROLLBACK");
        return n.error();
      }
      added += *n;
    }
    if (auto c = writer_->exec("COMMIT"); !c) {
      (void)writer_->exec("ROLLBACK");
      return c.error();
    }
    return added;
  }

  result<bool> remove_suppression(std::string_view workspace, std::string_view address) override {
    std::lock_guard lock(write_mu_);
    auto st = writer_->prepare("DELETE FROM suppressions WHERE workspace = ?1 AND address = ?2");
    if (!st) return st.error();
    (*st)->bind(1, workspace);
    (*st)->bind(2, lower(address));
    if (auto r = run(*writer_, **st, "cannot remove suppression"); !r) return r.error();
    return writer_->changes() > 0;
  }

  // ---- maintenance
  // -------------------------------------------------------------------------------
  result<std::size_t> apply_retention(std::string_view workspace, std::int64_t now,
                                      std::size_t batch) override {
    auto ws = find_workspace(workspace);
    if (!ws) return ws.error();
    if (!*ws) return error{errc::not_found, "no workspace '" + std::string(workspace) + "'"};
    if ((*ws)->retention_days <= 0) return std::size_t{0};
    const std::int64_t cutoff = now - (*ws)->retention_days * ms_per_day;
    if (auto t = expire_tags(workspace, cutoff, std::max<std::size_t>(batch, 1)); !t)
      return t.error();
    if (auto t = expire_status_events(workspace, cutoff, std::max<std::size_t>(batch, 1)); !t)
      return t.error();
    std::size_t total = 0;
    for (;;) {
      // One short transaction per batch: the writer mutex is released in between, so group
      // commits interleave with a long purge instead of waiting for it.
      std::lock_guard lock(write_mu_);
      if (auto b = writer_->exec("BEGIN IMMEDIATE"); !b) return b.error();
      auto st = writer_->prepare_static(
          "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE workspace = ?1 AND "
          "ts < ?2 LIMIT ?3)");
      if (!st) {
        (void)writer_->exec("ROLLBACK");
        return st.error();
      }
      (*st)->bind(1, workspace);
      (*st)->bind(2, cutoff);
      (*st)->bind(3, static_cast<std::int64_t>(std::max<std::size_t>(batch, 1)));
      if (auto r = run(*writer_, **st, "cannot delete old events"); !r) {
        (void)writer_->exec("ROLLBACK");
        return r.error();
      }
      const auto n = static_cast<std::size_t>(writer_->changes());
      if (auto c = writer_->exec("COMMIT"); !c) {
        (void)writer_->exec("ROLLBACK");
        return c.error();
      }
      total += n;
      if (n == 0) break;
    }
    std::lock_guard lock(write_mu_);
    auto st = writer_->prepare("DELETE FROM sns_messages WHERE workspace = ?1 AND seen_at < ?2");
    if (!st) return st.error();
    (*st)->bind(1, workspace);
    (*st)->bind(2, cutoff);
    if (auto r = run(*writer_, **st, "cannot delete old SNS message ids"); !r) return r.error();
    return total;
  }

  int schema_version() const override { return version_; }

  // status_events rows of events older than the cutoff, along their key (workspace, status, ts)
  // in batches like the tag rows; the pairs' lists drop such entries when they next move.
  status expire_status_events(std::string_view workspace, std::int64_t cutoff, std::size_t batch) {
    for (int st = 0; st < static_cast<int>(delivery_status_count); ++st) {
      auto r = delete_in_batches(
          "DELETE FROM status_events WHERE workspace = ?1 AND status = ?2 AND ts < ?3 AND ts <= "
          "coalesce((SELECT ts FROM status_events WHERE workspace = ?1 AND status = ?2 AND "
          "ts < ?3 ORDER BY ts LIMIT 1 OFFSET ?4), ?3)",
          batch, "cannot delete old status rows", [&](statement& del) {
            del.bind(1, workspace);
            del.bind(2, st);
            del.bind(3, cutoff);
            del.bind(4, static_cast<std::int64_t>(batch - 1));
          });
      if (!r) return r;
    }
    std::lock_guard lock(write_mu_);
    auto st =
        writer_->prepare_static("DELETE FROM status_orphans WHERE workspace = ?1 AND ts < ?2");
    if (!st) return st.error();
    (*st)->bind(1, workspace);
    (*st)->bind(2, cutoff);
    return run(*writer_, **st, "cannot delete old status orphans");
  }

  // The tag rows of events older than the cutoff (the same ts as their event), deleted along
  // their own key (workspace, name, value, ts): one short range per tag value, in transactions of
  // about `batch` rows, so writers interleave. Runs before the events go, so a tag row never
  // outlives its event for long; a tag listing joins events and skips any that are gone.
  status expire_tags(std::string_view workspace, std::int64_t cutoff, std::size_t batch) {
    std::string name, value;
    for (bool first = true;; first = false) {
      {  // the next (name, value): a seek on the primary key, not a scan
        std::lock_guard lock(write_mu_);
        auto nx = first ? writer_->prepare_static(
                              "SELECT name, value FROM event_tags WHERE workspace = ?1 "
                              "ORDER BY name, value LIMIT 1")
                        : writer_->prepare_static(
                              "SELECT name, value FROM event_tags WHERE workspace = ?1 AND "
                              "(name, value) > (?2, ?3) ORDER BY name, value LIMIT 1");
        if (!nx) return nx.error();
        reset_on_exit guard{*nx};
        (*nx)->bind(1, workspace);
        if (!first) {
          (*nx)->bind(2, name);
          (*nx)->bind(3, value);
        }
        const int rc = (*nx)->step();
        if (rc == SQLITE_DONE) return {};
        if (rc != SQLITE_ROW) return writer_->fail(rc, "cannot read event tags");
        name = (*nx)->text(0);
        value = (*nx)->text(1);
      }
      auto r = delete_in_batches(
          "DELETE FROM event_tags WHERE workspace = ?1 AND name = ?2 AND value = ?3 AND ts < ?4 "
          "AND ts <= coalesce((SELECT ts FROM event_tags WHERE workspace = ?1 AND name = ?2 AND "
          "value = ?3 AND ts < ?4 ORDER BY ts LIMIT 1 OFFSET ?5), ?4)",
          batch, "cannot delete old event tags", [&](statement& del) {
            del.bind(1, workspace);
            del.bind(2, name);
            del.bind(3, value);
            del.bind(4, cutoff);
            del.bind(5, static_cast<std::int64_t>(batch - 1));
          });
      if (!r) return r;
    }
  }

  // Runs `sql` (a DELETE bounded to about `batch` rows, the statements above: up to the batch's
  // last ts, ties included, without DELETE ... LIMIT) until it deletes fewer than `batch`, each
  // run its own autocommit transaction with the writer released in between, so group commits
  // interleave with a long purge.
  template <class Bind>
  status delete_in_batches(const char* sql, std::size_t batch, const char* what, Bind&& bind) {
    for (;;) {
      std::lock_guard lock(write_mu_);
      auto del = writer_->prepare_static(sql);
      if (!del) return del.error();
      bind(**del);
      if (auto r = run(*writer_, **del, what); !r) return r;
      if (static_cast<std::size_t>(writer_->changes()) < batch) return {};
    }
  }

 private:
  struct request {
    std::string_view workspace;
    std::span<const ingest_item> items;
    std::int64_t now;
    bool remember_sns = true;
    bool durable = true;
    result<ingest_summary> outcome = ingest_summary{};
  };

  static std::int64_t now_ms() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
  }

  // A read connection from the pool, returned to it when the handle goes out of scope.
  struct reader_deleter {
    sqlite_store* owner;
    void operator()(connection* c) const { owner->release(c); }
  };
  using reader_handle = std::unique_ptr<connection, reader_deleter>;

  result<reader_handle> reader() {
    {
      std::lock_guard lock(pool_mu_);
      if (!pool_.empty()) {
        connection* c = pool_.back().release();
        pool_.pop_back();
        return reader_handle(c, reader_deleter{this});
      }
    }
    auto c = connection::open(opt_.path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                              opt_.busy_timeout_ms);
    if (!c) return c.error();
    (void)(*c)->exec("PRAGMA mmap_size = 268435456");
    return reader_handle(c->release(), reader_deleter{this});
  }
  void release(connection* c) {
    std::lock_guard lock(pool_mu_);
    if (pool_.size() < std::max<std::size_t>(opt_.readers, 1))
      pool_.emplace_back(c);
    else
      delete c;
  }

  static suppression_entry read_suppression(const statement& s) {
    suppression_entry e;
    e.address = s.text(0);
    e.reason = s.text(1);
    e.source = parse_suppression_source(s.text(2)).value_or(suppression_source::manual);
    e.event_id = s.text(3);
    e.created_at = s.int64(4);
    return e;
  }

  result<std::optional<suppression_entry>> find_suppression_with(connection& c,
                                                                 std::string_view workspace,
                                                                 const std::string& address) {
    auto st = c.prepare(
        "SELECT address, reason, source, event_id, created_at FROM suppressions "
        "WHERE workspace = ?1 AND address = ?2");
    if (!st) return st.error();
    reset_on_exit guard{*st};
    (*st)->bind(1, workspace);
    (*st)->bind(2, address);
    const int rc = (*st)->step();
    if (rc == SQLITE_DONE) return std::optional<suppression_entry>();
    if (rc != SQLITE_ROW) return c.fail(rc, "cannot read suppression");
    return std::optional<suppression_entry>(read_suppression(**st));
  }

  // Writer-side helpers; the caller holds write_mu_ and an open transaction.
  result<std::size_t> insert_suppression(std::string_view workspace, const suppression_entry& e) {
    auto st = writer_->prepare_static(
        "INSERT INTO suppressions (workspace, address, reason, source, event_id, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING");
    if (!st) return st.error();
    auto& s = **st;
    s.bind(1, workspace);
    s.bind(2, lower(e.address));
    s.bind(3, e.reason);
    s.bind(4, to_string(e.source));
    s.bind(5, e.event_id);
    s.bind(6, e.created_at);
    if (auto r = run(*writer_, s, "cannot add suppression"); !r) return r.error();
    return static_cast<std::size_t>(writer_->changes());
  }

  using rollup_key = std::tuple<std::string, std::int64_t, int>;  // workspace, hour, type
  using status_key = std::pair<std::string, int>;                 // workspace, status

  // A (message, recipient)'s row as the transaction sees it: read from the database once, updated
  // in memory by every event of the transaction, written back once at commit.
  struct pair_state {
    bool loaded = false;  // read from the database (or found absent) in this transaction
    bool dirty = false;   // changed since it was read: written back at commit
    int original = -1;    // status in the database before this transaction; -1: no row yet
    std::int64_t original_first_seen = 0;  // likewise, for status_rollups' hour
    sesami::pair_state state;  // status, first / last seen, first opens and clicks (rollup.hpp)
    int status() const noexcept { return state.status ? static_cast<int>(*state.status) : -1; }
    std::string events;  // the row's event list as read: "ts.seq,ts.seq,..." (status_events keys)
    std::vector<std::pair<std::int64_t, std::int64_t>> added;  // (ts, seq) stored by this txn
  };
  struct pair_key {
    std::string workspace, message_id, recipient;
    bool operator==(const pair_key&) const = default;
    auto operator<=>(const pair_key&) const = default;  // primary key order
  };
  struct pair_hash {
    std::size_t operator()(const pair_key& k) const noexcept {
      const std::hash<std::string> h;
      return h(k.message_id) * 31 + h(k.recipient) * 7 + h(k.workspace);
    }
  };

  using name_key = std::tuple<std::string, std::int64_t, std::string>;  // workspace, hour, name
  // A (message, recipient, link)'s earliest click as the transaction sees it (pair_links row).
  struct link_state {
    bool loaded = false, dirty = false;
    std::optional<std::int64_t> first;
  };
  using pair_link_key = std::tuple<std::string, std::string, std::string, std::string>;
  struct pair_link_hash {
    std::size_t operator()(const pair_link_key& k) const noexcept {
      const std::hash<std::string> h;
      return ((h(std::get<1>(k)) * 31 + h(std::get<2>(k))) * 31 + h(std::get<3>(k))) * 7 +
             h(std::get<0>(k));
    }
  };
  struct txn_state : detail::rollup_sums {  // the deltas, summed
    std::unordered_map<pair_link_key, link_state, pair_link_hash> pair_links;
    std::unordered_map<pair_key, pair_state, pair_hash> pairs;
    std::map<std::string, int, std::less<>> retention;  // workspace → days, read once per group
    std::map<std::string, std::int64_t, std::less<>> cutoffs;  // workspace → retention cutoff
  };

  void commit_group(std::vector<request*>& group) {
    std::lock_guard lock(write_mu_);
    txn_state txn;
    auto fail_all = [&](const error& e) {
      (void)writer_->exec("ROLLBACK");
      for (auto* r : group) r->outcome = e;
    };
    // One durable request makes the whole group's commit durable (the webhook's acknowledgement
    // may share a transaction with an import's batch).
    const bool durable =
        std::any_of(group.begin(), group.end(), [](const request* r) { return r->durable; });
    if (auto d = set_durability(durable); !d) {
      for (auto* r : group) r->outcome = d.error();
      return;
    }
    if (auto b = writer_->exec("BEGIN IMMEDIATE"); !b) {
      for (auto* r : group) r->outcome = b.error();
      return;
    }
    for (auto* r : group) {
      // An unknown workspace is found before anything of that request is written: it fails that
      // request alone, not the neighbours sharing the transaction.
      auto days = retention_days(txn, r->workspace);
      if (!days && days.error().code == errc::not_found) {
        r->outcome = days.error();
        continue;
      }
      auto s = ingest_one(txn, *r);
      if (!s) return fail_all(s.error());
      r->outcome = *s;
    }
    if (auto f = flush_state(txn); !f) return fail_all(f.error());
    if (auto c = writer_->exec("COMMIT"); !c) return fail_all(c.error());
    if (durable && deferred_) {
      // The commit above (synchronous = FULL) synced the WAL, which holds every frame not yet
      // checkpointed; a checkpoint syncs the WAL before copying and the database after, so it also
      // covers a commit that wrote nothing (an empty final ingest).
      if (auto c = writer_->exec("PRAGMA wal_checkpoint(PASSIVE)"); !c) {
        for (auto* r : group) r->outcome = c.error();
        return;
      }
      deferred_ = false;
    }
  }

  // Bulk batches (ingest_options::durable false) commit with synchronous = NORMAL; durable ones
  // with FULL, as the store opens.
  status set_durability(bool durable) {
    if (durable == !deferred_) return {};
    if (!durable) deferred_ = true;
    return writer_->exec(durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  }

  result<int> retention_days(txn_state& txn, std::string_view workspace) {
    if (auto it = txn.retention.find(workspace); it != txn.retention.end()) return it->second;
    auto st = writer_->prepare_static("SELECT retention_days FROM workspaces WHERE id = ?1");
    if (!st) return st.error();
    reset_on_exit guard{*st};
    (*st)->bind(1, workspace);
    const int rc = (*st)->step();
    if (rc == SQLITE_DONE)
      return error{errc::not_found, "no workspace '" + std::string(workspace) + "'"};
    if (rc != SQLITE_ROW) return writer_->fail(rc, "cannot read workspace");
    const int days = static_cast<int>((*st)->int64(0));
    txn.retention.emplace(std::string(workspace), days);
    return days;
  }

  result<ingest_summary> ingest_one(txn_state& txn, request& req) {
    ingest_summary sum;
    sum.received = req.items.size();
    auto days = retention_days(txn, req.workspace);
    if (!days) return days.error();
    const std::int64_t cutoff = *days > 0 ? req.now - *days * ms_per_day : INT64_MIN;
    const std::string ws(req.workspace);
    txn.cutoffs[ws] = cutoff;

    auto ins = writer_->prepare_static(
        "INSERT INTO events (workspace, id, ts, type, message_id, recipient, machine, config_set, "
        "doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING");
    if (!ins) return ins.error();
    // Newly stored events that change a pair's row or a pair-link's first click; applied after
    // every row of the request is in, so that the rows they need are read in one sorted pass.
    struct later {
      const sesami::event* ev;
      std::string recipient;
      std::optional<delivery_status> status;  // none: subscription / unknown
      std::int64_t seq;                       // events.seq, for status_events
    };
    std::vector<later> pending;
    pending.reserve(req.items.size());
    std::vector<webhook_event_ref> hooks;  // the outbox: deliveries of the new events
    std::string recipient, blob;
    for (const auto& item : req.items) {
      const sesami::event& ev = *item.ev;
      if (ev.timestamp < cutoff) {
        ++sum.expired;
        continue;
      }
      recipient = ev.recipient ? lower(*ev.recipient) : std::string();
      blob = id_to_blob(item.id);
      auto& s = **ins;
      s.bind(1, ws);
      s.bind_blob_static(2, blob);
      s.bind(3, ev.timestamp);
      s.bind(4, static_cast<int>(ev.type));
      s.bind_static(5, ev.message_id);
      s.bind_static(6, recipient);
      s.bind(7, ev.machine() ? 1 : 0);
      s.bind_static(8, ev.configuration_set);
      s.bind_static(9, item.doc);
      if (auto r = run(*writer_, s, "cannot store event"); !r) return r.error();
      if (writer_->changes() == 0) {
        ++sum.duplicates;
        continue;
      }
      ++sum.stored;
      hooks.push_back({item.id, ev.type});
      const std::int64_t seq = sqlite3_last_insert_rowid(writer_->get());
      if (auto t = index_tags(ws, seq, ev); !t) return t.error();

      // A recipient-less event (an open of a multi-recipient message) belongs to the pair
      // (message, ''), as in the core's aggregation: its opens and clicks count as unique once
      // per message, and the pair has a status like any other. Events without a status
      // (subscription) still join their pair's status_events rows.
      pending.push_back({&ev, recipient, status_of(ev.type), seq});

      if (!recipient.empty()) {
        if (!item.suppress.empty()) {
          suppression_entry e{recipient, item.suppress, suppression_source::event, item.id,
                              req.now};
          auto n = insert_suppression(ws, e);
          if (!n) return n.error();
          sum.suppressed += *n;
        }
      }
      if (req.remember_sns && !ev.source.sns_message_id.empty()) {
        auto st = writer_->prepare_static(
            "INSERT INTO sns_messages (workspace, sns_message_id, seen_at) VALUES (?1, ?2, ?3) "
            "ON CONFLICT DO NOTHING");
        if (!st) return st.error();
        (*st)->bind(1, ws);
        (*st)->bind(2, ev.source.sns_message_id);
        (*st)->bind(3, req.now);
        if (auto r = run(*writer_, **st, "cannot record SNS message"); !r) return r.error();
      }
    }
    if (auto w = enqueue_webhook_deliveries(*writer_, ws, hooks, req.now); !w) return w.error();
    if (pending.empty()) return sum;

    // Read the rows this request needs that the transaction has not seen yet, in key order: one
    // walk along each primary key instead of a random lookup per event.
    std::vector<pair_key> need;
    std::vector<pair_link_key> need_links;
    for (const auto& l : pending) {
      pair_key k{ws, l.ev->message_id, l.recipient};
      if (!txn.pairs.contains(k)) need.push_back(std::move(k));
      if (auto* c = l.ev->get<click_info>(); c && !c->link.empty()) {
        pair_link_key lk{ws, l.ev->message_id, l.recipient, c->link};
        if (!txn.pair_links.contains(lk)) need_links.push_back(std::move(lk));
      }
    }
    if (auto r = load_pairs(txn, need); !r) return r.error();
    if (auto r = load_pair_links(txn, need_links); !r) return r.error();
    // The core computes each event's effect on its pair and on the rollups (rollup.hpp); the
    // transaction sums the deltas and persists them at commit.
    sesami::rollup_deltas deltas;
    for (const auto& l : pending) {
      pair_state& p = txn.pairs[pair_key{ws, l.ev->message_id, l.recipient}];
      link_state* link = nullptr;
      if (auto* c = l.ev->get<click_info>(); c && !c->link.empty())
        link = &txn.pair_links[pair_link_key{ws, l.ev->message_id, l.recipient, c->link}];
      const std::optional<std::int64_t> first_click = link ? link->first : std::nullopt;
      deltas.clear();
      sesami::roll_up(*l.ev, l.recipient, p.state, link ? &link->first : nullptr, deltas);
      if (link && link->first != first_click) link->dirty = true;
      if (l.status) p.dirty = true;
      txn.add(ws, deltas);
      p.added.emplace_back(l.ev->timestamp, l.seq);
    }
    return sum;
  }

  status load_pairs(txn_state& txn, std::vector<pair_key>& keys) {
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    auto sel = writer_->prepare_static(
        "SELECT status, first_seen, last_seen, first_open, first_human_open, first_click, "
        "first_human_click, events FROM recipient_status WHERE workspace = ?1 AND "
        "message_id = ?2 AND recipient = ?3");
    if (!sel) return sel.error();
    auto& s = **sel;
    for (auto& k : keys) {
      reset_on_exit guard{&s};
      s.bind_static(1, k.workspace);
      s.bind_static(2, k.message_id);
      s.bind_static(3, k.recipient);
      const int rc = s.step();
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) return writer_->fail(rc, "cannot read status");
      pair_state p;
      p.loaded = true;
      if (rc == SQLITE_ROW) {
        p.original = static_cast<int>(s.int64(0));
        p.state.status = static_cast<delivery_status>(p.original);
        p.state.first_seen = p.original_first_seen = s.int64(1);
        p.state.last_seen = s.int64(2);
        for (int i = 0; i < 4; ++i)
          if (!s.is_null(3 + i)) p.state.firsts[static_cast<std::size_t>(i)] = s.int64(3 + i);
        p.events = s.text(7);
      }
      txn.pairs.emplace(std::move(k), p);
    }
    return {};
  }

  status load_pair_links(txn_state& txn, std::vector<pair_link_key>& keys) {
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    auto sel = writer_->prepare_static(
        "SELECT first_click FROM pair_links WHERE workspace = ?1 AND message_id = ?2 AND "
        "recipient = ?3 AND link = ?4");
    if (!sel) return sel.error();
    auto& s = **sel;
    for (auto& k : keys) {
      reset_on_exit guard{&s};
      s.bind_static(1, std::get<0>(k));
      s.bind_static(2, std::get<1>(k));
      s.bind_static(3, std::get<2>(k));
      s.bind_static(4, std::get<3>(k));
      const int rc = s.step();
      if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return writer_->fail(rc, "cannot read link clicks");
      link_state l;
      l.loaded = true;
      if (rc == SQLITE_ROW) l.first = s.int64(0);
      txn.pair_links.emplace(std::move(k), l);
    }
    return {};
  }

  // User tags (not SES's automatic ses:* ones) of a newly stored event, for tag filters.
  status index_tags(const std::string& ws, std::int64_t seq, const sesami::event& ev) {
    for (const auto& [name, values] : ev.tags) {
      if (name.rfind("ses:", 0) == 0) continue;
      for (const auto& v : values) {
        auto st = writer_->prepare_static(
            "INSERT INTO event_tags (workspace, name, value, ts, seq) VALUES (?1, ?2, ?3, ?4, ?5) "
            "ON CONFLICT DO NOTHING");
        if (!st) return st.error();
        auto& s = **st;
        s.bind(1, ws);
        s.bind(2, name);
        s.bind(3, v);
        s.bind(4, ev.timestamp);
        s.bind(5, seq);
        if (auto r = run(*writer_, s, "cannot index tags"); !r) return r;
      }
    }
    return {};
  }

  // ---- status_events (migration 11) ----------------------------------------------------------
  struct status_event_key {
    const std::string* workspace;
    int status;
    std::int64_t ts, seq;
    auto tie() const { return std::tie(*workspace, status, ts, seq); }
  };
  struct orphan_row {
    const pair_key* key;
    std::int64_t ts, seq;
  };

  // recipient_status.events: "ts.seq" entries joined by ','.
  static void append_listed(std::string& list, std::int64_t ts, std::int64_t seq) {
    char buf[48];
    const int n = std::snprintf(buf, sizeof buf, "%s%lld.%lld", list.empty() ? "" : ",",
                                static_cast<long long>(ts), static_cast<long long>(seq));
    list.append(buf, static_cast<std::size_t>(n));
  }
  template <class F>
  static void for_each_listed(std::string_view list, F&& f) {
    while (!list.empty()) {
      const auto comma = list.find(',');
      const std::string_view item = list.substr(0, comma);
      list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
      const auto dot = item.find('.');
      if (dot == std::string_view::npos) continue;
      std::int64_t ts = 0, seq = 0;
      const auto* b = item.data();
      if (std::from_chars(b, b + dot, ts).ec != std::errc{} ||
          std::from_chars(b + dot + 1, b + item.size(), seq).ec != std::errc{})
        continue;
      f(ts, seq);
    }
  }

  // Moves the events a new pair's first status finds waiting in status_orphans into its list.
  status adopt_orphans(const pair_key& key, std::string& list,
                       std::vector<status_event_key>& se_ins, int st) {
    if (orphans_present_ < 0) {  // read once per store: normally the table stays empty
      auto any = writer_->prepare_static("SELECT EXISTS (SELECT 1 FROM status_orphans)");
      if (!any) return any.error();
      reset_on_exit guard{*any};
      if ((*any)->step() != SQLITE_ROW) return writer_->fail(SQLITE_ERROR, "cannot read orphans");
      orphans_present_ = (*any)->int64(0) != 0 ? 1 : 0;
    }
    if (orphans_present_ == 0) return {};
    auto sel = writer_->prepare_static(
        "DELETE FROM status_orphans WHERE workspace = ?1 AND message_id = ?2 AND recipient = ?3 "
        "RETURNING ts, seq");
    if (!sel) return sel.error();
    auto& s = **sel;
    reset_on_exit guard{&s};
    s.bind_static(1, key.workspace);
    s.bind_static(2, key.message_id);
    s.bind_static(3, key.recipient);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      se_ins.push_back({&key.workspace, st, s.int64(0), s.int64(1)});
      append_listed(list, s.int64(0), s.int64(1));
    }
    if (rc != SQLITE_DONE) return writer_->fail(rc, "cannot adopt status orphans");
    return {};
  }

  status write_status_events(std::vector<status_event_key>& del, std::vector<status_event_key>& ins,
                             std::vector<orphan_row>& orphans) {
    const auto by_key = [](const status_event_key& a, const status_event_key& b) {
      return a.tie() < b.tie();
    };
    std::sort(del.begin(), del.end(), by_key);  // key order: neighbouring rows share pages
    std::sort(ins.begin(), ins.end(), by_key);
    auto d = writer_->prepare_static(
        "DELETE FROM status_events WHERE workspace = ?1 AND status = ?2 AND ts = ?3 AND seq = ?4");
    if (!d) return d.error();
    auto i = writer_->prepare_static(
        "INSERT INTO status_events (workspace, status, ts, seq) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT DO NOTHING");
    if (!i) return i.error();
    for (auto [list, st] : {std::pair{&del, *d}, std::pair{&ins, *i}}) {
      for (const auto& k : *list) {
        st->bind_static(1, *k.workspace);
        st->bind(2, k.status);
        st->bind(3, k.ts);
        st->bind(4, k.seq);
        if (auto r = run(*writer_, *st, "cannot update status index"); !r) return r;
      }
    }
    if (orphans.empty()) return {};
    auto o = writer_->prepare_static(
        "INSERT INTO status_orphans (workspace, message_id, recipient, ts, seq) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING");
    if (!o) return o.error();
    for (const auto& r : orphans) {
      auto& s = **o;
      s.bind_static(1, r.key->workspace);
      s.bind_static(2, r.key->message_id);
      s.bind_static(3, r.key->recipient);
      s.bind(4, r.ts);
      s.bind(5, r.seq);
      if (auto x = run(*writer_, s, "cannot record status orphan"); !x) return x;
    }
    orphans_present_ = 1;
    return {};
  }

  // Writes back what the transaction changed: pair rows, status counts, rollup counters.
  status flush_state(txn_state& txn) {
    auto up = writer_->prepare_static(
        "INSERT INTO recipient_status (workspace, message_id, recipient, status, first_seen, "
        "last_seen, first_open, first_human_open, first_click, first_human_click, events) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
        "ON CONFLICT (workspace, message_id, recipient) DO UPDATE SET status = excluded.status, "
        "first_seen = excluded.first_seen, last_seen = excluded.last_seen, "
        "first_open = excluded.first_open, first_human_open = excluded.first_human_open, "
        "first_click = excluded.first_click, first_human_click = excluded.first_human_click, "
        "events = excluded.events");
    if (!up) return up.error();
    // A row load_pairs found is updated in place: one descent instead of the upsert's two.
    auto upd = writer_->prepare_static(
        "UPDATE recipient_status SET status = ?4, first_seen = ?5, last_seen = ?6, "
        "first_open = ?7, first_human_open = ?8, first_click = ?9, first_human_click = ?10, "
        "events = ?11 WHERE workspace = ?1 AND message_id = ?2 AND recipient = ?3");
    if (!upd) return upd.error();
    // status_events rows to move (old status) and to add, applied in key order after the pairs.
    std::vector<status_event_key> se_del, se_ins;
    std::vector<orphan_row> orphans;
    std::string list;
    // Written in primary key order: neighbouring rows share B-tree pages.
    std::vector<const std::pair<const pair_key, pair_state>*> order;
    order.reserve(txn.pairs.size());
    for (const auto& e : txn.pairs)
      if (e.second.dirty || !e.second.added.empty()) order.push_back(&e);
    std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->first < b->first; });
    for (const auto* e : order) {
      const pair_key& key = e->first;
      const pair_state& p = e->second;
      if (p.status() < 0) {  // only status-less events so far: no status row, wait as orphans
        for (const auto& [ts, seq] : p.added) orphans.push_back({&key, ts, seq});
        continue;
      }
      // The pair's events and their status_events rows: kept in place while the status stays;
      // moved (dropping entries retention has deleted) when it changed; new ones added.
      const auto cut = txn.cutoffs.find(key.workspace);
      const std::int64_t cutoff = cut == txn.cutoffs.end() ? INT64_MIN : cut->second;
      if (p.original >= 0 && p.status() != p.original) {
        list.clear();
        for_each_listed(p.events, [&](std::int64_t ts, std::int64_t seq) {
          if (ts < cutoff) return;
          se_del.push_back({&key.workspace, p.original, ts, seq});
          se_ins.push_back({&key.workspace, p.status(), ts, seq});
          append_listed(list, ts, seq);
        });
      } else {
        list = p.events;
      }
      if (p.original < 0) {  // a new pair: adopt events that arrived before its first status
        if (auto a = adopt_orphans(key, list, se_ins, p.status()); !a) return a;
      }
      for (const auto& [ts, seq] : p.added) {
        se_ins.push_back({&key.workspace, p.status(), ts, seq});
        append_listed(list, ts, seq);
      }
      auto& u = p.original >= 0 ? **upd : **up;
      u.bind_static(1, key.workspace);
      u.bind_static(2, key.message_id);
      u.bind_static(3, key.recipient);
      u.bind(4, p.status());
      u.bind(5, p.state.first_seen);
      u.bind(6, p.state.last_seen);
      for (int i = 0; i < 4; ++i) {
        if (const auto& f = p.state.firsts[static_cast<std::size_t>(i)])
          u.bind(7 + i, *f);
        else
          u.bind_null(7 + i);
      }
      u.bind_static(11, list);
      if (auto r = run(*writer_, u, "cannot update status"); !r) return r;
    }
    if (auto r = write_status_events(se_del, se_ins, orphans); !r) return r;
    auto pl = writer_->prepare_static(
        "INSERT INTO pair_links (workspace, message_id, recipient, link, first_click) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (workspace, message_id, recipient, link) "
        "DO UPDATE SET first_click = excluded.first_click");
    if (!pl) return pl.error();
    std::vector<const std::pair<const pair_link_key, link_state>*> links;
    for (const auto& e : txn.pair_links)
      if (e.second.dirty) links.push_back(&e);
    std::sort(links.begin(), links.end(), [](auto* a, auto* b) { return a->first < b->first; });
    for (const auto* e : links) {
      auto& u = **pl;
      u.bind_static(1, std::get<0>(e->first));
      u.bind_static(2, std::get<1>(e->first));
      u.bind_static(3, std::get<2>(e->first));
      u.bind_static(4, std::get<3>(e->first));
      u.bind(5, *e->second.first);
      if (auto r = run(*writer_, u, "cannot record link click"); !r) return r;
    }

    // The hourly counters, then the same deltas summed by day (migration 12), like the link,
    // domain and status levels below.
    std::map<rollup_key, rollup_delta> rollup_days;
    for (const auto& [key, d] : txn.rollups)
      rollup_days[{std::get<0>(key), day_of_hour(std::get<1>(key)), std::get<2>(key)}] += d;
    for (const auto& [sql, rows] :
         {std::pair{upsert_rollups, &txn.rollups}, std::pair{upsert_rollups_daily, &rollup_days}}) {
      auto st = writer_->prepare_static(sql);
      if (!st) return st.error();
      for (const auto& [key, d] : *rows) {
        auto& s = **st;
        s.bind(1, std::get<0>(key));
        s.bind(2, std::get<1>(key));
        s.bind(3, std::get<2>(key));
        s.bind(4, d.count);
        s.bind(5, d.machine);
        s.bind(6, d.uniq);
        s.bind(7, d.uniq_human);
        s.bind(8, d.hard);
        s.bind(9, d.soft);
        s.bind(10, d.suppressed);
        s.bind(11, d.undetermined);
        s.bind(12, d.sim_count);
        s.bind(13, d.sim_uniq_human);
        s.bind(14, d.sim_hard);
        if (auto r = run(*writer_, s, "cannot update rollups"); !r) return r;
      }
    }
    auto lk = writer_->prepare_static(
        "INSERT INTO link_rollups (workspace, hour, link, clicks, human, uniq) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (workspace, hour, link) DO UPDATE SET "
        "clicks = clicks + excluded.clicks, human = human + excluded.human, "
        "uniq = uniq + excluded.uniq");
    if (!lk) return lk.error();
    for (const auto& [key, d] : txn.links) {
      auto& s = **lk;
      s.bind(1, std::get<0>(key));
      s.bind(2, std::get<1>(key));
      s.bind(3, std::get<2>(key));
      s.bind(4, d.clicks);
      s.bind(5, d.human);
      s.bind(6, d.uniq);
      if (auto r = run(*writer_, s, "cannot update link rollups"); !r) return r;
    }
    std::map<name_key, link_delta> link_days;
    for (const auto& [key, d] : txn.links) {
      auto& day = link_days[{std::get<0>(key), day_of_hour(std::get<1>(key)), std::get<2>(key)}];
      day.clicks += d.clicks, day.human += d.human, day.uniq += d.uniq;
    }
    auto lkd = writer_->prepare_static(
        "INSERT INTO link_rollups_daily (workspace, day, link, clicks, human, uniq) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (workspace, day, link) DO UPDATE SET "
        "clicks = clicks + excluded.clicks, human = human + excluded.human, "
        "uniq = uniq + excluded.uniq");
    if (!lkd) return lkd.error();
    for (const auto& [key, d] : link_days) {
      auto& s = **lkd;
      s.bind(1, std::get<0>(key));
      s.bind(2, std::get<1>(key));
      s.bind(3, std::get<2>(key));
      s.bind(4, d.clicks);
      s.bind(5, d.human);
      s.bind(6, d.uniq);
      if (auto r = run(*writer_, s, "cannot update daily link rollups"); !r) return r;
    }
    auto dm = writer_->prepare_static(
        "INSERT INTO domain_rollups (workspace, hour, domain, bounces, hard) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (workspace, hour, domain) DO UPDATE SET "
        "bounces = bounces + excluded.bounces, hard = hard + excluded.hard");
    if (!dm) return dm.error();
    for (const auto& [key, d] : txn.domains) {
      auto& s = **dm;
      s.bind(1, std::get<0>(key));
      s.bind(2, std::get<1>(key));
      s.bind(3, std::get<2>(key));
      s.bind(4, d.bounces);
      s.bind(5, d.hard);
      if (auto r = run(*writer_, s, "cannot update domain rollups"); !r) return r;
    }
    std::map<name_key, domain_delta> domain_days;
    for (const auto& [key, d] : txn.domains) {
      auto& day = domain_days[{std::get<0>(key), day_of_hour(std::get<1>(key)), std::get<2>(key)}];
      day.bounces += d.bounces, day.hard += d.hard;
    }
    auto dmd = writer_->prepare_static(
        "INSERT INTO domain_rollups_daily (workspace, day, domain, bounces, hard) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (workspace, day, domain) DO UPDATE SET "
        "bounces = bounces + excluded.bounces, hard = hard + excluded.hard");
    if (!dmd) return dmd.error();
    for (const auto& [key, d] : domain_days) {
      auto& s = **dmd;
      s.bind(1, std::get<0>(key));
      s.bind(2, std::get<1>(key));
      s.bind(3, std::get<2>(key));
      s.bind(4, d.bounces);
      s.bind(5, d.hard);
      if (auto r = run(*writer_, s, "cannot update daily domain rollups"); !r) return r;
    }
    auto sc = writer_->prepare_static(
        "INSERT INTO status_counts (workspace, status, n) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (workspace, status) DO UPDATE SET n = n + excluded.n");
    if (!sc) return sc.error();
    for (const auto& [key, n] : txn.statuses) {
      if (n == 0) continue;
      auto& s = **sc;
      s.bind(1, key.first);
      s.bind(2, key.second);
      s.bind(3, n);
      if (auto r = run(*writer_, s, "cannot update status counts"); !r) return r;
    }
    auto sh = writer_->prepare_static(
        "INSERT INTO status_rollups (workspace, hour, status, n) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (workspace, hour, status) DO UPDATE SET n = n + excluded.n");
    if (!sh) return sh.error();
    for (const auto& [key, n] : txn.status_hours) {
      if (n == 0) continue;
      auto& s = **sh;
      s.bind(1, std::get<0>(key));
      s.bind(2, std::get<1>(key));
      s.bind(3, std::get<2>(key));
      s.bind(4, n);
      if (auto r = run(*writer_, s, "cannot update status rollups"); !r) return r;
    }
    std::map<rollup_key, std::int64_t> status_days;
    for (const auto& [key, n] : txn.status_hours)
      status_days[{std::get<0>(key), day_of_hour(std::get<1>(key)), std::get<2>(key)}] += n;
    auto shd = writer_->prepare_static(
        "INSERT INTO status_rollups_daily (workspace, day, status, n) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (workspace, day, status) DO UPDATE SET n = n + excluded.n");
    if (!shd) return shd.error();
    for (const auto& [key, n] : status_days) {
      if (n == 0) continue;
      auto& s = **shd;
      s.bind(1, std::get<0>(key));
      s.bind(2, std::get<1>(key));
      s.bind(3, std::get<2>(key));
      s.bind(4, n);
      if (auto r = run(*writer_, s, "cannot update daily status rollups"); !r) return r;
    }
    return {};
  }

  open_options opt_;
  std::mutex write_mu_;  // the writer connection: one transaction at a time
  std::unique_ptr<connection> writer_;
  int version_;

  sesami::store::detail::group_committer<request> committer_;  // detail/group_commit.hpp

  std::mutex pool_mu_;
  std::vector<std::unique_ptr<connection>> pool_;
  int orphans_present_ = -1;
  bool deferred_ = false;  // commits since the last durable one were not synced (write_mu_)  //
                           // status_orphans has rows: -1 not read yet (writer-side, write_mu_)
};

// ---- opening and migrating
// -----------------------------------------------------------------------
result<int> read_version(connection& c) {
  auto st = c.prepare("PRAGMA user_version");
  if (!st) return st.error();
  reset_on_exit guard{*st};
  const int rc = (*st)->step();
  if (rc != SQLITE_ROW) return c.fail(rc, "cannot read schema version");
  return static_cast<int>((*st)->int64(0));
}

result<int> migrate(connection& c, const std::string& path) {
  auto v = read_version(c);
  if (!v) return v.error();
  if (*v > latest_version)
    return error{errc::schema_too_new,
                 "database " + path + " has schema version " + std::to_string(*v) +
                     ", newer than this sesami understands (" + std::to_string(latest_version) +
                     "): upgrade sesami, or open a copy made before the upgrade"};
  for (const auto& m : migrations) {
    if (m.version <= *v) continue;
    // Each migration and its version bump commit together: a crash leaves the previous version.
    if (auto b = c.exec("BEGIN IMMEDIATE"); !b) return b.error();
    auto applied = c.exec(m.sql);
    if (applied) applied = c.exec("PRAGMA user_version = " + std::to_string(m.version));
    if (!applied) {
      (void)c.exec("ROLLBACK");
      error e = applied.error();
      e.message = "migration " + std::to_string(m.version) + " (" + std::string(m.description) +
                  ") failed: " + e.message;
      return e;
    }
    if (auto cm = c.exec("COMMIT"); !cm) return cm.error();
  }
  return latest_version;
}

}  // namespace sqlite

result<std::unique_ptr<store>> open_sqlite(const open_options& opt) {
  using namespace sqlite;
  if (opt.path.empty() || opt.path == ":memory:" || opt.path.rfind("file:", 0) == 0)
    return error{errc::bad_input, "the SQLite store needs a file path"};
  struct stat sb {};
  const bool exists = ::stat(opt.path.c_str(), &sb) == 0;
  if (exists && S_ISDIR(sb.st_mode))
    return error{errc::bad_input, opt.path + " is a directory, not a database file"};
  if (!exists && !opt.create) return error{errc::not_found, "no database at " + opt.path};
  // Clear messages for the usual permission problems, before SQLite reports them obliquely.
  if (exists && !is_writable(opt.path))
    return error{errc::read_only, "database file " + opt.path + " is read-only"};
  const std::string dir = directory_of(opt.path);
  if (!is_writable(dir))
    return error{errc::read_only, "directory " + dir + " is not writable (SQLite keeps its " +
                                      "write-ahead log next to " + opt.path + ")"};

  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (opt.create) flags |= SQLITE_OPEN_CREATE;
  auto c = connection::open(opt.path, flags, opt.busy_timeout_ms);
  if (!c) return c.error();
  auto& db = **c;
  // The first read tells a non-database file apart before anything is written to it.
  if (auto v = read_version(db); !v) return v.error();
  // 256 MB of page cache for the writer: at ten million events the random-order indexes
  // (identity, message, recipient, recipient_status) are hundreds of MB, and every page an insert
  // finds in the cache is one it does not read back. Pages are allocated as they are used.
  // A checkpoint every ~40 MB of WAL instead of SQLite's ~4 MB: the pages every group commit
  // touches (rollups, the newest index pages) are copied to the database once per checkpoint, not
  // once per 4 MB — bulk imports, and webhook ingestion +5 % (docs/performance.md, #4).
  if (auto w = db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                       "PRAGMA wal_autocheckpoint = 10000; "
                       "PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY; "
                       "PRAGMA foreign_keys = ON");
      !w)
    return w.error();
  auto version = migrate(db, opt.path);
  if (!version) return version.error();
  return std::unique_ptr<store>(new sqlite_store(opt, std::move(*c), *version));
}

}  // namespace sesami::store
