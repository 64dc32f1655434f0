// The proof suites' binary: Catch2's main, with SIGPIPE ignored — tests write to connections the
// server has closed on purpose (slow clients, oversized bodies), which must be an error, not death.
#define CATCH_CONFIG_RUNNER
#include <signal.h>

#include <catch2/catch.hpp>

int main(int argc, char* argv[]) {
  signal(SIGPIPE, SIG_IGN);
  return Catch::Session().run(argc, argv);
}
