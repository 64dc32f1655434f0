#pragma once
// The aggregation as JSON: what `sesami aggregate`, GET /stats and the wasm package's aggregate()
// print, byte for byte. Written by hand rather than through boost::json::serialize so that the key
// order is fixed by this file and rates are plain decimals ("0.0525", not "5.25E-2") computed from
// integers — the same bytes from libstdc++ and libc++. Shape: docs/columnar.md.
#include <charconv>     // std::to_chars for integers
#include <cstdint>      // counters
#include <string>       // output
#include <string_view>  // keys

#include <sesami/aggregate.hpp>
#include <sesami/detail/iso8601.hpp>
#include <sesami/to_json.hpp>  // append_json_string: the one JSON string escaper

namespace sesami {
namespace detail {
template <class Int>
void json_int(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

/// A number of parts per million as a decimal: 52500 → 0.0525, 1000000 → 1.
inline void json_ppm(std::string& out, std::uint64_t ppm) {
  json_int(out, ppm / 1'000'000);
  std::uint64_t frac = ppm % 1'000'000;
  if (frac == 0) return;
  char digits[7] = "000000";
  for (int i = 5; i >= 0; --i, frac /= 10) digits[i] = static_cast<char>('0' + frac % 10);
  std::size_t n = 6;
  while (digits[n - 1] == '0') --n;
  out.push_back('.');
  out.append(digits, n);
}

/// The bucket's local start with its offset: "2026-03-01T00:00:00.000+01:00" (Z for UTC).
inline void json_label(std::string& out, std::int64_t utc_start, int offset_minutes) {
  char buf[24];
  format_iso8601(utc_start + std::int64_t{offset_minutes} * 60'000, buf);
  out.push_back('"');
  if (offset_minutes == 0) {
    out.append(buf, 24);
  } else {
    out.append(buf, 23);
    const int m = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    out.push_back(offset_minutes < 0 ? '-' : '+');
    const char hhmm[] = {static_cast<char>('0' + m / 600), static_cast<char>('0' + m / 60 % 10),
                         ':', static_cast<char>('0' + m % 60 / 10),
                         static_cast<char>('0' + m % 10)};
    out.append(hhmm, 5);
  }
  out.push_back('"');
}

template <class Seq>
void json_int_array(std::string& out, const Seq& v) {
  out.push_back('[');
  bool first = true;
  for (const auto x : v) {
    if (!first) out.push_back(',');
    first = false;
    json_int(out, x);
  }
  out.push_back(']');
}

inline void json_key(std::string& out, std::string_view key) {
  if (out.back() != '{') out.push_back(',');
  append_json_string(out, key);
  out.push_back(':');
}

inline void json_rate(std::string& out, const rate& r) {
  out.append("{\"value\":");
  if (const auto ppm = r.ppm())
    json_ppm(out, *ppm);
  else
    out.append("null");
  json_key(out, "numerator");
  json_int(out, r.numerator);
  json_key(out, "denominator");
  json_int(out, r.denominator);
}
inline void json_rate(std::string& out, const rate& r, std::uint64_t warning,
                      std::uint64_t review) {
  json_rate(out, r);
  json_key(out, "warning");
  json_ppm(out, warning);
  json_key(out, "review");
  json_ppm(out, review);
  json_key(out, "level");
  append_json_string(out, to_string(r.level(warning, review)));
  out.push_back('}');
}

inline void json_engagement(std::string& out, const engagement& e) {
  out.push_back('{');
  json_key(out, "total");
  json_int(out, e.total);
  json_key(out, "human");
  json_int(out, e.human);
  json_key(out, "machine");
  json_int(out, e.machine);
  json_key(out, "unique");
  json_int(out, e.unique);
  json_key(out, "uniqueHuman");
  json_int(out, e.unique_human);
  out.push_back('}');
}
}  // namespace detail

/// One line of JSON, no trailing newline. Keys in a fixed order; rates rounded to parts per
/// million.
inline std::string to_json(const aggregation& a) {
  using namespace detail;
  std::string out;
  out.reserve(1024 + a.bucket_starts.size() * (40 + 8 * (event_type_count + 2)));
  out.push_back('{');
  json_key(out, "bucket");
  append_json_string(out, to_string(a.bucket));
  json_key(out, "offsetMinutes");
  json_int(out, a.offset_minutes);
  json_key(out, "events");
  json_int(out, a.events);

  json_key(out, "series");
  out.push_back('{');
  json_key(out, "labels");
  out.push_back('[');
  for (std::size_t k = 0; k < a.bucket_starts.size(); ++k) {
    if (k) out.push_back(',');
    json_label(out, a.bucket_starts[k], a.offset_minutes);
  }
  out.push_back(']');
  json_key(out, "types");
  out.push_back('{');
  for (std::size_t t = 0; t < event_type_count; ++t) {
    json_key(out, to_string(static_cast<event_type>(t)));
    json_int_array(out, a.series[t]);
  }
  out.push_back('}');
  json_key(out, "machineOpens");
  json_int_array(out, a.machine_open_series);
  json_key(out, "machineClicks");
  json_int_array(out, a.machine_click_series);
  out.push_back('}');

  json_key(out, "totals");
  out.push_back('{');
  for (std::size_t t = 0; t < event_type_count; ++t) {
    json_key(out, to_string(static_cast<event_type>(t)));
    json_int(out, a.totals[t]);
  }
  out.push_back('}');
  json_key(out, "opens");
  json_engagement(out, a.opens);
  json_key(out, "clicks");
  json_engagement(out, a.clicks);
  json_key(out, "statuses");
  out.push_back('{');
  for (std::size_t s = 0; s < delivery_status_count; ++s) {
    json_key(out, to_string(static_cast<delivery_status>(s)));
    json_int(out, a.statuses[s]);
  }
  out.push_back('}');
  json_key(out, "bounceClasses");
  out.push_back('{');
  for (std::size_t c = 1; c < a.bounce_classes.size(); ++c) {
    json_key(out, to_string(static_cast<bounce_class>(c)));
    json_int(out, a.bounce_classes[c]);
  }
  out.push_back('}');

  json_key(out, "rates");
  out.push_back('{');
  json_key(out, "sent");
  json_int(out, a.sent);
  json_key(out, "delivered");
  json_int(out, a.delivered);
  json_key(out, "simulatorEventsExcluded");
  json_int(out, a.simulator_events);
  json_key(out, "delivery");
  json_rate(out, a.delivery_rate());
  out.push_back('}');
  json_key(out, "bounce");
  json_rate(out, a.bounce_rate(), bounce_warning_ppm, bounce_review_ppm);
  json_key(out, "complaint");
  json_rate(out, a.complaint_rate(), complaint_warning_ppm, complaint_review_ppm);
  json_key(out, "open");
  json_rate(out, a.open_rate());
  out.push_back('}');
  json_key(out, "click");
  json_rate(out, a.click_rate());
  out.push_back('}');
  out.push_back('}');

  json_key(out, "topLinks");
  out.push_back('[');
  for (std::size_t i = 0; i < a.top_links.size(); ++i) {
    const auto& l = a.top_links[i];
    out.append(i ? ",{" : "{");
    json_key(out, "link");
    append_json_string(out, l.link);
    json_key(out, "clicks");
    json_int(out, l.clicks);
    json_key(out, "humanClicks");
    json_int(out, l.human_clicks);
    json_key(out, "uniqueClicks");
    json_int(out, l.unique_clicks);
    out.push_back('}');
  }
  out.push_back(']');
  json_key(out, "topBouncingDomains");
  out.push_back('[');
  for (std::size_t i = 0; i < a.top_bouncing_domains.size(); ++i) {
    const auto& d = a.top_bouncing_domains[i];
    out.append(i ? ",{" : "{");
    json_key(out, "domain");
    append_json_string(out, d.domain);
    json_key(out, "bounces");
    json_int(out, d.bounces);
    json_key(out, "hardBounces");
    json_int(out, d.hard_bounces);
    out.push_back('}');
  }
  out.push_back(']');
  out.push_back('}');
  return out;
}

}  // namespace sesami
