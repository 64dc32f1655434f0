#pragma once
// At most `slots` password hashes (argon2id, 64 MiB and ~0.1 s of CPU each) run at once in this
// process: a flood of sign-ins from many addresses is answered "busy" at once instead of growing
// the server's memory by 64 MiB per request. Counts every hash that ran, for /metrics.
#include <atomic>
#include <cstdint>
#include <optional>

namespace sesami::app {

class password_gate {
 public:
  explicit password_gate(int slots) : free_(slots) {}

  /// Held while one hash runs; releases its slot when destroyed.
  class slot {
   public:
    explicit slot(password_gate& g) : g_(&g) {}
    slot(slot&& o) noexcept : g_(o.g_) { o.g_ = nullptr; }
    slot(const slot&) = delete;
    slot& operator=(const slot&) = delete;
    slot& operator=(slot&&) = delete;
    ~slot() {
      if (g_) g_->free_.fetch_add(1, std::memory_order_release);
    }

   private:
    password_gate* g_;
  };

  /// A slot, or nullopt at once when every slot is taken (never waits).
  std::optional<slot> try_enter() {
    int n = free_.load(std::memory_order_relaxed);
    while (n > 0)
      if (free_.compare_exchange_weak(n, n - 1, std::memory_order_acquire)) return slot(*this);
    refused_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  std::uint64_t refused() const noexcept { return refused_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int> free_;
  std::atomic<std::uint64_t> refused_{0};
};

}  // namespace sesami::app
