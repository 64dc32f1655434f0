#pragma once
// Hour and day arithmetic of the rollup tables, shared by both backends so that SQLite and
// PostgreSQL file an event under the same hour and read a range from the same tables.
#include <algorithm>
#include <cstdint>

namespace sesami::store::detail {

constexpr std::int64_t ms_per_hour = 3'600'000;
constexpr std::int64_t ms_per_day = 86'400'000;

/// Division rounding towards minus infinity: events before 1970 still fall in their own hour.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  return a >= 0 ? a / b : (a - b + 1) / b;
}
constexpr std::int64_t hour_of(std::int64_t ms) noexcept { return floor_div(ms, ms_per_hour); }
constexpr std::int64_t day_of_hour(std::int64_t hour) noexcept { return floor_div(hour, 24); }

/// A range of hours [h0, h1) split for the two-level rollup tables (hourly and daily): whole days
/// [d0, d1) from the daily tables, the partial edge days' hours from the hourly ones. Without a
/// whole day inside, d0 == d1 and every hour is read from the hourly table.
struct day_split {
  std::int64_t d0, d1;  // whole days
  std::int64_t a0, a1;  // leading hours [a0, a1)
  std::int64_t b0, b1;  // trailing hours [b0, b1)
};
constexpr day_split split_days(std::int64_t h0, std::int64_t h1) noexcept {
  const std::int64_t d0 = day_of_hour(h0 + 23), d1 = day_of_hour(h1);  // ceil, floor
  if (h1 <= h0 || d0 >= d1) return {0, 0, h0, std::max(h0, h1), 0, 0};
  return {d0, d1, h0, d0 * 24, d1 * 24, h1};
}

}  // namespace sesami::store::detail
