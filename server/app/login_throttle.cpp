#include "login_throttle.hpp"

#include <algorithm>
#include <iterator>

namespace sesami::app {
namespace {
std::string email_key(std::string_view email) { return "e:" + std::string(email); }
std::string remote_key(std::string_view remote) { return "r:" + std::string(remote); }
}  // namespace

bool login_throttle::throttled_locked(const std::string& key, std::int64_t now) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return false;
  std::erase_if(it->second.failures, [&](std::int64_t t) { return t <= now - window_ms; });
  return it->second.failures.size() + it->second.pending >= max_failures;
}

std::optional<login_throttle::ticket> login_throttle::reserve(std::string_view email,
                                                              std::string_view remote,
                                                              std::int64_t now) {
  const auto e = email_key(email), r = remote_key(remote);
  std::lock_guard lock(mu_);
  if (throttled_locked(e, now) || throttled_locked(r, now)) return std::nullopt;
  ++keys_[e].pending;
  ++keys_[r].pending;
  return ticket(*this, std::string(email), std::string(remote), now);
}

void login_throttle::settle(const std::string& email, const std::string& remote, std::int64_t now,
                            bool failed, bool clear_email) {
  std::lock_guard lock(mu_);
  if (clear_email)
    if (auto it = keys_.find(email_key(email)); it != keys_.end()) it->second.failures.clear();
  for (const auto& k : {email_key(email), remote_key(remote)})
    if (auto it = keys_.find(k); it != keys_.end() && it->second.pending > 0) {
      --it->second.pending;
      if (!failed && it->second.pending == 0 && it->second.failures.empty()) keys_.erase(it);
    }
  if (failed) record_failure_locked(email, remote, now);
}

bool login_throttle::throttled(std::string_view email, std::string_view remote, std::int64_t now) {
  std::lock_guard lock(mu_);
  return throttled_locked(email_key(email), now) || throttled_locked(remote_key(remote), now);
}

void login_throttle::record_failure(std::string_view email, std::string_view remote,
                                    std::int64_t now) {
  std::lock_guard lock(mu_);
  record_failure_locked(email, remote, now);
}

void login_throttle::record_failure_locked(std::string_view email, std::string_view remote,
                                           std::int64_t now) {
  // Bounded memory under a flood of distinct names. Forgetting everything would let the flood
  // wash out a throttle in force, so forget what no longer counts first (failures outside the
  // window), then whoever is not throttled; throttled names and addresses, and attempts in
  // flight, are kept.
  if (keys_.size() > capacity_) {
    for (auto it = keys_.begin(); it != keys_.end();) {
      std::erase_if(it->second.failures, [&](std::int64_t t) { return t <= now - window_ms; });
      it = it->second.failures.empty() && it->second.pending == 0 ? keys_.erase(it) : std::next(it);
    }
    if (keys_.size() > capacity_ / 2)
      std::erase_if(keys_, [&](const auto& kv) {
        return kv.second.pending == 0 && kv.second.failures.size() < max_failures;
      });
  }
  keys_[email_key(email)].failures.push_back(now);
  keys_[remote_key(remote)].failures.push_back(now);
}

void login_throttle::clear_email(std::string_view email) {
  std::lock_guard lock(mu_);
  if (auto it = keys_.find(email_key(email)); it != keys_.end()) {
    it->second.failures.clear();
    if (it->second.pending == 0) keys_.erase(it);
  }
}

std::size_t login_throttle::size() const {
  std::lock_guard lock(mu_);
  return keys_.size();
}

}  // namespace sesami::app
