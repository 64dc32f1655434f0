// `sesami parse [FILE...]`: SES event payloads in (any shape, JSON / JSON array / JSON Lines),
// normalized events out as JSON Lines on stdout, written piece by piece as the input is read
// (bounded memory whatever its size); rejected items on stderr as `FILE:LINE: reason`.
// Exit status: 0 everything parsed, 1 something was rejected, 2 usage or I/O error.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <sesami/parse.hpp>
#include <sesami/to_json.hpp>

#include "commands.hpp"
#include "stream_input.hpp"

namespace sesami::cli {
namespace {

constexpr const char* parse_usage =
    "usage: sesami parse [FILE...]\n\n"
    "Reads SES event payloads (SNS envelopes, event publishing records, classic notifications,\n"
    "EventBridge events, SQS messages, Lambda events) as one JSON document, a JSON array or JSON\n"
    "Lines, from each FILE or from standard input when there is none or FILE is '-'. JSON Lines\n"
    "are read and written piece by piece, so memory stays small whatever the input's size; a\n"
    "single document or JSON array is read whole (at most 256 MB).\n"
    "Prints one normalized event per line (JSON Lines); rejected items go to standard error as\n"
    "FILE:LINE: reason (FILE[INDEX] for elements of a JSON array).\n\n"
    "Exit status: 0 all parsed, 1 something was rejected, 2 usage or I/O error.\n";

}  // namespace

int run_parse(args a) {
  std::vector<std::string_view> files;
  for (const char* arg : a) {
    const std::string_view s = arg;
    if (s == "--help" || s == "-h") {
      std::fputs(parse_usage, stdout);
      return 0;
    }
    if (s.size() > 1 && s.front() == '-' && s != "-") {
      std::fprintf(stderr, "sesami parse: unknown option '%s'\n\n%s", arg, parse_usage);
      return 2;
    }
    files.push_back(s);
  }
  if (files.empty()) files.push_back("-");

  // Each piece's events are written as soon as it is parsed: memory holds one piece.
  std::string out;
  bool write_failed = false;
  const stream_outcome r = stream_events("parse", files, [&](batch_result& res) {
    out.clear();
    for (const event& e : res.events) {
      append_json(e, out);
      out += '\n';
    }
    if (!out.empty() && std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) {
      std::fprintf(stderr, "sesami parse: write error on standard output\n");
      write_failed = true;
      return false;
    }
    return true;
  });
  if (std::fflush(stdout) != 0 || write_failed) return 2;
  if (r.failed) return 2;
  return r.rejected ? 1 : 0;
}

}  // namespace sesami::cli
