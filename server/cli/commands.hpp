#pragma once
// One function per `sesami` subcommand. Each receives the arguments after the subcommand's name
// and returns the process exit code; each lives in its own cmd_<name>.cpp.
#include <span>
#include <string_view>

namespace sesami::cli {
using args = std::span<const char* const>;

int run_parse(args a);      // sesami parse [FILE...]
}  // namespace sesami::cli
