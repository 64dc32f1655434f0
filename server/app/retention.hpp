#pragma once
// Retention (issue #21): a workspace keeps its raw events for `retentionDays` (or forever), and a
// background purger on every node deletes what is older, in small batches with a pause between
// them so ingestion and queries keep their latencies. Rollups and the suppression list stay
// (docs/storage.md, "Retention"). The purger runs a pass within seconds of a change made through
// this node (wake()), within `check_every` of one made elsewhere (another node, `sesami workspace
// set-retention`), and every `pass_every` otherwise, as time moves the cutoff.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "../store/store.hpp"
#include "auth.hpp"

namespace sesami::app {

inline constexpr int max_retention_days = 3650;

/// "" when `days` is a retention a person may set (1..3650); otherwise why not.
std::string retention_days_problem(std::int64_t days);

/// Sets a workspace's retention: a number of days (1..3650) or nullopt (keep forever). Fails with
/// validation.retention_days (the problem with `days`) or the store's error.
outcome<void> set_retention(store::store& st, std::string_view workspace,
                            std::optional<std::int64_t> days);

struct retention_options {
  std::size_t batch = 500;                        // rows per transaction
  std::chrono::milliseconds pause{20};            // between two batches
  std::chrono::milliseconds check_every{15'000};  // re-read the settings (changes elsewhere)
  std::chrono::milliseconds pass_every{600'000};  // a pass without any change
  /// Called with log lines: level as spdlog's, message, workspace, events deleted.
  std::function<void(int, std::string_view, std::string_view, std::size_t)> log = {};
};

class retention_purger {
 public:
  retention_purger(store::store& st, retention_options opt);
  ~retention_purger();
  retention_purger(const retention_purger&) = delete;
  retention_purger& operator=(const retention_purger&) = delete;

  void start();
  /// Stops after the batch in hand (each batch is its own transaction).
  void stop();
  /// A retention changed here: pass now rather than at the next check.
  void wake();

 private:
  void run();
  bool pause();  // false once stopping

  store::store& st_;
  retention_options opt_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false, woken_ = false;
  std::thread thread_;
};

}  // namespace sesami::app
