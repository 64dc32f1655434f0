#pragma once
// Aggregation of events that arrive in pieces — a multi-gigabyte export read from a pipe — with
// the same result as aggregate(batch, filter, options) over all of them at once, and state bounded
// by the distinct keys (message-recipient pairs, clicked pair-links, links, bouncing domains,
// buckets), never by the number of events. Each piece is a batch; the filter's selection runs on
// it unchanged, and the per-event arithmetic is aggregate()'s own tables. Issue #21.
#include <algorithm>      // std::min, std::max, std::clamp
#include <array>          // per-type counters
#include <cstdint>        // counters
#include <limits>         // timestamp bounds
#include <map>            // buckets, ordered
#include <optional>       // the series' span
#include <string>         // keys
#include <string_view>    // dictionary entries
#include <unordered_map>  // per-key state
#include <unordered_set>  // clicked pair-links
#include <utility>        // std::move

#include <sesami/aggregate.hpp>
#include <sesami/batch.hpp>
#include <sesami/error.hpp>
#include <sesami/filter.hpp>

namespace sesami {

class aggregate_stream {
 public:
  /// Fails (bad_filter) on an offset beyond ±14 h, as aggregate() does. The series span the
  /// filter's time range when it has one, else the selected events'.
  static result<aggregate_stream> make(filter f, aggregate_options options = {}) {
    if (auto c = detail::check_offset(options); !c) return c.error();
    if (!options.from) options.from = f.from;
    if (!options.to) options.to = f.to;
    return aggregate_stream(std::move(f), options);
  }

  /// A status filter selects on each pair's status over every event, which only the whole input
  /// knows: then every piece goes to learn() first, and to add() in a second pass.
  bool needs_two_passes() const noexcept { return !filter_.statuses.empty(); }

  /// First pass (status filters only): each pair's status, in event.hpp's precedence.
  void learn(const batch& piece) {
    for (std::size_t i = 0; i < piece.size(); ++i) {
      const std::uint8_t s = detail::status_code(piece.type[i]);
      auto [it, fresh] = learned_.try_emplace(pair_key(piece, i), s);
      if (!fresh && s != no_status)
        it->second = it->second == no_status ? s : std::max(it->second, s);
    }
  }

  /// Adds the piece's events that pass the filter. With a status filter, after learn() has seen
  /// every piece: the piece's pair statuses are replaced by the whole input's.
  void add(batch& piece) {
    if (needs_two_passes()) {
      for (std::size_t i = 0; i < piece.size(); ++i) {
        const auto it = learned_.find(pair_key(piece, i));
        piece.pair_status[piece.pair[i]] = it == learned_.end() ? no_status : it->second;
      }
    }
    const selection sel = select(piece, filter_);
    const std::uint32_t sim_domain =
        piece.domains.find(simulator_domain).value_or(std::numeric_limits<std::uint32_t>::max());
    static constexpr auto table = detail::pair_bits_table();
    constexpr auto open = static_cast<std::uint8_t>(event_type::open);
    constexpr auto click = static_cast<std::uint8_t>(event_type::click);
    constexpr auto bounce = static_cast<std::uint8_t>(event_type::bounce);
    constexpr std::int64_t limit = std::int64_t{1} << 52;
    const std::int64_t offset_ms = std::int64_t{options_.offset_minutes} * 60'000;
    for (const std::uint32_t i : sel) {
      const std::uint8_t t = piece.type[i];
      const unsigned machine = piece.flags[i] & event_flags::machine;
      const unsigned sim = piece.domain[i] == sim_domain;
      const unsigned tm = t * 2u + machine;
      ++by_type_[tm];
      sim_events_ += sim;
      const std::int64_t ts = piece.timestamp[i];
      lo_ = std::min(lo_, ts);
      hi_ = std::max(hi_, ts);
      ++events_;
      auto& row =
          buckets_[detail::bucket_key(options_.bucket, std::clamp(ts, -limit, limit) + offset_ms)];
      ++row[t];
      if (t == open && machine) ++row[machine_open_slot];
      if (t == click && machine) ++row[machine_click_slot];
      std::uint16_t bits = table[tm * 2 + sim];
      std::string key = pair_key(piece, i);
      if (t == bounce) {
        const unsigned cls =
            (piece.flags[i] & event_flags::bounce_class_mask) >> event_flags::bounce_class_shift;
        ++bounce_classes_[cls];
        const bool hard = cls == static_cast<unsigned>(bounce_class::hard);
        auto& d = domains_[std::string(piece.domains[piece.domain[i]])];
        ++d.first;
        d.second += hard;
        if (hard && !sim) bits |= detail::r_hard;
      } else if (t == click) {
        const std::string_view link = piece.links[piece.link[i]];
        auto& l = links_[std::string(link)];
        ++l.clicks;
        l.human += !machine;
        std::string pl = key;
        pl += '\0';
        pl += link;
        l.unique += pair_links_.insert(std::move(pl)).second;
      }
      // Status: the higher of old and new (precedence); every other bit accumulates.
      std::uint16_t& st = pairs_[std::move(key)];
      st = static_cast<std::uint16_t>(
          std::max<std::uint16_t>(st & detail::status_bits, bits & detail::status_bits) |
          ((st | bits) & ~detail::status_bits));
    }
  }

  /// The aggregation of every event added. Fails (bad_filter) past options.max_buckets.
  result<aggregation> finish() const {
    using namespace detail;
    aggregation out;
    out.events = events_;
    std::optional<std::int64_t> lo = options_.from, hi;
    if (options_.to) hi = *options_.to - 1;
    if (events_ > 0) {
      if (!lo) lo = lo_;
      if (!hi) hi = hi_;
    }
    auto span = series_span(out, options_, lo, hi);
    if (!span) return span.error();
    for (const auto& [key, row] : buckets_) {
      const std::int64_t k = key - span->first_key;
      if (k < 0 || static_cast<std::uint64_t>(k) >= span->buckets) continue;
      const auto idx = static_cast<std::size_t>(k);
      for (std::size_t t = 0; t < event_type_count; ++t)
        out.series[t][idx] = static_cast<std::uint32_t>(row[t]);
      out.machine_open_series[idx] = static_cast<std::uint32_t>(row[machine_open_slot]);
      out.machine_click_series[idx] = static_cast<std::uint32_t>(row[machine_click_slot]);
    }
    for (std::size_t t = 0; t < event_type_count; ++t)
      out.totals[t] = by_type_[t * 2] + by_type_[t * 2 + 1];
    out.simulator_events = sim_events_;
    out.opens.machine = by_type_[static_cast<std::size_t>(event_type::open) * 2 + 1];
    out.clicks.machine = by_type_[static_cast<std::size_t>(event_type::click) * 2 + 1];
    out.bounce_classes = bounce_classes_;
    for (const auto& [key, bits] : pairs_) count_pair(out, bits);
    finish_engagement(out);
    // The empty link and domain are aggregate()'s id 0 ("none"): never listed.
    for (const auto& [link, l] : links_)
      if (!link.empty()) out.top_links.push_back({link, l.clicks, l.human, l.unique});
    for (const auto& [domain, d] : domains_)
      if (!domain.empty()) out.top_bouncing_domains.push_back({domain, d.first, d.second});
    finish_top_lists(out, options_.top);
    return out;
  }

  /// Distinct keys held: pairs, clicked pair-links, links, domains, buckets, learned statuses.
  std::size_t keys() const noexcept {
    return pairs_.size() + pair_links_.size() + links_.size() + domains_.size() + buckets_.size() +
           learned_.size();
  }

 private:
  aggregate_stream(filter f, const aggregate_options& o) : filter_(std::move(f)), options_(o) {}

  /// The (message, recipient) pair of event i, as one string: the identity a batch's pair id has.
  static std::string pair_key(const batch& b, std::size_t i) {
    const std::string_view m = b.messages[b.message[i]], r = b.recipients[b.recipient[i]];
    std::string key;
    key.reserve(m.size() + 1 + r.size());
    key.append(m).append(1, '\0').append(r);
    return key;
  }

  static constexpr std::size_t machine_open_slot = event_type_count;
  static constexpr std::size_t machine_click_slot = event_type_count + 1;
  struct link_counts {
    std::uint64_t clicks = 0, human = 0, unique = 0;
  };

  filter filter_;
  aggregate_options options_;
  std::uint64_t events_ = 0, sim_events_ = 0;
  std::int64_t lo_ = std::numeric_limits<std::int64_t>::max();
  std::int64_t hi_ = std::numeric_limits<std::int64_t>::min();
  std::array<std::uint64_t, event_type_count * 2> by_type_{};  // [type][machine]
  std::array<std::uint64_t, 5> bounce_classes_{};
  std::map<std::int64_t, std::array<std::uint64_t, event_type_count + 2>> buckets_;
  std::unordered_map<std::string, std::uint16_t> pairs_;
  std::unordered_set<std::string> pair_links_;
  std::unordered_map<std::string, link_counts> links_;
  std::unordered_map<std::string, std::pair<std::uint64_t, std::uint64_t>>
      domains_;  // bounces, hard
  std::unordered_map<std::string, std::uint8_t> learned_;
};

}  // namespace sesami
