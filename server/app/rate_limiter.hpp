#pragma once
// Sending rate: a token bucket per key (AWS account and region, or "simulator"), refilled at the
// account's max send rate. The interface lets several nodes share one bucket (a Redis
// implementation follows with the scale-out issue); local_rate_limiter is the in-process one.
#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace sesami::app {

class rate_limiter {
 public:
  virtual ~rate_limiter() = default;
  /// Takes `n` tokens from the bucket `key` (capacity: one second's worth, at least `n`) if it
  /// holds them now and answers 0; otherwise takes nothing and answers how long until it will.
  virtual std::chrono::milliseconds try_acquire(std::string_view key, double per_second,
                                                double n = 1) = 0;
};

class local_rate_limiter final : public rate_limiter {
 public:
  std::chrono::milliseconds try_acquire(std::string_view key, double per_second,
                                        double n = 1) override {
    using clock = std::chrono::steady_clock;
    if (per_second <= 0) return std::chrono::milliseconds(0);
    const double capacity = std::max(per_second, n);
    const auto now = clock::now();
    std::lock_guard lock(mu_);
    auto it = buckets_.find(key);
    if (it == buckets_.end()) it = buckets_.emplace(std::string(key), bucket{capacity, now}).first;
    auto& b = it->second;
    const double elapsed = std::chrono::duration<double>(now - b.at).count();
    b.tokens = std::min(capacity, b.tokens + elapsed * per_second);
    b.at = now;
    if (b.tokens >= n) {
      b.tokens -= n;
      return std::chrono::milliseconds(0);
    }
    const double wait_s = (n - b.tokens) / per_second;
    return std::chrono::milliseconds(static_cast<std::int64_t>(wait_s * 1000) + 1);
  }

 private:
  struct bucket {
    double tokens;
    std::chrono::steady_clock::time_point at;
  };
  std::mutex mu_;
  std::map<std::string, bucket, std::less<>> buckets_;
};

}  // namespace sesami::app
