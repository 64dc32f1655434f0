// `sesami stats`: totals, rates and the time series for a range, from the hourly rollups. With
// --json, the same JSON shape as the analytics core's aggregation (aggregate_json.hpp).
#include <cstdio>
#include <string>

#include <sesami/aggregate_json.hpp>
#include <sesami/detail/iso8601.hpp>

#include "../app/stats.hpp"
#include "cmd_store_common.hpp"

namespace sesami::cli {
namespace {
void print_rate(const char* name, const rate& r) {
  if (auto v = r.value())
    std::printf("  %-10s %7.3f %%  (%llu / %llu)\n", name, *v * 100,
                static_cast<unsigned long long>(r.numerator),
                static_cast<unsigned long long>(r.denominator));
  else
    std::printf("  %-10s       -\n", name);
}
}  // namespace

int run_stats(args a) {
  CLI::App app{"Totals, rates and time series from the rollups.", "sesami stats"};
  store_args sa;
  add_store_options(app, sa);
  std::string since, until, bucket = "day";
  bool json = false;
  app.add_option("--since", since, "ISO 8601 (rounded down to the hour)");
  app.add_option("--until", until, "ISO 8601 (rounded up to the hour)");
  app.add_option("--bucket", bucket, "hour, day, week or month (default day)");
  app.add_flag("--json", json, "the aggregation as JSON");
  if (int rc = parse_args(app, a); rc >= 0) return rc;

  app::stats_request req;
  auto b = parse_bucket(bucket);
  if (!b) {
    std::fprintf(stderr, "sesami stats: --bucket: expected hour, day, week or month\n");
    return 2;
  }
  req.bucket = *b;
  for (auto [text, slot] : {std::pair{&since, &req.from}, std::pair{&until, &req.to}}) {
    if (text->empty()) continue;
    auto ms = detail::parse_iso8601(*text);
    if (!ms) {
      std::fprintf(stderr, "sesami stats: not an ISO 8601 timestamp: '%s'\n", text->c_str());
      return 2;
    }
    *slot = *ms;
  }
  auto st = open_store("stats", sa);
  if (!st) return 2;
  auto agg = app::stats(*st, sa.workspace, req);
  if (!agg) {
    std::fprintf(stderr, "sesami stats: %s\n", agg.error().message.c_str());
    return 2;
  }
  if (json) {
    std::printf("%s\n", to_json(*agg).c_str());
    return 0;
  }
  std::printf("events: %llu in %zu %s buckets\n", static_cast<unsigned long long>(agg->events),
              agg->bucket_starts.size(), std::string(to_string(agg->bucket)).c_str());
  for (std::size_t t = 0; t < event_type_count; ++t)
    if (agg->totals[t])
      std::printf("  %-18s %llu\n", std::string(to_string(static_cast<event_type>(t))).c_str(),
                  static_cast<unsigned long long>(agg->totals[t]));
  std::printf("opens: %llu (%llu machine), unique %llu, unique human %llu\n",
              static_cast<unsigned long long>(agg->opens.total),
              static_cast<unsigned long long>(agg->opens.machine),
              static_cast<unsigned long long>(agg->opens.unique),
              static_cast<unsigned long long>(agg->opens.unique_human));
  std::printf("clicks: %llu (%llu machine), unique %llu, unique human %llu\n",
              static_cast<unsigned long long>(agg->clicks.total),
              static_cast<unsigned long long>(agg->clicks.machine),
              static_cast<unsigned long long>(agg->clicks.unique),
              static_cast<unsigned long long>(agg->clicks.unique_human));
  std::printf("rates:\n");
  print_rate("delivery", agg->delivery_rate());
  print_rate("bounce", agg->bounce_rate());
  print_rate("complaint", agg->complaint_rate());
  print_rate("open", agg->open_rate());
  print_rate("click", agg->click_rate());
  return 0;
}

}  // namespace sesami::cli
