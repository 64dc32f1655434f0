#include "event_destinations.hpp"

namespace sesami::aws {
namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& t : v) s += (s.empty() ? "" : ", ") + t;
  return s;
}

std::string where_to_edit(std::string_view set, std::string_view dest) {
  return "SES console > Configuration sets > " + std::string(set) + " > Event destinations > " +
         std::string(dest);
}

}  // namespace

event_destination_verdict check_event_destinations(std::string_view set, std::string_view mode,
                                                   const std::vector<event_destination>& dests) {
  // Every delivery mode starts on the default EventBridge bus (the stack's rule or API
  // destination listens there); without a mode, an SNS topic subscribed to /ingest/sns works too.
  const bool sns_ok = mode.empty();
  const auto accepted_kind = [&](const event_destination& d) {
    return d.kind == "event-bridge" || (sns_ok && d.kind == "sns");
  };
  const auto right_target = [](const event_destination& d) {
    return d.kind != "event-bridge" || d.target_arn.ends_with(":event-bus/default");
  };
  const std::string cs = "configuration set '" + std::string(set) + "'";

  event_destination_verdict v;
  v.expected = sns_ok ? "an enabled EventBridge destination on the default bus, or an SNS topic "
                        "subscribed to /ingest/sns/{token}"
                      : "an enabled EventBridge destination on the default bus (delivery mode " +
                            std::string(mode) + ")";
  const auto judge = [&](const event_destination& d) {
    v.destination = d.name;
    v.kind = d.kind;
    v.target_arn = d.target_arn;
    v.enabled = d.enabled;
  };
  // The stack's own destination first, then any other.
  const auto pick = [&](auto&& pred) -> const event_destination* {
    const event_destination* best = nullptr;
    for (const auto& d : dests)
      if (pred(d) && (!best || d.name == "sesami-eventbridge")) best = &d;
    return best;
  };

  std::vector<const event_destination*> usable;
  for (const auto& d : dests)
    if (d.enabled && accepted_kind(d) && right_target(d)) usable.push_back(&d);
  if (usable.empty()) {
    v.status = "fail";
    if (const auto* off = pick([&](const event_destination& d) { return accepted_kind(d); });
        off && !off->enabled) {
      judge(*off);
      v.code = "aws.event_destination_disabled";
      v.message = "event destination '" + off->name + "' of " + cs +
                  " is disabled, so SES publishes no events to SESami: enable it (" +
                  where_to_edit(set, off->name) + ") or deploy the stack again";
    } else if (off) {  // enabled, but an EventBridge bus other than the default one
      judge(*off);
      v.code = "aws.event_destination_target";
      v.message = "event destination '" + off->name + "' publishes to " + off->target_arn +
                  "; SES publishes to the default bus only, where the stack's rule listens: "
                  "point it at arn:aws:events:<region>:<account>:event-bus/default or deploy the "
                  "stack again";
    } else {
      v.code = "aws.event_destination_missing";
      v.message = cs + " has no enabled " +
                  std::string(sns_ok ? "EventBridge or SNS" : "EventBridge") +
                  " event destination, so SES publishes no events to SESami: the stack's "
                  "'sesami-eventbridge' was removed or disabled; deploy the stack again";
    }
    return v;
  }

  const event_destination* primary = usable.front();
  for (const auto* d : usable)
    if (d->name == "sesami-eventbridge") primary = d;
  judge(*primary);
  // Several usable destinations all reach SESami: judge what they publish together.
  const auto published = [&](std::string_view t) {
    for (const auto* d : usable)
      for (const auto& m : d->matching_event_types)
        if (iequals(m, t)) return true;
    return false;
  };
  for (auto t : required_event_types)
    if (!published(t)) v.missing_required.emplace_back(t);
  for (auto t : optional_event_types)
    if (!published(t)) v.missing_optional.emplace_back(t);

  const std::string dest = "event destination '" + primary->name + "'";
  if (!v.missing_required.empty()) {
    v.status = "fail";
    v.code = "aws.event_types_missing";
    v.message = dest + " does not publish " + joined(v.missing_required) +
                ": SESami never learns those outcomes. Add them to its event types (" +
                where_to_edit(set, primary->name) + " > Edit) or deploy the stack again";
    if (!v.missing_optional.empty())
      v.message += " (optional, also missing: " + joined(v.missing_optional) + ")";
    return v;
  }
  if (!v.missing_optional.empty()) {
    v.status = "warn";
    v.code = "aws.event_types_optional_missing";
    v.message = dest + " does not publish " + joined(v.missing_optional) +
                ": SESami shows no opens, clicks or list unsubscribes for them. Add them (" +
                where_to_edit(set, primary->name) +
                " > Edit) if you track engagement; ignore this if tracking is off on purpose";
    return v;
  }
  v.status = "ok";
  v.message =
      "'" + std::string(set) + "': destination '" + primary->name + "', all ten event types, " +
      (primary->kind == "sns" ? "SNS topic " + primary->target_arn : std::string("default bus"));
  return v;
}

event_destination_verdict event_destinations_unreadable(std::string_view set,
                                                        std::string_view role_arn,
                                                        const ses_error& e) {
  event_destination_verdict v;
  v.status = "fail";
  const std::string cs = "configuration set '" + std::string(set) + "'";
  const std::string why = e.aws_code.empty() ? e.message : e.aws_code + ": " + e.message;
  if (e.aws_code == "NotFoundException") {
    v.code = "aws.wrong_region";
    v.message = cs +
                " does not exist in this region: deploy the stack in that region, or save "
                "the name its ConfigurationSet output shows";
  } else if (e.http_status == 403 || e.code == app::send_errc::not_authorized) {
    v.code = "aws.ses_permission";
    v.message = "the role " + std::string(role_arn) +
                " may not call ses:GetConfigurationSetEventDestinations, so the event "
                "destination of " +
                cs +
                " could not be checked: allow that action in the role's policy, or deploy the "
                "current template (`sesami connect`) (" +
                why + ")";
  } else if (e.code == app::send_errc::throttled) {
    v.code = "aws.throttled";
    v.message = "SES throttled GetConfigurationSetEventDestinations; try again (" + why + ")";
  } else if (e.code == app::send_errc::unavailable) {
    v.code = "aws.unreachable";
    v.message = "GetConfigurationSetEventDestinations could not reach SES: " + why;
  } else {
    v.code = "aws.bad_response";
    v.message = "GetConfigurationSetEventDestinations: " + why;
  }
  return v;
}

}  // namespace sesami::aws
