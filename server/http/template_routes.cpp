// The /templates routes: shapes of requests and answers (docs/api.md "Templates"). What a
// template may be (name, size, syntax) is the app's; here only what JSON type each field has.
#include "template_routes.hpp"
#include "route_helpers.hpp"

#include <charconv>

#include <boost/json/parse.hpp>

#include <sesami/detail/iso8601.hpp>

namespace sesami::http {
namespace {
namespace json = boost::json;
using bhttp::status;

// {"name"?, "subject", "text"?, "html"?}: strings; unknown fields refused (a typo is not ignored).
std::optional<app::template_fields> fields_of(const context& ctx, const json::object& o,
                                              std::string_view path_name, response& err) {
  app::template_fields f;
  for (const auto& kv : o) {
    const std::string_view k = kv.key();
    std::string* dst = k == "name"      ? &f.name
                       : k == "subject" ? &f.subject
                       : k == "text"    ? &f.text
                       : k == "html"    ? &f.html
                                        : nullptr;
    if (!dst) {
      err = error_response(ctx, "validation.field", "unknown field '" + std::string(k) + "'");
      return std::nullopt;
    }
    if (kv.value().is_null()) continue;
    if (!kv.value().is_string()) {
      err = error_response(ctx, "validation." + std::string(k), std::string(k) + ": a string");
      return std::nullopt;
    }
    *dst = std::string(kv.value().get_string());
  }
  if (!path_name.empty()) {
    if (!f.name.empty() && f.name != path_name) {
      err = error_response(ctx, "validation.name",
                           "name: the body names another template than the URL");
      return std::nullopt;
    }
    f.name = std::string(path_name);
  }
  return f;
}

response list(context& ctx, app::template_service& t, std::string_view ws) {
  std::size_t limit = 100;
  if (const auto* l = ctx.query_one("limit")) {
    const auto [p, ec] = std::from_chars(l->data(), l->data() + l->size(), limit);
    if (ec != std::errc{} || p != l->data() + l->size() || limit < 1 || limit > 1000)
      return error_response(ctx, "validation.limit", "limit: 1 to 1000");
  }
  std::string cursor;
  if (const auto* c = ctx.query_one("cursor")) cursor = *c;
  auto page = t.list(ws, cursor, limit);
  if (!page) return failed(ctx, page.error());
  json::array items;
  for (const auto& x : page->items) items.push_back(template_json(x, false));
  return json_response(ctx, status::ok,
                       json::object{{"templates", std::move(items)},
                                    {"next", page->next ? json::value(*page->next) : nullptr},
                                    {"storedIn", t.in_ses(ws) ? "ses" : "sesami"}});
}

response render(context& ctx, app::template_service& t, std::string_view ws) {
  response err;
  json::object o;
  if (!ctx.req.body().empty()) {
    auto b = body_of(ctx, err);
    if (!b) return err;
    o = std::move(*b);
  }
  json::value data = json::object{};
  for (const auto& kv : o) {
    if (kv.key() != "data")
      return error_response(ctx, "validation.field",
                            "unknown field '" + std::string(kv.key()) + "'");
    if (!kv.value().is_object())
      return error_response(ctx, "validation.data", "data: an object (the template's variables)");
    data = kv.value();
  }
  auto r = t.render(ws, ctx.param("name"), data);
  if (!r) return failed(ctx, r.error());
  json::array missing;
  for (const auto& m : r->missing) missing.emplace_back(m);
  return json_response(ctx, status::ok,
                       json::object{{"subject", r->subject},
                                    {"text", r->text},
                                    {"html", r->html},
                                    {"missing", std::move(missing)}});
}

}  // namespace

json::object template_json(const store::stored_template& t, bool with_parts) {
  json::object o{{"name", t.name},
                 {"subject", t.subject},
                 {"createdAt", time_or_null(t.created_at)},
                 {"updatedAt", time_or_null(t.updated_at)}};
  if (with_parts) o["text"] = t.text, o["html"] = t.html;
  return o;
}

response template_route(context& ctx, app::template_service& t, std::string_view ws,
                        template_op op) {
  response err;
  switch (op) {
    case template_op::list:
      return list(ctx, t, ws);
    case template_op::render:
      return render(ctx, t, ws);
    case template_op::get: {
      auto r = t.get(ws, ctx.param("name"));
      if (!r) return failed(ctx, r.error());
      return json_response(ctx, status::ok, template_json(*r, true));
    }
    case template_op::remove: {
      if (auto r = t.remove(ws, ctx.param("name")); !r) return failed(ctx, r.error());
      response res{status::no_content, ctx.req.version()};
      res.set("X-Request-Id", ctx.request_id);
      res.keep_alive(ctx.req.keep_alive());
      return res;
    }
    case template_op::create:
    case template_op::replace: {
      auto o = body_of(ctx, err);
      if (!o) return err;
      const bool create = op == template_op::create;
      auto f = fields_of(ctx, *o, create ? std::string_view() : ctx.param("name"), err);
      if (!f) return err;
      auto r = create ? t.create(ws, *f) : t.update(ws, *f);
      if (!r) return failed(ctx, r.error());
      return json_response(ctx, create ? status::created : status::ok, template_json(*r, true));
    }
  }
  return error_response(ctx, code::not_found, "no such route");
}

}  // namespace sesami::http
