#pragma once
// Persistence of pipeline health (issue #18): per workspace and per event source (an SNS topic,
// an EventBridge account, an SQS queue, file imports, the simulator) when events last arrived,
// how many arrived in each hour, and the source's last error; plus the query behind "mail sent
// through SESami whose events never came". Backend-neutral like store.hpp (SQLite:
// sqlite/pipeline_health.cpp, migration 19; PostgreSQL: postgres/pipeline_health.cpp,
// migration 13).
//
// Written by merging what one node counted since its last flush (app::pipeline_health batches
// in memory): merges commute, so several nodes on one PostgreSQL database add their counts up and
// keep the latest times, whatever the order their flushes land in. Thread-safe.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store.hpp"

namespace sesami::store {

/// Hour buckets are hours since the Unix epoch (ms / 3 600 000), with their event counts.
using hour_counts = std::vector<std::pair<std::int64_t, std::int64_t>>;

/// What one node saw of one source since its last flush.
struct source_delta {
  std::string workspace;
  std::string id;    // stable for (kind, name): every node computes the same one
  std::string kind;  // "sns" | "eventbridge" | "sqs" | "event-bus" | "import" | "simulator"
  std::string name;  // topic ARN, account, queue URL; empty: the kind's endpoint as a whole
  std::int64_t first_event_at = 0, last_event_at = 0;  // 0: no event in this delta
  hour_counts hours;                                   // events per hour bucket
  std::int64_t last_error_at = 0;                      // 0: no error in this delta
  std::string last_error;
};

struct source_row {
  std::string workspace, id, kind, name;
  std::int64_t first_event_at = 0, last_event_at = 0;  // 0: never delivered an event
  std::int64_t last_error_at = 0;
  std::string last_error;
  std::int64_t silence_window_ms = 0;  // 0: the default the app derives from the usual rate
  std::int64_t created_at = 0;
  hour_counts hours;  // oldest first, only hours >= the query's `hours_from`
};

/// A send SESami made (an attempt with SES's or the simulator's message id) with no stored event
/// of that message.
struct unanswered_send {
  std::string attempt_id, message_id, transport;
  std::int64_t created_at = 0;
};

inline constexpr std::size_t unanswered_scan = 2000;

class pipeline_health_store {
 public:
  virtual ~pipeline_health_store() = default;

  /// Adds the deltas in one transaction: counts are added, first/last times kept at their
  /// min/max, the newer error wins. Hour buckets before `prune_before` (an hour index) are
  /// deleted in the same go.
  virtual status merge(std::span<const source_delta> deltas, std::int64_t prune_before) = 0;
  /// The workspace's sources, with their hour buckets from `hours_from` (an hour index) on.
  virtual result<std::vector<source_row>> sources(std::string_view workspace,
                                                  std::int64_t hours_from) = 0;
  /// Every workspace's sources that have delivered, without hours (the metrics gauge).
  virtual result<std::vector<source_row>> all_sources() = 0;
  /// Sets a source's silence window (0: back to the default); false when there is no such
  /// source in the workspace.
  virtual result<bool> set_silence_window(std::string_view workspace, std::string_view id,
                                          std::int64_t window_ms, std::int64_t now) = 0;
  /// Attempts with status "sent" and a message id, made in [from, to), for whose message no
  /// event is stored; oldest first, at most `limit`. Only the newest `unanswered_scan` attempts
  /// of the range are looked at, so the cost stays bounded for a workspace sending millions a day.
  virtual result<std::vector<unanswered_send>> unanswered_sends(std::string_view workspace,
                                                                std::int64_t from, std::int64_t to,
                                                                std::size_t limit) = 0;
};

result<std::unique_ptr<pipeline_health_store>> open_sqlite_pipeline_health(
    const std::string& path, int busy_timeout_ms = 5000);
result<std::unique_ptr<pipeline_health_store>> open_postgres_pipeline_health(
    const std::string& url);
/// Either, by the --db value (opened with open_store first: that migrates).
result<std::unique_ptr<pipeline_health_store>> open_pipeline_health(const std::string& db);

}  // namespace sesami::store
