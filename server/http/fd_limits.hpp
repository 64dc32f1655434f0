#pragma once
// File descriptors: the server raises its soft RLIMIT_NOFILE to the hard limit at start, and sizes
// its connection limits from what it got, leaving room for everything else that needs a
// descriptor (the database and its WAL, logs, certificate fetches, AWS and Redis connections).
#include <cstddef>

namespace sesami::http {

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit now in force.
std::size_t raise_nofile_limit() noexcept;

/// Descriptors kept back from connections for everything else: 64, plus an eighth of the limit.
constexpr std::size_t fd_headroom(std::size_t nofile) noexcept { return 64 + nofile / 8; }

/// The default --max-connections for a descriptor limit: what the headroom leaves (at least 16),
/// at most 65 536.
constexpr std::size_t default_max_connections(std::size_t nofile) noexcept {
  const std::size_t room = nofile > fd_headroom(nofile) ? nofile - fd_headroom(nofile) : 0;
  return room < 16 ? 16 : room > 65536 ? 65536 : room;
}

/// The default --max-connections-per-client: a quarter of the connections, at least 16 (or all of
/// them, when fewer) and at most 256, so that one client address cannot take them all (behind a
/// reverse proxy every client shares the proxy's address: raise it there).
constexpr std::size_t default_max_connections_per_client(std::size_t max_connections) noexcept {
  const std::size_t floor = max_connections < 16 ? max_connections : 16;
  const std::size_t quarter = max_connections / 4;
  return quarter < floor ? floor : quarter > 256 ? 256 : quarter;
}

}  // namespace sesami::http
