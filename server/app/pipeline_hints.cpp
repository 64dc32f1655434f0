#include "pipeline_hints.hpp"

namespace sesami::app {

std::string missing_events_hint(const delivery_path& p) {
  const std::string cs = p.configuration_set.empty()
                             ? "the configuration set"
                             : "configuration set '" + p.configuration_set + "'";
  if (p.mode.empty())
    return "the built-in simulator's events did not reach the store: look at the server's log "
           "for ingestion errors";
  if (p.mode == "sqs")
    return "SES publishes the events of " + cs +
           " to the default EventBridge bus, the stack's rule puts them on the queue, SESami "
           "polls it. Check that Settings > AWS holds the stack's QueueUrl output (now: " +
           (p.queue_url.empty() ? std::string("none") : p.queue_url) +
           "), look for messages in the stack's DeadLetterQueueUrl, and look at the server's log "
           "for poller errors";
  if (p.mode == "api-destination")
    return "SES publishes the events of " + cs +
           " to the default EventBridge bus, the stack's API destination posts them to "
           "/ingest/eventbridge/{token}. Check that the IngestUrl parameter is this SESami's "
           "public URL with the workspace's current ingest token, that IngestSecret is the "
           "current ingest secret (redeploy the stack after `sesami workspace rotate-token`), "
           "that the AWS account is connected (POST /workspace/aws-accounts), and look in the "
           "stack's DeadLetterQueueUrl for events EventBridge could not deliver";
  if (p.mode == "event-bus")
    return "SES publishes the events of " + cs +
           " to the default bus, the stack's rule forwards them to SESami's bus. Check that the "
           "SesamiSide stack lists this account in ConnectedAccountIds, that SESami polls that "
           "stack's QueueUrl (serve --event-bus-queue), that the role check above passes (the "
           "bus stores an account's events only in workspaces whose role in it SESami can "
           "assume), and look in both stacks' dead-letter queues";
  return "unknown delivery mode '" + p.mode + "' in Settings > AWS";
}

std::string silent_source_hint(std::string_view kind, std::string_view name,
                               const delivery_path& path) {
  const std::string n(name.substr(0, 256));
  if (kind == "sns")
    return "SNS posts topic " + (n.empty() ? std::string("<unknown>") : n) +
           "'s messages to /ingest/sns/{token}. Check that the subscription is Confirmed (SNS "
           "console > Topics > Subscriptions), that raw message delivery is off, that its "
           "endpoint URL carries the workspace's current ingest token (after a rotation: "
           "subscribe the new URL), that SES still publishes to the topic (the configuration "
           "set's SNS destination, or the identity's notification topics), and the source's "
           "last error here";
  if (kind == "sqs") {
    delivery_path p = path;
    p.mode = "sqs";
    if (!n.empty()) p.queue_url = n;
    return missing_events_hint(p);
  }
  if (kind == "eventbridge") {
    delivery_path p = path;
    p.mode = "api-destination";
    return missing_events_hint(p) +
           (n.empty() ? std::string() : " (events of AWS account " + n + ")");
  }
  if (kind == "event-bus") {
    delivery_path p = path;
    p.mode = "event-bus";
    return missing_events_hint(p);
  }
  if (kind == "simulator") return missing_events_hint(delivery_path{});
  return "imports arrive when someone runs `sesami import`: nothing to fix unless one is "
         "scheduled (a cron job, a pipeline) and stopped running";
}

}  // namespace sesami::app
