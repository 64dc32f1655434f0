#pragma once
// Whether a configuration set's event destinations deliver what SESami needs, decided once for
// `sesami doctor` (step 6) and GET /verify-sts: an enabled destination of the kind the saved
// delivery mode expects (EventBridge on the default bus, where the stack's rule listens; an SNS
// topic too when no mode is saved, for the /ingest/sns subscription), publishing the event types
// that change a recipient's status. Engagement and subscription events only warn when missing:
// some senders turn open and click tracking off on purpose.
#include <string>
#include <string_view>
#include <vector>

#include "ses_v2.hpp"

namespace sesami::aws {

/// Missing any of these: SESami would never learn a recipient's outcome (fail).
inline constexpr std::string_view required_event_types[] = {
    "SEND", "REJECT", "BOUNCE", "COMPLAINT", "DELIVERY", "RENDERING_FAILURE", "DELIVERY_DELAY"};
/// Missing any of these: engagement or unsubscribes go unseen (warn).
inline constexpr std::string_view optional_event_types[] = {"OPEN", "CLICK", "SUBSCRIPTION"};

struct event_destination_verdict {
  std::string status;  // "ok" | "warn" | "fail"
  // Empty when ok; else "aws.event_destination_missing", "aws.event_destination_disabled",
  // "aws.event_destination_target", "aws.event_types_missing", "aws.event_types_optional_missing",
  // or what reading the destinations failed with ("aws.ses_permission", "aws.throttled", ...).
  std::string code;
  std::string destination;  // the destination judged; empty when there is none
  std::string kind;         // "event-bridge" | "sns" | ...; empty when there is none
  std::string target_arn;
  bool enabled = false;
  std::string expected;                       // where the mode wants events, in words
  std::vector<std::string> missing_required;  // in required_event_types' order
  std::vector<std::string> missing_optional;  // in optional_event_types' order
  std::string message;                        // what is wrong and how to fix it (or what is right)
};

/// The verdict on `dests`, the destinations of configuration set `set`, for delivery `mode`
/// ("sqs" | "api-destination" | "event-bus" | "" as saved in Settings > AWS).
event_destination_verdict check_event_destinations(std::string_view set, std::string_view mode,
                                                   const std::vector<event_destination>& dests);

/// The verdict when GetConfigurationSetEventDestinations itself failed (`role_arn` for the
/// permission message): a fail naming the action to allow, never an exception.
event_destination_verdict event_destinations_unreadable(std::string_view set,
                                                        std::string_view role_arn,
                                                        const ses_error& e);

}  // namespace sesami::aws
