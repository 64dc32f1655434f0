#include "ingest_http.hpp"

#include <boost/json/parse.hpp>

#include <sesami/parse.hpp>

#include "import.hpp"
#include "ingest_observer.hpp"
#include "pipeline_health.hpp"

namespace sesami::app {
namespace {
failure fail(std::string_view code, std::string message) {
  return {std::string(code), std::move(message)};
}

// Prepare → one durable store call (group-committed with concurrent requests). All events of the
// payload or none: a bad item rejects the whole payload, so SNS's retry is clean.
outcome<ingest_report> store_parsed(store::store& s, std::string_view workspace,
                                    const batch_result& parsed) {
  if (!parsed.diagnostics.empty()) {
    const auto& d = parsed.diagnostics.front();
    return fail(d.err.id(), (d.path.empty() ? "" : d.path + ": ") + d.err.message);
  }
  ingest_report r;
  r.action = "stored";
  r.workspace = std::string(workspace);
  r.events = parsed.events.size();
  if (parsed.events.empty()) return r;
  const auto items = prepare(parsed.events);
  auto stored = s.ingest(workspace, items, now_ms());
  if (!stored) return from_store(stored.error());
  r.stored = stored->stored;
  r.duplicates = stored->duplicates;
  if (stored->stored > 0) notify_ingested(workspace, parsed.events);
  // Per-type counts of the payload (what the metrics call "ingested"), only when new ones landed.
  if (stored->stored > 0) {
    std::size_t counts[event_type_count] = {};
    for (const auto& e : parsed.events) ++counts[static_cast<std::size_t>(e.type)];
    for (std::size_t t = 0; t < event_type_count; ++t)
      if (counts[t]) r.stored_by_type.emplace_back(static_cast<event_type>(t), counts[t]);
  }
  return r;
}

// The topic's account must be one the workspace accepts events from. Decided on the TopicArn
// alone: a message naming a foreign topic costs no certificate fetch, whatever else it carries
// (its signature, if genuine, would only prove it is someone else's).
outcome<void> check_topic(auth& a, aws_connection_service* connections, std::string_view ws,
                          std::string_view topic_arn) {
  const auto account = aws::topic_account(topic_arn);
  if (!account)
    return fail("sns.topic_not_allowed",
                "TopicArn is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)");
  auto listed = a.aws_account_connected(ws, *account);
  if (!listed) return listed.error();
  if (*listed) return {};
  if (connections) {
    auto role = connections->connected_account(ws);
    if (!role) return role.error();
    if (*role && **role == *account) return {};
  }
  return fail("sns.topic_not_allowed",
              "SNS topic " + std::string(topic_arn.substr(0, 256)) + " belongs to AWS account " +
                  std::string(*account) +
                  ", which this workspace does not accept: add AWS account " +
                  std::string(*account) + " under Settings → Source accounts");
}

// A subscription with raw message delivery on posts the bare SES event: no Type, no Message, no
// signature, so nothing in it can be trusted. Told apart from other garbage by its SES fields.
bool raw_ses_event(std::string_view body) {
  boost::system::error_code ec;
  const auto doc = boost::json::parse(body, ec);
  const auto* o = ec ? nullptr : doc.if_object();
  return o && !o->contains("Type") && !sesami::detail::event_field_in(*o).empty();
}

// Where a delivery's health is recorded: the verified source, or the kind's endpoint as a whole
// while nothing in the message is verified (a forged message never names a source).
struct ingest_origin {
  std::string workspace;
  std::string name;
};

outcome<ingest_report> sns_checked(store::store& s, auth& a, aws::sns_verifier& v,
                                   std::string_view token, std::string_view body,
                                   sns_dedupe* shared, aws_connection_service* connections,
                                   ingest_origin& origin);
outcome<ingest_report> eventbridge_checked(store::store& s, auth& a, std::string_view token,
                                           std::string_view secret, std::string_view body,
                                           ingest_origin& origin);

void record(pipeline_health* health, std::string_view kind, const ingest_origin& origin,
            const outcome<ingest_report>& r) {
  if (!health || origin.workspace.empty()) return;
  if (!r)
    health->note_error(origin.workspace, kind, origin.name,
                       r.error().code + ": " + r.error().message, now_ms());
  else if (r->action == "stored")
    health->note_events(origin.workspace, kind, origin.name, r->events, now_ms());
}
}  // namespace

outcome<ingest_report> ingest_sns(store::store& s, auth& a, aws::sns_verifier& v,
                                  std::string_view token, std::string_view body, sns_dedupe* shared,
                                  aws_connection_service* connections, pipeline_health* health) {
  ingest_origin origin;
  auto r = sns_checked(s, a, v, token, body, shared, connections, origin);
  record(health, "sns", origin, r);
  return r;
}

outcome<ingest_report> ingest_eventbridge(store::store& s, auth& a, std::string_view token,
                                          std::string_view secret, std::string_view body,
                                          pipeline_health* health) {
  ingest_origin origin;
  auto r = eventbridge_checked(s, a, token, secret, body, origin);
  record(health, "eventbridge", origin, r);
  return r;
}

namespace {

outcome<ingest_report> sns_checked(store::store& s, auth& a, aws::sns_verifier& v,
                                   std::string_view token, std::string_view body,
                                   sns_dedupe* shared, aws_connection_service* connections,
                                   ingest_origin& origin) {
  auto target = a.ingest_for_token(token);
  if (!target) return target.error();
  const std::string& ws = target->workspace;
  origin.workspace = ws;

  auto env = parse_sns_envelope(body);
  if (!env && raw_ses_event(body))
    return fail("sns.raw_message_delivery",
                "this is a bare SES event, not an SNS message: raw message delivery is on for "
                "this subscription; turn it off (SNS console > Subscriptions > this "
                "subscription > Edit > Raw message delivery, or `aws sns "
                "set-subscription-attributes --attribute-name RawMessageDelivery "
                "--attribute-value false`): SESami needs the SNS envelope to check the "
                "signature");
  if (!env) return fail(env.error().id(), env.error().message);
  // The cheap checks first, so that none of these messages makes us fetch a certificate: the
  // topic's account, nothing beside the envelope, a SubscribeURL we would call.
  if (auto allowed = check_topic(a, connections, ws, env->topic_arn); !allowed)
    return allowed.error();
  if (!env->unsigned_event_field.empty())
    return fail("sns.unsigned_fields",
                env->unsigned_event_field +
                    ": SES fields beside an SNS envelope are not covered by its signature; SNS "
                    "carries the event in Message only");
  if (env->type == "SubscriptionConfirmation" && !aws::sns_host_url(env->subscribe_url))
    return fail(aws::to_id(aws::sns_error::cert_url_refused),
                "SubscribeURL must be https://sns.<region>.amazonaws.com/...; not called");
  if (auto ok = v.verify(*env); !ok) return fail(aws::to_id(ok.error().code), ok.error().message);
  origin.name = env->topic_arn;  // signed by SNS from here on

  ingest_report r;
  r.workspace = ws;
  if (env->type == "SubscriptionConfirmation") {
    if (auto c = v.confirm(*env); !c) return fail(aws::to_id(c.error().code), c.error().message);
    r.action = "subscription-confirmed";
    return r;
  }
  if (env->type == "UnsubscribeConfirmation") {
    // Never re-subscribe on our own: someone chose to unsubscribe. Acknowledge and keep a log line.
    r.action = "unsubscribed";
    return r;
  }
  // SNS redelivers the same message up to several times: drop repeats before parsing.
  if (shared && shared->seen(ws, env->message_id)) {
    r.action = "duplicate-delivery";
    return r;
  }
  auto seen = s.sns_message_seen(ws, env->message_id);
  if (!seen) return from_store(seen.error());
  if (*seen) {
    r.action = "duplicate-delivery";
    return r;
  }
  // The signed Message and nothing else.
  auto stored = store_parsed(s, ws, parse_sns_message(*env));
  if (!stored) return stored.error();
  // Remembered only after the events committed: a crash in between means a retry that the event
  // identity dedupes, never a lost message.
  if (auto m = s.remember_sns_message(ws, env->message_id, now_ms()); !m)
    return from_store(m.error());
  if (shared) shared->remember(ws, env->message_id);
  return stored;
}

outcome<ingest_report> eventbridge_checked(store::store& s, auth& a, std::string_view token,
                                           std::string_view secret, std::string_view body,
                                           ingest_origin& origin) {
  auto target = a.ingest_for_token(token);
  if (!target) return target.error();
  origin.workspace = target->workspace;
  // Compare hashes in constant time: the stored value is SHA-256 of the secret.
  const auto presented = auth::sha256(secret);
  if (secret.empty() || !auth::equal_secret(presented, target->secret_hash))
    return fail("eventbridge.bad_secret", "the API-key header does not match this workspace");

  boost::system::error_code ec;
  const auto doc = boost::json::parse(body, ec);
  if (ec) return fail("sesami.bad_json", "invalid JSON: " + ec.message());
  const auto* obj = doc.if_object();
  if (!obj) return fail("sesami.not_an_object", "an EventBridge event is a JSON object");
  const auto* account = obj->if_contains("account");
  if (!account || !account->is_string())
    return fail("sesami.missing_field", "account: an EventBridge event names its AWS account");
  const std::string_view acct = account->get_string();
  auto connected = a.aws_account_connected(target->workspace, acct);
  if (!connected) return connected.error();
  if (!*connected)
    return fail("eventbridge.account_not_connected",
                "events from AWS account " + std::string(acct) +
                    " are not accepted: connect the account to this workspace first");
  origin.name = std::string(acct);  // the secret proved the sender, the account is connected
  return store_parsed(s, target->workspace, parse_batch(body));
}
}  // namespace

}  // namespace sesami::app
