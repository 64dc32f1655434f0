#pragma once
// The send-rate token bucket shared by nodes (app::rate_limiter on Redis). One Lua script reads,
// refills and takes from the bucket atomically, on Redis's own clock (TIME inside the script), so
// nodes with skewed clocks still share one rate. EVALSHA first; EVAL when Redis answers NOSCRIPT
// (after a restart or SCRIPT FLUSH). While Redis is unavailable each node falls back to its local
// bucket (the rate is then per node: a degraded mode that /health and the log report).
#include <atomic>
#include <cstdint>
#include <string>

#include "../../app/rate_limiter.hpp"
#include "client.hpp"

namespace sesami::redis {

class rate_limiter final : public app::rate_limiter {
 public:
  explicit rate_limiter(client& redis, std::string prefix = "sesami:bucket:");
  std::chrono::milliseconds try_acquire(std::string_view key, double per_second,
                                        double n = 1) override;
  /// Acquisitions answered by the local fallback (tests, metrics).
  std::uint64_t fallbacks() const noexcept { return fallbacks_.load(); }

 private:
  client& redis_;
  std::string prefix_;
  std::string sha_;  // SHA-1 of the script, as EVALSHA wants it
  app::local_rate_limiter local_;
  std::atomic<std::uint64_t> fallbacks_{0};
};

}  // namespace sesami::redis
