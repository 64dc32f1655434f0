#pragma once
// One function per `sesami` subcommand. Each receives the arguments after the subcommand's name
// and returns the process exit code; each lives in its own cmd_<name>.cpp.
#include <span>
#include <string_view>

namespace sesami::cli {
using args = std::span<const char* const>;

int run_parse(args a);        // sesami parse [FILE...]
int run_aggregate(args a);    // sesami aggregate [--bucket B] [--offset M] [filters] [FILE...]
int run_import(args a);       // sesami import --db PATH [--workspace W] [--json] FILE...|DIR|-
int run_events(args a);       // sesami events --db PATH [filters] [--limit N] [--cursor C] [--json]
int run_stats(args a);        // sesami stats --db PATH [--since] [--until] [--bucket B] [--json]
int run_suppression(args a);  // sesami suppression list|add|remove|import|export --db PATH
int run_demo(args a);         // sesami demo --db PATH [--events N] [--seed S]
int run_serve(args a);        // sesami serve --db PATH [--port N] [--static-dir DIR] ...
int run_workspace(args a);    // sesami workspace create NAME --db PATH [--json]
int run_user(args a);         // sesami user add EMAIL [-w ID] [--role R] | reset-password EMAIL
int run_connect(args a);      // sesami connect --sesami-account ID [--mode M] [--identity D]...
int run_doctor(args a);       // sesami doctor --from ADDRESS [--timeout S] [--allow-simulator]
int run_backup(args a);       // sesami backup --db PATH --to FILE
int run_export(args a);       // sesami export --db PATH [-w W] [--from] [--to] [--format F] [-o F]
int run_migrate(args a);      // sesami migrate --from sesami.db --to postgresql://...
}  // namespace sesami::cli
