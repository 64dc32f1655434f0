// The /topics and /contacts routes: shapes of requests and answers (docs/api.md "Topics and
// contacts"). What a value may be (names, addresses, topics that exist) is the app's to check.
#include "topic_routes.hpp"
#include "route_helpers.hpp"

#include <charconv>

#include <boost/json/parse.hpp>

#include <sesami/ascii.hpp>
#include <sesami/detail/iso8601.hpp>

namespace sesami::http {
namespace {
namespace json = boost::json;
using bhttp::status;

json::object topic_json(const store::topic& t) {
  return {{"name", t.name},
          {"description", t.description},
          {"defaultSubscribed", t.default_subscribed},
          {"createdAt", time_or_null(t.created_at)},
          {"updatedAt", time_or_null(t.updated_at)}};
}

json::object choices_json(const std::map<std::string, bool>& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v ? "subscribed" : "unsubscribed";
  return o;
}

json::object contact_json(const app::contact_view& v) {
  json::object topics, chosen;
  for (const auto& t : v.topics) {
    topics[t.topic] = t.subscribed ? "subscribed" : "unsubscribed";
    if (t.chosen) chosen[t.topic] = t.subscribed ? "subscribed" : "unsubscribed";
  }
  return {{"address", v.address},
          {"topics", std::move(topics)},
          {"choices", std::move(chosen)},
          {"suppressed", v.suppressed ? json::value(*v.suppressed) : json::value(nullptr)},
          {"createdAt", time_or_null(v.created_at)},
          {"updatedAt", time_or_null(v.updated_at)}};
}

// Only the members named may appear: a typo ("defaultSubscribe") is an error, not ignored.
bool only_known(const context& ctx, const json::object& o,
                std::initializer_list<std::string_view> known, response& err) {
  for (const auto& kv : o)
    if (std::find(known.begin(), known.end(), kv.key()) == known.end()) {
      err =
          error_response(ctx, "validation.field", "unknown field '" + std::string(kv.key()) + "'");
      return false;
    }
  return true;
}

response create(context& ctx, app::topics& t, std::string_view ws) {
  response err;
  auto b = body_of(ctx, err);
  if (!b) return err;
  if (!only_known(ctx, *b, {"name", "description", "defaultSubscribed"}, err)) return err;
  const auto* name = b->if_contains("name");
  const auto* desc = b->if_contains("description");
  const auto* def = b->if_contains("defaultSubscribed");
  if (!name || !name->is_string())
    return error_response(ctx, "validation.name", "name: a string is required");
  if (desc && !desc->is_string() && !desc->is_null())
    return error_response(ctx, "validation.description", "description: a string");
  if (def && !def->is_bool() && !def->is_null())
    return error_response(ctx, "validation.defaultSubscribed", "defaultSubscribed: true or false");
  auto r = t.create(ws, name->get_string(),
                    desc && desc->is_string() ? std::string_view(desc->get_string()) : "",
                    def && def->is_bool() ? def->get_bool() : true);
  if (!r) return failed(ctx, r.error());
  return json_response(ctx, status::created, topic_json(*r));
}

response update(context& ctx, app::topics& t, std::string_view ws) {
  response err;
  auto b = body_of(ctx, err);
  if (!b) return err;
  if (!only_known(ctx, *b, {"description", "defaultSubscribed"}, err)) return err;
  std::optional<std::string> desc;
  std::optional<bool> def;
  if (const auto* d = b->if_contains("description")) {
    if (!d->is_string())
      return error_response(ctx, "validation.description", "description: a string");
    desc = std::string(d->get_string());
  }
  if (const auto* d = b->if_contains("defaultSubscribed")) {
    if (!d->is_bool())
      return error_response(ctx, "validation.defaultSubscribed",
                            "defaultSubscribed: true or false");
    def = d->get_bool();
  }
  auto r = t.update(ws, ctx.param("name"), std::move(desc), def);
  if (!r) return failed(ctx, r.error());
  return json_response(ctx, status::ok, topic_json(*r));
}

response list_contacts(context& ctx, app::topics& t, std::string_view ws) {
  store::contact_query q;
  for (const auto& [k, v] : ctx.query) {
    if (k == "contains") {
      q.contains = ascii_lower(v);
    } else if (k == "cursor") {
      q.cursor = v;
    } else if (k == "limit") {
      std::size_t n = 0;
      const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc{} || ptr != v.data() + v.size() || n < 1 || n > 1000)
        return error_response(ctx, "validation.limit", "limit must be 1..1000");
      q.limit = n;
    } else {
      return error_response(ctx, "validation.parameter", "unknown parameter '" + k + "'");
    }
  }
  auto page = t.contacts(ws, q);
  if (!page) return failed(ctx, page.error());
  json::array list;
  for (const auto& c : page->contacts)
    list.push_back(json::object{{"address", c.address},
                                {"choices", choices_json(c.topics)},
                                {"createdAt", time_or_null(c.created_at)},
                                {"updatedAt", time_or_null(c.updated_at)}});
  return json_response(
      ctx, status::ok,
      json::object{{"contacts", std::move(list)},
                   {"next", page->next ? json::value(*page->next) : json::value(nullptr)}});
}

response put_contact(context& ctx, app::topics& t, std::string_view ws) {
  response err;
  auto b = body_of(ctx, err);
  if (!b) return err;
  if (!only_known(ctx, *b, {"topics"}, err)) return err;
  const auto* topics = b->if_contains("topics");
  if (!topics || !topics->is_object())
    return error_response(ctx, "validation.topics",
                          "topics: an object {\"<topic>\": \"subscribed\" | \"unsubscribed\"}");
  std::map<std::string, bool> choices;
  for (const auto& [k, v] : topics->get_object()) {
    if (!v.is_string() || (v.get_string() != "subscribed" && v.get_string() != "unsubscribed"))
      return error_response(ctx, "validation.topics",
                            "topics." + std::string(k) + ": \"subscribed\" or \"unsubscribed\"");
    choices[std::string(k)] = v.get_string() == "subscribed";
  }
  auto r = t.put(ws, ctx.param("address"), choices);
  if (!r) return failed(ctx, r.error());
  return json_response(ctx, status::ok, contact_json(*r));
}

response import_csv(context& ctx, app::topics& t, std::string_view ws) {
  if (!ctx.header("Content-Type").starts_with("text/csv"))
    return error_response(ctx, code::unsupported_media_type, "send text/csv");
  std::vector<app::contact_csv_problem> problems;
  auto r = t.import_csv(ws, ctx.req.body(), problems);
  if (!r) {
    if (problems.empty()) return failed(ctx, r.error());
    json::array list;
    for (const auto& p : problems) list.push_back({{"line", p.line}, {"message", p.message}});
    return json_response(ctx, status::bad_request,
                         json::object{{"error", json::object{{"code", r.error().code},
                                                             {"message", r.error().message},
                                                             {"problems", std::move(list)}}}});
  }
  return json_response(ctx, status::ok, json::object{{"imported", *r}});
}

response export_csv(context& ctx, app::topics& t, std::string_view ws) {
  auto csv = t.export_csv(ws);
  if (!csv) return failed(ctx, csv.error());
  response res{status::ok, ctx.req.version()};
  res.set(bhttp::field::content_type, "text/csv; charset=utf-8");
  res.set(bhttp::field::content_disposition, "attachment; filename=\"contacts.csv\"");
  res.set(bhttp::field::cache_control, "no-store");
  res.set("X-Request-Id", ctx.request_id);
  res.body() = std::move(*csv);
  res.keep_alive(ctx.req.keep_alive());
  res.prepare_payload();
  return res;
}

}  // namespace

response topic_route(context& ctx, app::topics& t, std::string_view ws, topic_op op) {
  switch (op) {
    case topic_op::create:
      return create(ctx, t, ws);
    case topic_op::list: {
      auto all = t.list(ws);
      if (!all) return failed(ctx, all.error());
      json::array list;
      for (const auto& x : *all) list.push_back(topic_json(x));
      return json_response(ctx, status::ok, json::object{{"topics", std::move(list)}});
    }
    case topic_op::update:
      return update(ctx, t, ws);
    case topic_op::remove: {
      auto r = t.remove(ws, ctx.param("name"));
      if (!r) return failed(ctx, r.error());
      return no_content(ctx);
    }
    case topic_op::contacts:
      return list_contacts(ctx, t, ws);
    case topic_op::contact: {
      auto r = t.contact(ws, ctx.param("address"));
      if (!r) return failed(ctx, r.error());
      return json_response(ctx, status::ok, contact_json(*r));
    }
    case topic_op::put_contact:
      return put_contact(ctx, t, ws);
    case topic_op::remove_contact: {
      auto r = t.remove_contact(ws, ctx.param("address"));
      if (!r) return failed(ctx, r.error());
      return no_content(ctx);
    }
    case topic_op::import_csv:
      return import_csv(ctx, t, ws);
    case topic_op::export_csv:
      return export_csv(ctx, t, ws);
  }
  return error_response(ctx, code::not_found, "no such route");
}

}  // namespace sesami::http
