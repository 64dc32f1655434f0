#pragma once
// Small lists kept in one text column, the same way on both backends so a database moved from
// SQLite to PostgreSQL reads back what it held: lines ('\n'-terminated), pairs (tab-separated)
// and suppression-sync failures (four tab-separated fields). The store needs no JSON for them.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../suppression_sync_store.hpp"

namespace sesami::store::detail {

inline std::string join_lines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s, out += '\n';
  return out;
}
inline std::vector<std::string> split_lines(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const auto nl = s.find('\n');
    out.emplace_back(s.substr(0, nl));
    if (nl == std::string_view::npos) break;
    s.remove_prefix(nl + 1);
  }
  return out;
}
inline std::string join_pairs(const std::vector<std::pair<std::string, std::string>>& v) {
  std::string out;
  for (const auto& [a, r] : v) out += a, out += '\t', out += r, out += '\n';
  return out;
}
inline std::vector<std::pair<std::string, std::string>> split_pairs(std::string_view s) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& line : split_lines(s)) {
    const auto tab = line.find('\t');
    out.emplace_back(line.substr(0, tab), tab == std::string::npos ? "" : line.substr(tab + 1));
  }
  return out;
}

/// A field as stored: tabs and line breaks (which the fields never need) become spaces.
inline std::string clean_field(std::string_view v) {
  std::string o(v);
  for (char& ch : o)
    if (ch == '\t' || ch == '\n' || ch == '\r') ch = ' ';
  return o;
}
inline std::string sync_failures_text(const std::vector<sync_failure>& errs) {
  std::string out;
  for (auto& e : errs)
    out += clean_field(e.address) + '\t' + clean_field(e.operation) + '\t' + clean_field(e.code) +
           '\t' + clean_field(e.message) + '\n';
  return out;
}
inline std::vector<sync_failure> sync_failures_of(std::string_view text) {
  std::vector<sync_failure> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    std::string f[4];
    for (int i = 0; i < 4; ++i) {
      const auto tab = i < 3 ? line.find('\t') : std::string_view::npos;
      f[i] = std::string(line.substr(0, tab));
      line = tab == std::string_view::npos ? std::string_view() : line.substr(tab + 1);
    }
    out.push_back({f[0], f[1], f[2], f[3]});
  }
  return out;
}

}  // namespace sesami::store::detail
