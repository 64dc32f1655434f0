#pragma once
// Pipeline health (issue #18): is each event source of a workspace still delivering?
//
//   - Recording: the ingestion paths (ingest_http.cpp for SNS and EventBridge, sqs_poller.cpp,
//     simulator.cpp, `sesami import`) call note_events / note_error. Counts collect in memory and
//     are merged into the store every few seconds (one transaction, never a write per event);
//     merges add up, so several nodes on one PostgreSQL database keep one set of counters.
//   - Reading: list_sources() gives each source its last event, hourly counts over 24 h, last
//     error, silence window and whether it is silent now.
//   - Silence: detect_silence() names what is wrong — a source that used to deliver and has been
//     quiet longer than its window, or mail sent through SESami whose events have not come 15
//     minutes later — with what to check (pipeline_hints.hpp: `sesami doctor`'s verdicts).
//
// Sources are identified by kind and name (an SNS topic ARN, an EventBridge account, an SQS queue
// URL; empty for the kind's endpoint as a whole, where errors whose origin was not verified go:
// a forged message can never create sources at will). The id every node derives from them is
// "src_" + 16 hex digits.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "../store/pipeline_health_store.hpp"
#include "pipeline_hints.hpp"

namespace sesami::app {

/// The stable id of a source: the same on every node, safe in a URL path.
std::string source_id(std::string_view kind, std::string_view name);

struct pipeline_health_options {
  std::chrono::milliseconds flush_every{5000};
  std::size_t max_pending = 10000;  // sources buffered between flushes; more are counted, dropped
};

/// The in-memory accumulator in front of the store. Thread-safe; note_* never touch the store.
class pipeline_health {
 public:
  explicit pipeline_health(store::pipeline_health_store& s, pipeline_health_options opt = {});
  ~pipeline_health();  // stop(): the last counts are flushed
  pipeline_health(const pipeline_health&) = delete;
  pipeline_health& operator=(const pipeline_health&) = delete;

  /// `events` events of one accepted payload (or batch) arrived from the source at `now` (ms).
  void note_events(std::string_view workspace, std::string_view kind, std::string_view name,
                   std::size_t events, std::int64_t now);
  /// The source's delivery failed: `message` says why ("sns.bad_signature: ...").
  void note_error(std::string_view workspace, std::string_view kind, std::string_view name,
                  std::string_view message, std::int64_t now);
  /// Merges what was noted into the store now (also run every flush_every by start()). On a store
  /// failure the counts stay buffered for the next try.
  store::status flush();
  void start();
  void stop();

  store::pipeline_health_store& store() noexcept { return store_; }

 private:
  store::source_delta& entry(std::string_view ws, std::string_view kind, std::string_view name);

  store::pipeline_health_store& store_;
  pipeline_health_options opt_;
  std::mutex mu_;                                                               // pending_
  std::map<std::pair<std::string, std::string>, store::source_delta> pending_;  // (ws, id)
  store::source_delta overflow_;  // where notes go when pending_ is full (never flushed)
  std::mutex flush_mu_;           // one flush at a time
  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;
  std::thread loop_;
};

// ---- reading ---------------------------------------------------------------------------------
inline constexpr std::int64_t hour_ms = 3'600'000;
/// The least silence window a person may set (PATCH /health/sources/{id}), and the default's
/// floor and ceiling.
inline constexpr std::int64_t min_silence_window_ms = 5 * 60'000;
inline constexpr std::int64_t max_silence_window_ms = 30 * 24 * hour_ms;
inline constexpr std::int64_t default_window_floor_ms = hour_ms;
inline constexpr std::int64_t default_window_ceiling_ms = 7 * 24 * hour_ms;
/// Mail sent through SESami whose events have not come after this is a finding.
inline constexpr std::int64_t send_event_deadline_ms = 15 * 60'000;
/// How far back unanswered sends are looked for.
inline constexpr std::int64_t send_lookback_ms = 24 * hour_ms;

struct source_health {
  store::source_row row;
  std::int64_t window_ms = 0;  // the window in force; 0: not watched (imports, the simulator)
  bool window_is_default = true;
  bool silent = false;
  std::int64_t events_last_hour = 0;  // estimated from the hourly counts (see docs/api.md)
  std::vector<std::int64_t> hourly;   // the last 24 clock hours, oldest first, the current last
};

/// The window a source gets unless a person set one: twice the usual gap between hours with
/// events over the week before its last event, at least an hour, at most 7 days. Imports and the
/// simulator deliver when someone acts: 0 (not watched).
std::int64_t default_silence_window(const store::source_row& r);

/// The workspace's sources as GET /health/sources shows them, at `now` (ms).
store::result<std::vector<source_health>> list_sources(store::pipeline_health_store& s,
                                                       std::string_view workspace,
                                                       std::int64_t now);

/// One reason to believe events are not arriving.
struct silence_finding {
  std::string kind;        // "source_silent" | "send_events_missing"
  std::string source;      // the silent source's id; empty for send_events_missing
  std::int64_t since = 0;  // ms: the source's last event, or the oldest unanswered send
  std::string message;     // "events are not arriving from ..."
  std::string check;       // what to check (sesami doctor's verdicts)
};

/// What is silent in `workspace` at `now` (ms): each watched source quiet longer than its window,
/// and (one finding) sends made 15 minutes to 24 hours ago whose message has no event yet.
/// `path` is the workspace's AWS connection (for what to check); default: not connected.
store::result<std::vector<silence_finding>> detect_silence(store::pipeline_health_store& s,
                                                           std::string_view workspace,
                                                           std::int64_t now,
                                                           const delivery_path& path = {});
/// The same from sources already listed (GET /health/sources reads them once).
store::result<std::vector<silence_finding>> detect_silence(
    store::pipeline_health_store& s, std::string_view workspace, std::int64_t now,
    const std::vector<source_health>& sources, const delivery_path& path);

/// How a source reads in a sentence: "SQS queue ses-events", "SNS topic arn:...".
std::string describe_source(std::string_view kind, std::string_view name);

/// sesami_last_event_age_seconds{workspace,source} of every source that has delivered.
void render_health_metrics(store::pipeline_health_store& s, std::int64_t now, std::string& out);

}  // namespace sesami::app
