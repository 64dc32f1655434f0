// The SES v2 template operations over app::template_service (issue #22): CreateEmailTemplate,
// GetEmailTemplate, UpdateEmailTemplate, DeleteEmailTemplate, ListEmailTemplates and
// TestRenderEmailTemplate, in SES's JSON and with SES's error names. A connected workspace's
// calls reach its own SES through the role (the service decides), so an SDK pointed at SESami
// manages the same templates it would manage in SES.
#include <charconv>
#include <random>

#include <boost/json/parse.hpp>

#include "../app/auth.hpp"
#include "../app/templates.hpp"
#include "ses_wire.hpp"

namespace sesami::http::ses {
namespace {
namespace json = boost::json;
using bhttp::status;
using bhttp::verb;

error template_error(const app::failure& f) {
  if (f.code == "template.not_found") return {status::not_found, "NotFoundException", f.message};
  if (f.code == "template.exists")
    return {status::bad_request, "AlreadyExistsException", f.message};
  if (f.code == "template.limit") return {status::bad_request, "LimitExceededException", f.message};
  if (f.code.starts_with("validation.") || f.code.starts_with("sesami."))
    return {status::bad_request, "BadRequestException", f.message};
  if (f.code == "aws.throttled")
    return {status::too_many_requests, "TooManyRequestsException", f.message};
  if (f.code == "aws.ses_permission")
    return {status::forbidden, "AccessDeniedException", f.message};
  if (f.code.starts_with("store.") || f.code.starts_with("aws."))
    return {status::service_unavailable, "ServiceUnavailable", f.message};
  return {status::internal_server_error, "InternalFailure", f.message};
}

error bad(std::string m) { return {status::bad_request, "BadRequestException", std::move(m)}; }

std::optional<json::object> body_object(const context& ctx, error& err) {
  boost::system::error_code ec;
  auto v = json::parse(ctx.req.body().empty() ? std::string("{}") : ctx.req.body(), ec);
  if (ec || !v.is_object()) {
    err = {status::bad_request, "SerializationException", "the body is not a JSON object"};
    return std::nullopt;
  }
  return std::move(v.get_object());
}

std::string str(const json::object* o, std::string_view k) {
  if (!o) return {};
  const auto* v = o->if_contains(k);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// TemplateContent {Subject, Text, Html} with the template's name.
app::template_fields fields_of(std::string name, const json::object& in) {
  const auto* v = in.if_contains("TemplateContent");
  const auto* c = v ? v->if_object() : nullptr;
  return {std::move(name), str(c, "Subject"), str(c, "Text"), str(c, "Html")};
}

double seconds(std::int64_t ms) { return static_cast<double>(ms) / 1000.0; }

// The rendered message as TestRenderEmailTemplate answers it: a MIME document.
std::string mime_of(const sesami::rendered_template& r) {
  std::string m = "Subject: " + r.subject + "\r\nMIME-Version: 1.0\r\n";
  auto part = [](std::string_view type, const std::string& body) {
    return "Content-Type: " + std::string(type) +
           "; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body + "\r\n";
  };
  if (r.text.empty() || r.html.empty())
    return m + part(r.html.empty() ? "text/plain" : "text/html", r.html.empty() ? r.text : r.html);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::string b = "----=_Part_" + std::to_string(rng());
  m += "Content-Type: multipart/alternative; boundary=\"" + b + "\"\r\n\r\n";
  m += "--" + b + "\r\n" + part("text/plain", r.text);
  m += "--" + b + "\r\n" + part("text/html", r.html);
  return m + "--" + b + "--\r\n";
}

using handler = response (*)(context&, app::template_service&, const std::string&);

response create(context& ctx, app::template_service& t, const std::string& ws) {
  error err;
  auto in = body_object(ctx, err);
  if (!in) return ses_fail(ctx, err);
  auto name = str(&*in, "TemplateName");
  if (name.empty()) return ses_fail(ctx, bad("TemplateName is required"));
  if (auto r = t.create(ws, fields_of(std::move(name), *in)); !r)
    return ses_fail(ctx, template_error(r.error()));
  return ses_json(ctx, status::ok, json::object{});
}

response update(context& ctx, app::template_service& t, const std::string& ws) {
  error err;
  auto in = body_object(ctx, err);
  if (!in) return ses_fail(ctx, err);
  if (auto r = t.update(ws, fields_of(ctx.param("TemplateName"), *in)); !r)
    return ses_fail(ctx, template_error(r.error()));
  return ses_json(ctx, status::ok, json::object{});
}

response get(context& ctx, app::template_service& t, const std::string& ws) {
  auto r = t.get(ws, ctx.param("TemplateName"));
  if (!r) return ses_fail(ctx, template_error(r.error()));
  json::object content{{"Subject", r->subject}};
  if (!r->text.empty()) content["Text"] = r->text;
  if (!r->html.empty()) content["Html"] = r->html;
  return ses_json(ctx, status::ok,
                  json::object{{"TemplateName", r->name}, {"TemplateContent", std::move(content)}});
}

response remove(context& ctx, app::template_service& t, const std::string& ws) {
  if (auto r = t.remove(ws, ctx.param("TemplateName")); !r)
    return ses_fail(ctx, template_error(r.error()));
  return ses_json(ctx, status::ok, json::object{});
}

response list(context& ctx, app::template_service& t, const std::string& ws) {
  std::size_t n = 10;  // SES's default page
  if (const auto* ps = ctx.query_one("PageSize")) {
    const auto [p, ec] = std::from_chars(ps->data(), ps->data() + ps->size(), n);
    if (ec != std::errc{} || p != ps->data() + ps->size() || n < 1 || n > 100)
      return ses_fail(ctx, bad("PageSize: 1 to 100"));
  }
  std::string token;
  if (const auto* nt = ctx.query_one("NextToken")) token = *nt;
  auto page = t.list(ws, token, n);
  if (!page) return ses_fail(ctx, template_error(page.error()));
  json::array items;
  for (const auto& x : page->items)
    items.push_back({{"TemplateName", x.name}, {"CreatedTimestamp", seconds(x.created_at)}});
  json::object out{{"TemplatesMetadata", std::move(items)}};
  if (page->next) out["NextToken"] = *page->next;
  return ses_json(ctx, status::ok, out);
}

response test_render(context& ctx, app::template_service& t, const std::string& ws) {
  error err;
  auto in = body_object(ctx, err);
  if (!in) return ses_fail(ctx, err);
  const auto* d = in->if_contains("TemplateData");
  if (!d || !d->is_string()) return ses_fail(ctx, bad("TemplateData is required"));
  boost::system::error_code ec;
  auto data = json::parse(d->get_string(), ec);
  if (ec || !data.is_object()) return ses_fail(ctx, bad("TemplateData must be a JSON object"));
  auto r = t.render(ws, ctx.param("TemplateName"), data);
  if (!r) return ses_fail(ctx, template_error(r.error()));
  if (!r->missing.empty())  // SES's own words for it
    return ses_fail(
        ctx, bad("Attribute '" + r->missing.front() + "' is not present in the rendering data."));
  return ses_json(ctx, status::ok, json::object{{"RenderedTemplate", mime_of(*r)}});
}

}  // namespace

void add_template_routes(router& r, std::shared_ptr<backend> b, app::template_service* t) {
  auto bind = [b, t](handler fn, app::role need) {
    return [b, t, fn, need](context& c) {
      error err;
      auto p = b->authenticate(c, need, err);
      if (!p) return ses_fail(c, err);
      if (!t)
        return ses_fail(c, {status::service_unavailable, "ServiceUnavailable",
                            "templates are not available in this process"});
      return fn(c, *t, p->workspace);
    };
  };
  using app::role;
  r.add(verb::post, "/v2/email/templates", bind(&create, role::admin));
  r.add(verb::get, "/v2/email/templates", bind(&list, role::viewer));
  r.add(verb::get, "/v2/email/templates/{TemplateName}", bind(&get, role::viewer));
  r.add(verb::put, "/v2/email/templates/{TemplateName}", bind(&update, role::admin));
  r.add(verb::delete_, "/v2/email/templates/{TemplateName}", bind(&remove, role::admin));
  r.add(verb::post, "/v2/email/templates/{TemplateName}/render", bind(&test_render, role::viewer));
}

}  // namespace sesami::http::ses
