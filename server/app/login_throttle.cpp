#include "login_throttle.hpp"

#include <algorithm>
#include <iterator>

namespace sesami::app {

bool login_throttle::throttled(std::string_view email, std::string_view remote, std::int64_t now) {
  std::lock_guard lock(mu_);
  for (const std::string& k : {"e:" + std::string(email), "r:" + std::string(remote)}) {
    auto it = failures_.find(k);
    if (it == failures_.end()) continue;
    std::erase_if(it->second, [&](std::int64_t t) { return t <= now - window_ms; });
    if (it->second.size() >= max_failures) return true;
  }
  return false;
}

void login_throttle::record_failure(std::string_view email, std::string_view remote,
                                    std::int64_t now) {
  std::lock_guard lock(mu_);
  // Bounded memory under a flood of distinct names. Forgetting everything would let the flood
  // wash out a throttle in force, so forget what no longer counts first (failures outside the
  // window), then whoever is not throttled; throttled names and addresses are kept.
  if (failures_.size() > capacity_) {
    for (auto it = failures_.begin(); it != failures_.end();) {
      std::erase_if(it->second, [&](std::int64_t t) { return t <= now - window_ms; });
      it = it->second.empty() ? failures_.erase(it) : std::next(it);
    }
    if (failures_.size() > capacity_ / 2)
      std::erase_if(failures_, [&](const auto& kv) { return kv.second.size() < max_failures; });
  }
  failures_["e:" + std::string(email)].push_back(now);
  failures_["r:" + std::string(remote)].push_back(now);
}

void login_throttle::clear_email(std::string_view email) {
  std::lock_guard lock(mu_);
  failures_.erase("e:" + std::string(email));
}

std::size_t login_throttle::size() const {
  std::lock_guard lock(mu_);
  return failures_.size();
}

}  // namespace sesami::app
