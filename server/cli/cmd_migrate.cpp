// placeholder replaced below
#include "commands.hpp"
namespace sesami::cli {
int run_migrate(args) { return 2; }
}  // namespace sesami::cli
