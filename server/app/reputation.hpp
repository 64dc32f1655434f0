#pragma once
// The reputation guard (issue #18): acts on a workspace's bounce and complaint rates before SES
// does. The whole story:
//   rates   hard bounces and complaints per send over the last 24 h and 7 d, from the hourly
//           rollups (the mailbox simulator left out, as aggregate_rollups does; SESami's own alert
//           mails left out too); a window with fewer than min_sends sends is not judged.
//   levels  SES's (bounce 5 % warning / 10 % review, complaint 0.1 % / 0.5 %, aggregate.hpp), or
//           lower ones the workspace sets (PATCH /reputation/settings).
//   warning a rate at the warning level: status "warning" and an alert (once while it lasts).
//   pause   a rate at the pause level: the pause is recorded in the store (every node sees it),
//           with an alert. Bulk sending stops: POST /mail/bulk answers 409 mail.paused, the bulk
//           worker holds running jobs ("held"); single sends too if the workspace chose so. The
//           pause stays until an admin resumes — the rates falling do not lift it.
//   resume  POST /reputation/resume records the rates it resumed on (the evidence); the guard
//           pauses again only when a rate is worse than that evidence, or when a whole window has
//           passed since (a new window crossing the level).
// Soft bounces: an address that soft-bounces on `soft_bounce_limit` different messages within
// `soft_bounce_days` is suppressed (reason soft_bounce_repeated), after its events are stored.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/json/object.hpp>

#include <sesami/aggregate.hpp>
#include <sesami/event.hpp>

#include "../store/guard_store.hpp"
#include "../store/store.hpp"
#include "alerts.hpp"
#include "auth.hpp"

namespace sesami::app {

/// One rolling window's counts.
struct window_reading {
  std::string name;  // "24h" | "7d"
  std::int64_t hours = 0;
  std::uint64_t sends = 0, bounces = 0, complaints = 0;
  bool judged = false;  // sends ≥ min_sends
  sesami::rate bounce() const noexcept { return {bounces, sends}; }
  sesami::rate complaint() const noexcept { return {complaints, sends}; }
};

/// The guard's judgement of a workspace.
struct reputation_view {
  std::string status;  // "ok" | "warning" | "paused"
  std::vector<window_reading> windows;
  std::size_t deciding = 0;  // the window the status and rates are about
  std::int64_t since = 0;    // when the status began (0: ok)
  std::string reason;
  store::reputation_settings settings;
  store::reputation_state state;
};

/// What a pure judgement decides (decide()).
struct decision {
  std::string status;
  std::size_t window = 0;
  bool pause_now = false;  // a pause to record now
  std::string reason;
};
/// The judgement alone: readings, levels and the stored state in, the decision out (no I/O).
decision decide(std::span<const window_reading> readings, const store::reputation_settings& s,
                const store::reputation_state& st, std::int64_t now);

/// The evidence JSON an admin resumes on, from readings.
std::string evidence_of(std::span<const window_reading> readings);

/// Validates a PATCH /reputation/settings body onto `s`.
outcome<void> apply_settings(store::reputation_settings& s, const boost::json::object& body);
boost::json::object settings_json(const store::reputation_settings& s);
boost::json::object view_json(const reputation_view& v);

struct guard_options {
  std::int64_t min_eval_interval_ms = 1000;  // after ingestion: at most this often per workspace
};

class reputation_guard {
 public:
  reputation_guard(store::store& s, store::guard_store& g, alerts& a, guard_options opt = {});
  ~reputation_guard();
  reputation_guard(const reputation_guard&) = delete;
  reputation_guard& operator=(const reputation_guard&) = delete;

  /// Reads the rates, decides, records a change of state (pause, warning) and raises or resolves
  /// its alerts. GET /reputation.
  outcome<reputation_view> evaluate(std::string_view workspace);
  /// POST /reputation/resume: lifts a pause at once, recording the evidence; held bulk jobs go
  /// back to the queue. `by`: who resumed (user or key id).
  outcome<reputation_view> resume(std::string_view workspace, std::string_view by);
  outcome<store::reputation_settings> settings(std::string_view workspace);
  outcome<store::reputation_settings> update_settings(std::string_view workspace,
                                                      const boost::json::object& body);

  /// The mailer's gate (mail.hpp send_gate): mail.paused while paused, for bulk sends, and for
  /// single sends when the workspace chose so.
  std::optional<failure> gate(std::string_view workspace, bool bulk);

  /// After events are stored (ingest_observer.hpp): soft bounces, then the rates again.
  void after_ingest(std::string_view workspace, std::span<const sesami::event> events);

  /// Prometheus gauges per workspace: sesami_bounce_rate{window}, sesami_complaint_rate{window},
  /// sesami_reputation_paused.
  void render_metrics(std::string& out);

  /// Re-evaluates, every second, workspaces whose post-ingest evaluation was skipped as too soon.
  void start();
  void stop();

 private:
  outcome<std::vector<window_reading>> read(std::string_view ws,
                                            const store::reputation_settings& s, std::int64_t now);
  void raise_for(std::string_view ws, const reputation_view& v, bool paused_now, bool back_to_ok);
  void soft_bounces(std::string_view ws, std::span<const sesami::event> events);

  store::store& store_;
  store::guard_store& db_;
  alerts& alerts_;
  guard_options opt_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> last_eval_;
  std::set<std::string, std::less<>> dirty_;
  std::thread thread_;
};

}  // namespace sesami::app
