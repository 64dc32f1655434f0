// The counters: the deltas of a group commit applied as commutative upserts, and their reads.
#include "store.hpp"

namespace sesami::store::pg {

result<std::vector<rollup_row>> pg_store::rollups(std::string_view workspace, std::int64_t since,
                                                  std::int64_t until) {
  return read_rollups(
      "SELECT hour, type, count, machine, uniq, uniq_human, hard, soft, suppressed, "
      "undetermined, "
      "sim_count, sim_uniq_human, sim_hard FROM rollups "
      "WHERE workspace = $1 AND hour >= $2 AND hour < $3 ORDER BY hour, type",
      hour_range(workspace, since, until));
}

result<std::vector<rollup_row>> pg_store::rollups_by_day(std::string_view workspace,
                                                         std::int64_t since, std::int64_t until) {
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

result<std::vector<rollup_row>> pg_store::read_rollups(const std::string& sql, const params& p) {
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

result<std::vector<link_rollup>> pg_store::top_links(std::string_view workspace, std::int64_t since,
                                                     std::int64_t until, std::size_t n) {
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

result<std::vector<domain_rollup>> pg_store::top_bouncing_domains(std::string_view workspace,
                                                                  std::int64_t since,
                                                                  std::int64_t until,
                                                                  std::size_t n) {
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

result<std::vector<std::pair<delivery_status, std::int64_t>>> pg_store::status_counts(
    std::string_view workspace, std::int64_t since, std::int64_t until) {
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

result<std::vector<std::pair<delivery_status, std::int64_t>>> pg_store::status_counts(
    std::string_view workspace) {
  return statuses(
      "SELECT status, n FROM status_counts WHERE workspace = $1 AND n != 0 ORDER BY status",
      params().text(workspace));
}

params pg_store::hour_range(std::string_view workspace, std::int64_t since, std::int64_t until) {
  // An until inside an hour includes that hour: rollups are hourly, ranges round outwards.
  return params().text(workspace).integer(hour_of(since)).integer(hour_of(until - 1) + 1);
}

// $1 workspace, $2..$3 leading hours, $4..$5 whole days, $6..$7 trailing hours: the two-level
// reads of the top lists and statuses.
params pg_store::day_range(std::string_view workspace, std::int64_t since, std::int64_t until) {
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

result<std::vector<std::pair<delivery_status, std::int64_t>>> pg_store::statuses(const char* sql,
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

// The deltas of a group commit, hour by hour and summed by day, applied as commutative upserts
// (count = count + delta), one multi-row statement per table.
status pg_store::flush_rollups(connection& c, const txn_state& txn) {
  if (auto r = flush_type_rollups(c, txn); !r) return r;
  if (auto r = flush_link_rollups(c, txn); !r) return r;
  if (auto r = flush_domain_rollups(c, txn); !r) return r;
  return flush_status_rollups(c, txn);
}

status pg_store::flush_type_rollups(connection& c, const txn_state& txn) {
  if (txn.rollups.empty()) return {};
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
  return {};
}

status pg_store::flush_link_rollups(connection& c, const txn_state& txn) {
  if (txn.links.empty()) return {};
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
  return {};
}

status pg_store::flush_domain_rollups(connection& c, const txn_state& txn) {
  if (txn.domains.empty()) return {};
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
  return {};
}

status pg_store::flush_status_rollups(connection& c, const txn_state& txn) {
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

}  // namespace sesami::store::pg
