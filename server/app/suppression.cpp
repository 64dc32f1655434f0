#include "suppression.hpp"

#include <sesami/ascii.hpp>
#include <sesami/detail/iso8601.hpp>

#include "csv.hpp"

namespace sesami::app {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
// A field's value: trimmed, and without the apostrophe an export put before a formula-like cell.
std::string_view cell(const std::string& field) { return csv_cell_value(trim(field)); }

}  // namespace

bool reason_too_long(std::string_view reason) noexcept {
  std::size_t chars = 0;
  for (char c : reason)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++chars;  // not a UTF-8 continuation
  return chars > max_reason_chars;
}

bool plausible_address(std::string_view a) noexcept {
  const auto at = a.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= a.size()) return false;
  if (a.find('@', at + 1) != std::string_view::npos) return false;
  for (char c : a)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f || c == ',' || c == '"') return false;
  const auto domain = a.substr(at + 1);
  const auto dot = domain.find('.');
  return dot != std::string_view::npos && dot > 0 && domain.back() != '.';
}

std::string suppression_to_csv(std::span<const store::suppression_entry> entries) {
  std::string out(suppression_csv_header);
  out += "\r\n";
  for (const auto& e : entries) {
    append_csv_cell(out, e.address);
    out.push_back(',');
    append_csv_cell(out, e.reason);
    out.push_back(',');
    append_csv_cell(out, store::to_string(e.source));
    out.push_back(',');
    append_csv_cell(out, e.event_id);
    out.push_back(',');
    out += sesami::detail::format_iso8601(e.created_at);
    out += "\r\n";
  }
  return out;
}

csv_import suppression_from_csv(std::string_view text, std::int64_t now) {
  csv_import res;
  bool first_record = true;
  for (auto& rec : read_csv(text)) {
    const std::size_t record_line = rec.line;
    auto& fields = rec.fields;
    const bool bad = !rec.problem.empty();
    const std::string& problem = rec.problem;
    if (first_record) {
      first_record = false;
      if (ascii_lower(trim(fields[0])) == "address") continue;  // the header
    }
    if (bad) {
      res.problems.push_back({record_line, problem});
      continue;
    }
    if (fields.size() > 5) {
      res.problems.push_back({record_line, "expected at most 5 fields (" +
                                               std::string(suppression_csv_header) + "), found " +
                                               std::to_string(fields.size())});
      continue;
    }
    store::suppression_entry e;
    e.address = ascii_lower(cell(fields[0]));
    if (!plausible_address(e.address)) {
      res.problems.push_back(
          {record_line, "not an email address: '" + std::string(trim(fields[0])) + "'"});
      continue;
    }
    e.reason =
        fields.size() > 1 && !cell(fields[1]).empty() ? std::string(cell(fields[1])) : "imported";
    if (reason_too_long(e.reason)) {
      res.problems.push_back(
          {record_line, "reason: longer than " + std::to_string(max_reason_chars) + " characters"});
      continue;
    }
    e.source = store::suppression_source::import;
    if (fields.size() > 3) e.event_id = std::string(cell(fields[3]));
    e.created_at = now;
    if (fields.size() > 4 && !trim(fields[4]).empty()) {
      auto t = sesami::detail::parse_iso8601(trim(fields[4]));
      if (!t) {
        res.problems.push_back({record_line, "created_at: not an ISO 8601 timestamp: '" +
                                                 std::string(trim(fields[4])) + "'"});
        continue;
      }
      e.created_at = *t;
    }
    res.entries.push_back(std::move(e));
  }
  return res;
}

}  // namespace sesami::app
