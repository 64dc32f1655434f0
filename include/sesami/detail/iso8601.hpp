#pragma once
// ISO 8601 / RFC 3339 timestamps <-> milliseconds since the Unix epoch (UTC), without <chrono>'s
// time zone database (absent in Emscripten's libc++) and without locale-dependent parsing.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sesami::detail {

// Howard Hinnant's days_from_civil / civil_from_days: exact for the proleptic Gregorian calendar.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil {
  std::int64_t year;
  unsigned month, day;
};
constexpr civil civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

constexpr bool is_leap(std::int64_t y) noexcept {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}
constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
  constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

namespace iso {
constexpr bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) noexcept {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  out = v;
  return true;
}
}  // namespace iso

/// Parses "2016-10-19T23:20:52.240Z", "2016-10-19T23:20:52Z", "2016-10-19T23:20:52.240+02:00",
/// "2016-10-19 23:20:52Z" and a bare date "2016-10-19" (midnight UTC). Fractions beyond
/// milliseconds are truncated. Returns nullopt for anything else, including out-of-range fields.
constexpr std::optional<std::int64_t> parse_iso8601(std::string_view s) noexcept {
  unsigned year, month, day, hour = 0, minute = 0, second = 0;
  if (!iso::digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || s[7] != '-' ||
      !iso::digits(s, 5, 2, month) || !iso::digits(s, 8, 2, day))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return std::nullopt;
  std::size_t pos = 10;
  std::int64_t millis = 0;
  std::int64_t offset_minutes = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
    if (!iso::digits(s, pos + 1, 2, hour) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !iso::digits(s, pos + 4, 2, minute))
      return std::nullopt;
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!iso::digits(s, pos + 1, 2, second)) return std::nullopt;
      pos += 3;
      if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        ++pos;
        std::size_t n = 0;
        std::int64_t frac = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          if (n < 3) frac = frac * 10 + (s[pos] - '0');
          ++n;
          ++pos;
        }
        if (n == 0) return std::nullopt;
        for (std::size_t i = n; i < 3; ++i) frac *= 10;
        millis = frac;
      }
    }
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;  // 60: leap second
    if (pos == s.size()) return std::nullopt;  // a time needs a zone: local time is ambiguous
    if (s[pos] == 'Z' || s[pos] == 'z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      unsigned oh, om;
      const bool neg = s[pos] == '-';
      if (!iso::digits(s, pos + 1, 2, oh)) return std::nullopt;
      pos += 3;
      if (pos < s.size() && s[pos] == ':') ++pos;
      if (!iso::digits(s, pos, 2, om)) return std::nullopt;
      pos += 2;
      if (oh > 23 || om > 59) return std::nullopt;
      offset_minutes = (neg ? -1 : 1) * static_cast<std::int64_t>(oh * 60 + om);
    } else {
      return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;
  }
  const std::int64_t days = days_from_civil(year, month, day);
  const std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return secs * 1000 + millis;
}

/// Formats as "2016-10-19T23:20:52.240Z" (always UTC, always milliseconds): 24 characters.
inline void format_iso8601(std::int64_t ms, char out[24]) noexcept {
  std::int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  const auto milli = static_cast<unsigned>(ms - secs * 1000);
  std::int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  auto sod = static_cast<unsigned>(secs - days * 86400);
  const civil c = civil_from_days(days);
  auto put = [&](std::size_t pos, unsigned v, std::size_t n) {
    for (std::size_t i = n; i-- > 0;) {
      out[pos + i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  const auto year = static_cast<unsigned>(c.year < 0 ? 0 : (c.year > 9999 ? 9999 : c.year));
  put(0, year, 4);
  out[4] = '-';
  put(5, c.month, 2);
  out[7] = '-';
  put(8, c.day, 2);
  out[10] = 'T';
  put(11, sod / 3600, 2);
  out[13] = ':';
  put(14, sod / 60 % 60, 2);
  out[16] = ':';
  put(17, sod % 60, 2);
  out[19] = '.';
  put(20, milli, 3);
  out[23] = 'Z';
}
inline std::string format_iso8601(std::int64_t ms) {
  char buf[24];
  format_iso8601(ms, buf);
  return std::string(buf, 24);
}

}  // namespace sesami::detail
