#pragma once
// CSV cells for every CSV SESami writes (RFC 4180), safe to open in a spreadsheet: addresses and
// reasons come from strangers' mail and from tenants, and a cell starting with = + - @ TAB or CR
// is run as a formula by Excel, LibreOffice and Google Sheets (CSV injection). Such a cell is
// written with a leading apostrophe (OWASP's advice), which spreadsheets show as text; importing
// SESami's own CSV removes it again. The dashboard's exports do the same (web/src/lib/csv.ts).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sesami::app {

/// Whether a spreadsheet would evaluate a cell with this text.
constexpr bool csv_formula_like(std::string_view v) noexcept {
  return !v.empty() &&
         (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r');
}

/// Appends one cell: apostrophe before formula-like text, then quoted when it holds a comma, a
/// quote or a line end (quotes doubled).
void append_csv_cell(std::string& out, std::string_view v);

/// The value of a cell read back: the apostrophe append_csv_cell added is removed.
constexpr std::string_view csv_cell_value(std::string_view v) noexcept {
  return v.size() > 1 && v[0] == '\'' && csv_formula_like(v.substr(1)) ? v.substr(1) : v;
}

/// One record of CSV text: its fields as written (quotes removed), the 1-based line where it
/// starts, and what is wrong with it (empty when well-formed).
struct csv_record {
  std::size_t line = 0;
  std::vector<std::string> fields;
  std::string problem;
};
/// The records of RFC 4180 text (CRLF or LF; quoted fields may span lines). A leading BOM and
/// blank lines are skipped; a malformed record is still returned, with its problem, so that a
/// caller can name every bad line at once.
std::vector<csv_record> read_csv(std::string_view text);

}  // namespace sesami::app
