#pragma once
// Persistence of outbound webhooks (issue #18): a workspace's endpoints (URL, event types, the
// signing secret sealed by the app) and the delivery outbox. Backend-neutral like store.hpp
// (SQLite: sqlite/webhooks.cpp, migration 17; PostgreSQL: postgres/webhooks.cpp, migration 11).
//
// The outbox row of a stored event is written by the event store itself, in the transaction that
// stores the event (enqueue_webhook_deliveries below, called from each backend's ingest), so an
// event is never stored without its deliveries nor delivered without being stored. Deliveries are
// claimed under a lease (owner, expiry), as the bulk queue's jobs are: with several nodes on one
// database each delivery is sent by one node at a time, and a dead node's claim expires.
// Every query names its workspace, except the worker's claim, which picks work across workspaces.
// Thread-safe.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <sesami/event.hpp>

#include "store.hpp"

namespace sesami::store {

struct webhook_endpoint {
  std::string id;  // "wh_" + random
  std::string workspace;
  std::string url;
  std::vector<std::string> event_types;  // event type names ("bounce"); empty: every type
  std::string description;
  bool enabled = true;
  std::string disabled_reason;  // why the server disabled it (empty when a person did, or on)
  std::string secret;           // sealed by the app ("whsec_..." inside)
  std::string previous_secret;  // sealed; empty when no rotation is in its grace period
  std::int64_t previous_expires_at = 0;
  std::int64_t failing_since = 0;  // first failed attempt since the last success; 0: healthy
  std::int64_t created_at = 0, updated_at = 0;
};

enum class delivery_state : std::uint8_t { pending = 0, delivered = 1, failed = 2 };
constexpr std::string_view to_string(delivery_state s) noexcept {
  constexpr std::string_view names[] = {"pending", "delivered", "failed"};
  return names[static_cast<std::size_t>(s)];
}

struct webhook_attempt {
  std::int64_t at = 0;
  int status = 0;  // HTTP status; 0: no response (timeout, refused, connection failed)
  std::int64_t latency_ms = 0;
  std::string response;              // the first 1 KiB of the response body
  std::string error;                 // transport error, when there was no response
  std::int64_t next_attempt_at = 0;  // 0: none (delivered, or failed for good)
};

struct webhook_delivery {
  std::int64_t id = 0;
  std::string workspace, endpoint_id;
  std::string event_id;    // the stored event's identity (hex); empty for test / alert messages
  std::string webhook_id;  // the webhook-id header: stable for the event and endpoint
  std::string type;        // event type name ("bounce"), or a full type ("sesami.test")
  delivery_state state = delivery_state::pending;
  int attempts = 0;
  std::int64_t next_attempt_at = 0;
  int last_status = 0;
  std::int64_t last_latency_ms = 0;
  std::string last_response, last_error;
  std::int64_t created_at = 0;
  std::vector<webhook_attempt> log;  // every attempt, oldest first (list_deliveries only)
};

/// A claimed delivery with what sending it needs.
struct due_delivery {
  webhook_delivery d;
  std::string url;
  std::string secret, previous_secret;  // sealed
  std::int64_t previous_expires_at = 0;
  std::string data;            // the event as GET /events serves it, or the stored payload
  std::int64_t timestamp = 0;  // the event's time (ms), or the message's creation time
  bool event_missing = false;  // the event is gone (retention) since it was enqueued
};

/// The outcome of one attempt, recorded under the claim.
struct delivery_outcome {
  std::int64_t id = 0;
  std::string endpoint_id;
  webhook_attempt attempt;
  bool delivered = false;
  bool give_up = false;  // failed for good (no retry left)
};

struct delivery_query {
  std::size_t limit = 50;
  std::int64_t before = 0;  // cursor: deliveries with a smaller id; 0: from the newest
};
struct delivery_page {
  std::vector<webhook_delivery> deliveries;  // newest first
  std::optional<std::int64_t> next;
};

class webhook_store {
 public:
  virtual ~webhook_store() = default;

  virtual status create_endpoint(const webhook_endpoint& e) = 0;
  virtual result<std::vector<webhook_endpoint>> list_endpoints(std::string_view workspace) = 0;
  virtual result<std::optional<webhook_endpoint>> find_endpoint(std::string_view workspace,
                                                                std::string_view id) = 0;
  /// Replaces url, event types, description, enabled, disabled reason, secrets, failing_since.
  virtual status update_endpoint(const webhook_endpoint& e) = 0;
  /// Deletes the endpoint and its deliveries; false when there was none.
  virtual result<bool> delete_endpoint(std::string_view workspace, std::string_view id) = 0;

  /// Adds a delivery that carries its own payload (test messages, alerts); returns its id.
  virtual result<std::int64_t> add_message(std::string_view workspace, std::string_view endpoint_id,
                                           std::string_view type, std::string_view payload,
                                           std::int64_t now) = 0;
  virtual result<delivery_page> list_deliveries(std::string_view workspace,
                                                std::string_view endpoint_id,
                                                const delivery_query& q) = 0;
  /// Makes a delivery due now (pending again if it had failed); false when there is none.
  virtual result<bool> retry_delivery(std::string_view workspace, std::string_view endpoint_id,
                                      std::int64_t id, std::int64_t now) = 0;

  /// Claims up to `limit` due deliveries of enabled endpoints for `owner` until now + lease_ms.
  virtual result<std::vector<due_delivery>> claim_due(std::string_view owner, std::int64_t now,
                                                      std::int64_t lease_ms, std::size_t limit) = 0;
  /// Records attempts of deliveries `owner` holds (one transaction): the attempt log, the
  /// delivery's state and next time, the endpoint's failing_since; and disables an endpoint
  /// failing since before `disable_before` with `reason`. Outcomes whose claim was lost are
  /// skipped. Returns the ids of endpoints it disabled.
  virtual result<std::vector<std::string>> record(std::string_view owner,
                                                  std::span<const delivery_outcome> outcomes,
                                                  std::int64_t now, std::int64_t disable_before,
                                                  std::string_view reason) = 0;
};

result<std::unique_ptr<webhook_store>> open_sqlite_webhooks(const std::string& path,
                                                            int busy_timeout_ms = 5000);
result<std::unique_ptr<webhook_store>> open_postgres_webhooks(const std::string& url);
/// Either, by the --db value.
result<std::unique_ptr<webhook_store>> open_webhooks(const std::string& db);

/// A newly stored event, as the ingest transaction hands it to the outbox.
struct webhook_event_ref {
  std::string_view id;  // identity, 32 hex chars
  sesami::event_type type;
};

/// The webhook-id of an event's delivery to an endpoint (the same on every retry).
inline std::string webhook_message_id(std::string_view event_hex, std::string_view endpoint_id) {
  return "msg_" + std::string(event_hex) + "_" + std::string(endpoint_id);
}

/// Event types as stored: ",bounce,complaint," ('' for every type), so one instr() / strpos()
/// answers "does this endpoint take this type".
std::string join_event_types(const std::vector<std::string>& types);
std::vector<std::string> split_event_types(std::string_view stored);

}  // namespace sesami::store
