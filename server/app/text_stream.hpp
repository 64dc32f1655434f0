#pragma once
// Cutting one input (a file, stdin) into pieces of whole documents, read in blocks: `sesami
// import`, `sesami parse` and `sesami aggregate` hold one piece at a time, whatever the input's
// size (issue #21).
#include <cstddef>
#include <cstdio>
#include <functional>
#include <string_view>

#include "../store/store.hpp"

namespace sesami::app {

/// How an input is cut into pieces.
struct stream_options {
  /// JSON Lines are handed over in pieces of about this size, cut at line ends, so that parsing a
  /// piece overlaps storing the previous batch.
  std::size_t chunk_bytes = 4u << 20;
  /// An input that is one document spread over lines (pretty-printed, or a JSON array) is parsed
  /// whole, up to this size; so is a single line. Past it the document is rejected as
  /// `FILE:LINE: ...` and skipped (the rest of the file, or the rest of the line).
  std::size_t max_document = 256u << 20;
};

/// Gets each piece (whole documents) and the line number of its first line.
using piece_handler = std::function<store::status(std::string_view text, std::size_t first_line)>;
/// Told of a document past opt.max_document ("a line" or "a JSON document") at a line; skipped.
using too_large_handler = std::function<void(std::size_t line, std::string_view what)>;

/// Reads `in` in 1 MiB blocks and hands over whole documents. The shape is told from the first
/// line: if the first document ends on it, the input is JSON Lines, handed over in pieces of about
/// opt.chunk_bytes cut at line ends; otherwise (a JSON array, a pretty-printed document) it is one
/// document, handed over whole. `on_piece` gets the byte count of each piece (progress). Stops at
/// a read error or at the first error `on_text` returns.
store::status stream_pieces(std::FILE* in, std::string_view name, const stream_options& opt,
                            const piece_handler& on_text, const too_large_handler& on_too_large,
                            const std::function<void(std::size_t)>& on_piece = {});

}  // namespace sesami::app
