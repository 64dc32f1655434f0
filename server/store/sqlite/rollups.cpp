// The counters: the deltas of a group commit applied as commutative upserts, and their reads.
#include <algorithm>
#include <utility>

#include "store.hpp"

namespace sesami::store::sqlite {
namespace {

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

result<std::vector<rollup_row>> sqlite_store::rollups(std::string_view workspace,
                                                      std::int64_t since, std::int64_t until) {
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

result<std::vector<rollup_row>> sqlite_store::rollups_by_day(std::string_view workspace,
                                                             std::int64_t since,
                                                             std::int64_t until) {
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

result<std::vector<rollup_row>> sqlite_store::read_rollup_rows(connection& c, statement& s) {
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
void sqlite_store::bind_split(statement& s, std::int64_t since, std::int64_t until) {
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
result<std::vector<link_rollup>> sqlite_store::top_links(std::string_view workspace,
                                                         std::int64_t since, std::int64_t until,
                                                         std::size_t n) {
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

result<std::vector<domain_rollup>> sqlite_store::top_bouncing_domains(std::string_view workspace,
                                                                      std::int64_t since,
                                                                      std::int64_t until,
                                                                      std::size_t n) {
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

result<std::vector<std::pair<delivery_status, std::int64_t>>> sqlite_store::status_counts(
    std::string_view workspace, std::int64_t since, std::int64_t until) {
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

result<std::vector<std::pair<delivery_status, std::int64_t>>> sqlite_store::status_counts(
    std::string_view workspace) {
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

// The deltas of a group commit, hour by hour and summed by day (migration 12), applied as
// commutative upserts (count = count + delta).
status sqlite_store::flush_rollups(const txn_state& txn) {
  if (auto r = flush_type_rollups(txn); !r) return r;
  if (auto r = flush_link_rollups(txn); !r) return r;
  if (auto r = flush_domain_rollups(txn); !r) return r;
  return flush_status_rollups(txn);
}

status sqlite_store::flush_type_rollups(const txn_state& txn) {
  // The hourly counters, then the same deltas summed by day (migration 12), like the link,
  // domain and status levels below.
  std::map<rollup_key, rollup_delta> rollup_days;
  for (const auto& [key, d] : txn.rollups)
    rollup_days[{std::get<0>(key), day_of_hour(std::get<1>(key)), std::get<2>(key)}] += d;
  for (const auto& [sql, rows] : {std::pair{upsert_rollups, &txn.rollups},
                                  std::pair{upsert_rollups_daily, &std::as_const(rollup_days)}}) {
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
  return {};
}

status sqlite_store::flush_link_rollups(const txn_state& txn) {
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
  return {};
}

status sqlite_store::flush_domain_rollups(const txn_state& txn) {
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
  return {};
}

status sqlite_store::flush_status_rollups(const txn_state& txn) {
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

}  // namespace sesami::store::sqlite
