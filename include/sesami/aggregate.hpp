#pragma once
// Chart aggregations over a columnar batch and a selection: counts per type per time bucket,
// totals, unique and machine opens and clicks, recipient statuses, SES reputation rates with their
// thresholds, top links and top bouncing domains. One pass over the selection with per-id arrays
// (no hashing per event), so a million events aggregate in milliseconds. Semantics:
// docs/columnar.md.
#include <algorithm>    // std::sort, std::min, std::max
#include <array>        // per-type and per-status counters
#include <cstdint>      // counters
#include <limits>       // bounds
#include <optional>     // rate values, range
#include <string>       // top-list names
#include <string_view>  // bucket names
#include <vector>       // series

#include <sesami/batch.hpp>
#include <sesami/detail/iso8601.hpp>
#include <sesami/error.hpp>
#include <sesami/event.hpp>
#include <sesami/filter.hpp>

namespace sesami {

enum class bucket_kind : std::uint8_t { hour, day, week, month };

inline constexpr std::string_view to_string(bucket_kind k) noexcept {
  constexpr std::string_view names[] = {"hour", "day", "week", "month"};
  return names[static_cast<std::size_t>(k)];
}
inline constexpr std::optional<bucket_kind> parse_bucket(std::string_view s) noexcept {
  for (auto k : {bucket_kind::hour, bucket_kind::day, bucket_kind::week, bucket_kind::month})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

/// The widest fixed offset a real time zone has (UTC-12 … UTC+14), in minutes.
inline constexpr int max_offset_minutes = 14 * 60;

struct aggregate_options {
  bucket_kind bucket = bucket_kind::day;
  /// Buckets follow local time = UTC + offset (weeks start on Monday 00:00 local, months on the
  /// 1st). A fixed offset, not a time zone: the core has no time zone database.
  int offset_minutes = 0;
  /// The span the series covers, so a chart shows empty days too; by default the selected events'.
  std::optional<std::int64_t> from{}, to{};
  std::size_t top = 10;               // length of the top-links and top-domains lists
  std::size_t max_buckets = 100'000;  // more is a bad_filter error: choose a larger bucket
};

/// The mailbox simulator's domain: its traffic is test traffic and never counts in rates (USERS
/// #9).
inline constexpr std::string_view simulator_domain = "simulator.amazonses.com";
/// Whether a (lower-cased) recipient address is the mailbox simulator's.
inline bool is_simulator(std::string_view recipient) noexcept {
  return detail::domain_of(recipient) == simulator_domain;
}

enum class rate_level : std::uint8_t { ok, warning, review };
inline constexpr std::string_view to_string(rate_level l) noexcept {
  constexpr std::string_view names[] = {"ok", "warning", "review"};
  return names[static_cast<std::size_t>(l)];
}

/// SES's reputation thresholds, in parts per million (integers: exact comparisons, identical in
/// the native and the wasm build).
inline constexpr std::uint64_t bounce_warning_ppm = 50'000;    // 5 %
inline constexpr std::uint64_t bounce_review_ppm = 100'000;    // 10 %
inline constexpr std::uint64_t complaint_warning_ppm = 1'000;  // 0.1 %
inline constexpr std::uint64_t complaint_review_ppm = 5'000;   // 0.5 %

/// numerator / denominator, kept as integers so that every consumer can recompute it.
struct rate {
  std::uint64_t numerator = 0, denominator = 0;

  std::optional<double> value() const noexcept {
    if (denominator == 0) return std::nullopt;
    return static_cast<double>(numerator) / static_cast<double>(denominator);
  }
  /// Rounded to the nearest part per million; nullopt without a denominator.
  std::optional<std::uint64_t> ppm() const noexcept {
    if (denominator == 0) return std::nullopt;
    return (numerator * 1'000'000 + denominator / 2) / denominator;  // counts < 2^32: no overflow
  }
  /// Exact: numerator / denominator ≥ threshold. No denominator, no alarm.
  rate_level level(std::uint64_t warning_ppm, std::uint64_t review_ppm) const noexcept {
    if (denominator == 0) return rate_level::ok;
    if (numerator * 1'000'000 >= review_ppm * denominator) return rate_level::review;
    if (numerator * 1'000'000 >= warning_ppm * denominator) return rate_level::warning;
    return rate_level::ok;
  }
  friend bool operator==(const rate&, const rate&) = default;
};

/// Opens or clicks: events by who made them, and distinct (message, recipient) pairs.
struct engagement {
  std::uint64_t total = 0, human = 0, machine = 0, unique = 0, unique_human = 0;
  friend bool operator==(const engagement&, const engagement&) = default;
};

struct link_stat {
  std::string link;
  std::uint64_t clicks = 0, human_clicks = 0, unique_clicks = 0;
  friend bool operator==(const link_stat&, const link_stat&) = default;
};

struct domain_stat {
  std::string domain;
  std::uint64_t bounces = 0, hard_bounces = 0;
  friend bool operator==(const domain_stat&, const domain_stat&) = default;
};

struct aggregation {
  bucket_kind bucket = bucket_kind::day;
  int offset_minutes = 0;
  std::uint64_t events = 0;  // selected events

  // ---- series for charts: one value per bucket
  std::vector<std::int64_t> bucket_starts;  // the UTC instant of each bucket's local start
  std::array<std::vector<std::uint32_t>, event_type_count> series;  // per event_type
  std::vector<std::uint32_t> machine_open_series, machine_click_series;

  std::array<std::uint64_t, event_type_count> totals{};
  engagement opens, clicks;
  /// Distinct (message, recipient) pairs by their status over the selected events.
  std::array<std::uint64_t, delivery_status_count> statuses{};
  std::array<std::uint64_t, 5> bounce_classes{};  // bounce events per bounce_class

  // ---- reputation: distinct (message, recipient) pairs, the mailbox simulator left out
  std::uint64_t sent = 0;              // pairs with a send event
  std::uint64_t delivered = 0;         // pairs with a delivery event
  std::uint64_t hard_bounced = 0;      // pairs with a hard bounce (what SES's bounce rate counts)
  std::uint64_t complained = 0;        // pairs with a complaint
  std::uint64_t human_opened = 0;      // pairs with a human open
  std::uint64_t human_clicked = 0;     // pairs with a human click
  std::uint64_t simulator_events = 0;  // selected events to the simulator, left out of the above

  std::vector<link_stat> top_links;               // by clicks, then link
  std::vector<domain_stat> top_bouncing_domains;  // by bounces, then domain

  rate delivery_rate() const noexcept { return {delivered, sent}; }
  rate bounce_rate() const noexcept { return {hard_bounced, sent}; }
  rate complaint_rate() const noexcept { return {complained, sent}; }
  rate open_rate() const noexcept { return {human_opened, delivered}; }
  rate click_rate() const noexcept { return {human_clicked, delivered}; }

  friend bool operator==(const aggregation&, const aggregation&) = default;
};

namespace detail {
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}
inline constexpr std::int64_t ms_per_hour = 3'600'000, ms_per_day = 86'400'000;

/// The bucket key of a local-time instant: hours, days or Monday-weeks since the epoch, or
/// year * 12 + month - 1. 1970-01-01 was a Thursday, so Monday-weeks are (day + 3) / 7.
constexpr std::int64_t bucket_key(bucket_kind k, std::int64_t local_ms) noexcept {
  switch (k) {
    case bucket_kind::hour:
      return floor_div(local_ms, ms_per_hour);
    case bucket_kind::day:
      return floor_div(local_ms, ms_per_day);
    case bucket_kind::week:
      return floor_div(floor_div(local_ms, ms_per_day) + 3, 7);
    case bucket_kind::month: {
      const civil c = civil_from_days(floor_div(local_ms, ms_per_day));
      return c.year * 12 + static_cast<std::int64_t>(c.month) - 1;
    }
  }
  return 0;
}
/// The local-time start of the bucket with this key.
constexpr std::int64_t bucket_start(bucket_kind k, std::int64_t key) noexcept {
  switch (k) {
    case bucket_kind::hour:
      return key * ms_per_hour;
    case bucket_kind::day:
      return key * ms_per_day;
    case bucket_kind::week:
      return (key * 7 - 3) * ms_per_day;
    case bucket_kind::month: {
      const std::int64_t y = floor_div(key, 12);
      return days_from_civil(y, static_cast<unsigned>(key - y * 12 + 1), 1) * ms_per_day;
    }
  }
  return 0;
}

// The per-pair state, one 16-bit word per (message, recipient) so that each event costs one
// random access: engagement bits, rate bits, and the status in the top four bits.
inline constexpr std::uint16_t opened = 1, human_opened = 2, clicked = 4, human_clicked = 8;
// Set only for recipients outside the mailbox simulator: these feed the rates.
inline constexpr std::uint16_t r_sent = 16, r_delivered = 32, r_hard = 64, r_complained = 128,
                               r_human_opened = 256, r_human_clicked = 512;
inline constexpr unsigned status_shift = 12;  // status + 1, 0 for none
inline constexpr std::uint16_t status_bits = 0xF000;

/// The bits an event of type t sets, by machine and simulator: a table instead of a switch, whose
/// mispredicted branches on shuffled types cost more than the rest of the loop.
constexpr std::array<std::uint16_t, event_type_count * 4> pair_bits_table() {
  std::array<std::uint16_t, event_type_count * 4> table{};
  for (std::size_t t = 0; t < event_type_count; ++t)
    for (unsigned machine = 0; machine < 2; ++machine)
      for (unsigned sim = 0; sim < 2; ++sim) {
        unsigned bits = 0;
        switch (static_cast<event_type>(t)) {
          case event_type::send:
            bits = sim ? 0 : r_sent;
            break;
          case event_type::delivery:
            bits = sim ? 0 : r_delivered;
            break;
          case event_type::complaint:
            bits = sim ? 0 : r_complained;
            break;
          case event_type::open:
            bits = machine ? opened : opened | human_opened | (sim ? 0 : r_human_opened);
            break;
          case event_type::click:
            bits = machine ? clicked : clicked | human_clicked | (sim ? 0 : r_human_clicked);
            break;
          default:
            break;  // bounces: r_hard depends on the class, set in the loop
        }
        const std::uint8_t st = status_code(static_cast<std::uint8_t>(t));
        if (st != no_status) bits |= static_cast<unsigned>(st + 1) << status_shift;
        table[t * 4 + machine * 2 + sim] = static_cast<std::uint16_t>(bits);
      }
  return table;
}

struct accumulator {
  const batch& b;
  const selection& sel;
  aggregation& out;
  std::int64_t offset_ms;
  std::int64_t first_key;
  std::size_t buckets;
  std::vector<std::uint32_t> month_of_day;  // month buckets: day - first_day → bucket index
  std::int64_t first_day;
  std::uint32_t sim_domain;  // the simulator's domain id, or an id no event has
  // Bucket-major: [bucket][type], then machine opens, machine clicks, and a slot that absorbs
  // the second increment of every other event (no branch on "is this a machine open").
  std::vector<std::uint32_t> counts;
  std::vector<std::uint16_t> pair_state;
  std::vector<std::uint8_t> pair_link_seen;
  std::vector<std::uint64_t> link_clicks, link_human, link_unique;
  std::vector<std::uint64_t> domain_bounces, domain_hard;

  static constexpr std::size_t machine_open_slot = event_type_count;
  static constexpr std::size_t machine_click_slot = event_type_count + 1;
  static constexpr std::size_t stride = event_type_count + 3;

  template <bucket_kind K>
  std::size_t bucket_of(std::int64_t t) const noexcept {
    // Clamped so that a hostile timestamp from a decoded batch cannot overflow; such an event
    // lands outside the span, like any other event beyond it.
    constexpr std::int64_t limit = std::int64_t{1} << 52;
    const std::int64_t local = std::clamp(t, -limit, limit) + offset_ms;
    std::int64_t idx;
    if constexpr (K == bucket_kind::month) {
      idx = floor_div(local, ms_per_day) - first_day;
      // Out-of-range days map to an index the caller rejects.
      if (idx < 0 || static_cast<std::uint64_t>(idx) >= month_of_day.size()) return buckets;
      return month_of_day[static_cast<std::size_t>(idx)];
    } else {
      idx = bucket_key(K, local) - first_key;
    }
    return idx < 0 ? buckets : static_cast<std::size_t>(idx);
  }

  template <bucket_kind K>
  void run() noexcept {
    constexpr auto open = static_cast<std::uint8_t>(event_type::open);
    constexpr auto click = static_cast<std::uint8_t>(event_type::click);
    constexpr auto bounce = static_cast<std::uint8_t>(event_type::bounce);
    static constexpr auto table = pair_bits_table();
    // Second series slot per (type, machine): machine opens and clicks, else the spare slot.
    std::array<std::uint8_t, event_type_count * 2> extra{};
    extra.fill(static_cast<std::uint8_t>(stride - 1));
    extra[open * 2 + 1] = machine_open_slot;
    extra[click * 2 + 1] = machine_click_slot;
    std::array<std::uint64_t, event_type_count * 2> by_type{};  // [type][machine]
    std::uint64_t sim_events = 0;
    for (const std::uint32_t i : sel) {
      const std::uint8_t t = b.type[i];
      const unsigned machine = b.flags[i] & event_flags::machine;
      const unsigned sim = b.domain[i] == sim_domain;
      const unsigned tm = t * 2u + machine;
      ++by_type[tm];
      sim_events += sim;
      const std::size_t k = bucket_of<K>(b.timestamp[i]);
      if (k < buckets) {
        std::uint32_t* row = &counts[k * stride];
        ++row[t];
        ++row[extra[tm]];
      }
      std::uint16_t bits = table[tm * 2 + sim];
      if (t == bounce) [[unlikely]] {
        const unsigned cls =
            (b.flags[i] & event_flags::bounce_class_mask) >> event_flags::bounce_class_shift;
        ++out.bounce_classes[cls];
        const bool hard = cls == static_cast<unsigned>(bounce_class::hard);
        ++domain_bounces[b.domain[i]];
        domain_hard[b.domain[i]] += hard;
        if (hard && !sim) bits |= r_hard;
      } else if (t == click) [[unlikely]] {
        const std::uint32_t l = b.link[i];
        ++link_clicks[l];
        link_human[l] += !machine;
        const std::uint32_t pl = b.pair_link[i];
        link_unique[l] += pair_link_seen[pl] == 0;
        pair_link_seen[pl] = 1;
      }
      // Status: the higher of old and new (precedence); every other bit accumulates.
      std::uint16_t& st = pair_state[b.pair[i]];
      st =
          static_cast<std::uint16_t>(std::max<std::uint16_t>(st & status_bits, bits & status_bits) |
                                     ((st | bits) & ~status_bits));
    }
    for (std::size_t t = 0; t < event_type_count; ++t)
      out.totals[t] = by_type[t * 2] + by_type[t * 2 + 1];
    out.simulator_events = sim_events;
    out.opens.machine = by_type[open * 2 + 1];
    out.clicks.machine = by_type[click * 2 + 1];
  }
};

/// Keeps the n largest by key, ties by name: a stable order, identical in every build.
template <class Stat, class Key, class Name>
void keep_top(std::vector<Stat>& v, std::size_t n, Key key, Name name) {
  auto by = [&](const Stat& a, const Stat& b) {
    const auto ka = key(a), kb = key(b);
    return ka != kb ? ka > kb : name(a) < name(b);
  };
  if (v.size() > n) {
    std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n), v.end(), by);
    v.resize(n);
  } else {
    std::sort(v.begin(), v.end(), by);
  }
}

/// The offset check every aggregation makes.
inline result<void> check_offset(const aggregate_options& options) {
  if (options.offset_minutes < -max_offset_minutes || options.offset_minutes > max_offset_minutes)
    return error{errc::bad_filter, "offset: must be between -840 and 840 minutes"};
  return {};
}

/// The buckets a series covers: from the first key, in local time = UTC + offset.
struct bucket_span {
  std::int64_t offset_ms = 0, first_key = 0;
  std::size_t buckets = 0;

  /// The bucket index of a UTC instant; `buckets` (out of the span) before or after it.
  std::size_t index(bucket_kind k, std::int64_t t) const noexcept {
    constexpr std::int64_t limit = std::int64_t{1} << 52;
    const std::int64_t key = bucket_key(k, std::clamp(t, -limit, limit) + offset_ms) - first_key;
    return key < 0 || static_cast<std::uint64_t>(key) >= buckets ? buckets
                                                                 : static_cast<std::size_t>(key);
  }
};

/// Sets up `out`'s bucket kind, offset and empty series over the instants [lo, hi] (inclusive; a
/// missing end takes the other's value, both missing: no buckets). Fails (bad_filter) past
/// options.max_buckets. Shared by aggregate() and aggregate_rollups().
inline result<bucket_span> series_span(aggregation& out, const aggregate_options& options,
                                       std::optional<std::int64_t> lo,
                                       std::optional<std::int64_t> hi) {
  out.bucket = options.bucket;
  out.offset_minutes = options.offset_minutes;
  bucket_span span;
  span.offset_ms = std::int64_t{options.offset_minutes} * 60'000;
  if (lo && !hi) hi = lo;
  if (hi && !lo) lo = hi;
  if (lo && hi && *lo <= *hi) {
    // Keys from the clamped local instants: timestamps near the int64 limits cannot overflow.
    constexpr std::int64_t limit = std::int64_t{1} << 52;  // ~142 000 years of milliseconds
    const std::int64_t a = std::clamp(*lo, -limit, limit) + span.offset_ms;
    const std::int64_t z = std::clamp(*hi, -limit, limit) + span.offset_ms;
    span.first_key = bucket_key(options.bucket, a);
    const auto count =
        static_cast<std::uint64_t>(bucket_key(options.bucket, z) - span.first_key) + 1;
    if (count > options.max_buckets)
      return error{errc::bad_filter,
                   std::to_string(count) + " " + std::string(to_string(options.bucket)) +
                       " buckets exceed the limit of " + std::to_string(options.max_buckets) +
                       ": choose a larger bucket or a shorter range"};
    span.buckets = static_cast<std::size_t>(count);
  }
  out.bucket_starts.resize(span.buckets);
  for (std::size_t k = 0; k < span.buckets; ++k)
    out.bucket_starts[k] =
        bucket_start(options.bucket, span.first_key + static_cast<std::int64_t>(k)) -
        span.offset_ms;
  for (auto& s : out.series) s.assign(span.buckets, 0);
  out.machine_open_series.assign(span.buckets, 0);
  out.machine_click_series.assign(span.buckets, 0);
  return span;
}

/// One (message, recipient) pair's final state bits counted into the unique and per-status
/// figures (aggregate() and aggregate_stream both end here).
inline void count_pair(aggregation& out, std::uint16_t bits) noexcept {
  if (const unsigned st = bits >> status_shift; st != 0) ++out.statuses[st - 1];
  out.opens.unique += (bits & opened) != 0;
  out.opens.unique_human += (bits & human_opened) != 0;
  out.clicks.unique += (bits & clicked) != 0;
  out.clicks.unique_human += (bits & human_clicked) != 0;
  out.sent += (bits & r_sent) != 0;
  out.delivered += (bits & r_delivered) != 0;
  out.hard_bounced += (bits & r_hard) != 0;
  out.complained += (bits & r_complained) != 0;
  out.human_opened += (bits & r_human_opened) != 0;
  out.human_clicked += (bits & r_human_clicked) != 0;
}

/// The figures derived from the totals: all opens and clicks, and the human ones.
inline void finish_engagement(aggregation& out) noexcept {
  out.opens.total = out.totals[static_cast<std::size_t>(event_type::open)];
  out.clicks.total = out.totals[static_cast<std::size_t>(event_type::click)];
  out.opens.human = out.opens.total - out.opens.machine;
  out.clicks.human = out.clicks.total - out.clicks.machine;
}

/// Sorts and cuts the top lists (by clicks then link, by bounces then domain).
inline void finish_top_lists(aggregation& out, std::size_t top) {
  keep_top(
      out.top_links, top, [](const link_stat& s) { return s.clicks; },
      [](const link_stat& s) -> const std::string& { return s.link; });
  keep_top(
      out.top_bouncing_domains, top, [](const domain_stat& s) { return s.bounces; },
      [](const domain_stat& s) -> const std::string& { return s.domain; });
}
}  // namespace detail

/// Aggregates the selected events of `b`. Fails (bad_filter) on an offset beyond ±14 h or a span
/// needing more than options.max_buckets buckets.
inline result<aggregation> aggregate(const batch& b, const selection& sel,
                                     const aggregate_options& options = {}) {
  using namespace detail;
  if (auto c = check_offset(options); !c) return c.error();
  aggregation out;
  out.events = sel.size();

  // The series' span: the options' range, else the selected events'.
  std::optional<std::int64_t> lo = options.from, hi;
  if (options.to) hi = *options.to - 1;
  if ((!lo || !hi) && !sel.empty()) {
    std::int64_t mn = std::numeric_limits<std::int64_t>::max(),
                 mx = std::numeric_limits<std::int64_t>::min();
    for (const std::uint32_t i : sel) {
      mn = std::min(mn, b.timestamp[i]);
      mx = std::max(mx, b.timestamp[i]);
    }
    if (!lo) lo = mn;
    if (!hi) hi = mx;
  }
  auto span = series_span(out, options, lo, hi);
  if (!span) return span.error();
  const std::int64_t offset_ms = span->offset_ms, first_key = span->first_key;
  const std::size_t buckets = span->buckets;

  accumulator acc{
      b,
      sel,
      out,
      offset_ms,
      first_key,
      buckets,
      {},
      0,
      b.domains.find(simulator_domain).value_or(std::numeric_limits<std::uint32_t>::max()),
      std::vector<std::uint32_t>(buckets * accumulator::stride),
      std::vector<std::uint16_t>(b.pair_count),
      std::vector<std::uint8_t>(b.pair_link_count),
      std::vector<std::uint64_t>(b.links.size()),
      std::vector<std::uint64_t>(b.links.size()),
      std::vector<std::uint64_t>(b.links.size()),
      std::vector<std::uint64_t>(b.domains.size()),
      std::vector<std::uint64_t>(b.domains.size())};
  if (options.bucket == bucket_kind::month && buckets > 0) {
    // Month lengths vary, so the day → month step is a table over the span's days (at most
    // 31 × max_buckets entries) instead of a calendar computation per event.
    acc.first_day = floor_div(bucket_start(bucket_kind::month, first_key), ms_per_day);
    const std::int64_t end_day =
        floor_div(bucket_start(bucket_kind::month, first_key + static_cast<std::int64_t>(buckets)),
                  ms_per_day);
    acc.month_of_day.resize(static_cast<std::size_t>(end_day - acc.first_day));
    std::size_t k = 0;
    for (std::int64_t d = acc.first_day; d < end_day; ++d) {
      while (k + 1 < buckets &&
             d * ms_per_day >=
                 bucket_start(bucket_kind::month, first_key + static_cast<std::int64_t>(k) + 1))
        ++k;
      acc.month_of_day[static_cast<std::size_t>(d - acc.first_day)] = static_cast<std::uint32_t>(k);
    }
  }
  switch (options.bucket) {
    case bucket_kind::hour:
      acc.run<bucket_kind::hour>();
      break;
    case bucket_kind::day:
      acc.run<bucket_kind::day>();
      break;
    case bucket_kind::week:
      acc.run<bucket_kind::week>();
      break;
    case bucket_kind::month:
      acc.run<bucket_kind::month>();
      break;
  }

  for (std::size_t k = 0; k < buckets; ++k) {
    const std::uint32_t* row = &acc.counts[k * accumulator::stride];
    for (std::size_t t = 0; t < event_type_count; ++t) out.series[t][k] = row[t];
    out.machine_open_series[k] = row[accumulator::machine_open_slot];
    out.machine_click_series[k] = row[accumulator::machine_click_slot];
  }

  for (std::uint32_t p = 0; p < b.pair_count; ++p) count_pair(out, acc.pair_state[p]);
  finish_engagement(out);

  for (std::uint32_t l = 1; l < b.links.size(); ++l)
    if (acc.link_clicks[l] != 0)
      out.top_links.push_back(
          {std::string(b.links[l]), acc.link_clicks[l], acc.link_human[l], acc.link_unique[l]});
  for (std::uint32_t d = 1; d < b.domains.size(); ++d)  // 0: no recipient, so no domain
    if (acc.domain_bounces[d] != 0)
      out.top_bouncing_domains.push_back(
          {std::string(b.domains[d]), acc.domain_bounces[d], acc.domain_hard[d]});
  finish_top_lists(out, options.top);
  return out;
}

/// Filters and aggregates in one call; the series span the filter's time range when it has one.
inline result<aggregation> aggregate(const batch& b, const filter& f,
                                     aggregate_options options = {}) {
  if (!options.from) options.from = f.from;
  if (!options.to) options.to = f.to;
  return aggregate(b, select(b, f), options);
}

}  // namespace sesami
