#pragma once
// Webhook ingestion: SNS HTTPS subscriptions and EventBridge API destinations. The same story as
// import.hpp (parse → identity → store exactly once → suppress), preceded by the checks a public
// endpoint needs: the workspace's token, the SNS topic's account and signature (or the EventBridge
// secret and account), subscription confirmation, and SNS MessageId dedupe. Only what SNS signed
// (the envelope's Message) is parsed. Returns only after a durable commit.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sesami/event.hpp>

#include "../aws/sns_verify.hpp"
#include "../store/store.hpp"
#include "auth.hpp"
#include "aws_connection.hpp"
#include "sns_dedupe.hpp"

namespace sesami::app {

class pipeline_health;

struct ingest_report {
  std::string action;  // "stored", "duplicate-delivery", "subscription-confirmed", "unsubscribed"
  std::string workspace;
  std::size_t events = 0;                                          // events in the payload
  std::size_t stored = 0;                                          // newly stored
  std::size_t duplicates = 0;                                      // already stored (same identity)
  std::vector<std::pair<event_type, std::size_t>> stored_by_type;  // for metrics
};

/// A message is accepted only from a topic of an account the workspace accepts: one of its source
/// accounts (/workspace/aws-accounts, which gate EventBridge too) or the account of its connected
/// role (`connections`; null: source accounts only). Anything else is sns.topic_not_allowed (403),
/// decided on the TopicArn before any certificate is loaded, and never confirmed.
///
/// `shared`: the nodes' shared MessageId memory (Redis), consulted before the store's; may be null.
/// `health`: where the delivery is recorded (pipeline_health.hpp) once the token named the
/// workspace — events per verified topic / account, failures (a raw-delivery body, a bad
/// signature: sns.raw_message_delivery, ...) as the source's last error; may be null.
outcome<ingest_report> ingest_sns(store::store& s, auth& a, aws::sns_verifier& v,
                                  std::string_view token, std::string_view body,
                                  sns_dedupe* shared = nullptr,
                                  aws_connection_service* connections = nullptr,
                                  pipeline_health* health = nullptr);

/// `secret` is the value of the API-key header the EventBridge connection sends.
outcome<ingest_report> ingest_eventbridge(store::store& s, auth& a, std::string_view token,
                                          std::string_view secret, std::string_view body,
                                          pipeline_health* health = nullptr);

}  // namespace sesami::app
