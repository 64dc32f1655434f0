#pragma once
// What the proof suites share on top of the server tests' support.hpp: a seed for randomized
// tests (printed on failure), workspaces made through the CLI, fixtures, and running the CLI with
// its standard error and standard input.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "../server/support.hpp"

namespace sesami::test {

/// SESAMI_PROOF_SEED when set, else a fresh random seed.
std::uint64_t proof_seed();

struct workspace_secrets {
  std::string id, token, secret, key;
};
/// `sesami workspace create NAME --db DB --json`.
workspace_secrets create_workspace(const fs::path& db, const std::string& name);

/// A file under tests/fixtures.
std::string fixture(const std::string& rel);

using headers = std::vector<std::pair<std::string, std::string>>;
inline headers bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

/// The real `sesami` binary with both output streams captured and `input` on standard input.
struct run_result2 {
  int status = -1;
  std::string out, err;
};
run_result2 run_sesami_err(const std::vector<std::string>& args, const std::string& input = "");

/// Events stored in a workspace, through GET /events (every page).
std::vector<boost::json::value> all_events(http_client& c, const std::string& key,
                                           const std::string& query = "");

}  // namespace sesami::test
