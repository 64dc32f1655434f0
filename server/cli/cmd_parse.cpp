// `sesami parse [FILE...]`: SES event payloads in (any shape, JSON / JSON array / JSON Lines),
// normalized events out as JSON Lines on stdout; rejected items on stderr as `FILE:LINE: reason`.
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

namespace sesami::cli {
namespace {

constexpr const char* parse_usage =
    "usage: sesami parse [FILE...]\n\n"
    "Reads SES event payloads (SNS envelopes, event publishing records, classic notifications,\n"
    "EventBridge events, SQS messages, Lambda events) as one JSON document, a JSON array or JSON\n"
    "Lines, from each FILE or from standard input when there is none or FILE is '-'.\n"
    "Prints one normalized event per line (JSON Lines); rejected items go to standard error as\n"
    "FILE:LINE: reason (FILE[INDEX] for elements of a JSON array).\n\n"
    "Exit status: 0 all parsed, 1 something was rejected, 2 usage or I/O error.\n";

bool read_all(std::FILE* f, std::string& out) {
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return !std::ferror(f);
}

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

  bool rejected = false;
  bool io_error = false;
  std::string out;
  std::string input;
  for (const std::string_view file : files) {
    const bool is_stdin = file == "-";
    const std::string name = is_stdin ? "<stdin>" : std::string(file);
    input.clear();
    std::FILE* f = is_stdin ? stdin : std::fopen(name.c_str(), "rb");
    if (!f) {
      std::fprintf(stderr, "sesami parse: %s: %s\n", name.c_str(), std::strerror(errno));
      io_error = true;
      continue;
    }
    const bool ok = read_all(f, input);
    if (!is_stdin) std::fclose(f);
    if (!ok) {
      std::fprintf(stderr, "sesami parse: %s: read error\n", name.c_str());
      io_error = true;
      continue;
    }

    batch_result res;
    parse_batch(input, res);
    out.clear();
    out.reserve(res.events.size() * 700);
    for (const event& e : res.events) {
      append_json(e, out);
      out += '\n';
    }
    if (!out.empty() && std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) {
      std::fprintf(stderr, "sesami parse: write error on standard output\n");
      return 2;
    }
    for (const diagnostic& d : res.diagnostics) {
      rejected = true;
      std::string where = name;
      if (d.index) {
        where += '[' + std::to_string(*d.index) + ']';
      } else {
        where += ':' + std::to_string(d.line == 0 ? 1 : d.line);
      }
      const std::string path = d.path.empty() ? std::string() : d.path + ": ";
      std::fprintf(stderr, "%s: %s%s (%.*s)\n", where.c_str(), path.c_str(), d.err.message.c_str(),
                   static_cast<int>(d.err.id().size()), d.err.id().data());
    }
  }
  if (std::fflush(stdout) != 0) return 2;
  if (io_error) return 2;
  return rejected ? 1 : 0;
}

}  // namespace sesami::cli
