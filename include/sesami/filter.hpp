#pragma once
// Which events a view shows: a filter value, its query-string form (GET /events, the dashboard's
// URL, the wasm package), and its evaluation over a columnar batch. Evaluation compares dictionary
// ids, never strings: the filter's strings are resolved against the batch's dictionaries once.
#include <algorithm>    // std::find
#include <cstdint>      // ids, masks
#include <limits>       // open time bounds
#include <optional>     // time bounds
#include <span>         // query parameters
#include <string>       // patterns
#include <string_view>  // query parameters
#include <utility>      // std::pair
#include <vector>       // criteria, selections

#include <sesami/ascii.hpp>
#include <sesami/batch.hpp>
#include <sesami/detail/iso8601.hpp>
#include <sesami/detail/json_access.hpp>
#include <sesami/error.hpp>
#include <sesami/event.hpp>

namespace sesami {

/// Machine opens and clicks (privacy proxies, security scanners): counted with people, left out,
/// or shown alone.
enum class machine_filter : std::uint8_t { include, exclude, only };

inline constexpr std::string_view to_string(machine_filter m) noexcept {
  constexpr std::string_view names[] = {"include", "exclude", "only"};
  return names[static_cast<std::size_t>(m)];
}

struct tag_match {
  std::string name, value;
  friend bool operator==(const tag_match&, const tag_match&) = default;
};

/// A conjunction of criteria; each list is a disjunction ("any of"), an empty list accepts all.
struct filter {
  std::optional<std::int64_t> from, to;  // [from, to), ms since the epoch
  std::vector<event_type> types;
  /// Events of the (message, recipient) pairs whose status — over every event of the batch, in
  /// event.hpp's precedence — is one of these: "bounced" shows the whole story of every recipient
  /// whose message bounced, not just the bounce events (docs/columnar.md, "Filter semantics").
  std::vector<delivery_status> statuses;
  /// Lower-cased patterns: "a@b.com" exact, "*part*" contains, "part*" prefix, "*part" suffix,
  /// "@b.com" the recipient's domain.
  std::vector<std::string> recipients;
  std::vector<std::string> message_ids;
  /// Tags with the same name are alternatives, tags with different names must all match:
  /// campaign=a, campaign=b, env=prod → (campaign a or b) and env prod.
  std::vector<tag_match> tags;
  std::vector<std::string> configuration_sets;
  machine_filter machine = machine_filter::include;

  friend bool operator==(const filter&, const filter&) = default;
};

/// Indices of the selected events, ascending: small to hand to JavaScript as a Uint32Array, and
/// what the events table pages through.
using selection = std::vector<std::uint32_t>;

namespace detail {
/// Whether a (lower-cased) address matches one recipient pattern other than "@domain".
inline bool recipient_matches(std::string_view address, std::string_view pattern) noexcept {
  const bool lead = !pattern.empty() && pattern.front() == '*';
  const bool trail = pattern.size() > 1 && pattern.back() == '*';
  std::string_view core = pattern.substr(lead ? 1 : 0);
  if (trail) core.remove_suffix(1);
  if (lead && trail) return address.find(core) != std::string_view::npos;
  if (lead) return address.ends_with(core);
  if (trail) return address.starts_with(core);
  return address == core;
}

/// A filter resolved against one batch's dictionaries: bitmaps indexed by dictionary id.
struct compiled_filter {
  bool empty = false;  // some criterion can match nothing in this batch
  std::int64_t from = std::numeric_limits<std::int64_t>::min();
  std::int64_t to = std::numeric_limits<std::int64_t>::max();
  std::uint32_t type_mask = ~0u;
  std::uint32_t status_mask = 0;
  bool by_status = false, by_recipient = false, by_message = false, by_config = false;
  bool by_tag = false;
  std::vector<std::uint8_t> recipient_ok, domain_ok, message_ok, config_ok;
  std::vector<std::uint32_t> tag_bits;  // per tag id: the name groups it satisfies
  std::uint32_t tag_all = 0;            // every name group
  machine_filter machine = machine_filter::include;
};

inline compiled_filter compile(const batch& b, const filter& f) {
  compiled_filter c;
  if (f.from) c.from = *f.from;
  if (f.to) c.to = *f.to;
  if (!f.types.empty()) {
    c.type_mask = 0;
    for (auto t : f.types) c.type_mask |= 1u << static_cast<unsigned>(t);
  }
  if (!f.statuses.empty()) {
    c.by_status = true;
    for (auto s : f.statuses) c.status_mask |= 1u << static_cast<unsigned>(s);
  }
  auto exact = [&](const string_dict& d, const std::vector<std::string>& values,
                   std::vector<std::uint8_t>& ok) {
    ok.assign(d.size(), 0);
    bool any = false;
    for (const auto& v : values)
      if (auto id = d.find(v); id && !v.empty()) ok[*id] = any = true;
    if (!any) c.empty = true;
  };
  if (!f.message_ids.empty()) {
    c.by_message = true;
    exact(b.messages, f.message_ids, c.message_ok);
  }
  if (!f.configuration_sets.empty()) {
    c.by_config = true;
    exact(b.config_sets, f.configuration_sets, c.config_ok);
  }
  if (!f.recipients.empty()) {
    c.by_recipient = true;
    c.recipient_ok.assign(b.recipients.size(), 0);
    c.domain_ok.assign(b.domains.size(), 0);
    bool any = false;
    for (const auto& raw : f.recipients) {
      const std::string p = ascii_lower(raw);
      if (p.size() > 1 && p.front() == '@') {
        if (auto id = b.domains.find(std::string_view(p).substr(1))) c.domain_ok[*id] = any = true;
      } else if (p.find('*') == std::string::npos) {
        if (auto id = b.recipients.find(p); id && *id != 0) c.recipient_ok[*id] = any = true;
      } else {
        for (std::uint32_t id = 1; id < b.recipients.size(); ++id)
          if (recipient_matches(b.recipients[id], p)) c.recipient_ok[id] = any = true;
      }
    }
    if (!any) c.empty = true;
  }
  if (!f.tags.empty()) {
    c.by_tag = true;
    c.tag_bits.assign(b.tags.size(), 0);
    std::vector<std::string_view> names;  // one group per distinct name, at most 32
    for (const auto& t : f.tags) {
      auto it = std::find(names.begin(), names.end(), t.name);
      if (it == names.end()) it = names.insert(names.end(), t.name);
      const auto group = static_cast<unsigned>(it - names.begin());
      if (group >= 32) {  // filter_from_query refuses this; a hand-built filter matches nothing
        c.empty = true;
        break;
      }
      c.tag_all |= 1u << group;
      if (auto id = b.tags.find(t.name + "=" + t.value)) c.tag_bits[*id] |= 1u << group;
    }
  }
  c.machine = f.machine;
  return c;
}
}  // namespace detail

/// Every event of the batch.
inline selection select_all(const batch& b) {
  selection out(b.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint32_t>(i);
  return out;
}

/// The indices of the events of `b` that pass `f`, ascending.
inline selection select(const batch& b, const filter& f) {
  const detail::compiled_filter c = detail::compile(b, f);
  if (c.empty) return {};
  if (!f.from && !f.to && f.types.empty() && !c.by_status && !c.by_recipient && !c.by_message &&
      !c.by_config && !c.by_tag && c.machine == machine_filter::include)
    return select_all(b);
  const std::size_t n = b.size();
  selection out(n);
  std::size_t kept = 0;
  // Time, type and machine are the dashboard's everyday criteria: evaluated without branches
  // (the index is written unconditionally and the count advances by the verdict), because on
  // shuffled events a branch per criterion mispredicts often. The rarer criteria run only for
  // events that passed these.
  const bool extra = c.by_status || c.by_recipient || c.by_message || c.by_config || c.by_tag;
  const unsigned machine_any = c.machine == machine_filter::include;
  const unsigned machine_want = c.machine == machine_filter::only;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t t = b.timestamp[i];
    const unsigned is_machine = b.flags[i] & event_flags::machine;
    bool keep = (t >= c.from) & (t < c.to) & ((c.type_mask >> b.type[i]) & 1u) &
                (machine_any | (is_machine == machine_want));
    if (extra && keep) {
      if (c.by_status) {
        const std::uint8_t s = b.pair_status[b.pair[i]];
        keep = s != no_status && ((c.status_mask >> s) & 1u);
      }
      if (keep && c.by_recipient) keep = c.recipient_ok[b.recipient[i]] || c.domain_ok[b.domain[i]];
      if (keep && c.by_message) keep = c.message_ok[b.message[i]];
      if (keep && c.by_config) keep = c.config_ok[b.config_set[i]];
      if (keep && c.by_tag) {
        std::uint32_t have = 0;
        for (std::uint32_t id : b.tags_of(i)) have |= c.tag_bits[id];
        keep = have == c.tag_all;
      }
    }
    out[kept] = static_cast<std::uint32_t>(i);
    kept += keep;
  }
  out.resize(kept);
  return out;
}

// ---- query strings --------------------------------------------------------------------------

/// One decoded query parameter (the caller percent-decodes).
using query_param = std::pair<std::string_view, std::string_view>;

/// The keys filter_from_query reads.
inline constexpr std::string_view filter_keys[] = {
    "from", "to", "type", "status", "recipient", "messageId", "tag", "configurationSet", "machine"};

/// Parses a filter from query parameters: `from`, `to` (ISO 8601), `type` and `status`
/// (repeatable or comma-separated), `recipient`, `messageId`, `tag` (name=value),
/// `configurationSet` (repeatable), `machine` (include|exclude|only). A key that is neither one
/// of these nor in `other_keys` (the caller's own, like `limit`) is a bad_filter error, so a typo
/// never silently widens a query.
inline result<filter> filter_from_query(std::span<const query_param> params,
                                        std::span<const std::string_view> other_keys = {}) {
  filter f;
  auto bad = [](std::string m) { return error{errc::bad_filter, std::move(m)}; };
  auto each = [](std::string_view v, auto&& fn) -> bool {  // comma-separated items
    for (std::size_t start = 0;;) {
      const std::size_t comma = v.find(',', start);
      if (!fn(v.substr(start, comma == std::string_view::npos ? comma : comma - start)))
        return false;
      if (comma == std::string_view::npos) return true;
      start = comma + 1;
    }
  };
  std::uint32_t tag_names = 0;
  std::vector<std::string_view> seen_tag_names;
  for (const auto& [key, value] : params) {
    if (key == "from" || key == "to") {
      auto& slot = key == "from" ? f.from : f.to;
      if (slot) return bad(std::string(key) + ": given twice");
      const auto ms = detail::parse_iso8601(value);
      if (!ms)
        return bad(std::string(key) + ": not an ISO 8601 timestamp: '" + std::string(value) + "'");
      slot = *ms;
    } else if (key == "type") {
      std::string_view wrong;
      if (!each(value, [&](std::string_view s) {
            const auto t = parse_event_type(s);
            if (!t)
              wrong = s;
            else if (std::find(f.types.begin(), f.types.end(), *t) == f.types.end())
              f.types.push_back(*t);
            return t.has_value();
          }))
        return bad("type: unknown event type '" + std::string(wrong) + "'");
    } else if (key == "status") {
      std::string_view wrong;
      if (!each(value, [&](std::string_view s) {
            const auto st = parse_status(s);
            if (!st)
              wrong = s;
            else if (std::find(f.statuses.begin(), f.statuses.end(), *st) == f.statuses.end())
              f.statuses.push_back(*st);
            return st.has_value();
          }))
        return bad("status: unknown status '" + std::string(wrong) + "'");
    } else if (key == "recipient") {
      const std::string_view core = value.substr(value.starts_with('*') ? 1 : 0);
      if (core.empty() || core == "*" || core == "@")
        return bad("recipient: expected an address, *part*, or @domain");
      f.recipients.push_back(ascii_lower(value));
    } else if (key == "messageId") {
      if (value.empty()) return bad("messageId: empty");
      f.message_ids.emplace_back(value);
    } else if (key == "configurationSet") {
      if (value.empty()) return bad("configurationSet: empty");
      f.configuration_sets.emplace_back(value);
    } else if (key == "tag") {
      const auto eq = value.find('=');
      if (eq == std::string_view::npos || eq == 0) return bad("tag: expected name=value");
      const auto name = value.substr(0, eq);
      if (std::find(seen_tag_names.begin(), seen_tag_names.end(), name) == seen_tag_names.end()) {
        seen_tag_names.push_back(name);
        if (++tag_names > 32) return bad("tag: more than 32 distinct tag names");
      }
      f.tags.push_back({std::string(name), std::string(value.substr(eq + 1))});
    } else if (key == "machine") {
      if (value == "include")
        f.machine = machine_filter::include;
      else if (value == "exclude")
        f.machine = machine_filter::exclude;
      else if (value == "only")
        f.machine = machine_filter::only;
      else
        return bad("machine: expected include, exclude or only");
    } else if (std::find(other_keys.begin(), other_keys.end(), key) == other_keys.end()) {
      return bad("unknown filter parameter '" + std::string(key) + "'");
    }
  }
  if (f.from && f.to && *f.from > *f.to) return bad("from is after to");
  return f;
}

/// The canonical query parameters of a filter (filter_from_query's inverse): what the dashboard
/// puts in its URL so that a view can be shared.
inline std::vector<std::pair<std::string, std::string>> to_query(const filter& f) {
  std::vector<std::pair<std::string, std::string>> out;
  if (f.from) out.emplace_back("from", detail::format_iso8601(*f.from));
  if (f.to) out.emplace_back("to", detail::format_iso8601(*f.to));
  auto join = [](const auto& items) {
    std::string s;
    for (const auto& x : items) s.append(s.empty() ? "" : ",").append(to_string(x));
    return s;
  };
  if (!f.types.empty()) out.emplace_back("type", join(f.types));
  if (!f.statuses.empty()) out.emplace_back("status", join(f.statuses));
  for (const auto& r : f.recipients) out.emplace_back("recipient", r);
  for (const auto& m : f.message_ids) out.emplace_back("messageId", m);
  for (const auto& t : f.tags) out.emplace_back("tag", t.name + "=" + t.value);
  for (const auto& c : f.configuration_sets) out.emplace_back("configurationSet", c);
  if (f.machine != machine_filter::include)
    out.emplace_back("machine", std::string(to_string(f.machine)));
  return out;
}

}  // namespace sesami
