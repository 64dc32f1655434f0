#pragma once
// SESami's shared event bus (`serve --event-bus-queue URL`): customers' EventBridge rules put
// their SES events on SESami's bus, whose rule delivers them to SESami's own SQS queue. SESami
// reads that queue with its own identity (one sqs_poller, the same commit-then-delete machinery as
// a workspace's queue) and this router says, per message, which workspaces its events belong to:
//
//   - only `aws.ses` events are routed: EventBridge refuses PutEvents with an `aws.*` source, so
//     for those the `account` field is the account where SES produced the event, not a claim;
//   - an account's events go to the workspaces that PROVED the account: a workspace in event-bus
//     mode whose role AssumeRole accepted with that workspace's External ID, the assumed role
//     being in that account (STS's answer, not the ARN as typed). An account id is not a secret,
//     so naming it (POST /workspace/aws-accounts) proves nothing: otherwise any tenant could read
//     any other tenant's mail events by typing its account id. Several workspaces that each
//     proved the same account (each with its own role and External ID: the account owner
//     connected both) each receive its events; one that names a configuration set receives only
//     the events of that configuration set;
//   - anything else is dropped: deleted from the queue, never stored, counted
//     (sesami_event_bus_dropped_total{reason}) and logged (at most one line per account and
//     reason a minute, with the number dropped since the last line).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <sesami/event.hpp>

#include "sqs_poller.hpp"

namespace sesami::app {

struct bus_member {
  std::string workspace;
  std::string configuration_set;  // empty: every configuration set of the account
};

/// account id → the workspaces that proved it.
using bus_routes = std::map<std::string, std::vector<bus_member>, std::less<>>;

class event_bus_router {
 public:
  explicit event_bus_router(poller_log log = {});

  /// Replaces the routing table (aws_ingest rebuilds it as connections change).
  void replace(bus_routes routes);
  /// The workspaces one message's events go to; empty when it is dropped (counted and logged).
  std::vector<std::string> route(std::string_view body, const std::vector<sesami::event>& events);
  /// sesami_event_bus_routed_total and sesami_event_bus_dropped_total{reason}, appended to `out`.
  void render_metrics(std::string& out) const;

  enum class drop { not_an_ses_event, unregistered_account, other_configuration_set };
  std::uint64_t dropped(drop why) const noexcept;
  std::uint64_t routed() const noexcept { return routed_.load(); }

 private:
  void dropped_line(drop why, std::string_view account, std::string_view event_id);

  poller_log log_;
  mutable std::mutex mu_;
  std::shared_ptr<const bus_routes> routes_;
  std::atomic<std::uint64_t> routed_{0};
  std::atomic<std::uint64_t> dropped_[3] = {};
  struct quiet {
    std::chrono::steady_clock::time_point last{};
    std::uint64_t since = 0;
  };
  std::map<std::string, quiet, std::less<>> quiet_;  // reason|account → last log line (under mu_)
};

}  // namespace sesami::app
