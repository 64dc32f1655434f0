#include "retention.hpp"

#include <map>
#include <utility>

#include "import.hpp"  // now_ms

namespace sesami::app {

std::string retention_days_problem(std::int64_t days) {
  if (days < 1 || days > max_retention_days)
    return "retentionDays must be a whole number of days from 1 to " +
           std::to_string(max_retention_days) + ", or null to keep raw events forever";
  return {};
}

outcome<void> set_retention(store::store& st, std::string_view workspace,
                            std::optional<std::int64_t> days) {
  if (days)
    if (auto p = retention_days_problem(*days); !p.empty())
      return failure{"validation.retention_days", p};
  // The store's 0 is "forever".
  if (auto r = st.set_retention(workspace, days ? static_cast<int>(*days) : 0); !r)
    return from_store(r.error());
  return {};
}

retention_purger::retention_purger(store::store& st, retention_options opt)
    : st_(st), opt_(std::move(opt)) {}

retention_purger::~retention_purger() { stop(); }

void retention_purger::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void retention_purger::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void retention_purger::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

bool retention_purger::pause() {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, opt_.pause, [this] { return stop_; });
  return !stop_;
}

// Reads the settings every check_every (cheap: the workspaces table); passes when one changed or
// the last pass is pass_every old. A failed pass is logged and tried again at the next check.
void retention_purger::run() {
  std::map<std::string, int, std::less<>> seen;  // workspace → retention of its last pass
  auto last_pass = std::chrono::steady_clock::time_point{};
  bool first = true;
  for (;;) {
    bool woken = false;
    {
      std::unique_lock lock(mu_);
      if (!first) cv_.wait_for(lock, opt_.check_every, [this] { return stop_ || woken_; });
      if (stop_) return;
      woken = std::exchange(woken_, false);
    }
    first = false;
    auto ws = st_.list_workspaces();
    if (!ws) {
      if (opt_.log) opt_.log(3, "retention: cannot list workspaces: " + ws.error().message, "", 0);
      continue;
    }
    bool changed = woken;
    for (const auto& w : *ws) {
      auto it = seen.find(w.id);
      if (w.retention_days > 0 && (it == seen.end() || it->second != w.retention_days))
        changed = true;
    }
    if (!changed && std::chrono::steady_clock::now() - last_pass < opt_.pass_every) continue;
    last_pass = std::chrono::steady_clock::now();
    seen.clear();
    for (const auto& w : *ws) {
      seen.emplace(w.id, w.retention_days);
      if (w.retention_days <= 0) continue;
      const auto t0 = std::chrono::steady_clock::now();
      auto n = st_.apply_retention(w.id, now_ms(), opt_.batch, [this] { return pause(); });
      {
        std::lock_guard lock(mu_);
        if (stop_) return;
      }
      if (!n) {
        // Tried again at the next pass (the settings look unchanged then: force it).
        seen[w.id] = -1;
        if (opt_.log) opt_.log(3, "retention: purge failed: " + n.error().message, w.id, 0);
        continue;
      }
      if (*n > 0 && opt_.log)
        opt_.log(2,
                 "retention: raw events deleted in " +
                     std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now() - t0)
                                        .count()) +
                     " ms",
                 w.id, *n);
    }
  }
}

}  // namespace sesami::app
