#pragma once
// Ingestion from SQS: one poller per connected queue (EventBridge → SQS, or SNS → SQS with raw or
// enveloped delivery — the core's parse_batch reads every shape). The story of one round:
//   long-poll ReceiveMessage → parse each body → commit the events through the normal ingest path
//   (identity → store exactly once → suppress) → only then DeleteMessageBatch.
// While a commit is slow the messages' visibility is extended, so SQS does not hand them to
// another consumer. A body that does not parse is poison: counted, never deleted, left for the
// queue's redrive policy (its dead-letter queue). A crash between commit and delete only causes a
// redelivery, which the store's identity dedupe absorbs. Errors back off exponentially (longer
// when throttled). No sockets or SQL here beyond the aws/ client and the store interface.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>
#include <sesami/event.hpp>

#include "../aws/http_client.hpp"
#include "../aws/sigv4.hpp"
#include "../aws/sqs.hpp"
#include "../store/store.hpp"
#include "aws_link.hpp"

namespace sesami::app {

class pipeline_health;

/// Where one message's events go, decided per message: the workspaces to store them in. Empty:
/// the message is dropped — deleted with its batch, counted, never stored. Used by SESami's
/// shared event bus (event_bus.hpp), which routes by the event's AWS account.
using sqs_router = std::function<std::vector<std::string>(
    std::string_view body, const std::vector<sesami::event>& events)>;

/// One queue to poll, and the workspace its events belong to (or a router that decides).
struct sqs_source {
  std::string workspace;  // where every event goes when there is no router
  std::string queue_url;
  std::string
      region;  // signing region; empty: taken from the queue URL (sqs.<region>.amazonaws.com)
  std::string endpoint;  // where requests go; empty: the queue URL's scheme and host
  credentials_source credentials;
  /// Forgets cached credentials (the workspace role's session) so the next `credentials()` call
  /// fetches fresh ones. Called once when SQS answers ExpiredToken or InvalidClientTokenId (a
  /// session revoked or expired early), then the call is retried once. Empty: nothing cached.
  std::function<void()> invalidate_credentials;
  /// Set: each message's events go where it says instead of to `workspace`.
  sqs_router route;
};

struct sqs_poller_options {
  int wait_seconds = 20;        // long poll (0-20); stop() may wait this long for the poll to end
  int max_messages = 10;        // per receive (1-10)
  int visibility_seconds = 60;  // asked on receive, and re-asked every half of it while committing
  std::chrono::milliseconds backoff_min{250};
  std::chrono::milliseconds backoff_max{30'000};
  std::chrono::milliseconds depth_every{30'000};  // how often GetQueueAttributes refreshes depth
  int delete_attempts = 3;                        // tries of DeleteMessageBatch after a commit
  /// Where deliveries are recorded (pipeline_health.hpp): a workspace queue's events and errors
  /// under its queue URL; the event bus's events per workspace routed to. Null: not recorded.
  pipeline_health* health = nullptr;
};

/// Counters since start, for /metrics. Read with relaxed loads; exact under quiescence.
struct sqs_poller_stats {
  std::atomic<std::uint64_t> receives{0};    // ReceiveMessage calls answered
  std::atomic<std::uint64_t> received{0};    // messages received (redeliveries included)
  std::atomic<std::uint64_t> stored{0};      // events newly stored
  std::atomic<std::uint64_t> duplicates{0};  // events already stored (redeliveries)
  std::atomic<std::uint64_t> deleted{0};     // messages deleted after their commit
  std::atomic<std::uint64_t> poison{0};      // receipts of bodies that do not parse
  std::atomic<std::uint64_t> dropped{0};     // messages the router sent nowhere (deleted)
  std::atomic<std::uint64_t> extended{0};    // ChangeMessageVisibilityBatch calls for slow batches
  std::atomic<std::uint64_t> errors{0};      // failed calls or commits (throttling included)
  std::atomic<std::uint64_t> throttled{0};   // of which throttling
  std::atomic<std::int64_t> depth_visible{-1};   // ApproximateNumberOfMessages; -1 unknown
  std::atomic<std::int64_t> depth_inflight{-1};  // ApproximateNumberOfMessagesNotVisible
};

/// Log sink: level (spdlog's numbering: 2 info, 3 warn, 4 error), message, fields. Never given
/// credentials or message bodies.
using poller_log = std::function<void(int, std::string_view, boost::json::object)>;

class sqs_poller {
 public:
  sqs_poller(store::store& s, aws::http_client& http, sqs_source src, sqs_poller_options opt = {},
             poller_log log = {});
  ~sqs_poller();  // stop()
  sqs_poller(const sqs_poller&) = delete;
  sqs_poller& operator=(const sqs_poller&) = delete;

  void start();
  /// Asks the loop to end and joins it: a batch already received is committed and deleted
  /// first; a long poll in progress is waited for (at most wait_seconds).
  void stop();
  /// Asks the loop to end without waiting (stop() then joins).
  void request_stop();

  const sqs_source& source() const noexcept { return src_; }
  const sqs_poller_stats& stats() const noexcept { return stats_; }

 private:
  void run();
  /// Commits a received batch and deletes what was committed. False when the store failed.
  bool process(aws::credentials c, std::vector<aws::sqs_message>& batch);
  /// After SQS refused `c` as expired or unknown: invalidates the cached credentials and fetches
  /// fresh ones into `c`. False when that is not possible (nothing to invalidate, other error).
  bool refresh_credentials(aws::credentials& c, const aws::sqs_error& e);
  void backoff(bool throttled);
  void refresh_depth(const aws::credentials& c);
  void note(int level, std::string_view msg, boost::json::object fields);
  /// The queue's last error for its workspace's health (not for the shared event bus).
  void health_error(std::string_view what);

  store::store& store_;
  sqs_source src_;
  sqs_poller_options opt_;
  poller_log log_;
  aws::sqs_client client_;
  sqs_poller_stats stats_;
  std::chrono::milliseconds delay_{0};
  std::chrono::steady_clock::time_point next_depth_{};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

/// Prometheus text for a set of pollers (labels: workspace, queue name), appended to `out`.
void render_sqs_metrics(const std::vector<const sqs_poller*>& pollers, std::string& out);

}  // namespace sesami::app
