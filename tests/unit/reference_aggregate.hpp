#pragma once
// The obvious way: filter and aggregate row by row over std::vector<event>, with strings, hash
// sets and calendar arithmetic — written from docs/columnar.md's definitions without any of the
// columnar code, so that the tests can check select() and aggregate() against it on random data,
// and the benchmark can time the columnar path against it.
#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <sesami/aggregate.hpp>
#include <sesami/event.hpp>
#include <sesami/filter.hpp>

namespace sesami::testing {

inline std::string pair_key(const event& e) {
  return e.message_id + '\n' + (e.recipient ? *e.recipient : std::string());
}
inline std::string domain_part(const event& e) {
  if (!e.recipient) return {};
  const auto at = e.recipient->rfind('@');
  return at == std::string::npos ? std::string() : e.recipient->substr(at + 1);
}
inline std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

inline bool ref_recipient_match(const event& e, std::string p) {
  p = lower(p);
  if (p.size() > 1 && p[0] == '@') return e.recipient && domain_part(e) == p.substr(1);
  if (!e.recipient || e.recipient->empty()) return false;
  const std::string& a = *e.recipient;
  const bool lead = p.front() == '*', trail = p.size() > 1 && p.back() == '*';
  std::string core = p.substr(lead ? 1 : 0, p.size() - (lead ? 1 : 0) - (trail ? 1 : 0));
  if (lead && trail) return a.find(core) != std::string::npos;
  if (lead)
    return a.size() >= core.size() && a.compare(a.size() - core.size(), core.size(), core) == 0;
  if (trail) return a.rfind(core, 0) == 0;
  return a == core;
}

/// Indices of the events that pass f, by the definitions.
inline std::vector<std::uint32_t> reference_select(const std::vector<event>& events,
                                                   const filter& f) {
  std::unordered_map<std::string, int> status;  // -1: none yet
  for (const auto& e : events) {
    auto [it, _] = status.try_emplace(pair_key(e), -1);
    if (auto s = status_of(e.type)) it->second = std::max(it->second, static_cast<int>(*s));
  }
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const event& e = events[i];
    if (f.from && e.timestamp < *f.from) continue;
    if (f.to && e.timestamp >= *f.to) continue;
    if (!f.types.empty() && std::find(f.types.begin(), f.types.end(), e.type) == f.types.end())
      continue;
    if (!f.statuses.empty()) {
      const int s = status.at(pair_key(e));
      if (s < 0 || std::find(f.statuses.begin(), f.statuses.end(),
                             static_cast<delivery_status>(s)) == f.statuses.end())
        continue;
    }
    if (!f.recipients.empty() &&
        std::none_of(f.recipients.begin(), f.recipients.end(),
                     [&](const std::string& p) { return ref_recipient_match(e, p); }))
      continue;
    if (!f.message_ids.empty() &&
        std::find(f.message_ids.begin(), f.message_ids.end(), e.message_id) == f.message_ids.end())
      continue;
    if (!f.configuration_sets.empty() &&
        (e.configuration_set.empty() ||
         std::find(f.configuration_sets.begin(), f.configuration_sets.end(), e.configuration_set) ==
             f.configuration_sets.end()))
      continue;
    if (!f.tags.empty()) {
      std::map<std::string, std::set<std::string>> wanted;
      for (const auto& t : f.tags) wanted[t.name].insert(t.value);
      bool ok = true;
      for (const auto& [name, values] : wanted) {
        bool any = false;
        for (const auto& [tn, tv] : e.tags)
          if (tn == name)
            for (const auto& v : tv) any = any || values.count(v);
        ok = ok && any;
      }
      if (!ok) continue;
    }
    if (f.machine == machine_filter::exclude && e.machine()) continue;
    if (f.machine == machine_filter::only && !e.machine()) continue;
    out.push_back(static_cast<std::uint32_t>(i));
  }
  return out;
}

/// Local start of the bucket holding local instant `local`, by calendar fields.
inline std::int64_t ref_bucket_start(bucket_kind k, std::int64_t local) {
  const std::int64_t day_ms = 86'400'000;
  std::int64_t days = local / day_ms;
  if (local % day_ms < 0) --days;
  const std::int64_t in_day = local - days * day_ms;
  const detail::civil c = detail::civil_from_days(days);
  switch (k) {
    case bucket_kind::hour:
      return days * day_ms + in_day / 3'600'000 * 3'600'000;
    case bucket_kind::day:
      return days * day_ms;
    case bucket_kind::week: {
      // Weekday of the civil date, Monday = 0, by Zeller's congruence.
      std::int64_t y = c.year;
      unsigned m = c.month;
      if (m < 3) {
        m += 12;
        --y;
      }
      const std::int64_t K = y % 100, J = y / 100;
      const std::int64_t h = (c.day + 13 * (m + 1) / 5 + K + K / 4 + J / 4 + 5 * J) % 7;  // 0=Sat
      const std::int64_t monday0 = (h + 5) % 7;
      return (days - monday0) * day_ms;
    }
    case bucket_kind::month:
      return detail::days_from_civil(c.year, c.month, 1) * day_ms;
  }
  return 0;
}
inline std::int64_t ref_next_bucket(bucket_kind k, std::int64_t start) {
  switch (k) {
    case bucket_kind::hour:
      return start + 3'600'000;
    case bucket_kind::day:
      return start + 86'400'000;
    case bucket_kind::week:
      return start + 7 * 86'400'000LL;
    case bucket_kind::month: {
      const detail::civil c = detail::civil_from_days(start / 86'400'000);
      return detail::days_from_civil(c.year + (c.month == 12), c.month % 12 + 1, 1) * 86'400'000;
    }
  }
  return 0;
}

inline aggregation reference_aggregate(const std::vector<event>& events,
                                       const std::vector<std::uint32_t>& sel,
                                       const aggregate_options& o) {
  aggregation a;
  a.bucket = o.bucket;
  a.offset_minutes = o.offset_minutes;
  a.events = sel.size();
  const std::int64_t off = std::int64_t{o.offset_minutes} * 60'000;
  std::optional<std::int64_t> lo = o.from, hi;
  if (o.to) hi = *o.to - 1;
  for (auto i : sel) {
    if (!o.from) lo = lo ? std::min(*lo, events[i].timestamp) : events[i].timestamp;
    if (!o.to) hi = hi ? std::max(*hi, events[i].timestamp) : events[i].timestamp;
  }
  if (lo && !hi) hi = lo;
  if (hi && !lo) lo = hi;
  std::map<std::int64_t, std::size_t> index;  // local bucket start → position
  if (lo && hi && *lo <= *hi) {
    const std::int64_t last = ref_bucket_start(o.bucket, *hi + off);
    for (std::int64_t s = ref_bucket_start(o.bucket, *lo + off); s <= last;
         s = ref_next_bucket(o.bucket, s)) {
      index[s] = a.bucket_starts.size();
      a.bucket_starts.push_back(s - off);
    }
  }
  for (auto& s : a.series) s.assign(a.bucket_starts.size(), 0);
  a.machine_open_series.assign(a.bucket_starts.size(), 0);
  a.machine_click_series.assign(a.bucket_starts.size(), 0);

  std::unordered_map<std::string, int> status;
  std::unordered_set<std::string> opened, h_opened, clicked, h_clicked;
  std::unordered_set<std::string> r_sent, r_deliv, r_hard, r_compl, r_hopen, r_hclick;
  std::map<std::string, link_stat> links;
  std::map<std::string, std::unordered_set<std::string>> link_pairs;
  std::map<std::string, domain_stat> domains;
  for (auto i : sel) {
    const event& e = events[i];
    const auto t = static_cast<std::size_t>(e.type);
    ++a.totals[t];
    auto pos = index.find(ref_bucket_start(o.bucket, e.timestamp + off));
    if (pos != index.end()) {
      ++a.series[t][pos->second];
      if (e.type == event_type::open && e.machine()) ++a.machine_open_series[pos->second];
      if (e.type == event_type::click && e.machine()) ++a.machine_click_series[pos->second];
    }
    const std::string key = pair_key(e);
    if (auto s = status_of(e.type)) {
      auto [it, _] = status.try_emplace(key, -1);
      it->second = std::max(it->second, static_cast<int>(*s));
    }
    const bool sim = domain_part(e) == simulator_domain;
    a.simulator_events += sim;
    switch (e.type) {
      case event_type::send:
        if (!sim) r_sent.insert(key);
        break;
      case event_type::delivery:
        if (!sim) r_deliv.insert(key);
        break;
      case event_type::bounce: {
        const auto cls = e.get<bounce_info>()->cls;
        ++a.bounce_classes[static_cast<std::size_t>(cls)];
        if (cls == bounce_class::hard && !sim) r_hard.insert(key);
        if (!domain_part(e).empty()) {
          auto& d = domains[domain_part(e)];
          d.domain = domain_part(e);
          ++d.bounces;
          d.hard_bounces += cls == bounce_class::hard;
        }
        break;
      }
      case event_type::complaint:
        if (!sim) r_compl.insert(key);
        break;
      case event_type::open:
        ++a.opens.total;
        opened.insert(key);
        if (e.machine()) {
          ++a.opens.machine;
        } else {
          ++a.opens.human;
          h_opened.insert(key);
          if (!sim) r_hopen.insert(key);
        }
        break;
      case event_type::click: {
        ++a.clicks.total;
        clicked.insert(key);
        if (e.machine()) {
          ++a.clicks.machine;
        } else {
          ++a.clicks.human;
          h_clicked.insert(key);
          if (!sim) r_hclick.insert(key);
        }
        const std::string& link = e.get<click_info>()->link;
        if (!link.empty()) {
          auto& l = links[link];
          l.link = link;
          ++l.clicks;
          l.human_clicks += !e.machine();
          link_pairs[link].insert(key);
        }
        break;
      }
      default:
        break;
    }
  }
  for (const auto& [k, s] : status)
    if (s >= 0) ++a.statuses[static_cast<std::size_t>(s)];
  a.opens.unique = opened.size();
  a.opens.unique_human = h_opened.size();
  a.clicks.unique = clicked.size();
  a.clicks.unique_human = h_clicked.size();
  a.sent = r_sent.size();
  a.delivered = r_deliv.size();
  a.hard_bounced = r_hard.size();
  a.complained = r_compl.size();
  a.human_opened = r_hopen.size();
  a.human_clicked = r_hclick.size();
  for (auto& [link, l] : links) {
    l.unique_clicks = link_pairs[link].size();
    a.top_links.push_back(l);
  }
  for (auto& [name, d] : domains) a.top_bouncing_domains.push_back(d);
  std::stable_sort(a.top_links.begin(), a.top_links.end(),
                   [](const link_stat& x, const link_stat& y) { return x.clicks > y.clicks; });
  std::stable_sort(
      a.top_bouncing_domains.begin(), a.top_bouncing_domains.end(),
      [](const domain_stat& x, const domain_stat& y) { return x.bounces > y.bounces; });
  if (a.top_links.size() > o.top) a.top_links.resize(o.top);
  if (a.top_bouncing_domains.size() > o.top) a.top_bouncing_domains.resize(o.top);
  return a;
}

}  // namespace sesami::testing
