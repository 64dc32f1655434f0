#pragma once
// The AWS background work of `sesami serve`, driven by the stored workspace connections:
//   - an SQS poller per connected workspace whose mode is "sqs" and that has a queue URL, started,
//     restarted (queue, role or region changed) and stopped as the connections change;
//   - the suppression sync with SES, on demand (POST /suppression-list/sync) and on a schedule.
// Credentials: the workspace's role through the STS cache (role_credentials); SESami's own
// credentials when the queue lives in another account than the role's (a SESami-side queue that
// the customer's EventBridge rule or SNS topic delivers to).
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
#include "sqs_poller.hpp"
#include "suppression_sync.hpp"

namespace sesami::app {

struct aws_ingest_options {
  sqs_poller_options poller;
  suppression_sync_options sync;
  std::chrono::milliseconds reconcile_every{15'000};  // how soon a changed connection takes effect
  std::chrono::milliseconds sync_every{15 * 60'000};  // scheduled suppression sync; 0: never
  std::string sqs_endpoint;  // overrides (tests); empty: the queue URL's host
  std::string ses_endpoint;  // empty: https://email.<region>.amazonaws.com
  /// SESami's own credentials, for queues outside the role's account; empty: always the role.
  credentials_source own_credentials;
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
  /// Prometheus text of the running pollers (sesami_sqs_*), appended to `out`.
  void render_metrics(std::string& out);

 private:
  aws_link link_of(const store::aws_connection_row& r);

  store::store& store_;
  store::aws_connections& conns_;
  aws::role_credentials& roles_;
  aws::http_client& http_;
  aws_ingest_options opt_;
  poller_log log_;
  suppression_syncer syncer_;
  std::mutex mu_;  // pollers_
  std::map<std::string, std::unique_ptr<sqs_poller>> pollers_;  // by workspace
  std::map<std::string, std::string> poller_keys_;  // workspace → queue|role|region it polls with
  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;
  std::thread loop_;
};

}  // namespace sesami::app
