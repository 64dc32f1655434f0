// `sesami`: dispatches to a subcommand. Nothing else lives here.
#include <cstdio>
#include <cstring>
#include <string_view>

#include <sesami/version.hpp>

#include "commands.hpp"

namespace {
struct command {
  std::string_view name;
  int (*run)(sesami::cli::args);
  std::string_view summary;
};
constexpr command commands[] = {
    {"parse", sesami::cli::run_parse,
     "parse SES event payloads into normalized events (JSON Lines)"},
    {"aggregate", sesami::cli::run_aggregate,
     "chart aggregation (series, rates, top lists) of payloads as JSON"},
    {"import", sesami::cli::run_import, "import SES event payloads into the store, exactly once"},
    {"events", sesami::cli::run_events, "list stored events, newest first, filtered"},
    {"stats", sesami::cli::run_stats, "totals, rates and time series from the rollups"},
    {"suppression", sesami::cli::run_suppression,
     "suppression list: list, add, remove, import, export"},
    {"demo", sesami::cli::run_demo, "generate a realistic demo data set and import it"},
    {"serve", sesami::cli::run_serve, "serve the HTTP API, webhook ingestion and the dashboard"},
    {"workspace", sesami::cli::run_workspace, "create workspaces, rotate ingestion tokens"},
    {"user", sesami::cli::run_user, "add users to workspaces, reset a password"},
    {"connect", sesami::cli::run_connect,
     "the CloudFormation template that connects an AWS account"},
    {"doctor", sesami::cli::run_doctor,
     "check the AWS connection and the event pipeline, step by step"},
    {"backup", sesami::cli::run_backup,
     "copy an SQLite database consistently, also while the server runs"},
    {"export", sesami::cli::run_export,
     "export a workspace's events as JSON Lines (import reads them back) or CSV"},
    {"migrate", sesami::cli::run_migrate,
     "move everything from an SQLite database into PostgreSQL (resumable)"},
};

int usage(std::FILE* out) {
  std::fprintf(out,
               "sesami %s — Amazon SES event analytics\n\nusage: sesami <command> [options]\n\n",
               sesami::version_string);
  for (const auto& c : commands)
    std::fprintf(out, "  %-12.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                 static_cast<int>(c.summary.size()), c.summary.data());
  std::fprintf(out, "\nRun `sesami <command> --help` for a command's options.\n");
  return out == stdout ? 0 : 2;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage(stderr);
  const std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") return usage(stdout);
  if (name == "--version") {
    std::printf("sesami %s\n", sesami::version_string);
    return 0;
  }
  for (const auto& c : commands)
    if (c.name == name)
      return c.run(sesami::cli::args(argv + 2, static_cast<std::size_t>(argc - 2)));
  std::fprintf(stderr, "sesami: unknown command '%s'\n\n", argv[1]);
  return usage(stderr);
}
