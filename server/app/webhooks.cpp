// Outbound webhooks, the management half: endpoints of a workspace (validated, their secrets
// sealed), test messages, the delivery log and manual retries. The worker is webhook_delivery.cpp.
#include "webhooks.hpp"

#include <algorithm>

#include <sesami/event.hpp>

#include "import.hpp"

namespace sesami::app {
namespace {
constexpr std::size_t max_description = 500;
constexpr std::size_t max_event_types = 16;

// Alerts (alerts.hpp): "sesami.alert" takes every kind, "sesami.alert.<kind>" one.
bool is_alert_type(std::string_view t) {
  constexpr std::string_view prefix = "sesami.alert";
  if (t == prefix) return true;
  if (!t.starts_with(prefix) || t.size() <= prefix.size() + 1 || t[prefix.size()] != '.')
    return false;
  return std::all_of(t.begin() + prefix.size() + 1, t.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

failure store_failure(const store::error& e) { return {std::string(e.id()), e.message}; }

outcome<std::vector<std::string>> valid_types(std::vector<std::string> types) {
  if (types.size() > max_event_types)
    return failure{"validation.event_types", "at most 16 event types"};
  for (const auto& t : types)
    if (!is_alert_type(t) && (!sesami::parse_event_type(t) || t == "unknown"))
      return failure{"validation.event_types",
                     "unknown event type '" + t +
                         "' (send, delivery, bounce, complaint, open, click, reject, "
                         "delivery_delay, rendering_failure, subscription; or sesami.alert, "
                         "sesami.alert.<kind> for alerts)"};
  std::sort(types.begin(), types.end());
  types.erase(std::unique(types.begin(), types.end()), types.end());
  return types;
}

std::string sealing_context(std::string_view endpoint_id) {
  return "webhook-secret:" + std::string(endpoint_id);
}
}  // namespace

webhooks::webhooks(store::webhook_store& db, const secret_box& box, webhook_options opt)
    : db_(db),
      box_(box),
      opt_(std::move(opt)),
      http_([&] {
        aws::http_client_options o;
        o.ca_file = opt_.ca_file;
        o.max_response_bytes = 1u << 20;  // only the status and the first 1 KiB are kept
        o.user_agent = "sesami-webhooks";
        return o;
      }()),
      node_("node-" + auth::random_token(9)) {}

webhooks::~webhooks() { stop(); }

std::string webhooks::seal_secret(std::string_view endpoint_id, std::string_view secret) const {
  return box_.seal_text(secret, sealing_context(endpoint_id));
}

std::optional<std::string> webhooks::open_secret(std::string_view endpoint_id,
                                                 std::string_view sealed) const {
  if (sealed.empty()) return std::nullopt;
  return box_.open_text(sealed, sealing_context(endpoint_id));
}

outcome<void> webhooks::check_url(std::string_view url) const {
  if (url.empty() || url.size() > 2048)
    return failure{"validation.url", "url: an https:// URL of 1 to 2048 characters"};
  if (auto c = aws::check_outbound_url(url, opt_.policy); !c)
    return failure{"webhooks.url_refused", "url refused: " + c.error().message};
  return {};
}

outcome<webhooks::shown_secret> webhooks::create(std::string_view ws, std::string_view url,
                                                 std::vector<std::string> event_types,
                                                 std::string description) {
  if (auto c = check_url(url); !c) return c.error();
  auto types = valid_types(std::move(event_types));
  if (!types) return types.error();
  if (description.size() > max_description)
    return failure{"validation.description", "description: at most 500 characters"};
  store::webhook_endpoint e;
  e.id = "wh_" + auth::random_token(12);
  e.workspace = std::string(ws);
  e.url = std::string(url);
  e.event_types = std::move(*types);
  e.description = std::move(description);
  e.created_at = e.updated_at = now_ms();
  std::string secret = new_webhook_secret();
  e.secret = seal_secret(e.id, secret);
  if (auto s = db_.create_endpoint(e); !s) return store_failure(s.error());
  return shown_secret{std::move(e), std::move(secret)};
}

outcome<std::vector<store::webhook_endpoint>> webhooks::list(std::string_view ws) {
  auto l = db_.list_endpoints(ws);
  if (!l) return store_failure(l.error());
  return std::move(*l);
}

outcome<store::webhook_endpoint> webhooks::find(std::string_view ws, std::string_view id) {
  auto e = db_.find_endpoint(ws, id);
  if (!e) return store_failure(e.error());
  // Another workspace's endpoint is answered like a missing one: its id tells a prober nothing.
  if (!*e) return failure{"webhooks.not_found", "no such webhook endpoint"};
  return std::move(**e);
}

outcome<store::webhook_endpoint> webhooks::update(std::string_view ws, std::string_view id,
                                                  const changes& c) {
  auto e = find(ws, id);
  if (!e) return e.error();
  if (c.url) {
    if (auto u = check_url(*c.url); !u) return u.error();
    e->url = *c.url;
  }
  if (c.event_types) {
    auto t = valid_types(*c.event_types);
    if (!t) return t.error();
    e->event_types = std::move(*t);
  }
  if (c.description) {
    if (c.description->size() > max_description)
      return failure{"validation.description", "description: at most 500 characters"};
    e->description = *c.description;
  }
  if (c.enabled) {
    // Enabled again by a person: the server's reason and the failure streak are over.
    if (*c.enabled && !e->enabled) e->disabled_reason.clear(), e->failing_since = 0;
    e->enabled = *c.enabled;
  }
  e->updated_at = now_ms();
  if (auto s = db_.update_endpoint(*e); !s) return store_failure(s.error());
  if (e->enabled) wake();
  return std::move(*e);
}

outcome<void> webhooks::remove(std::string_view ws, std::string_view id) {
  auto d = db_.delete_endpoint(ws, id);
  if (!d) return store_failure(d.error());
  if (!*d) return failure{"webhooks.not_found", "no such webhook endpoint"};
  return {};
}

outcome<webhooks::shown_secret> webhooks::rotate(std::string_view ws, std::string_view id) {
  auto e = find(ws, id);
  if (!e) return e.error();
  std::string secret = new_webhook_secret();
  // The old secret keeps signing (beside the new one) for the grace period: receivers switch
  // without losing a message.
  e->previous_secret = e->secret;
  e->previous_expires_at = now_ms() + opt_.rotation_grace_ms;
  e->secret = seal_secret(e->id, secret);
  e->updated_at = now_ms();
  if (auto s = db_.update_endpoint(*e); !s) return store_failure(s.error());
  return shown_secret{std::move(*e), std::move(secret)};
}

outcome<std::int64_t> webhooks::test(std::string_view ws, std::string_view id) {
  auto e = find(ws, id);
  if (!e) return e.error();
  if (!e->enabled) return failure{"webhooks.disabled", "the endpoint is disabled: enable it first"};
  const std::string payload =
      R"({"message":"a test message from SESami","endpoint":")" + e->id + "\"}";
  auto d = db_.add_message(ws, e->id, "sesami.test", payload, now_ms());
  if (!d) return store_failure(d.error());
  wake();
  return *d;
}

outcome<store::delivery_page> webhooks::deliveries(std::string_view ws, std::string_view id,
                                                   const store::delivery_query& q) {
  if (auto e = find(ws, id); !e) return e.error();
  auto p = db_.list_deliveries(ws, id, q);
  if (!p) return store_failure(p.error());
  return std::move(*p);
}

outcome<void> webhooks::retry(std::string_view ws, std::string_view id, std::int64_t delivery) {
  if (auto e = find(ws, id); !e) return e.error();
  auto r = db_.retry_delivery(ws, id, delivery, now_ms());
  if (!r) return store_failure(r.error());
  if (!*r) return failure{"webhooks.not_found", "no such delivery of this endpoint"};
  wake();
  return {};
}

}  // namespace sesami::app
