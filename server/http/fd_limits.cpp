#include "fd_limits.hpp"

#include <sys/resource.h>

namespace sesami::http {

std::size_t raise_nofile_limit() noexcept {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024;
  if (lim.rlim_cur != lim.rlim_max) {
    rlimit want = lim;
    want.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &want) == 0) lim = want;
  }
  // RLIM_INFINITY (or absurdly large): the connection cap below decides.
  return lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur > (1u << 30)
             ? std::size_t{1} << 30
             : static_cast<std::size_t>(lim.rlim_cur);
}

}  // namespace sesami::http
