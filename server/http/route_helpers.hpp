#pragma once
// Small pieces every JSON route file uses (webhooks, guard, health, topics, templates, the API):
// an app failure as its error answer, the request body as an object, a 204, a time or null.
#include <cstdint>
#include <optional>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <sesami/detail/iso8601.hpp>

#include "../app/auth.hpp"
#include "errors.hpp"
#include "router.hpp"

namespace sesami::http {

/// The app's failure answered with the status its code maps to (errors.cpp).
inline response failed(const context& ctx, const app::failure& f) {
  return error_response(ctx, api_error{f.code, f.message});
}

/// The request body as a JSON object, or (nullopt) `err` set to the 400 to send.
inline std::optional<boost::json::object> body_of(const context& ctx, response& err) {
  boost::system::error_code ec;
  auto v = boost::json::parse(ctx.req.body(), ec);
  if (ec || !v.is_object()) {
    err = error_response(ctx, "sesami.bad_json", "send a JSON object");
    return std::nullopt;
  }
  return std::move(v.as_object());
}

/// 204 No Content with the request id.
inline response no_content(const context& ctx) {
  response res{bhttp::status::no_content, ctx.req.version()};
  res.set("X-Request-Id", ctx.request_id);
  res.keep_alive(ctx.req.keep_alive());
  return res;
}

/// A time (ms since the epoch) as ISO 8601, or null when it never happened (0 or less).
inline boost::json::value time_or_null(std::int64_t ms) {
  if (ms <= 0) return nullptr;
  return boost::json::value(sesami::detail::format_iso8601(ms));
}

}  // namespace sesami::http
