#pragma once
// Failed sign-ins per email and per remote address: after `max_failures` inside the window the
// key is throttled until its oldest failure leaves the window. Memory is bounded under a flood of
// distinct names without letting the flood wash out a throttle in force (see record_failure).
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sesami::app {

class login_throttle {
 public:
  static constexpr std::size_t max_failures = 5;
  static constexpr std::int64_t window_ms = 15LL * 60 * 1000;

  /// `capacity`: keys kept before forgetting starts (two per failure: email and address).
  explicit login_throttle(std::size_t capacity = 100000) : capacity_(capacity) {}

  bool throttled(std::string_view email, std::string_view remote, std::int64_t now);
  void record_failure(std::string_view email, std::string_view remote, std::int64_t now);
  /// A successful sign-in clears its email's failures (not its address's).
  void clear_email(std::string_view email);
  /// Keys currently remembered (for tests and metrics).
  std::size_t size() const;

 private:
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::map<std::string, std::vector<std::int64_t>, std::less<>> failures_;  // "e:" / "r:" + who
};

}  // namespace sesami::app
