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

std::vector<csv_record> read_csv(std::string_view text) {
  std::vector<csv_record> out;
  std::size_t pos = 0, line = 1;
  if (text.starts_with("\xEF\xBB\xBF")) pos = 3;  // a BOM from spreadsheet exports
  while (pos < text.size()) {
    // One record: fields until an unquoted line end (quoted fields may span lines).
    csv_record rec;
    rec.line = line;
    rec.fields.resize(1);
    bool in_quotes = false, was_quoted = false, after_quote = false;
    for (;;) {
      if (pos >= text.size()) {
        if (in_quotes) rec.problem = "unterminated quoted field";
        break;
      }
      const char c = text[pos++];
      if (in_quotes) {
        if (c == '"') {
          if (pos < text.size() && text[pos] == '"') {
            rec.fields.back().push_back('"');
            ++pos;
          } else {
            in_quotes = false;
            after_quote = true;
          }
        } else {
          if (c == '\n') ++line;
          rec.fields.back().push_back(c);
        }
        continue;
      }
      if (c == ',') {
        rec.fields.emplace_back();
        was_quoted = after_quote = false;
      } else if (c == '\r' && pos < text.size() && text[pos] == '\n') {
        continue;  // CRLF: the '\n' ends the record
      } else if (c == '\n') {
        ++line;
        break;
      } else if (c == '"') {
        if (!rec.fields.back().empty() || was_quoted) {
          rec.problem = "a quote inside an unquoted field";
          rec.fields.back().push_back(c);
        } else {
          in_quotes = was_quoted = true;
        }
      } else {
        if (after_quote && c != ' ' && c != '\t') rec.problem = "text after a closing quote";
        rec.fields.back().push_back(c);
      }
    }
    const bool blank =
        rec.fields.size() == 1 && rec.fields[0].find_first_not_of(" \t") == std::string::npos;
    if (blank && rec.problem.empty()) continue;
    out.push_back(std::move(rec));
  }
  return out;
}

}  // namespace sesami::app
