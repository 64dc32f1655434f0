// Cutting one input (a file, stdin) into pieces of whole documents: shared by `sesami import`,
// `sesami parse` and `sesami aggregate`, so a file of any size is read with bounded memory.
#include "text_stream.hpp"

#include <algorithm>
#include <vector>

namespace sesami::app {
namespace {
// True when the first document of `text` (from its first non-blank byte) is complete at the end
// of its first line: the input is JSON Lines. Strings (and escapes in them) are skipped, so braces
// inside values do not count. Undecided (false, *decided false) until a line end is present.
bool first_line_is_document(std::string_view text, bool* decided) {
  int depth = 0;
  bool in_string = false, escape = false, started = false;
  for (const char c : text) {
    if (in_string) {
      if (escape)
        escape = false;
      else if (c == '\\')
        escape = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
      case '"':
        in_string = started = true;
        break;
      case '{':
      case '[':
        ++depth;
        started = true;
        break;
      case '}':
      case ']':
        --depth;
        break;
      case '\n':
        if (started) {
          *decided = true;
          return depth <= 0;
        }
        break;
      default:
        break;
    }
  }
  *decided = false;
  return false;
}
}  // namespace

store::status stream_pieces(std::FILE* in, std::string_view name, const stream_options& opt,
                            const piece_handler& on_text, const too_large_handler& on_too_large,
                            const std::function<void(std::size_t)>& on_piece) {
  enum class shape { unknown, lines, whole } sh = shape::unknown;
  std::string buf;
  std::size_t line = 1;    // line number of buf's first byte
  bool skip_line = false;  // dropping an oversized line up to its end
  bool skip_rest = false;  // dropping the rest of an oversized single document
  std::vector<char> block(1 << 20);
  const std::string source(name);
  auto feed = [&](std::string_view text) -> store::status {
    if (auto s = on_text(text, line); !s) return s;
    line += static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    if (on_piece) on_piece(text.size());
    return {};
  };
  auto too_big = [&](const char* what) {
    // The line the document starts on: blank lines before it are not part of it.
    const auto first = std::min(buf.size(), buf.find_first_not_of(" \t\r\n\xEF\xBB\xBF"));
    const auto blank = static_cast<std::size_t>(
        std::count(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(first), '\n'));
    on_too_large(line + blank, what);
  };
  for (;;) {
    const std::size_t n = std::fread(block.data(), 1, block.size(), in);
    if (n == 0) break;
    if (skip_rest) {
      if (on_piece) on_piece(n);
      continue;
    }
    std::string_view data(block.data(), n);
    if (skip_line) {
      const auto nl = data.find('\n');
      if (on_piece) on_piece(nl == std::string_view::npos ? n : nl + 1);
      if (nl == std::string_view::npos) continue;
      skip_line = false;
      ++line;
      data.remove_prefix(nl + 1);
    }
    buf.append(data);
    if (sh == shape::unknown) {
      const auto first = buf.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
      if (first != std::string::npos && buf[first] == '[') {
        sh = shape::whole;
      } else if (first != std::string::npos) {
        bool decided = false;
        const bool lines = first_line_is_document(std::string_view(buf).substr(first), &decided);
        if (decided) sh = lines ? shape::lines : shape::whole;
      }
    }
    if (sh == shape::lines && buf.size() >= opt.chunk_bytes) {
      const auto cut = buf.rfind('\n');
      if (cut != std::string::npos) {
        if (auto s = feed(std::string_view(buf).substr(0, cut + 1)); !s) return s;
        buf.erase(0, cut + 1);
      } else if (buf.size() > opt.max_document) {
        too_big("a line");
        if (on_piece) on_piece(buf.size());
        buf.clear();
        skip_line = true;
      }
    } else if (sh != shape::lines && buf.size() > opt.max_document) {
      too_big("a JSON document");  // pretty-printed or an array: the rest of the input is it
      if (on_piece) on_piece(buf.size());
      buf.clear();
      skip_rest = true;
    }
  }
  if (std::ferror(in)) return store::error{store::errc::unavailable, source + ": read error"};
  if (!buf.empty()) return feed(buf);
  return {};
}

}  // namespace sesami::app
