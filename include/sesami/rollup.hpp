#pragma once
// The rollup arithmetic, once: what one newly stored event changes in its (message, recipient)
// pair's state (status by precedence, first seen, first opens and clicks) and in the rollup
// counters a store keeps per hour (events per type, machine share, bounce classes, the mailbox
// simulator's share, link clicks, bounces per domain, pairs per status), as plain deltas a store
// applies with commutative upserts (count = count + delta). aggregate_rollups() turns the rows a
// store reads back into the aggregation aggregate() computes from the events themselves.
//
// The counters are order-independent: a pair's unique open (click) counts in the hour of its
// earliest open (click) and moves there when an earlier one arrives late; its status row counts
// in the hour of its first status event with its highest status. Reputation rates count events
// for pairs (send, delivery, complaint, hard bounce), which equals counting pairs because SES
// sends at most one of each per pair and a store keeps each event identity once.
#include <array>        // pair state firsts
#include <cstdint>      // counters
#include <map>          // link and domain sums, rollup_tables
#include <optional>     // state fields
#include <set>          // rollup_tables: identities
#include <span>         // inputs
#include <string>       // link and domain keys
#include <string_view>  // recipient
#include <tuple>        // rollup_tables: keys
#include <utility>      // status counts
#include <vector>       // deltas

#include <sesami/aggregate.hpp>
#include <sesami/error.hpp>
#include <sesami/event.hpp>
#include <sesami/identity.hpp>

namespace sesami {

inline constexpr std::int64_t rollup_hour_ms = 3'600'000;

/// The start (ms, UTC) of the hour holding t: the rollups' time key.
constexpr std::int64_t rollup_hour(std::int64_t t) noexcept {
  return detail::floor_div(t, rollup_hour_ms) * rollup_hour_ms;
}

/// Counters for one hour and one event type.
struct rollup_row {
  std::int64_t hour = 0;  // ms since epoch at the start of the hour (UTC)
  event_type type = event_type::unknown;
  std::int64_t count = 0;    // events
  std::int64_t machine = 0;  // of which flagged machine (opens, clicks)
  std::int64_t unique = 0;   // opens/clicks: (message, recipient) pairs whose first one is here
  std::int64_t unique_human = 0;  // the same, counting human opens/clicks only
  // bounces by our classification (bounce_class): hard, soft, suppressed, undetermined
  std::int64_t hard = 0, soft = 0, suppressed = 0, undetermined = 0;
  // The mailbox simulator's share (recipients @simulator.amazonses.com), left out of the rates:
  // events, unique_human, hard.
  std::int64_t sim_count = 0, sim_unique_human = 0, sim_hard = 0;
  friend bool operator==(const rollup_row&, const rollup_row&) = default;
};
/// Clicks on one link over a range of hours; unique: (message, recipient) pairs whose first click
/// on the link falls in the range.
struct link_rollup {
  std::string link;
  std::int64_t clicks = 0, human = 0, unique = 0;
  friend bool operator==(const link_rollup&, const link_rollup&) = default;
};
/// Bounces to one recipient domain over a range of hours.
struct domain_rollup {
  std::string domain;
  std::int64_t bounces = 0, hard = 0;
  friend bool operator==(const domain_rollup&, const domain_rollup&) = default;
};

/// A (message, recipient) pair as a store keeps it. A recipient-less event (an open of a
/// multi-recipient message) belongs to the pair (message, "").
struct pair_state {
  std::optional<delivery_status> status;       // none until a status-bearing event
  std::int64_t first_seen = 0, last_seen = 0;  // of its status-bearing events
  /// Earliest open, human open, click, human click (indexes: the first_* constants).
  std::array<std::optional<std::int64_t>, 4> firsts{};
  static constexpr std::size_t first_open = 0, first_human_open = 1, first_click = 2,
                               first_human_click = 3;
  friend bool operator==(const pair_state&, const pair_state&) = default;
};

/// Increments to the rollup tables, keyed by hour (ms at the hour's start) and the fields named.
/// A store sums equal keys (and may sum hours into days) and applies them as count += delta.
struct rollup_deltas {
  struct link_delta {
    std::int64_t hour = 0;
    std::string link;
    std::int64_t clicks = 0, human = 0, unique = 0;
    friend bool operator==(const link_delta&, const link_delta&) = default;
  };
  struct domain_delta {
    std::int64_t hour = 0;
    std::string domain;
    std::int64_t bounces = 0, hard = 0;
    friend bool operator==(const domain_delta&, const domain_delta&) = default;
  };
  /// Pairs per status, in the hour of the pair's first status event.
  struct status_delta {
    std::int64_t hour = 0;
    delivery_status status = delivery_status::sent;
    std::int64_t n = 0;
    friend bool operator==(const status_delta&, const status_delta&) = default;
  };
  std::vector<rollup_row> types;
  std::vector<link_delta> links;
  std::vector<domain_delta> domains;
  std::vector<status_delta> statuses;

  void clear() noexcept { types.clear(), links.clear(), domains.clear(), statuses.clear(); }
  friend bool operator==(const rollup_deltas&, const rollup_deltas&) = default;
};

namespace detail {
inline rollup_row& type_delta(rollup_deltas& d, std::int64_t t, event_type type) {
  return d.types.emplace_back(rollup_row{.hour = rollup_hour(t), .type = type});
}
}  // namespace detail

/// Rolls one newly stored event into its pair's state and appends what changes to `out`. Call it
/// once per stored event identity (a duplicate would count twice), in any order: the state and
/// the sums of the deltas do not depend on it. `recipient` is the pair's recipient as the store
/// keys it (lower-cased; "" for none). `link_first` is the pair's earliest click on this click's
/// link (the store's per (pair, link) row), updated here; nullptr for other events.
inline void roll_up(const event& ev, std::string_view recipient, pair_state& pair,
                    std::optional<std::int64_t>* link_first, rollup_deltas& out) {
  const bool sim = is_simulator(recipient);
  const bool machine = ev.machine();
  const std::int64_t t = ev.timestamp;

  rollup_row& row = detail::type_delta(out, t, ev.type);
  row.count = 1;
  row.machine = machine;
  row.sim_count = sim;
  if (const auto* b = ev.get<bounce_info>()) {
    const bool hard = b->cls == bounce_class::hard;
    row.hard = hard;
    row.soft = b->cls == bounce_class::soft;
    row.suppressed = b->cls == bounce_class::suppressed;
    row.undetermined = b->cls == bounce_class::undetermined;
    row.sim_hard = sim && hard;
    if (const auto dom = detail::domain_of(recipient); !dom.empty())
      out.domains.push_back({rollup_hour(t), std::string(dom), 1, hard});
  }
  if (const auto* c = ev.get<click_info>(); c && !c->link.empty() && link_first) {
    const bool earliest = !*link_first || t < **link_first;
    if (earliest && *link_first)  // the pair's first click on the link moves here
      out.links.push_back({rollup_hour(**link_first), c->link, 0, 0, -1});
    out.links.push_back({rollup_hour(t), c->link, 1, machine ? 0 : 1, earliest ? 1 : 0});
    if (earliest) *link_first = t;
  }

  const std::optional<delivery_status> st = status_of(ev.type);
  if (!st) return;  // subscription, unknown: counted, but no status

  // Status by precedence; the pair's status row counts in the hour of its first status event.
  const std::optional<delivery_status> old_status = pair.status;
  const std::int64_t old_first = pair.first_seen;
  if (!pair.status) {
    pair.status = *st;
    pair.first_seen = pair.last_seen = t;
  } else {
    pair.status = merge_status(*pair.status, *st);
    pair.first_seen = std::min(pair.first_seen, t);
    pair.last_seen = std::max(pair.last_seen, t);
  }
  if (pair.status != old_status || rollup_hour(pair.first_seen) != rollup_hour(old_first)) {
    if (old_status) out.statuses.push_back({rollup_hour(old_first), *old_status, -1});
    out.statuses.push_back({rollup_hour(pair.first_seen), *pair.status, 1});
  }

  // Unique opens and clicks: the pair counts once, in the hour of its earliest one.
  auto first = [&](std::size_t slot) {
    auto& f = pair.firsts[slot];
    if (f && *f <= t) return;
    const bool human = slot % 2 == 1;
    if (f) {
      rollup_row& old = detail::type_delta(out, *f, ev.type);
      (human ? old.unique_human : old.unique) = -1;
      if (human && sim) old.sim_unique_human = -1;
    }
    rollup_row& now = detail::type_delta(out, t, ev.type);
    (human ? now.unique_human : now.unique) = 1;
    if (human && sim) now.sim_unique_human = 1;
    f = t;
  };
  if (ev.type == event_type::open || ev.type == event_type::click) {
    const std::size_t base =
        ev.type == event_type::open ? pair_state::first_open : pair_state::first_click;
    first(base);
    if (!machine) first(base + 1);
  }
}

/// The same, for the pair of the event's own recipient.
inline void roll_up(const event& ev, pair_state& pair, std::optional<std::int64_t>* link_first,
                    rollup_deltas& out) {
  roll_up(ev, ev.recipient ? std::string_view(*ev.recipient) : std::string_view(), pair, link_first,
          out);
}

/// What a store reads back for a range of hours: per-type rows (hourly or summed by day, as long
/// as each row's hour lies in its bucket), link and domain counters (one row per name, or several
/// that are summed), and the pairs per status.
struct rollup_input {
  std::span<const rollup_row> types;
  std::span<const link_rollup> links;
  std::span<const domain_rollup> domains;
  std::span<const std::pair<delivery_status, std::int64_t>> statuses;
};

/// The aggregation of stored rollups: the same as aggregate() over the events they were rolled up
/// from, for bucket edges on whole hours. options.from / options.to bound the series as in
/// aggregate(); without them the series spans the rows' hours. Fails (bad_filter) on an offset
/// that is not whole hours or beyond ±14 h, or past options.max_buckets buckets.
inline result<aggregation> aggregate_rollups(const rollup_input& in,
                                             const aggregate_options& options = {}) {
  using namespace detail;
  if (auto c = check_offset(options); !c) return c.error();
  if (options.offset_minutes % 60 != 0)
    return error{errc::bad_filter, "offset: whole hours (rollups are hourly)"};
  aggregation out;

  std::optional<std::int64_t> lo = options.from, hi;
  if (options.to) hi = *options.to - 1;
  if ((!lo || !hi) && !in.types.empty()) {
    std::int64_t mn = in.types.front().hour, mx = in.types.front().hour;
    for (const auto& r : in.types) mn = std::min(mn, r.hour), mx = std::max(mx, r.hour);
    if (!lo) lo = mn;
    if (!hi) hi = mx + rollup_hour_ms - 1;
  }
  auto span = series_span(out, options, lo, hi);
  if (!span) return span.error();

  // The simulator's share, per type, subtracted from the rates below (USERS #9).
  std::array<std::uint64_t, event_type_count> sim_events{};
  std::uint64_t sim_opened = 0, sim_clicked = 0, sim_hard = 0;
  auto u = [](std::int64_t v) { return static_cast<std::uint64_t>(v); };
  for (const auto& r : in.types) {
    const auto t = static_cast<std::size_t>(r.type);
    if (t >= event_type_count) continue;
    out.events += u(r.count);
    out.totals[t] += u(r.count);
    sim_events[t] += u(r.sim_count);
    const std::size_t k = span->index(options.bucket, r.hour);
    if (k < span->buckets) out.series[t][k] += static_cast<std::uint32_t>(r.count);
    if (r.type == event_type::open || r.type == event_type::click) {
      const bool open = r.type == event_type::open;
      engagement& e = open ? out.opens : out.clicks;
      e.machine += u(r.machine);
      e.unique += u(r.unique);
      e.unique_human += u(r.unique_human);
      (open ? sim_opened : sim_clicked) += u(r.sim_unique_human);
      if (k < span->buckets)
        (open ? out.machine_open_series : out.machine_click_series)[k] +=
            static_cast<std::uint32_t>(r.machine);
    } else if (r.type == event_type::bounce) {
      out.bounce_classes[static_cast<std::size_t>(bounce_class::hard)] += u(r.hard);
      out.bounce_classes[static_cast<std::size_t>(bounce_class::soft)] += u(r.soft);
      out.bounce_classes[static_cast<std::size_t>(bounce_class::suppressed)] += u(r.suppressed);
      out.bounce_classes[static_cast<std::size_t>(bounce_class::undetermined)] += u(r.undetermined);
      sim_hard += u(r.sim_hard);
    }
  }
  finish_engagement(out);
  auto no_sim = [&](event_type t) {
    const auto i = static_cast<std::size_t>(t);
    return out.totals[i] - sim_events[i];
  };
  out.sent = no_sim(event_type::send);
  out.delivered = no_sim(event_type::delivery);
  out.complained = no_sim(event_type::complaint);
  out.hard_bounced = out.bounce_classes[static_cast<std::size_t>(bounce_class::hard)] - sim_hard;
  out.human_opened = out.opens.unique_human - sim_opened;
  out.human_clicked = out.clicks.unique_human - sim_clicked;
  for (const auto n : sim_events) out.simulator_events += n;

  for (const auto& [st, n] : in.statuses)
    if (static_cast<std::size_t>(st) < delivery_status_count)
      out.statuses[static_cast<std::size_t>(st)] += u(n);

  // Names summed first: a store may hand over one row per hour.
  std::map<std::string_view, link_stat> links;
  for (const auto& l : in.links) {
    link_stat& s = links[l.link];
    s.clicks += u(l.clicks), s.human_clicks += u(l.human), s.unique_clicks += u(l.unique);
  }
  for (auto& [name, s] : links)
    if (s.clicks != 0)
      out.top_links.push_back({std::string(name), s.clicks, s.human_clicks, s.unique_clicks});
  std::map<std::string_view, domain_stat> domains;
  for (const auto& d : in.domains) {
    domain_stat& s = domains[d.domain];
    s.bounces += u(d.bounces), s.hard_bounces += u(d.hard);
  }
  for (auto& [name, s] : domains)
    if (s.bounces != 0)
      out.top_bouncing_domains.push_back({std::string(name), s.bounces, s.hard_bounces});
  finish_top_lists(out, options.top);
  return out;
}

/// The rollup tables in memory, as a store keeps them: each event identity once, the pair and
/// pair-link states, the deltas summed by key (count = count + delta). A reference persister:
/// after the same events, in any order and with repeats, it holds what a database store holds.
class rollup_tables {
 public:
  /// Rolls up one event; false when its identity was seen before (nothing changes).
  bool add(const event& ev) {
    if (!ids_.insert(event_id(ev)).second) return false;
    const std::string rcpt = ev.recipient.value_or("");
    pair_state& p = pairs_[{ev.message_id, rcpt}];
    std::optional<std::int64_t>* first_click = nullptr;
    if (const auto* c = ev.get<click_info>(); c && !c->link.empty())
      first_click = &pair_links_[{ev.message_id, rcpt, c->link}];
    deltas_.clear();
    roll_up(ev, rcpt, p, first_click, deltas_);
    apply(deltas_);
    return true;
  }

  /// The rows a store reads back for all hours: per-type rows by hour, link and domain rows by
  /// hour, pairs per status. input() views them for aggregate_rollups().
  struct rows {
    std::vector<rollup_row> types;
    std::vector<link_rollup> links;
    std::vector<domain_rollup> domains;
    std::vector<std::pair<delivery_status, std::int64_t>> statuses;
    rollup_input input() const { return {types, links, domains, statuses}; }
  };
  rows read() const {
    rows out;
    for (const auto& [k, r] : types_) out.types.push_back(r);
    for (const auto& [k, r] : links_) out.links.push_back(r);
    for (const auto& [k, r] : domains_) out.domains.push_back(r);
    std::map<delivery_status, std::int64_t> by_status;
    for (const auto& [k, n] : statuses_) by_status[k.second] += n;
    for (const auto& [st, n] : by_status)
      if (n != 0) out.statuses.emplace_back(st, n);
    return out;
  }

  std::size_t size() const noexcept { return ids_.size(); }
  const std::map<std::pair<std::string, std::string>, pair_state>& pairs() const noexcept {
    return pairs_;
  }
  /// Per-type rows keyed by (hour, type).
  const std::map<std::pair<std::int64_t, event_type>, rollup_row>& types() const noexcept {
    return types_;
  }
  /// Link rows keyed by (hour, link).
  const std::map<std::pair<std::int64_t, std::string>, link_rollup>& links() const noexcept {
    return links_;
  }

 private:
  void apply(const rollup_deltas& d) {
    for (const auto& r : d.types) {
      rollup_row& s = types_[{r.hour, r.type}];
      s.hour = r.hour, s.type = r.type;
      s.count += r.count, s.machine += r.machine, s.unique += r.unique;
      s.unique_human += r.unique_human, s.hard += r.hard, s.soft += r.soft;
      s.suppressed += r.suppressed, s.undetermined += r.undetermined;
      s.sim_count += r.sim_count, s.sim_unique_human += r.sim_unique_human;
      s.sim_hard += r.sim_hard;
    }
    for (const auto& l : d.links) {
      link_rollup& s = links_[{l.hour, l.link}];
      s.link = l.link, s.clicks += l.clicks, s.human += l.human, s.unique += l.unique;
    }
    for (const auto& x : d.domains) {
      domain_rollup& s = domains_[{x.hour, x.domain}];
      s.domain = x.domain, s.bounces += x.bounces, s.hard += x.hard;
    }
    for (const auto& st : d.statuses) statuses_[{st.hour, st.status}] += st.n;
  }

  std::set<std::string> ids_;
  std::map<std::pair<std::string, std::string>, pair_state> pairs_;  // (message, recipient)
  std::map<std::tuple<std::string, std::string, std::string>, std::optional<std::int64_t>>
      pair_links_;  // (message, recipient, link) → first click
  std::map<std::pair<std::int64_t, event_type>, rollup_row> types_;
  std::map<std::pair<std::int64_t, std::string>, link_rollup> links_;
  std::map<std::pair<std::int64_t, std::string>, domain_rollup> domains_;
  std::map<std::pair<std::int64_t, delivery_status>, std::int64_t> statuses_;
  rollup_deltas deltas_;
};

}  // namespace sesami
