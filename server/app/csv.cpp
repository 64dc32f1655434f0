#include "csv.hpp"

namespace sesami::app {

void append_csv_cell(std::string& out, std::string_view v) {
  const bool formula = csv_formula_like(v);
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) {
    if (formula) out.push_back('\'');
    out.append(v);
    return;
  }
  out.push_back('"');
  if (formula) out.push_back('\'');
  for (char c : v) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace sesami::app
