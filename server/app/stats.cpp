#include "stats.hpp"

#include <limits>
#include <utility>

#include <sesami/rollup.hpp>

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
  auto rows = utc_days ? s.rollups_by_day(workspace, from, to) : s.rollups(workspace, from, to);
  if (!rows) return rows.error();

  // The series spans the requested range (or the data's, when open-ended), empty buckets included.
  const std::int64_t offset = static_cast<std::int64_t>(req.offset_minutes) * 60'000;
  std::int64_t lo = req.from.value_or(rows->empty() ? 0 : rows->front().hour);
  std::int64_t hi = req.to.value_or(rows->empty() ? 0 : rows->back().hour + detail::ms_per_hour);
  if (hi <= lo) hi = lo + 1;
  constexpr std::size_t max_buckets = 100'000;
  if (detail::bucket_key(req.bucket, hi - 1 + offset) -
          detail::bucket_key(req.bucket, lo + offset) + 1 >
      static_cast<std::int64_t>(max_buckets))
    return store::error{errc::bad_input, "too many buckets: choose a larger bucket"};

  // Top lists from their own hourly rollups, over the same rounded range as the counters.
  constexpr std::size_t top = aggregate_options{}.top;
  auto links = s.top_links(workspace, from, to, top);
  if (!links) return links.error();
  auto domains = s.top_bouncing_domains(workspace, from, to, top);
  if (!domains) return domains.error();
  // Statuses: the current status of each pair whose first event falls in the range (pairs are
  // rolled up by the hour of their first event; a later event can only raise the status).
  auto statuses = s.status_counts(workspace, from, to);
  if (!statuses) return statuses.error();

  aggregate_options options;
  options.bucket = req.bucket;
  options.offset_minutes = req.offset_minutes;
  options.from = lo;
  options.to = hi;
  options.max_buckets = max_buckets;
  auto a = aggregate_rollups({*rows, *links, *domains, *statuses}, options);
  if (!a) return store::error{errc::bad_input, a.error().message};
  return std::move(*a);
}

}  // namespace sesami::app
