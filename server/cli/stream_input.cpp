#include "stream_input.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "../app/text_stream.hpp"

namespace sesami::cli {

stream_outcome stream_events(const char* cmd, const std::vector<std::string_view>& files,
                             const std::function<bool(batch_result&)>& on_piece, bool report) {
  stream_outcome out;
  app::stream_options opt;
  opt.chunk_bytes = 1u << 20;  // a piece's events and output stay a few MB
  batch_result res;
  for (const std::string_view file : files) {
    const bool is_stdin = file == "-";
    const std::string name = is_stdin ? "<stdin>" : std::string(file);
    std::FILE* in = is_stdin ? stdin : std::fopen(name.c_str(), "rb");
    if (!in) {
      std::fprintf(stderr, "sesami %s: %s: %s\n", cmd, name.c_str(), std::strerror(errno));
      out.failed = true;
      continue;
    }
    bool stopped = false;
    auto piece = [&](std::string_view text, std::size_t first_line) -> store::status {
      res.events.clear();
      res.diagnostics.clear();
      parse_batch(text, res);
      for (const diagnostic& d : res.diagnostics) {
        out.rejected = true;
        if (!report) continue;
        const std::string where =
            d.index ? name + '[' + std::to_string(*d.index) + ']'
                    : name + ':' + std::to_string(first_line + (d.line == 0 ? 0 : d.line - 1));
        const std::string path = d.path.empty() ? std::string() : d.path + ": ";
        std::fprintf(stderr, "%s: %s%s (%.*s)\n", where.c_str(), path.c_str(),
                     d.err.message.c_str(), static_cast<int>(d.err.id().size()), d.err.id().data());
      }
      if (!on_piece(res)) {
        stopped = true;
        return store::error{store::errc::internal, "stopped"};
      }
      return {};
    };
    auto too_large = [&](std::size_t line, std::string_view what) {
      out.rejected = true;
      if (report)
        std::fprintf(stderr,
                     "%s:%zu: %.*s larger than %zu MB (the most sesami reads as one document); "
                     "split it, or write one document per line (JSON Lines) (sesami.too_large)\n",
                     name.c_str(), line, static_cast<int>(what.size()), what.data(),
                     opt.max_document >> 20);
    };
    auto st = app::stream_pieces(in, name, opt, piece, too_large);
    if (!is_stdin) std::fclose(in);
    if (!st) {
      if (!stopped) std::fprintf(stderr, "sesami %s: %s\n", cmd, st.error().message.c_str());
      out.failed = true;
      if (stopped) return out;
    }
  }
  return out;
}

}  // namespace sesami::cli
