// `sesami import`: SES payload files (any shape the core parses; a directory or - too) into the
// store, exactly once. Rejected items go to stderr as FILE:LINE: reason; the import continues.
// Exit status: 0 all stored, 1 something was rejected, 2 usage, I/O or storage error.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "../app/import.hpp"
#include "../app/pipeline_health.hpp"
#include "../store/pipeline_health_store.hpp"
#include "cmd_store_common.hpp"

namespace sesami::cli {
namespace {

struct progress {
  bool enabled = false;
  std::uint64_t total_bytes = 0;  // 0: unknown (stdin)
  std::uint64_t done_bytes = 0;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last{};
  void show(const app::importer& im, bool final = false) {
    if (!enabled) return;
    const auto now = std::chrono::steady_clock::now();
    if (!final && now - last < std::chrono::milliseconds(200)) return;
    last = now;
    const double secs = std::chrono::duration<double>(now - start).count();
    const double rate = secs > 0 ? static_cast<double>(im.read()) / secs : 0;
    if (total_bytes)
      std::fprintf(stderr, "\r%zu events, %.0f events/s, %.1f%%   ", im.read(), rate,
                   100.0 * static_cast<double>(done_bytes) / static_cast<double>(total_bytes));
    else
      std::fprintf(stderr, "\r%zu events, %.0f events/s   ", im.read(), rate);
    if (final) std::fputc('\n', stderr);
  }
};

// Cutting inputs into pieces (JSON Lines at line ends, single documents whole up to a bound) is
// app::import_stream's; this prints what it rejected as it goes.
bool import_stream(std::FILE* f, const std::string& name, app::importer& im, progress& pr,
                   std::size_t& rejected_printed) {
  auto report = [&] {
    for (; rejected_printed < im.rejected().size(); ++rejected_printed) {
      const auto& r = im.rejected()[rejected_printed];
      std::fprintf(stderr, "%s%s:%zu: %s\n", pr.enabled ? "\r" : "", r.source.c_str(), r.line,
                   r.message.c_str());
    }
  };
  auto s = app::import_stream(f, name, im, {}, [&](std::size_t bytes) {
    pr.done_bytes += bytes;
    report();
  });
  report();
  if (!s) {
    std::fprintf(stderr, "\nsesami import: %s\n", s.error().message.c_str());
    return false;
  }
  return true;
}

// The workspace's "file import" source (GET /health/sources): when the last import ran, how many
// events it read, its first rejected item. The events are stored already: a failure here is only
// a warning.
void record_health(const store_args& sa, const app::importer& im) {
  auto db = store::open_pipeline_health(sa.db);
  if (!db) {
    std::fprintf(stderr, "sesami import: warning: import not recorded in pipeline health: %s\n",
                 db.error().message.c_str());
    return;
  }
  app::pipeline_health health(**db);
  const auto now = app::now_ms();
  const auto& sum = im.summary();
  health.note_events(sa.workspace, "import", "", sum.stored + sum.duplicates + sum.expired, now);
  if (!im.rejected().empty()) {
    const auto& r = im.rejected().front();
    health.note_error(sa.workspace, "import", "",
                      std::to_string(im.rejected().size()) +
                          " item(s) rejected; the first: " + r.source + ":" +
                          std::to_string(r.line) + ": " + r.code + ": " + r.message,
                      now);
  }
  if (auto f = health.flush(); !f)
    std::fprintf(stderr, "sesami import: warning: import not recorded in pipeline health: %s\n",
                 f.error().message.c_str());
}

}  // namespace

int run_import(args a) {
  CLI::App app{"Import SES event payloads into the store, exactly once.", "sesami import"};
  store_args sa;
  add_store_options(app, sa, open_mode::create);
  bool json = false, show_progress = false;
  std::size_t batch = 10000;
  std::vector<std::string> inputs;
  app.add_flag("--json", json, "print {\"read\",\"stored\",\"duplicates\",\"rejected\"} on stdout");
  app.add_flag("--progress", show_progress, "progress on stderr even when it is not a terminal");
  app.add_option("--batch", batch, "events per transaction (default 10000)")
      ->check(CLI::Range(1, 1000000));
  app.add_option("inputs", inputs, "files, directories (every file below), or - for stdin")
      ->required();
  if (int rc = parse_args(app, a); rc >= 0) return rc;

  // Expand directories (sorted: the same order on every run) and size everything for progress.
  std::vector<std::string> files;
  progress pr;
  pr.enabled = show_progress || ::isatty(2);
  for (const auto& in : inputs) {
    std::error_code ec;
    if (in != "-" && std::filesystem::is_directory(in, ec)) {
      std::vector<std::string> found;
      for (auto it = std::filesystem::recursive_directory_iterator(in, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file()) found.push_back(it->path().string());
      if (ec) {
        std::fprintf(stderr, "sesami import: %s: %s\n", in.c_str(), ec.message().c_str());
        return 2;
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(in);
    }
  }
  for (const auto& f : files) {
    if (f == "-") continue;
    std::error_code ec;
    const auto size = std::filesystem::file_size(f, ec);
    if (ec) {
      std::fprintf(stderr, "sesami import: %s: %s\n", f.c_str(), ec.message().c_str());
      return 2;
    }
    pr.total_bytes += size;
  }
  if (std::count(files.begin(), files.end(), "-")) pr.total_bytes = 0;

  auto st = open_store("import", sa, open_mode::create);
  if (!st) return 2;
  app::importer im(*st, sa.workspace, batch);
  im.on_commit([](void* ctx, const app::importer& i) { static_cast<progress*>(ctx)->show(i); },
               &pr);
  std::size_t printed = 0;
  for (const auto& f : files) {
    std::FILE* in = f == "-" ? stdin : std::fopen(f.c_str(), "rb");
    if (!in) {
      std::fprintf(stderr, "sesami import: %s: %s\n", f.c_str(), std::strerror(errno));
      return 2;
    }
    const bool ok = import_stream(in, f, im, pr, printed);
    if (in != stdin) std::fclose(in);
    if (!ok) return 2;
  }
  if (auto s = im.flush(); !s) {
    std::fprintf(stderr, "sesami import: %s\n", s.error().message.c_str());
    return 2;
  }
  pr.show(im, true);
  const auto& sum = im.summary();
  record_health(sa, im);
  if (json) {
    std::printf("{\"read\":%zu,\"stored\":%zu,\"duplicates\":%zu,\"rejected\":%zu", im.read(),
                sum.stored, sum.duplicates, im.rejected().size());
    if (sum.expired) std::printf(",\"expired\":%zu", sum.expired);
    std::printf("}\n");
  } else {
    std::fprintf(
        stderr,
        "read %zu, stored %zu, duplicates %zu, rejected %zu, expired %zu, newly suppressed %zu\n",
        im.read(), sum.stored, sum.duplicates, im.rejected().size(), sum.expired, sum.suppressed);
  }
  return im.rejected().empty() ? 0 : 1;
}

}  // namespace sesami::cli
