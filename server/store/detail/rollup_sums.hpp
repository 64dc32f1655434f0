#pragma once
// One transaction's rollup deltas (computed by the core's roll_up, include/sesami/rollup.hpp),
// summed per table key before a backend writes them with count = count + delta upserts. Shared by
// both backends: the keys are the tables' (workspace, hour index as rollup_time.hpp files it, and
// the event type, link, domain or status).
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>

#include <sesami/rollup.hpp>

#include "rollup_time.hpp"

namespace sesami::store::detail {

/// The rollups table's counters, in its column order.
struct rollup_delta {
  std::int64_t count = 0, machine = 0, uniq = 0, uniq_human = 0, hard = 0, soft = 0, suppressed = 0,
               undetermined = 0, sim_count = 0, sim_uniq_human = 0, sim_hard = 0;
};
inline rollup_delta& operator+=(rollup_delta& a, const rollup_delta& b) noexcept {
  a.count += b.count, a.machine += b.machine, a.uniq += b.uniq, a.uniq_human += b.uniq_human;
  a.hard += b.hard, a.soft += b.soft, a.suppressed += b.suppressed;
  a.undetermined += b.undetermined, a.sim_count += b.sim_count;
  a.sim_uniq_human += b.sim_uniq_human, a.sim_hard += b.sim_hard;
  return a;
}
struct link_delta {
  std::int64_t clicks = 0, human = 0, uniq = 0;
};
struct domain_delta {
  std::int64_t bounces = 0, hard = 0;
};

using rollup_key = std::tuple<std::string, std::int64_t, int>;        // workspace, hour, type
using name_key = std::tuple<std::string, std::int64_t, std::string>;  // workspace, hour, name
using status_key = std::pair<std::string, int>;                       // workspace, status

struct rollup_sums {
  std::map<rollup_key, rollup_delta> rollups;
  std::map<name_key, link_delta> links;
  std::map<name_key, domain_delta> domains;
  std::map<status_key, std::int64_t> statuses;      // status_counts
  std::map<rollup_key, std::int64_t> status_hours;  // status_rollups: hour of first_seen, status

  /// Adds one event's deltas, for workspace ws.
  void add(const std::string& ws, const sesami::rollup_deltas& d) {
    for (const auto& r : d.types)
      rollups[rollup_key{ws, hour_of(r.hour), static_cast<int>(r.type)}] += rollup_delta{
          r.count,      r.machine,      r.unique,    r.unique_human,     r.hard,    r.soft,
          r.suppressed, r.undetermined, r.sim_count, r.sim_unique_human, r.sim_hard};
    for (const auto& l : d.links) {
      auto& x = links[name_key{ws, hour_of(l.hour), l.link}];
      x.clicks += l.clicks, x.human += l.human, x.uniq += l.unique;
    }
    for (const auto& m : d.domains) {
      auto& x = domains[name_key{ws, hour_of(m.hour), m.domain}];
      x.bounces += m.bounces, x.hard += m.hard;
    }
    for (const auto& st : d.statuses) {
      status_hours[rollup_key{ws, hour_of(st.hour), static_cast<int>(st.status)}] += st.n;
      statuses[status_key{ws, static_cast<int>(st.status)}] += st.n;
    }
  }
};

}  // namespace sesami::store::detail
