// The /webhooks routes: shapes of requests and answers (docs/api.md "Webhooks"). Validation of
// what a value may be (URL policy, event types) is the app's; here only what JSON type it has.
#include "webhook_routes.hpp"
#include "route_helpers.hpp"

#include <charconv>

#include <boost/json/parse.hpp>

#include <sesami/detail/iso8601.hpp>

namespace sesami::http {
namespace {
namespace json = boost::json;
using bhttp::status;

json::object endpoint_json(const store::webhook_endpoint& e) {
  json::array types;
  for (const auto& t : e.event_types) types.emplace_back(t);
  return {{"id", e.id},
          {"url", e.url},
          {"eventTypes", std::move(types)},
          {"description", e.description},
          {"enabled", e.enabled},
          {"disabledReason",
           e.disabled_reason.empty() ? json::value(nullptr) : json::value(e.disabled_reason)},
          {"failingSince", time_or_null(e.failing_since)},
          {"previousSecretExpiresAt", time_or_null(e.previous_expires_at)},
          {"createdAt", time_or_null(e.created_at)},
          {"updatedAt", time_or_null(e.updated_at)}};
}

json::object delivery_json(const store::webhook_delivery& d) {
  json::array log;
  for (const auto& a : d.log)
    log.push_back(json::object{{"at", time_or_null(a.at)},
                               {"status", a.status ? json::value(a.status) : json::value(nullptr)},
                               {"latencyMs", a.latency_ms},
                               {"response", a.response},
                               {"error", a.error},
                               {"nextRetryAt", time_or_null(a.next_attempt_at)}});
  const bool pending = d.state == store::delivery_state::pending;
  return {{"id", std::to_string(d.id)},
          {"webhookId", d.webhook_id},
          {"eventId", d.event_id.empty() ? json::value(nullptr) : json::value(d.event_id)},
          {"type", d.event_id.empty() ? d.type : "email." + d.type},
          {"state", to_string(d.state)},
          {"attempts", d.attempts},
          {"lastStatus", d.last_status ? json::value(d.last_status) : json::value(nullptr)},
          {"lastLatencyMs", d.attempts ? json::value(d.last_latency_ms) : json::value(nullptr)},
          {"lastResponse", d.last_response},
          {"lastError", d.last_error},
          {"nextRetryAt", pending ? time_or_null(d.next_attempt_at) : json::value(nullptr)},
          {"createdAt", time_or_null(d.created_at)},
          {"attemptLog", std::move(log)}};
}

// An optional string member: absent → nullopt; present but not a string → the 400 in err.
bool string_member(const context& ctx, const json::object& o, std::string_view key,
                   std::optional<std::string>& out, response& err) {
  const auto* v = o.if_contains(key);
  if (!v) return true;
  if (!v->is_string()) {
    err = error_response(ctx, "validation." + std::string(key), std::string(key) + ": a string");
    return false;
  }
  out = std::string(v->get_string());
  return true;
}

bool types_member(const context& ctx, const json::object& o,
                  std::optional<std::vector<std::string>>& out, response& err) {
  const auto* v = o.if_contains("eventTypes");
  if (!v || v->is_null()) return true;
  const auto* a = v->if_array();
  std::vector<std::string> types;
  if (a)
    for (const auto& t : *a) {
      if (!t.is_string()) {
        a = nullptr;
        break;
      }
      types.emplace_back(t.get_string());
    }
  if (!a) {
    err = error_response(ctx, "validation.event_types",
                         "eventTypes: an array of event type names (empty: every type)");
    return false;
  }
  out = std::move(types);
  return true;
}

response with_secret(const context& ctx, status st, const app::webhooks::shown_secret& s) {
  auto o = endpoint_json(s.endpoint);
  o["secret"] = s.secret;  // shown this once: only its sealed form is kept
  return json_response(ctx, st, o);
}

std::optional<std::int64_t> number(std::string_view s) {
  std::int64_t n = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc{} || p != s.data() + s.size() || n <= 0) return std::nullopt;
  return n;
}

response create(context& ctx, app::webhooks& w, std::string_view ws) {
  response err;
  auto o = body_of(ctx, err);
  if (!o) return err;
  std::optional<std::string> url, description;
  std::optional<std::vector<std::string>> types;
  if (!string_member(ctx, *o, "url", url, err) ||
      !string_member(ctx, *o, "description", description, err) ||
      !types_member(ctx, *o, types, err))
    return err;
  if (!url) return error_response(ctx, "validation.url", "url: the endpoint's https:// URL");
  auto r = w.create(ws, *url, types.value_or(std::vector<std::string>{}),
                    description.value_or(std::string()));
  if (!r) return failed(ctx, r.error());
  return with_secret(ctx, status::created, *r);
}

response update(context& ctx, app::webhooks& w, std::string_view ws) {
  response err;
  auto o = body_of(ctx, err);
  if (!o) return err;
  app::webhooks::changes c;
  if (!string_member(ctx, *o, "url", c.url, err) ||
      !string_member(ctx, *o, "description", c.description, err) ||
      !types_member(ctx, *o, c.event_types, err))
    return err;
  if (const auto* e = o->if_contains("enabled")) {
    if (!e->is_bool()) return error_response(ctx, "validation.enabled", "enabled: true or false");
    c.enabled = e->get_bool();
  }
  auto r = w.update(ws, ctx.param("id"), c);
  if (!r) return failed(ctx, r.error());
  return json_response(ctx, status::ok, endpoint_json(*r));
}

response deliveries(context& ctx, app::webhooks& w, std::string_view ws) {
  store::delivery_query q;
  if (const auto* l = ctx.query_one("limit")) {
    auto n = number(*l);
    if (!n || *n > 200) return error_response(ctx, "validation.limit", "limit must be 1..200");
    q.limit = static_cast<std::size_t>(*n);
  }
  if (const auto* c = ctx.query_one("cursor")) {
    auto n = number(*c);
    if (!n) return error_response(ctx, "validation.cursor", "cursor: the `next` of a page");
    q.before = *n;
  }
  auto p = w.deliveries(ws, ctx.param("id"), q);
  if (!p) return failed(ctx, p.error());
  json::array items;
  for (const auto& d : p->deliveries) items.push_back(delivery_json(d));
  return json_response(ctx, status::ok,
                       json::object{{"deliveries", std::move(items)},
                                    {"next", p->next ? json::value(std::to_string(*p->next))
                                                     : json::value(nullptr)}});
}
}  // namespace

response webhook_route(context& ctx, app::webhooks& w, std::string_view ws, webhook_op op) {
  switch (op) {
    case webhook_op::create:
      return create(ctx, w, ws);
    case webhook_op::list: {
      auto l = w.list(ws);
      if (!l) return failed(ctx, l.error());
      json::array items;
      for (const auto& e : *l) items.push_back(endpoint_json(e));
      return json_response(ctx, status::ok, json::object{{"webhooks", std::move(items)}});
    }
    case webhook_op::update:
      return update(ctx, w, ws);
    case webhook_op::remove: {
      auto r = w.remove(ws, ctx.param("id"));
      if (!r) return failed(ctx, r.error());
      response res{status::no_content, ctx.req.version()};
      res.set("X-Request-Id", ctx.request_id);
      res.keep_alive(ctx.req.keep_alive());
      return res;
    }
    case webhook_op::rotate: {
      auto r = w.rotate(ws, ctx.param("id"));
      if (!r) return failed(ctx, r.error());
      return with_secret(ctx, status::ok, *r);
    }
    case webhook_op::test: {
      auto r = w.test(ws, ctx.param("id"));
      if (!r) return failed(ctx, r.error());
      return json_response(ctx, status::accepted, json::object{{"deliveryId", std::to_string(*r)}});
    }
    case webhook_op::deliveries:
      return deliveries(ctx, w, ws);
    case webhook_op::retry: {
      auto id = number(ctx.param("deliveryId"));
      if (!id) return error_response(ctx, "webhooks.not_found", "no such delivery");
      auto r = w.retry(ws, ctx.param("id"), *id);
      if (!r) return failed(ctx, r.error());
      return json_response(ctx, status::accepted,
                           json::object{{"deliveryId", std::to_string(*id)}});
    }
  }
  return error_response(ctx, code::not_found, "no such route");
}

}  // namespace sesami::http
