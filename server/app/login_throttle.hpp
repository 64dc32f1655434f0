#pragma once
// Failed sign-ins per email and per remote address: after `max_failures` inside the window the
// key is throttled until its oldest failure leaves the window. An attempt is *reserved* before its
// password is hashed and counts as a failure until it is settled, so concurrent attempts are
// decided one by one: 24 wrong passwords sent at once run at most `max_failures` hashes, not 24.
// Memory is bounded under a flood of distinct names without letting the flood wash out a throttle
// in force (see record_failure).
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sesami::app {

class login_throttle {
 public:
  static constexpr std::size_t max_failures = 5;
  static constexpr std::int64_t window_ms = 15LL * 60 * 1000;

  /// `capacity`: keys kept before forgetting starts (two per failure: email and address).
  explicit login_throttle(std::size_t capacity = 100000) : capacity_(capacity) {}

  /// One reserved attempt: a failure unless `succeeded()` is called; settled when destroyed.
  class ticket {
   public:
    ticket(login_throttle& t, std::string email, std::string remote, std::int64_t now)
        : t_(&t), email_(std::move(email)), remote_(std::move(remote)), now_(now) {}
    ticket(ticket&& o) noexcept
        : t_(std::exchange(o.t_, nullptr)),
          email_(std::move(o.email_)),
          remote_(std::move(o.remote_)),
          now_(o.now_),
          failed_(o.failed_),
          clear_(o.clear_) {}
    ticket(const ticket&) = delete;
    ticket& operator=(const ticket&) = delete;
    ticket& operator=(ticket&&) = delete;
    ~ticket() {
      if (t_) t_->settle(email_, remote_, now_, failed_, clear_);
    }
    /// The password was right: nothing is remembered (and the email's failures are cleared).
    void succeeded() noexcept { failed_ = false, clear_ = true; }
    /// No password was checked (the server was busy, the store failed): nothing is remembered.
    void not_tried() noexcept { failed_ = false; }

   private:
    friend class login_throttle;
    login_throttle* t_;
    std::string email_, remote_;
    std::int64_t now_;
    bool failed_ = true;
    bool clear_ = false;
  };

  /// Atomically: nullopt when the email or the address is throttled — counting the attempts in
  /// flight as failures — else a ticket that counts against both until it is settled.
  std::optional<ticket> reserve(std::string_view email, std::string_view remote, std::int64_t now);

  bool throttled(std::string_view email, std::string_view remote, std::int64_t now);
  void record_failure(std::string_view email, std::string_view remote, std::int64_t now);
  /// A successful sign-in clears its email's failures (not its address's).
  void clear_email(std::string_view email);
  /// Keys currently remembered (for tests and metrics).
  std::size_t size() const;

 private:
  struct entry {
    std::vector<std::int64_t> failures;
    std::size_t pending = 0;  // reserved attempts not settled yet
  };
  void settle(const std::string& email, const std::string& remote, std::int64_t now, bool failed,
              bool clear_email);
  bool throttled_locked(const std::string& key, std::int64_t now);
  void record_failure_locked(std::string_view email, std::string_view remote, std::int64_t now);

  std::size_t capacity_;
  mutable std::mutex mu_;
  std::map<std::string, entry, std::less<>> keys_;  // "e:" / "r:" + who
};

}  // namespace sesami::app
