#pragma once
// The columnar batch: events as a struct of arrays with string dictionaries, so that filtering and
// aggregating a million events touches a few dense integer arrays instead of a million objects,
// and so that the wasm build can hand whole columns to JavaScript as typed-array views.
// Also its binary wire encoding (application/vnd.sesami.columnar), documented in docs/columnar.md.
#include <algorithm>      // std::max
#include <bit>            // std::endian
#include <cstdint>        // fixed-width columns
#include <cstring>        // std::memcpy
#include <limits>         // column size limits
#include <optional>       // string_dict::find
#include <span>           // batch_builder::add
#include <string>         // dictionary characters, the wire encoding
#include <string_view>    // dictionary entries
#include <unordered_map>  // the builder's interning tables (build time only)
#include <vector>         // columns

#include <sesami/error.hpp>
#include <sesami/event.hpp>

namespace sesami {

/// The strings of one column, each stored once: entry `id` is chars[offsets[id], offsets[id+1]).
/// Entry 0 is always the empty string and stands for "absent" (no recipient, no link, no subject),
/// so a zero id never needs a separate null bitmap.
struct string_dict {
  std::string chars;
  std::vector<std::uint32_t> offsets{0, 0};

  std::uint32_t size() const noexcept { return static_cast<std::uint32_t>(offsets.size() - 1); }
  std::string_view operator[](std::uint32_t id) const noexcept {
    return std::string_view(chars).substr(offsets[id], offsets[id + 1] - offsets[id]);
  }
  /// A linear scan: filters resolve their few strings once per query, never once per event, so
  /// the batch carries no hash table (which could not be shared with JavaScript either).
  std::optional<std::uint32_t> find(std::string_view s) const noexcept {
    for (std::uint32_t id = 0; id < size(); ++id)
      if (offsets[id + 1] - offsets[id] == s.size() && (*this)[id] == s) return id;
    return std::nullopt;
  }
  friend bool operator==(const string_dict&, const string_dict&) = default;
};

/// Bits of batch::flags.
namespace event_flags {
inline constexpr std::uint8_t machine = 0x01;      // a machine open or click
inline constexpr unsigned bounce_class_shift = 1;  // bounce_class in bits 1..3
inline constexpr std::uint8_t bounce_class_mask = 0x0E;
inline constexpr std::uint8_t all = machine | bounce_class_mask;
}  // namespace event_flags

/// "No status": batch::pair_status of a pair that only has subscription or unknown events.
inline constexpr std::uint8_t no_status = 0xFF;

/// Events in columns. Row i is the i-th event added; every id column indexes its dictionary.
struct batch {
  // ---- one entry per event
  std::vector<std::int64_t> timestamp;    // ms since the Unix epoch, UTC
  std::vector<std::uint8_t> type;         // event_type
  std::vector<std::uint8_t> flags;        // event_flags
  std::vector<std::uint32_t> message;     // → messages
  std::vector<std::uint32_t> recipient;   // → recipients (0: SES did not say which recipient)
  std::vector<std::uint32_t> domain;      // → domains: the recipient's part after '@'
  std::vector<std::uint32_t> link;        // → links (clicks only)
  std::vector<std::uint32_t> config_set;  // → config_sets
  std::vector<std::uint32_t> sender;      // → senders
  std::vector<std::uint32_t> subject;     // → subjects
  // Dense id of the (message, recipient) pair, so per-recipient state (status, unique opens) is an
  // array lookup instead of a hash map probe per event.
  std::vector<std::uint32_t> pair;
  // Dense id of the (pair, link) combination of a click (0 for every other event): unique clicks
  // per link without hashing.
  std::vector<std::uint32_t> pair_link;
  // Tags in CSR form: event i has tag_ids[tag_offsets[i] .. tag_offsets[i+1]), each → tags.
  std::vector<std::uint32_t> tag_offsets{0};
  std::vector<std::uint32_t> tag_ids;

  // ---- dictionaries
  string_dict messages, recipients, domains, links, config_sets, senders, subjects;
  string_dict tags;  // "name=value": SES tag names cannot contain '=', so the split is unambiguous

  std::uint32_t pair_count = 0;
  std::uint32_t pair_link_count = 1;  // id 0 is "not a click"

  // ---- derived (not encoded; rebuilt by the builder and by decode)
  // The status of each pair over every event of the batch, in event.hpp's precedence: the
  // `status` filter selects on it. no_status when the pair has no status-bearing event.
  std::vector<std::uint8_t> pair_status;

  std::size_t size() const noexcept { return timestamp.size(); }
  event_type type_of(std::size_t i) const noexcept { return static_cast<event_type>(type[i]); }
  bool machine(std::size_t i) const noexcept { return (flags[i] & event_flags::machine) != 0; }
  bounce_class bounce_class_of(std::size_t i) const noexcept {
    return static_cast<bounce_class>((flags[i] & event_flags::bounce_class_mask) >>
                                     event_flags::bounce_class_shift);
  }
  /// The tag ids of event i.
  std::span<const std::uint32_t> tags_of(std::size_t i) const noexcept {
    return std::span<const std::uint32_t>(tag_ids).subspan(tag_offsets[i],
                                                           tag_offsets[i + 1] - tag_offsets[i]);
  }
  friend bool operator==(const batch&, const batch&) = default;
};

namespace detail {
/// The status of event type t as pair_status stores it (no_status for types without one).
constexpr std::uint8_t status_code(std::uint8_t t) noexcept {
  if (t >= event_type_count) return no_status;
  const auto s = status_of(static_cast<event_type>(t));
  return s ? static_cast<std::uint8_t>(*s) : no_status;
}

/// Rebuilds batch::pair_status from the columns. Requires pair ids < pair_count.
inline void index_pairs(batch& b) {
  b.pair_status.assign(b.pair_count, no_status);
  for (std::size_t i = 0; i < b.size(); ++i) {
    const std::uint8_t s = status_code(b.type[i]);
    std::uint8_t& cur = b.pair_status[b.pair[i]];
    // no_status (0xFF) must lose to every real status, hence the explicit test before max.
    if (s != no_status) cur = cur == no_status ? s : std::max(cur, s);
  }
}

inline std::string_view domain_of(std::string_view address) noexcept {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}
}  // namespace detail

/// Appends normalized events to a batch, storing each distinct string once per column.
class batch_builder {
 public:
  batch_builder() = default;

  void reserve(std::size_t events) {
    for (auto* c : {&b_.message, &b_.recipient, &b_.domain, &b_.link, &b_.config_set, &b_.sender,
                    &b_.subject, &b_.pair, &b_.pair_link})
      c->reserve(events);
    b_.timestamp.reserve(events);
    b_.type.reserve(events);
    b_.flags.reserve(events);
    b_.tag_offsets.reserve(events + 1);
  }

  std::size_t size() const noexcept { return b_.size(); }

  /// Adds one event. Fails with too_large when a count or a dictionary would outgrow the 32-bit
  /// offsets of the wire format (4 Gi events or 4 GiB of strings in one column).
  result<void> add(const event& e) {
    constexpr std::size_t limit = std::numeric_limits<std::uint32_t>::max() - 1;
    std::size_t tag_count = 0, tag_chars = 0;
    for (const auto& [name, values] : e.tags) {
      tag_count += values.size();
      for (const auto& v : values) tag_chars += name.size() + 1 + v.size();
    }
    const std::string_view rcpt = e.recipient ? std::string_view(*e.recipient) : std::string_view();
    const auto* click = e.get<click_info>();
    const std::string_view link = click ? std::string_view(click->link) : std::string_view();
    if (b_.size() >= limit || b_.tag_ids.size() + tag_count >= limit ||
        !fits(b_.messages, e.message_id) || !fits(b_.recipients, rcpt) || !fits(b_.links, link) ||
        !fits(b_.config_sets, e.configuration_set) || !fits(b_.senders, e.sender) ||
        !fits(b_.subjects, e.subject) || b_.tags.chars.size() + tag_chars >= limit)
      return error{errc::too_large, "columnar batch: more than 2^32 events or bytes in a column"};

    const auto t = static_cast<std::uint8_t>(e.type);
    std::uint8_t f = e.machine() ? event_flags::machine : std::uint8_t{0};
    if (const auto* bi = e.get<bounce_info>())
      f = static_cast<std::uint8_t>(
          f | (static_cast<unsigned>(bi->cls) << event_flags::bounce_class_shift));
    b_.timestamp.push_back(e.timestamp);
    b_.type.push_back(t);
    b_.flags.push_back(f);
    const std::uint32_t m = intern(b_.messages, messages_, e.message_id);
    const std::uint32_t r = intern(b_.recipients, recipients_, rcpt);
    const std::uint32_t l = intern(b_.links, links_, link);
    b_.message.push_back(m);
    b_.recipient.push_back(r);
    b_.domain.push_back(intern(b_.domains, domains_, detail::domain_of(rcpt)));
    b_.link.push_back(l);
    b_.config_set.push_back(intern(b_.config_sets, config_sets_, e.configuration_set));
    b_.sender.push_back(intern(b_.senders, senders_, e.sender));
    b_.subject.push_back(intern(b_.subjects, subjects_, e.subject));

    const auto pk = (static_cast<std::uint64_t>(m) << 32) | r;
    const auto [pit, pnew] = pairs_.try_emplace(pk, b_.pair_count);
    if (pnew) {
      ++b_.pair_count;
      b_.pair_status.push_back(no_status);
    }
    const std::uint32_t p = pit->second;
    b_.pair.push_back(p);
    std::uint32_t pl = 0;
    if (l != 0) {
      const auto [lit, lnew] =
          pair_links_.try_emplace((static_cast<std::uint64_t>(p) << 32) | l, b_.pair_link_count);
      if (lnew) ++b_.pair_link_count;
      pl = lit->second;
    }
    b_.pair_link.push_back(pl);
    const std::uint8_t s = detail::status_code(t);
    std::uint8_t& cur = b_.pair_status[p];
    if (s != no_status) cur = cur == no_status ? s : std::max(cur, s);

    std::string pair_text;
    for (const auto& [name, values] : e.tags)
      for (const auto& v : values) {
        pair_text.assign(name).append(1, '=').append(v);
        b_.tag_ids.push_back(intern(b_.tags, tags_, pair_text));
      }
    b_.tag_offsets.push_back(static_cast<std::uint32_t>(b_.tag_ids.size()));
    return {};
  }

  result<void> add(std::span<const event> events) {
    for (const auto& e : events)
      if (auto r = add(e); !r) return r;
    return {};
  }

  /// The batch built so far; the builder starts over empty.
  batch finish() {
    batch out = std::move(b_);
    *this = batch_builder();
    return out;
  }

 private:
  using index = std::unordered_map<std::string, std::uint32_t>;

  static bool fits(const string_dict& d, std::string_view s) noexcept {
    return d.chars.size() + s.size() < std::numeric_limits<std::uint32_t>::max() &&
           d.offsets.size() < std::numeric_limits<std::uint32_t>::max() - 1;
  }
  static std::uint32_t intern(string_dict& d, index& ids, std::string_view s) {
    if (s.empty()) return 0;
    const auto [it, added] = ids.try_emplace(std::string(s), d.size());
    if (added) {
      d.chars.append(s);
      d.offsets.push_back(static_cast<std::uint32_t>(d.chars.size()));
    }
    return it->second;
  }

  batch b_;
  index messages_, recipients_, domains_, links_, config_sets_, senders_, subjects_, tags_;
  std::unordered_map<std::uint64_t, std::uint32_t> pairs_, pair_links_;
};

/// Builds a batch from events in one call.
inline result<batch> make_batch(std::span<const event> events) {
  batch_builder b;
  b.reserve(events.size());
  if (auto r = b.add(events); !r) return r.error();
  return b.finish();
}

// ---- wire encoding --------------------------------------------------------------------------

/// The media type of an encoded batch, as the server's GET /events returns it.
inline constexpr std::string_view columnar_media_type = "application/vnd.sesami.columnar";
inline constexpr std::uint32_t columnar_version = 1;

namespace detail::wire {
inline constexpr char magic[8] = {'S', 'E', 'S', 'A', 'M', 'I', 'C', 'B'};
inline constexpr std::size_t header_size = 32;

// Every array starts at a multiple of 8 from the start of the buffer, so that a reader holding the
// buffer in an 8-aligned ArrayBuffer can view any column as a typed array without copying.
inline void pad(std::string& out) { out.append((8 - out.size() % 8) % 8, '\0'); }

template <class T>
void put(std::string& out, T v) {
  static_assert(std::is_unsigned_v<T> || std::is_same_v<T, std::int64_t>);
  auto u = static_cast<std::make_unsigned_t<T>>(v);
  char bytes[sizeof(T)];
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    bytes[i] = static_cast<char>(u & 0xFF);
    u = static_cast<std::make_unsigned_t<T>>(u >> 4 >> 4);  // two shifts: valid for 1-byte T
  }
  out.append(bytes, sizeof(T));
}

template <class T>
void put_array(std::string& out, const std::vector<T>& v) {
  if constexpr (std::endian::native == std::endian::little || sizeof(T) == 1) {
    if (!v.empty()) out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  } else {
    for (T x : v) put(out, x);
  }
  pad(out);
}

inline void put_dict(std::string& out, const string_dict& d) {
  put<std::uint32_t>(out, d.size());
  put<std::uint32_t>(out, static_cast<std::uint32_t>(d.chars.size()));
  put_array(out, d.offsets);
  out.append(d.chars);
  pad(out);
}

/// Bounds-checked little-endian reader: every read checks the remaining length first.
class reader {
 public:
  explicit reader(std::string_view s) noexcept : s_(s) {}

  template <class T>
  bool get(T& v) noexcept {
    if (s_.size() - pos_ < sizeof(T)) return false;
    std::make_unsigned_t<T> u = 0;
    for (std::size_t i = sizeof(T); i-- > 0;)
      u = static_cast<std::make_unsigned_t<T>>((u << 4 << 4) |
                                               static_cast<unsigned char>(s_[pos_ + i]));
    v = static_cast<T>(u);
    pos_ += sizeof(T);
    return true;
  }

  template <class T>
  bool get_array(std::vector<T>& v, std::uint64_t count) {
    // Compare in elements, not bytes: count * sizeof(T) could overflow on a hostile count.
    if (count > (s_.size() - pos_) / sizeof(T)) return false;
    v.resize(static_cast<std::size_t>(count));
    if constexpr (std::endian::native == std::endian::little || sizeof(T) == 1) {
      if (count) std::memcpy(v.data(), s_.data() + pos_, v.size() * sizeof(T));
      pos_ += v.size() * sizeof(T);
    } else {
      for (auto& x : v)
        if (!get(x)) return false;
    }
    return skip_pad();
  }

  bool get_chars(std::string& v, std::uint64_t count) {
    if (count > s_.size() - pos_) return false;
    v.assign(s_.substr(pos_, static_cast<std::size_t>(count)));
    pos_ += v.size();
    return skip_pad();
  }

  bool skip_pad() noexcept {
    const std::size_t n = (8 - pos_ % 8) % 8;
    if (s_.size() - pos_ < n) return false;
    for (std::size_t i = 0; i < n; ++i)
      if (s_[pos_ + i] != '\0') return false;
    pos_ += n;
    return true;
  }

  bool at_end() const noexcept { return pos_ == s_.size(); }
  std::size_t pos() const noexcept { return pos_; }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

inline error bad(std::string what) { return error{errc::bad_batch, "columnar batch: " + what}; }

inline result<void> get_dict(reader& r, string_dict& d, std::string_view name) {
  std::uint32_t count = 0, len = 0;
  if (!r.get(count) || !r.get(len)) return bad(std::string(name) + " dictionary truncated");
  if (count == 0) return bad(std::string(name) + " dictionary lacks the empty entry 0");
  if (!r.get_array(d.offsets, std::uint64_t{count} + 1) || !r.get_chars(d.chars, len))
    return bad(std::string(name) + " dictionary truncated");
  if (d.offsets[0] != 0 || d.offsets[1] != 0 || d.offsets[count] != len)
    return bad(std::string(name) + " dictionary offsets out of range");
  for (std::uint32_t i = 0; i < count; ++i)
    if (d.offsets[i] > d.offsets[i + 1])
      return bad(std::string(name) + " dictionary offsets decrease");
  return {};
}

inline bool ids_below(const std::vector<std::uint32_t>& column, std::uint32_t bound) noexcept {
  std::uint32_t max = 0;  // branch-free max: this runs over every column of every decoded batch
  for (std::uint32_t v : column) max = v > max ? v : max;
  return column.empty() || max < bound;
}
}  // namespace detail::wire

/// Encodes a batch for the wire (docs/columnar.md): a 32-byte header, then the columns and the
/// dictionaries, each 8-byte aligned, all little-endian.
inline std::string encode(const batch& b) {
  using namespace detail::wire;
  std::string out;
  std::size_t size = header_size + b.size() * 48 + b.tag_ids.size() * 4;
  for (const auto* d : {&b.messages, &b.recipients, &b.domains, &b.links, &b.config_sets,
                        &b.senders, &b.subjects, &b.tags})
    size += 16 + d->offsets.size() * 4 + d->chars.size();
  out.reserve(size);
  out.append(magic, sizeof magic);
  put<std::uint32_t>(out, columnar_version);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(b.size()));
  put<std::uint32_t>(out, b.pair_count);
  put<std::uint32_t>(out, b.pair_link_count);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(b.tag_ids.size()));
  put<std::uint32_t>(out, 0);  // reserved, must be zero
  put_array(out, b.timestamp);
  for (const auto* c : {&b.message, &b.recipient, &b.domain, &b.link, &b.config_set, &b.sender,
                        &b.subject, &b.pair, &b.pair_link, &b.tag_offsets, &b.tag_ids})
    put_array(out, *c);
  put_array(out, b.type);
  put_array(out, b.flags);
  for (const auto* d : {&b.messages, &b.recipients, &b.domains, &b.links, &b.config_sets,
                        &b.senders, &b.subjects, &b.tags})
    put_dict(out, *d);
  return out;
}

/// Decodes and validates an encoded batch. Any malformed buffer (truncated, wrong magic or
/// version, an id outside its dictionary, inconsistent pair ids, trailing bytes) is a bad_batch
/// error; nothing in the buffer can make a later filter or aggregation read out of bounds.
inline result<batch> decode(std::string_view bytes) {
  using namespace detail::wire;
  reader r(bytes);
  if (bytes.size() < header_size) return bad("shorter than its header");
  if (bytes.substr(0, sizeof magic) != std::string_view(magic, sizeof magic))
    return bad("not a SESami columnar batch (bad magic)");
  std::uint64_t skip = 0;
  (void)r.get(skip);  // the magic, already checked
  std::uint32_t version = 0, n = 0, tag_refs = 0, reserved = 0;
  batch b;
  (void)r.get(version);
  (void)r.get(n);
  (void)r.get(b.pair_count);
  (void)r.get(b.pair_link_count);
  (void)r.get(tag_refs);
  (void)r.get(reserved);
  if (version != columnar_version)
    return bad("format version " + std::to_string(version) + ", this build reads " +
               std::to_string(columnar_version));
  if (reserved != 0) return bad("reserved header field is not zero");
  if (b.pair_count > n || b.pair_link_count == 0 || b.pair_link_count - 1 > n)
    return bad("pair counts exceed the event count");
  if (!r.get_array(b.timestamp, n)) return bad("timestamp column truncated");
  struct col {
    std::vector<std::uint32_t>* v;
    const char* name;
  };
  for (auto [v, name] :
       {col{&b.message, "message"}, col{&b.recipient, "recipient"}, col{&b.domain, "domain"},
        col{&b.link, "link"}, col{&b.config_set, "config_set"}, col{&b.sender, "sender"},
        col{&b.subject, "subject"}, col{&b.pair, "pair"}, col{&b.pair_link, "pair_link"}})
    if (!r.get_array(*v, n)) return bad(std::string(name) + " column truncated");
  if (!r.get_array(b.tag_offsets, std::uint64_t{n} + 1)) return bad("tag_offsets truncated");
  if (!r.get_array(b.tag_ids, tag_refs)) return bad("tag_ids truncated");
  if (!r.get_array(b.type, n)) return bad("type column truncated");
  if (!r.get_array(b.flags, n)) return bad("flags column truncated");
  struct dict {
    string_dict* d;
    const char* name;
  };
  for (auto [d, name] :
       {dict{&b.messages, "messages"}, dict{&b.recipients, "recipients"},
        dict{&b.domains, "domains"}, dict{&b.links, "links"}, dict{&b.config_sets, "config_sets"},
        dict{&b.senders, "senders"}, dict{&b.subjects, "subjects"}, dict{&b.tags, "tags"}})
    if (auto res = get_dict(r, *d, name); !res) return res.error();
  if (!r.at_end()) return bad("trailing bytes after the last dictionary");

  // Every id must name an entry of its dictionary.
  struct ref {
    const std::vector<std::uint32_t>* v;
    std::uint32_t bound;
    const char* name;
  };
  for (auto [v, bound, name] :
       {ref{&b.message, b.messages.size(), "message"},
        ref{&b.recipient, b.recipients.size(), "recipient"},
        ref{&b.domain, b.domains.size(), "domain"}, ref{&b.link, b.links.size(), "link"},
        ref{&b.config_set, b.config_sets.size(), "config_set"},
        ref{&b.sender, b.senders.size(), "sender"}, ref{&b.subject, b.subjects.size(), "subject"},
        ref{&b.pair, b.pair_count, "pair"}, ref{&b.pair_link, b.pair_link_count, "pair_link"},
        ref{&b.tag_ids, b.tags.size(), "tag"}})
    if (!ids_below(*v, bound)) return bad(std::string(name) + " id outside its dictionary");
  if (b.tag_offsets[0] != 0 || b.tag_offsets[n] != tag_refs)
    return bad("tag_offsets do not span tag_ids");
  for (std::uint32_t i = 0; i < n; ++i) {
    if (b.tag_offsets[i] > b.tag_offsets[i + 1]) return bad("tag_offsets decrease");
    if (b.type[i] >= event_type_count) return bad("unknown event type code");
    if ((b.flags[i] & ~event_flags::all) != 0 ||
        ((b.flags[i] & event_flags::bounce_class_mask) >> event_flags::bounce_class_shift) >
            static_cast<unsigned>(bounce_class::undetermined))
      return bad("unknown flag bits");
  }
  // Pair ids must be a function of (message, recipient), and pair_link ids of (pair, link), or the
  // aggregation's per-pair arrays would merge different recipients.
  constexpr std::uint32_t unset = std::numeric_limits<std::uint32_t>::max();
  std::vector<std::uint32_t> pm(b.pair_count, unset), pr(b.pair_count, unset);
  std::vector<std::uint32_t> lp(b.pair_link_count, unset), ll(b.pair_link_count, unset);
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t p = b.pair[i];
    if (pm[p] == unset) {
      pm[p] = b.message[i];
      pr[p] = b.recipient[i];
    } else if (pm[p] != b.message[i] || pr[p] != b.recipient[i]) {
      return bad("one pair id names two (message, recipient) pairs");
    }
    const std::uint32_t pl = b.pair_link[i];
    if ((pl == 0) != (b.link[i] == 0)) return bad("pair_link and link disagree");
    if (pl == 0) continue;
    if (lp[pl] == unset) {
      lp[pl] = p;
      ll[pl] = b.link[i];
    } else if (lp[pl] != p || ll[pl] != b.link[i]) {
      return bad("one pair_link id names two (pair, link) combinations");
    }
  }
  detail::index_pairs(b);
  return b;
}

}  // namespace sesami
