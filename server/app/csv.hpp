#pragma once
// CSV cells for every CSV SESami writes (RFC 4180), safe to open in a spreadsheet: addresses and
// reasons come from strangers' mail and from tenants, and a cell starting with = + - @ TAB or CR
// is run as a formula by Excel, LibreOffice and Google Sheets (CSV injection). Such a cell is
// written with a leading apostrophe (OWASP's advice), which spreadsheets show as text; importing
// SESami's own CSV removes it again. The dashboard's exports do the same (web/src/lib/csv.ts).
#include <string>
#include <string_view>

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

}  // namespace sesami::app
