#pragma once
// What the operations tests share beyond tests/server/support.hpp: running any program with an
// environment of its own, capturing both outputs, and its peak resident set size.
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace sesami::test {

struct spawned {
  int status = -1;       // exit status, -1 when killed by a signal
  std::string out, err;  // standard output (unless streamed to a sink) and error
  long max_rss_kib = 0;  // the child's peak resident set size (getrusage, KiB)
};

/// Runs argv[0] with `args`, `env` added to (and overriding) this process's environment. `feed`
/// writes standard input through the descriptor it gets (then closed); `sink` receives standard
/// output as it arrives instead of collecting it in `out`.
spawned spawn_and_wait(const std::vector<std::string>& argv,
                       const std::vector<std::string>& env = {},
                       const std::function<void(int fd)>& feed = {},
                       const std::function<void(const char*, std::size_t)>& sink = {});

/// A background `serve`-like child reading "listening on http://127.0.0.1:PORT" from stdout.
struct background {
  pid_t pid = -1;
  unsigned short port = 0;
  std::string out;
  background(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});
  ~background();
  int stop();  // SIGTERM, wait; the exit status
};

}  // namespace sesami::test
