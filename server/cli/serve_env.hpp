#pragma once
// What `sesami serve` takes from its installation (issue #21): an environment variable for every
// option, derived in one place (SESAMI_ + the long name in capitals, '-' as '_': --body-limit is
// SESAMI_BODY_LIMIT), and the dashboard installed beside the binary.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace sesami::cli {

/// "SESAMI_" + the option's long name in capitals with '-' as '_'.
std::string env_name_of(const std::string& long_name);

/// Gives every visible option of `app` that has a long name its derived environment variable
/// (the command line wins over the environment; CLI11 shows them in --help as "(Env:NAME)").
/// Test-only options (hidden) get none: a service's environment file cannot switch them on.
void derive_env_names(CLI::App& app);

/// The dashboard installed with this binary: PREFIX/share/sesami/web when the binary is
/// PREFIX/bin/sesami and the directory holds an index.html; else empty.
std::string installed_web_dir();

}  // namespace sesami::cli
