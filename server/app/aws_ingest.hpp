#pragma once
// The AWS background work of `sesami serve`, driven by the stored workspace connections:
//   - an SQS poller per connected workspace whose mode is "sqs" and that has a queue URL, started,
//     restarted (queue, role or region changed) and stopped as the connections change;
//   - SESami's own event-bus queue (--event-bus-queue), when configured: one poller whose events
//     are routed by account to the workspaces that proved it (event_bus.hpp);
//   - the suppression sync with SES, on demand (POST /suppression-list/sync) and on a schedule.
// Credentials: a workspace's queue is read with the workspace's role through the STS cache
// (role_credentials) and nothing else — its URL must be an SQS queue of the role's own account
// in the connection's region (validate_queue_url, checked again here for connections saved
// before that check existed). SESami's own credentials read SESami's own event-bus queue only.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "../aws/http_client.hpp"
#include "../aws/sts.hpp"
#include "../store/aws_connections.hpp"
#include "../store/store.hpp"
#include "../store/suppression_sync_store.hpp"
#include "aws_link.hpp"
#include "event_bus.hpp"
#include "sqs_poller.hpp"
#include "suppression_sync.hpp"

namespace sesami::app {

struct aws_ingest_options {
  sqs_poller_options poller;
  suppression_sync_options sync;
  std::chrono::milliseconds reconcile_every{15'000};  // how soon a changed connection takes effect
  std::chrono::milliseconds sync_every{15 * 60'000};  // scheduled suppression sync; 0: never
  std::string sqs_endpoint;  // the operator's override (tests, VPC endpoints); empty: SQS's own
                             // endpoint for the region — never a host from a queue URL
  std::string ses_endpoint;  // empty: https://email.<region>.amazonaws.com
  /// SESami's own SQS queue behind its shared event bus; empty: no event bus.
  std::string event_bus_queue;
  /// SESami's own credentials: used for the event-bus queue only, never for a workspace's queue.
  credentials_source own_credentials;
  /// How soon a workspace whose role could not be assumed is tried again for the event bus.
  std::chrono::milliseconds bus_proof_retry{60'000};
};

class aws_ingest {
 public:
  aws_ingest(store::store& s, store::aws_connections& conns, store::suppression_sync_store& log,
             aws::role_credentials& roles, aws::http_client& http, aws_ingest_options opt = {},
             poller_log log_sink = {});
  ~aws_ingest();  // stop()
  aws_ingest(const aws_ingest&) = delete;
  aws_ingest& operator=(const aws_ingest&) = delete;

  void start();
  void stop();
  /// Starts / stops pollers to match the stored connections now (also run periodically).
  void reconcile();

  suppression_syncer& syncer() noexcept { return syncer_; }
  /// The connected workspaces, with credentials sources.
  std::vector<aws_link> links();
  std::optional<aws_link> link(std::string_view workspace);
  /// Prometheus text of the running pollers (sesami_sqs_*) and of the event bus
  /// (sesami_event_bus_*), appended to `out`.
  void render_metrics(std::string& out);

 private:
  aws_link link_of(const store::aws_connection_row& r);
  /// True when the stored queue URL may be polled; logs a refusal once per URL.
  bool queue_allowed(const store::aws_connection_row& r);
  /// Rebuilds the event bus's routes: each event-bus workspace whose role STS lets it assume.
  void refresh_bus_routes(const std::vector<store::aws_connection_row>& rows);

  store::store& store_;
  store::aws_connections& conns_;
  aws::role_credentials& roles_;
  aws::http_client& http_;
  aws_ingest_options opt_;
  poller_log log_;
  suppression_syncer syncer_;
  std::mutex mu_;                                               // pollers_
  std::map<std::string, std::unique_ptr<sqs_poller>> pollers_;  // by workspace
  std::map<std::string, std::string> poller_keys_;  // workspace → queue|role|region it polls with
  std::map<std::string, std::string> refused_queues_;  // workspace → queue URL refused (logged)
  // The event bus: its router, its poller, and what each workspace's proof was last (for logging
  // changes only, and retrying failed AssumeRoles no more often than bus_proof_retry).
  event_bus_router bus_router_;
  std::unique_ptr<sqs_poller> bus_poller_;
  struct bus_proof {
    std::string key;    // role|External ID|configuration set the proof was made for
    std::string state;  // the account proven, or "!" + why not
    std::chrono::steady_clock::time_point retry_at{};
  };
  std::map<std::string, bus_proof> bus_proofs_;  // by workspace (reconcile thread only)
  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;
  std::thread loop_;
};

}  // namespace sesami::app
