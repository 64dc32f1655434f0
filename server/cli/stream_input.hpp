#pragma once
// What `sesami parse` and `sesami aggregate` share (issue #21): reading FILE... ('-' or none:
// standard input) piece by piece with bounded memory, parsing each piece, and reporting rejected
// items as FILE:LINE: reason (FILE[INDEX] for elements of a JSON array).
#include <functional>
#include <string_view>
#include <vector>

#include <sesami/parse.hpp>

namespace sesami::cli {

struct stream_outcome {
  bool rejected = false;  // an item was refused (reported on standard error)
  bool failed = false;    // a file could not be read, or `on_piece` stopped the stream
};

/// Parses every file in pieces of whole documents (JSON Lines: about 1 MiB each; a JSON array or
/// a pretty-printed document: whole, up to 256 MB) and hands each piece's result to `on_piece`,
/// which answers false to stop (after printing why). `report` false: rejected items are not
/// printed (a second pass over the same files).
stream_outcome stream_events(const char* cmd, const std::vector<std::string_view>& files,
                             const std::function<bool(batch_result&)>& on_piece,
                             bool report = true);

}  // namespace sesami::cli
