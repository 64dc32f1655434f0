#pragma once
// The suppression list's use cases beyond the store's CRUD: CSV import and export (RFC 4180; cells
// written through app/csv.hpp, so a spreadsheet never runs one as a formula), and the reason's cap.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../store/store.hpp"

namespace sesami::app {

/// Header and column order of exported CSV; import reads the same columns (only address is
/// required; a first line starting with "address" is taken for the header).
inline constexpr std::string_view suppression_csv_header =
    "address,reason,source,event_id,created_at";

/// RFC 4180 CSV with CRLF line ends, the header first; created_at in ISO 8601.
std::string suppression_to_csv(std::span<const store::suppression_entry> entries);

struct csv_problem {
  std::size_t line = 0;  // 1-based line where the record starts
  std::string message;
};
struct csv_import {
  std::vector<store::suppression_entry> entries;  // source = import, reason "imported" when absent
  std::vector<csv_problem> problems;              // one per refused record; the rest still import
};
/// Parses suppression CSV. `now` stamps entries without created_at.
csv_import suppression_from_csv(std::string_view text, std::int64_t now);

/// A reason (why an address is suppressed) is at most this many characters, however it arrives:
/// POST /suppression-list (400 validation.reason_too_long), CSV import (that line is refused with
/// its number), `sesami suppression add --reason`.
inline constexpr std::size_t max_reason_chars = 500;
/// More than max_reason_chars characters (UTF-8 code points, not bytes).
bool reason_too_long(std::string_view reason) noexcept;

/// A plausible email address: one '@', a local part and a dotted domain, no spaces or controls.
bool plausible_address(std::string_view a) noexcept;

}  // namespace sesami::app
