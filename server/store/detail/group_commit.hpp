#pragma once
// Group commit, shared by both backends: concurrent writers' requests are committed together in
// one transaction, and each caller returns only after the transaction holding its request
// committed (so acknowledging after the call never acknowledges something that could be lost).
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <string>
#include <vector>

namespace sesami::store::detail {

/// What a failed group's requests are told: the exception's own words when it has them.
inline std::string describe(const std::exception_ptr& e) {
  try {
    if (e) std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return std::string("the write failed (") + x.what() + "); retry later";
  } catch (...) {
  }
  return "the write failed; retry later";
}

template <class Request>
class group_committer {
 public:
  /// At most `leaders` groups commit at once (SQLite: 1, its one writer; PostgreSQL: one per
  /// writer connection).
  explicit group_committer(std::size_t leaders = 1) : max_leaders_(leaders ? leaders : 1) {}

  /// Queues `r`. Whoever finds fewer than `leaders` commits in progress leads: it takes every
  /// queued request and calls `commit(std::vector<Request*>&)` once for them all, outside the
  /// queue's lock. The others sleep, each on its own condition variable, until their group is
  /// done: one wake-up per request (a shared condition variable woke every waiting request at
  /// every commit). Not std::binary_semaphore: libstdc++'s spins with sched_yield before
  /// sleeping, which on two cores took 9 % of the server's time at 64 concurrent webhooks. When a
  /// commit ends with requests queued behind it, the first of them is taken off the queue and
  /// woken to lead the next group (the slot passes on; no other leader can take it meanwhile).
  ///
  /// A commit that throws fails its group, not the queue: `failed(std::vector<Request*>&,
  /// std::exception_ptr)` is called for the whole group (it rolls back and gives every request an
  /// error), the followers are released and the next group proceeds. Without it a leader's
  /// exception left its followers asleep forever and the slot taken, so no later writer could
  /// commit either.
  template <class Commit, class Failed>
  void submit(Request& r, Commit&& commit, Failed&& failed) {
    waiter self(&r);
    std::unique_lock lock(mu_);
    if (leaders_ >= max_leaders_) {
      queue_.push_back(&self);
      self.wake.wait(lock, [&] { return self.woken; });
      if (self.done) return;
      // Not done: taken off the queue to lead the next group, with the slot of the last leader.
    } else {
      ++leaders_;  // (a non-empty queue means every slot is taken: it is empty here)
    }
    std::vector<waiter*> group;
    group.reserve(queue_.size() + 1);
    group.push_back(&self);  // arrived before everything still queued
    group.insert(group.end(), queue_.begin(), queue_.end());
    queue_.clear();
    lock.unlock();
    std::vector<Request*> requests;
    requests.reserve(group.size());
    for (auto* w : group) requests.push_back(w->request);
    try {
      commit(requests);
    } catch (...) {
      // `failed` must not throw: it only rolls back and records outcomes.
      failed(requests, std::current_exception());
    }
    lock.lock();
    // Signalled under the lock: a woken caller cannot return (and free its waiter) before the
    // lock is released, and nothing touches a waiter after that.
    for (auto* w : group)
      if (w != &self) w->done = w->woken = true, w->wake.notify_one();
    if (!queue_.empty()) {
      waiter* next = queue_.front();
      queue_.erase(queue_.begin());
      next->woken = true;
      next->wake.notify_one();
    } else {
      --leaders_;
    }
  }

  /// Requests waiting for the next group (for tests and diagnostics).
  std::size_t queued() {
    std::lock_guard lock(mu_);
    return queue_.size();
  }

 private:
  struct waiter {
    explicit waiter(Request* r) : request(r) {}
    Request* request;
    std::condition_variable wake;
    bool woken = false;  // signalled: done, or chosen to lead the next group
    bool done = false;
  };
  std::mutex mu_;
  std::vector<waiter*> queue_;
  std::size_t max_leaders_;
  std::size_t leaders_ = 0;  // groups committing now
};

}  // namespace sesami::store::detail
