#pragma once
// Page cursors, the same on both backends and opaque to clients.
//   events       "v1.<ts hex>.<seq hex>": the last event given out (GET /events)
//   histories    "h1~<events>~<statuses>" (GET /recipients/{address}, /messages/{id}): where each
//                of the two lists of a history goes on — an events cursor as above, a status
//                position "<last_seen hex>.<key hex>" (key: the message id of a recipient's row,
//                the recipient of a message's row, hex-encoded), or "x" when that list is done.
//   suppressions "a.<address>": the last address given out (GET /suppressions)
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../store.hpp"

namespace sesami::store::detail {

inline int cursor_hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

inline bool parse_hex64(std::string_view h, std::int64_t& out) noexcept {
  if (h.empty() || h.size() > 16) return false;
  unsigned long long v = 0;
  for (char ch : h) {
    const int d = cursor_hex_digit(ch);
    if (d < 0) return false;
    v = v * 16 + static_cast<unsigned>(d);
  }
  out = static_cast<std::int64_t>(v);
  return true;
}

inline std::string encode_cursor(std::int64_t ts, std::int64_t seq) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "v1.%llx.%llx", static_cast<unsigned long long>(ts),
                static_cast<unsigned long long>(seq));
  return buf;
}

inline bool decode_cursor(std::string_view c, std::int64_t& ts, std::int64_t& seq) {
  if (c.size() < 6 || c.substr(0, 3) != "v1.") return false;
  c.remove_prefix(3);
  const auto dot = c.find('.');
  if (dot == std::string_view::npos) return false;
  return parse_hex64(c.substr(0, dot), ts) && parse_hex64(c.substr(dot + 1), seq);
}

/// A suppression page's cursor: after the address given out last.
inline std::string encode_address_cursor(std::string_view address) {
  return "a." + std::string(address);
}

/// Empty text: the first page (`after` empty). False for anything this server did not give out.
inline bool decode_address_cursor(std::string_view text, std::string& after) {
  after.clear();
  if (text.empty()) return true;
  if (text.substr(0, 2) != "a.") return false;
  after = text.substr(2);
  return true;
}

/// Where a history's list of statuses goes on: after (last_seen, key) in its order.
struct status_position {
  std::int64_t last_seen = 0;
  std::string key;  // message id (a recipient's history) or recipient (a message's)
};

/// Where each list of a history goes on; nullopt: that list is done.
struct history_cursor {
  std::optional<std::pair<std::int64_t, std::int64_t>> events;  // (ts, seq) of the last given
  std::optional<status_position> statuses;
  bool first = true;  // no cursor: both lists from their start
};

inline std::string encode_history_cursor(const history_cursor& c) {
  std::string out = "h1~";
  out += c.events ? encode_cursor(c.events->first, c.events->second) : "x";
  out += '~';
  if (!c.statuses) {
    out += 'x';
    return out;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llx.", static_cast<unsigned long long>(c.statuses->last_seen));
  out += buf;
  static constexpr char digits[] = "0123456789abcdef";
  for (unsigned char ch : c.statuses->key) {
    out += digits[ch >> 4];
    out += digits[ch & 15];
  }
  return out;
}

/// Empty text: the first page. False for anything this server did not give out.
inline bool decode_history_cursor(std::string_view text, history_cursor& c) {
  c = {};
  if (text.empty()) return true;
  c.first = false;
  if (text.substr(0, 3) != "h1~") return false;
  text.remove_prefix(3);
  const auto sep = text.find('~');
  if (sep == std::string_view::npos) return false;
  const std::string_view ev = text.substr(0, sep), st = text.substr(sep + 1);
  if (ev != "x") {
    std::int64_t ts = 0, seq = 0;
    if (!decode_cursor(ev, ts, seq)) return false;
    c.events.emplace(ts, seq);
  }
  if (st != "x") {
    const auto dot = st.find('.');
    if (dot == std::string_view::npos) return false;
    status_position p;
    if (!parse_hex64(st.substr(0, dot), p.last_seen)) return false;
    const std::string_view key = st.substr(dot + 1);
    if (key.size() % 2 != 0 || key.size() > 4096) return false;
    for (std::size_t i = 0; i < key.size(); i += 2) {
      const int hi = cursor_hex_digit(key[i]), lo = cursor_hex_digit(key[i + 1]);
      if (hi < 0 || lo < 0) return false;
      p.key += static_cast<char>(hi * 16 + lo);
    }
    c.statuses = std::move(p);
  }
  return true;
}

/// Ends a history page: each list was read with one row more than `limit` (when the cursor left
/// it to read); a list with that extra row goes on after its last row kept. Returns the cursor of
/// the next page, nullopt when both lists are done. `status_key` names a status row's key.
template <class StatusKey>
std::optional<std::string> finish_history_page(std::vector<recipient_status>& statuses,
                                               std::vector<stored_event>& events, std::size_t limit,
                                               StatusKey status_key) {
  history_cursor next;
  if (events.size() > limit) {
    events.resize(limit);
    next.events.emplace(events.back().timestamp, events.back().seq);
  }
  if (statuses.size() > limit) {
    statuses.resize(limit);
    next.statuses = status_position{statuses.back().last_seen, status_key(statuses.back())};
  }
  if (!next.events && !next.statuses) return std::nullopt;
  return encode_history_cursor(next);
}

}  // namespace sesami::store::detail
