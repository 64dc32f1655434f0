// `sesami export`: a workspace's events, the whole range (or --from/--to and GET /events's other
// filters), as SESami's normalized events in JSON Lines — what `sesami import` reads back — or as
// CSV. Streamed a store page at a time: memory stays bounded whatever the range. With -o the file
// is written beside its name, owner-only (it holds addresses), and moved into place only when
// complete; on stdout a failure part-way is exit status 2.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <sesami/filter.hpp>

#include "../app/event_export.hpp"
#include "cmd_store_common.hpp"

namespace sesami::cli {
namespace {

// The output: stdout, or a temporary file beside FILE renamed over it at the end.
class output {
 public:
  bool open(const std::string& path) {
    if (path.empty() || path == "-") {
      f_ = stdout;
      return true;
    }
    final_ = path;
    tmp_ = path + ".partial-" + std::to_string(::getpid());
    const int fd = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || !(f_ = ::fdopen(fd, "wb"))) {
      std::fprintf(stderr, "sesami export: %s: %s\n", tmp_.c_str(), std::strerror(errno));
      if (fd >= 0) ::close(fd);
      tmp_.clear();
      return false;
    }
    return true;
  }
  bool write(const std::string& piece) {
    if (std::fwrite(piece.data(), 1, piece.size(), f_) == piece.size()) return true;
    std::fprintf(stderr, "sesami export: %s: %s\n", final_.empty() ? "stdout" : final_.c_str(),
                 std::strerror(errno));
    return false;
  }
  /// Flushes (and for a file: syncs, renames into place); false after printing why.
  bool finish() {
    if (tmp_.empty()) return std::fflush(f_) == 0 || (perror("sesami export: stdout"), false);
    const bool ok = std::fflush(f_) == 0 && ::fsync(::fileno(f_)) == 0;
    std::fclose(f_);
    f_ = nullptr;
    std::error_code ec;
    if (ok) std::filesystem::rename(tmp_, final_, ec);
    if (!ok || ec) {
      std::fprintf(stderr, "sesami export: %s: %s\n", final_.c_str(),
                   ec ? ec.message().c_str() : std::strerror(errno));
      return false;
    }
    tmp_.clear();
    return true;
  }
  ~output() {
    if (tmp_.empty()) return;  // finished, or stdout
    if (f_) std::fclose(f_);
    ::unlink(tmp_.c_str());  // nothing half-written is left behind
  }

 private:
  std::FILE* f_ = nullptr;
  std::string final_, tmp_;
};

}  // namespace

int run_export(args a) {
  CLI::App app{"Export a workspace's events (JSON Lines that `sesami import` reads back, or CSV).",
               "sesami export"};
  store_args sa;
  add_store_options(app, sa);
  std::string from, to, format = "jsonl", out_path, machine;
  std::vector<std::string> types, statuses, recipients, tags;
  app.add_option("--from", from, "ISO 8601, inclusive (default: the first event)");
  app.add_option("--to", to, "ISO 8601, exclusive (default: the last event)");
  app.add_option("--format", format, "jsonl (default) or csv");
  app.add_option("-o,--output", out_path,
                 "write FILE (0600, complete or not at all); default stdout");
  app.add_option("--type", types, "event type (repeatable, or comma-separated)");
  app.add_option("--status", statuses, "current status of the (message, recipient)");
  app.add_option("--recipient", recipients, "address, *part*, part*, *part or @domain");
  app.add_option("--tag", tags, "name=value");
  app.add_option("--machine", machine, "include, exclude or only machine opens/clicks");
  if (int rc = parse_args(app, a); rc >= 0) return rc;

  const auto fmt = app::parse_export_format(format);
  if (!fmt) {
    std::fprintf(stderr, "sesami export: --format: jsonl or csv, not '%s'\n", format.c_str());
    return 2;
  }
  std::vector<query_param> params;
  if (!from.empty()) params.emplace_back("from", from);
  if (!to.empty()) params.emplace_back("to", to);
  for (auto& t : types) params.emplace_back("type", t);
  for (auto& s : statuses) params.emplace_back("status", s);
  for (auto& r : recipients) params.emplace_back("recipient", r);
  for (auto& t : tags) params.emplace_back("tag", t);
  if (!machine.empty()) params.emplace_back("machine", machine);
  auto f = filter_from_query(params);
  if (!f) {
    std::fprintf(stderr, "sesami export: %s\n", f.error().message.c_str());
    return 2;
  }
  auto st = open_store("export", sa);
  if (!st) return 2;
  output out;
  if (!out.open(out_path)) return 2;
  app::event_export exp(*st, sa.workspace, std::move(*f), *fmt);
  std::string piece;
  for (;;) {
    auto more = exp.next(piece);
    if (!more) {
      std::fprintf(stderr, "sesami export: %s\n", more.error().message.c_str());
      return 2;
    }
    if (!*more) break;
    if (!out.write(piece)) return 2;
  }
  if (!out.finish()) return 2;
  std::fprintf(stderr, "sesami export: %zu events\n", exp.events());
  return 0;
}

}  // namespace sesami::cli
