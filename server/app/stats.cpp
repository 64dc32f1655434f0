#include "stats.hpp"

#include <algorithm>
#include <array>
#include <limits>

namespace sesami::app {

store::result<aggregation> stats(store::store& s, std::string_view workspace,
                                 const stats_request& req) {
  using store::errc;
  if (req.offset_minutes % 60 != 0 || req.offset_minutes < -max_offset_minutes ||
      req.offset_minutes > max_offset_minutes)
    return store::error{errc::bad_input,
                        "offset: whole hours between -12 and +14 (rollups are hourly)"};
  if (req.from && req.to && *req.from > *req.to)
    return store::error{errc::bad_input, "from is after to"};
  const std::int64_t from = req.from.value_or(std::numeric_limits<std::int64_t>::min() / 2);
  const std::int64_t to = req.to.value_or(std::numeric_limits<std::int64_t>::max() / 2);
  // Day, week and month buckets at UTC are made of whole UTC days: a daily level may serve them.
  const bool utc_days = req.bucket != bucket_kind::hour && req.offset_minutes == 0;
  auto rows =
      utc_days ? s.rollups_by_day(workspace, from, to) : s.rollups(workspace, from, to);
  if (!rows) return rows.error();

  aggregation a;
  // Per event type: the mailbox simulator's events, first human opens/clicks and hard bounces,
  // subtracted from the rates as the in-memory aggregation leaves the simulator out (USERS #9).
  std::array<std::uint64_t, event_type_count> sim_events{};
  std::uint64_t sim_opened = 0, sim_clicked = 0, sim_hard = 0;
  a.bucket = req.bucket;
  a.offset_minutes = req.offset_minutes;
  const std::int64_t offset = static_cast<std::int64_t>(req.offset_minutes) * 60'000;
  // The series spans the requested range (or the data's, when open-ended), empty buckets included.
  std::int64_t lo = req.from.value_or(rows->empty() ? 0 : rows->front().hour);
  std::int64_t hi = req.to.value_or(rows->empty() ? 0 : rows->back().hour + detail::ms_per_hour);
  if (hi <= lo) hi = lo + 1;
  const std::int64_t first_key = detail::bucket_key(req.bucket, lo + offset);
  const std::int64_t last_key = detail::bucket_key(req.bucket, hi - 1 + offset);
  if (last_key - first_key + 1 > 100'000)
    return store::error{errc::bad_input, "too many buckets: choose a larger bucket"};
  const auto n = static_cast<std::size_t>(last_key - first_key + 1);
  for (std::size_t k = 0; k < n; ++k)
    a.bucket_starts.push_back(
        detail::bucket_start(req.bucket, first_key + static_cast<std::int64_t>(k)) - offset);
  for (auto& series : a.series) series.assign(n, 0);
  a.machine_open_series.assign(n, 0);
  a.machine_click_series.assign(n, 0);

  for (const auto& r : *rows) {
    const auto key = detail::bucket_key(req.bucket, r.hour + offset);
    if (key < first_key || key > last_key) continue;
    const auto k = static_cast<std::size_t>(key - first_key);
    const auto t = static_cast<std::size_t>(r.type);
    const auto count = static_cast<std::uint64_t>(r.count);
    sim_events[t] += static_cast<std::uint64_t>(r.sim_count);
    if (r.type == event_type::open) sim_opened += static_cast<std::uint64_t>(r.sim_unique_human);
    if (r.type == event_type::click) sim_clicked += static_cast<std::uint64_t>(r.sim_unique_human);
    if (r.type == event_type::bounce) sim_hard += static_cast<std::uint64_t>(r.sim_hard);
    a.series[t][k] += static_cast<std::uint32_t>(count);
    a.totals[t] += count;
    a.events += count;
    engagement* e = r.type == event_type::open    ? &a.opens
                    : r.type == event_type::click ? &a.clicks
                                                  : nullptr;
    if (e) {
      e->total += count;
      e->machine += static_cast<std::uint64_t>(r.machine);
      e->human += count - static_cast<std::uint64_t>(r.machine);
      e->unique += static_cast<std::uint64_t>(r.unique);
      e->unique_human += static_cast<std::uint64_t>(r.unique_human);
      (r.type == event_type::open ? a.machine_open_series : a.machine_click_series)[k] +=
          static_cast<std::uint32_t>(r.machine);
    }
    if (r.type == event_type::bounce) {
      a.bounce_classes[static_cast<std::size_t>(bounce_class::hard)] +=
          static_cast<std::uint64_t>(r.hard);
      a.bounce_classes[static_cast<std::size_t>(bounce_class::soft)] +=
          static_cast<std::uint64_t>(r.soft);
      a.bounce_classes[static_cast<std::size_t>(bounce_class::suppressed)] +=
          static_cast<std::uint64_t>(r.suppressed);
      a.bounce_classes[static_cast<std::size_t>(bounce_class::undetermined)] +=
          static_cast<std::uint64_t>(r.undetermined);
      a.hard_bounced += static_cast<std::uint64_t>(r.hard);
    }
  }
  // Reputation counts distinct (message, recipient) pairs outside the simulator. SES sends one
  // Send, one Delivery and at most one hard bounce / complaint per pair, and stored events are
  // unique by identity, so event counts are pair counts; opens and clicks use the first-per-pair
  // (unique) counters, so a pair counts in the range holding its first human open / click.
  auto no_sim = [&](event_type t) {
    const auto i = static_cast<std::size_t>(t);
    return a.totals[i] - sim_events[i];
  };
  a.sent = no_sim(event_type::send);
  a.delivered = no_sim(event_type::delivery);
  a.complained = no_sim(event_type::complaint);
  a.hard_bounced -= sim_hard;
  a.human_opened = a.opens.unique_human - sim_opened;
  a.human_clicked = a.clicks.unique_human - sim_clicked;
  for (const auto k : sim_events) a.simulator_events += k;

  // Top lists from their own hourly rollups, over the same rounded range as the counters.
  constexpr std::size_t top = aggregate_options{}.top;
  auto links = s.top_links(workspace, from, to, top);
  if (!links) return links.error();
  for (auto& l : *links)
    a.top_links.push_back({std::move(l.link), static_cast<std::uint64_t>(l.clicks),
                           static_cast<std::uint64_t>(l.human),
                           static_cast<std::uint64_t>(l.unique)});
  auto domains = s.top_bouncing_domains(workspace, from, to, top);
  if (!domains) return domains.error();
  for (auto& d : *domains)
    a.top_bouncing_domains.push_back({std::move(d.domain), static_cast<std::uint64_t>(d.bounces),
                                      static_cast<std::uint64_t>(d.hard)});

  // Statuses: the current status of each pair whose first event falls in the range (pairs are
  // rolled up by the hour of their first event; a later event can only raise the status).
  auto statuses = s.status_counts(workspace, from, to);
  if (!statuses) return statuses.error();
  for (const auto& [st, count] : *statuses)
    a.statuses[static_cast<std::size_t>(st)] = static_cast<std::uint64_t>(count);
  return a;
}

}  // namespace sesami::app
