#include "ingest_http.hpp"

#include <boost/json/parse.hpp>

#include <sesami/parse.hpp>

#include "import.hpp"

namespace sesami::app {
namespace {
failure fail(std::string_view code, std::string message) {
  return {std::string(code), std::move(message)};
}

// Parse → prepare → one durable store call (group-committed with concurrent requests). All
// events of the body or none: a bad item rejects the whole body, so SNS's retry is clean.
outcome<ingest_report> store_payload(store::store& s, std::string_view workspace,
                                     std::string_view body) {
  batch_result parsed = parse_batch(body);
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
  // Per-type counts of the payload (what the metrics call "ingested"), only when new ones landed.
  if (stored->stored > 0) {
    std::size_t counts[event_type_count] = {};
    for (const auto& e : parsed.events) ++counts[static_cast<std::size_t>(e.type)];
    for (std::size_t t = 0; t < event_type_count; ++t)
      if (counts[t]) r.stored_by_type.emplace_back(static_cast<event_type>(t), counts[t]);
  }
  return r;
}
}  // namespace

outcome<ingest_report> ingest_sns(store::store& s, auth& a, aws::sns_verifier& v,
                                  std::string_view token, std::string_view body,
                                  sns_dedupe* shared) {
  auto target = a.ingest_for_token(token);
  if (!target) return target.error();
  const std::string& ws = target->workspace;

  auto env = parse_sns_envelope(body);
  if (!env) return fail(env.error().id(), env.error().message);
  if (auto ok = v.verify(*env); !ok) return fail(aws::to_id(ok.error().code), ok.error().message);

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
  auto stored = store_payload(s, ws, body);
  if (!stored) return stored.error();
  // Remembered only after the events committed: a crash in between means a retry that the event
  // identity dedupes, never a lost message.
  if (auto m = s.remember_sns_message(ws, env->message_id, now_ms()); !m)
    return from_store(m.error());
  if (shared) shared->remember(ws, env->message_id);
  return stored;
}

outcome<ingest_report> ingest_eventbridge(store::store& s, auth& a, std::string_view token,
                                          std::string_view secret, std::string_view body) {
  auto target = a.ingest_for_token(token);
  if (!target) return target.error();
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
  return store_payload(s, target->workspace, body);
}

}  // namespace sesami::app
