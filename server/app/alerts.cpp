// Alerts: store once per open dedupe key → the webhook outbox → the owners' mail (alerts.hpp).
#include "alerts.hpp"

#include <boost/json/serialize.hpp>

#include <sesami/detail/iso8601.hpp>

#include "import.hpp"
#include "mail.hpp"

namespace sesami::app {
namespace json = boost::json;

namespace {
json::value time_or_null(std::int64_t ms) {
  if (ms <= 0) return nullptr;
  return json::value(sesami::detail::format_iso8601(ms));
}

bool valid_kind(std::string_view k) {
  if (k.empty() || k.size() > 64) return false;
  for (char c : k)
    if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
  return true;
}

// Whether an endpoint's event types ("" : every type) take alerts of this kind.
bool takes(const std::vector<std::string>& types, std::string_view kind) {
  if (types.empty()) return true;
  for (const auto& t : types)
    if (t == "sesami.alert" || t == "sesami.alert." + std::string(kind)) return true;
  return false;
}

// The address part of a mailbox, for the default From.
std::string domain_of(std::string_view email) {
  const auto at = email.rfind('@');
  return at == std::string_view::npos ? std::string() : std::string(email.substr(at + 1));
}
}  // namespace

json::object alert_json(const store::alert_row& a) {
  return {{"id", a.id},
          {"kind", a.kind},
          {"summary", a.summary},
          {"detail", a.detail},
          {"action", a.action},
          {"since", time_or_null(a.since)},
          {"createdAt", time_or_null(a.created_at)},
          {"read", a.read_at > 0},
          {"readAt", time_or_null(a.read_at)},
          {"open", a.resolved_at == 0},
          {"resolvedAt", time_or_null(a.resolved_at)},
          {"mailedAt", time_or_null(a.mailed_at)}};
}

alerts::alerts(store::guard_store& g, store::webhook_store* hooks, store::accounts& acc,
               alert_options opt)
    : db_(g), hooks_(hooks), acc_(acc), opt_(std::move(opt)) {}

alerts::~alerts() { stop(); }

outcome<std::optional<store::alert_row>> alerts::raise(std::string_view ws, new_alert a) {
  if (!valid_kind(a.kind))
    return failure{"validation.kind", "alert kinds are 1-64 lower-case letters and '_'"};
  store::alert_row row;
  row.id = "alr_" + auth::random_token(12);
  row.workspace = ws;
  row.kind = a.kind;
  row.summary = std::move(a.summary);
  row.detail = std::move(a.detail);
  row.action = std::move(a.action);
  row.dedupe_key = a.dedupe_key.empty() ? a.kind : std::move(a.dedupe_key);
  row.created_at = now_ms();
  row.since = a.since > 0 ? a.since : row.created_at;
  auto r = db_.raise_alert(row);
  if (!r) return from_store(r.error());
  if (!*r) return std::optional<store::alert_row>{};
  queue_webhooks(**r);
  cv_.notify_all();  // the mailer looks now
  return *r;
}

void alerts::queue_webhooks(const store::alert_row& a) {
  if (!hooks_) return;
  auto eps = hooks_->list_endpoints(a.workspace);
  if (!eps) {
    if (opt_.log) opt_.log(3, "cannot queue alert webhooks: " + eps.error().message, a.id);
    return;
  }
  const std::string payload = json::serialize(alert_json(a));
  for (const auto& e : *eps) {
    if (!e.enabled || !takes(e.event_types, a.kind)) continue;
    auto q = hooks_->add_message(a.workspace, e.id, "sesami.alert." + a.kind, payload, now_ms());
    if (!q && opt_.log) opt_.log(3, "cannot queue an alert webhook: " + q.error().message, a.id);
  }
}

outcome<bool> alerts::resolve(std::string_view ws, std::string_view key) {
  auto r = db_.resolve_alert(ws, key, now_ms());
  if (!r) return from_store(r.error());
  return *r;
}

outcome<alerts::listing> alerts::list(std::string_view ws, const store::alert_query& q) {
  listing out;
  auto l = db_.list_alerts(ws, q);
  if (!l) return from_store(l.error());
  out.alerts = std::move(*l);
  auto n = db_.unread_alerts(ws);
  if (!n) return from_store(n.error());
  out.unread = *n;
  return out;
}

outcome<std::int64_t> alerts::mark_read(std::string_view ws, std::string_view id) {
  auto r = db_.mark_read(ws, id, now_ms());
  if (!r) return from_store(r.error());
  return *r;
}

void alerts::set_mailer(mailer* m) {
  std::lock_guard lock(mu_);
  mail_ = m;
}

void alerts::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    for (;;) {
      mail_due();
      std::unique_lock wait(mu_);
      if (cv_.wait_for(wait, std::chrono::milliseconds(opt_.mail_poll_ms), [&] { return stop_; }))
        return;
    }
  });
}

void alerts::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void alerts::mail_due() {
  {
    std::lock_guard lock(mu_);
    if (!mail_) return;
  }
  auto due = db_.claim_alert_mail(16);
  if (!due) {
    if (opt_.log) opt_.log(3, "cannot claim alert mails: " + due.error().message, "");
    return;
  }
  for (const auto& a : *due) {
    std::int64_t mails = 0;
    const std::string result = mail_owners(a, mails);
    if (auto st = db_.finish_alert_mail(a.id, now_ms(), result, mails); !st && opt_.log)
      opt_.log(3, "cannot record an alert mail: " + st.error().message, a.id);
  }
}

// One mail to every owner of the workspace through its own send path; returns what happened
// (the attempt id, or why nothing was sent) for the record.
std::string alerts::mail_owners(const store::alert_row& a, std::int64_t& mails) {
  auto members = acc_.members_of(a.workspace);
  if (!members) return "cannot read the workspace's owners: " + members.error().message;
  json::array to;
  std::string first;
  for (const auto& m : *members) {
    if (m.role != "owner") continue;
    auto u = acc_.user_by_id(m.user_id);
    if (!u || !*u || (*u)->email.empty()) continue;
    if (first.empty()) first = (*u)->email;
    to.push_back(json::value((*u)->email));
    if (to.size() == 50) break;  // SES's limit per message
  }
  if (to.empty()) return "the workspace has no owner with an email address";
  auto settings = db_.settings(a.workspace);
  std::string from = settings ? settings->alert_from : std::string();
  // By default from the owners' own domain, which a workspace sending with SES has most likely
  // verified; PATCH /reputation/settings {"alertFrom"} names another.
  if (from.empty()) from = "sesami-alerts@" + domain_of(first);
  std::string text = a.summary + "\n\nSince: " + sesami::detail::format_iso8601(a.since) + "\n";
  if (!a.detail.empty()) text += "\n" + a.detail + "\n";
  if (!a.action.empty()) text += "\nWhat to do: " + a.action + "\n";
  text += "\nThis alert is also in the SESami dashboard (the bell) and in GET /alerts.\n";
  json::object body{{"from", from},
                    {"to", std::move(to)},
                    {"subject", "[SESami] " + a.summary},
                    {"text", text},
                    {"correlationId", "sesami-alert-" + a.id},
                    {"listUnsubscribe", false}};
  mailer* m = nullptr;
  {
    std::lock_guard lock(mu_);
    m = mail_;
  }
  const auto reply = m->send(a.workspace, json::serialize(body), "sesami-alert-" + a.id, true);
  if (!reply.code.empty()) {
    if (opt_.log) opt_.log(3, "alert mail not sent: " + reply.code, a.id);
    return "not sent: " + reply.code;
  }
  mails = static_cast<std::int64_t>(body["to"].as_array().size());
  return "sent";
}

}  // namespace sesami::app
