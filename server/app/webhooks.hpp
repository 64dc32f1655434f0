#pragma once
// Outbound webhooks (issue #18, Standard Webhooks): a workspace's endpoints, and the worker that
// delivers the outbox the event store fills in each event's own transaction.
//
//   POST {url}  webhook-id: msg_<event>_<endpoint>   (the same on every retry)
//               webhook-timestamp: <unix seconds>
//               webhook-signature: v1,<base64 HMAC-SHA256(key, id "." timestamp "." body)>
//   {"type": "email.bounce", "timestamp": "<event time, ISO 8601>", "data": <GET /events item>}
//
// The key is the base64 after "whsec_" in the endpoint's secret (sealed at rest with the server
// key); during the 24 h after a rotation each message carries both signatures. Delivery is at
// least once: an outcome is recorded only after the receiver answered, so a crash between the two
// sends the message again (same webhook-id: receivers deduplicate on it). Ordering is not
// promised. Targets follow the outbound-URL policy (aws/outbound_url.hpp) when saved and again
// when called (DNS may change between the two).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "../aws/http_client.hpp"
#include "../aws/outbound_url.hpp"
#include "../store/webhook_store.hpp"
#include "auth.hpp"
#include "secret_box.hpp"

namespace sesami::app {

struct webhook_options {
  /// Where endpoints may point. Default: https and public addresses only.
  aws::outbound_policy policy{false, "--allow-private-webhooks", false};
  long timeout_ms = 15'000;         // one delivery attempt, whole exchange
  std::size_t threads = 4;          // concurrent deliveries of this node
  std::size_t batch = 32;           // deliveries claimed at once by one thread
  std::int64_t lease_ms = 120'000;  // a claim expires after this (its node died)
  /// Scales the retry schedule (tests: 0.01 makes the first retry ~50 ms).
  double backoff_scale = 1.0;
  std::int64_t disable_after_ms = 5LL * 24 * 3600 * 1000;  // failing this long: disabled
  std::int64_t rotation_grace_ms = 24LL * 3600 * 1000;     // the old secret stays valid
  std::string ca_file;  // PEM bundle trusted for https targets (default: the system's)
  /// Called once for each endpoint this node disabled for failing for days (workspace, endpoint
  /// id, URL): serve raises an alert with it (alerts.hpp).
  std::function<void(std::string_view, std::string_view, std::string_view)> on_disabled = {};
  /// Called with log lines (level as spdlog's, message, endpoint id).
  std::function<void(int, std::string_view, std::string_view)> log = {};
};

/// The retry delay after `failures` failed attempts (1-based), before jitter and scaling: seconds
/// at first, then minutes, then hours, ~3 days in all; nullopt once every retry is spent.
std::optional<std::int64_t> webhook_retry_delay_ms(int failures) noexcept;
/// The body of one message.
std::string webhook_body(std::string_view type, std::int64_t timestamp_ms, std::string_view data);
/// "v1,<base64 HMAC-SHA256>" for one secret ("whsec_<base64>"); empty when it does not decode.
std::string webhook_signature(std::string_view secret, std::string_view id, std::int64_t ts_s,
                              std::string_view body);
/// A new secret: "whsec_" + base64 of 24 random bytes.
std::string new_webhook_secret();

class webhooks {
 public:
  webhooks(store::webhook_store& db, const secret_box& box, webhook_options opt);
  ~webhooks();
  webhooks(const webhooks&) = delete;
  webhooks& operator=(const webhooks&) = delete;

  // ---- management (the routes) ----
  struct shown_secret {
    store::webhook_endpoint endpoint;
    std::string secret;  // "whsec_...", shown once
  };
  struct changes {
    std::optional<std::string> url, description;
    std::optional<std::vector<std::string>> event_types;
    std::optional<bool> enabled;
  };
  outcome<shown_secret> create(std::string_view ws, std::string_view url,
                               std::vector<std::string> event_types, std::string description);
  outcome<std::vector<store::webhook_endpoint>> list(std::string_view ws);
  outcome<store::webhook_endpoint> update(std::string_view ws, std::string_view id,
                                          const changes& c);
  outcome<void> remove(std::string_view ws, std::string_view id);
  outcome<shown_secret> rotate(std::string_view ws, std::string_view id);
  /// Queues a "sesami.test" message to the endpoint now; returns the delivery id.
  outcome<std::int64_t> test(std::string_view ws, std::string_view id);
  outcome<store::delivery_page> deliveries(std::string_view ws, std::string_view id,
                                           const store::delivery_query& q);
  outcome<void> retry(std::string_view ws, std::string_view id, std::int64_t delivery);

  /// The URL check of create / update: policy refusals as webhooks.url_refused.
  outcome<void> check_url(std::string_view url) const;

  // ---- delivery ----
  void start();
  void stop();
  /// Something is due now (a test message, a retry): workers look at once.
  void wake();

 private:
  outcome<store::webhook_endpoint> find(std::string_view ws, std::string_view id);
  void run(std::size_t index);
  store::delivery_outcome deliver(const store::due_delivery& d, std::mt19937_64& rng);
  std::optional<std::string> open_secret(std::string_view endpoint_id,
                                         std::string_view sealed) const;
  std::string seal_secret(std::string_view endpoint_id, std::string_view secret) const;

  store::webhook_store& db_;
  secret_box box_;
  webhook_options opt_;
  aws::http_client http_;
  std::string node_;  // this process's lease owner prefix
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::uint64_t wakes_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace sesami::app
