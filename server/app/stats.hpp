#pragma once
// Dashboard statistics for any time range, from the store's hourly rollups — never from raw
// events, so the cost depends on the number of hours in the range, not on the number of events.
// The result is the analytics core's `aggregation`, made from the rows by aggregate_rollups
// (rollup.hpp), so `sesami::to_json` gives the same JSON shape as the in-browser aggregation. Where
// the rollup answers differ from an in-memory aggregation over the range's events (unique counts
// and statuses are attributed to the hour of a pair's first open / click / event): docs/storage.md.
#include <cstdint>
#include <optional>
#include <string_view>

#include <sesami/aggregate.hpp>

#include "../store/store.hpp"

namespace sesami::app {

struct stats_request {
  std::optional<std::int64_t> from, to;  // ms; rounded outwards to whole hours
  bucket_kind bucket = bucket_kind::day;
  int offset_minutes = 0;  // whole hours only: rollups are hourly
};

store::result<aggregation> stats(store::store& s, std::string_view workspace,
                                 const stats_request& req);

}  // namespace sesami::app
