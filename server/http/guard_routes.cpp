// The /reputation and /alerts routes: shapes of requests and answers (docs/api.md "Reputation
// guard", "Alerts"). What a value may be is the app's to say; here only what JSON type it has.
#include "guard_routes.hpp"
#include "route_helpers.hpp"

#include <charconv>

#include <boost/json/parse.hpp>

namespace sesami::http {
namespace {
namespace json = boost::json;
using bhttp::status;

response view(const context& ctx, const app::outcome<app::reputation_view>& v) {
  if (!v) return failed(ctx, v.error());
  return json_response(ctx, status::ok, app::view_json(*v));
}

response list_alerts(const context& ctx, app::alerts& alerts, std::string_view ws) {
  store::alert_query q;
  for (const auto& [k, v] : ctx.query) {
    if (k == "unread") {
      if (v != "true" && v != "false")
        return error_response(ctx, "validation.unread", "unread: true or false");
      q.unread_only = v == "true";
    } else if (k == "limit") {
      std::size_t n = 0;
      const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc{} || p != v.data() + v.size() || n < 1 || n > 200)
        return error_response(ctx, "validation.limit", "limit must be 1..200");
      q.limit = n;
    } else {
      return error_response(ctx, "validation.parameter", "unknown parameter '" + k + "'");
    }
  }
  auto l = alerts.list(ws, q);
  if (!l) return failed(ctx, l.error());
  json::array items;
  for (const auto& a : l->alerts) items.push_back(app::alert_json(a));
  return json_response(ctx, status::ok,
                       json::object{{"alerts", std::move(items)}, {"unread", l->unread}});
}
}  // namespace

response guard_route(context& ctx, app::reputation_guard& guard, app::alerts& alerts,
                     std::string_view ws, std::string_view who, guard_op op) {
  switch (op) {
    case guard_op::status:
      return view(ctx, guard.evaluate(ws));
    case guard_op::resume:
      return view(ctx, guard.resume(ws, who));
    case guard_op::settings: {
      auto s = guard.settings(ws);
      if (!s) return failed(ctx, s.error());
      return json_response(ctx, status::ok, app::settings_json(*s));
    }
    case guard_op::update_settings: {
      boost::system::error_code ec;
      auto v = json::parse(ctx.req.body(), ec);
      if (ec || !v.is_object()) return error_response(ctx, "sesami.bad_json", "send a JSON object");
      auto s = guard.update_settings(ws, v.get_object());
      if (!s) return failed(ctx, s.error());
      return json_response(ctx, status::ok, app::settings_json(*s));
    }
    case guard_op::alerts:
      return list_alerts(ctx, alerts, ws);
    case guard_op::read:
    case guard_op::read_all: {
      const std::string id = op == guard_op::read ? ctx.param("id") : std::string();
      auto n = alerts.mark_read(ws, id);
      if (!n) return failed(ctx, n.error());
      if (op == guard_op::read && *n == 0) {
        // Unknown, another workspace's, or read already: tell the two apart for the caller.
        store::alert_query q;
        q.limit = 200;
        auto l = alerts.list(ws, q);
        bool known = false;
        if (l)
          for (const auto& a : l->alerts) known = known || a.id == id;
        if (!known) return error_response(ctx, code::not_found, "no such alert");
      }
      auto l = alerts.list(ws, store::alert_query{1, true});
      return json_response(ctx, status::ok,
                           json::object{{"marked", *n}, {"unread", l ? l->unread : 0}});
    }
  }
  return error_response(ctx, code::internal, "unknown operation");
}

}  // namespace sesami::http
