// The pipeline health routes: shapes of answers (docs/api.md "Pipeline health"). What is silent
// and why is the app's (app/pipeline_health.hpp); here only JSON.
#include "health_routes.hpp"
#include "route_helpers.hpp"

#include <boost/json/parse.hpp>

#include <sesami/detail/iso8601.hpp>

#include "../app/import.hpp"

namespace sesami::http {
namespace {
namespace json = boost::json;
using bhttp::status;

json::object source_json(const app::source_health& h, std::int64_t now) {
  const auto& r = h.row;
  json::array hourly;
  const std::int64_t first_hour = now / app::hour_ms - 23;
  for (std::size_t i = 0; i < h.hourly.size(); ++i)
    hourly.push_back(json::object{
        {"hour", sesami::detail::format_iso8601((first_hour + static_cast<std::int64_t>(i)) *
                                                app::hour_ms)},
        {"events", h.hourly[i]}});
  return {{"id", r.id},
          {"kind", r.kind},
          {"name", r.name},
          {"description", app::describe_source(r.kind, r.name)},
          {"firstEventAt", time_or_null(r.first_event_at)},
          {"lastEventAt", time_or_null(r.last_event_at)},
          {"lastEventAgeSeconds", r.last_event_at > 0 ? json::value((now - r.last_event_at) / 1000)
                                                      : json::value(nullptr)},
          {"eventsLastHour", h.events_last_hour},
          {"hourly", std::move(hourly)},
          {"lastErrorAt", time_or_null(r.last_error_at)},
          {"lastError", r.last_error_at > 0 ? json::value(r.last_error) : json::value(nullptr)},
          {"silent", h.silent},
          {"silenceWindowMinutes",
           h.window_ms > 0 ? json::value(h.window_ms / 60'000) : json::value(nullptr)},
          {"silenceWindowDefault", h.window_is_default}};
}

json::object finding_json(const app::silence_finding& f) {
  return {{"kind", f.kind},
          {"source", f.source.empty() ? json::value(nullptr) : json::value(f.source)},
          {"since", time_or_null(f.since)},
          {"message", f.message},
          {"check", f.check}};
}

response list(context& ctx, app::pipeline_health& health, std::string_view ws,
              const app::delivery_path& path) {
  // What this node counted is merged first: the answer includes the request just before it.
  (void)health.flush();
  const auto now = app::now_ms();
  auto sources = app::list_sources(health.store(), ws, now);
  if (!sources)
    return error_response(ctx, std::string(sources.error().id()), sources.error().message);
  auto findings = app::detect_silence(health.store(), ws, now, *sources, path);
  if (!findings)
    return error_response(ctx, std::string(findings.error().id()), findings.error().message);
  json::array items, found;
  const app::source_health* latest = nullptr;
  for (const auto& h : *sources) {
    items.push_back(source_json(h, now));
    if (h.row.last_event_at > 0 && (!latest || h.row.last_event_at > latest->row.last_event_at))
      latest = &h;
  }
  for (const auto& f : *findings) found.push_back(finding_json(f));
  json::object last =
      latest
          ? json::object{{"at", time_or_null(latest->row.last_event_at)},
                         {"source", latest->row.id},
                         {"kind", latest->row.kind},
                         {"description", app::describe_source(latest->row.kind, latest->row.name)}}
          : json::object{};
  return json_response(
      ctx, status::ok,
      json::object{{"sources", std::move(items)},
                   {"findings", std::move(found)},
                   {"silent", !findings->empty()},
                   {"lastEvent", latest ? json::value(std::move(last)) : json::value(nullptr)},
                   {"checkedAt", time_or_null(now)}});
}

response update(context& ctx, app::pipeline_health& health, std::string_view ws) {
  boost::system::error_code ec;
  auto v = json::parse(ctx.req.body(), ec);
  if (ec || !v.is_object()) return error_response(ctx, "sesami.bad_json", "send a JSON object");
  const auto* w = v.as_object().if_contains("silenceWindowMinutes");
  constexpr std::int64_t min_minutes = app::min_silence_window_ms / 60'000;
  constexpr std::int64_t max_minutes = app::max_silence_window_ms / 60'000;
  const std::string range = "silenceWindowMinutes: whole minutes from " +
                            std::to_string(min_minutes) + " to " + std::to_string(max_minutes) +
                            ", or null for the default derived from the source's usual rate";
  if (!w) return error_response(ctx, "validation.silence_window", range);
  std::int64_t window_ms = 0;  // null: the default
  if (!w->is_null()) {
    const auto* n = w->if_int64();
    if (!n || *n < min_minutes || *n > max_minutes)
      return error_response(ctx, "validation.silence_window", range);
    window_ms = *n * 60'000;
  }
  (void)health.flush();  // a source seen only by this node so far exists in the store now
  const auto now = app::now_ms();
  auto set = health.store().set_silence_window(ws, ctx.param("id"), window_ms, now);
  if (!set) return error_response(ctx, std::string(set.error().id()), set.error().message);
  if (!*set) return error_response(ctx, code::not_found, "no such source in this workspace");
  auto sources = app::list_sources(health.store(), ws, now);
  if (!sources)
    return error_response(ctx, std::string(sources.error().id()), sources.error().message);
  for (const auto& h : *sources)
    if (h.row.id == ctx.param("id")) return json_response(ctx, status::ok, source_json(h, now));
  return error_response(ctx, code::not_found, "no such source in this workspace");
}
}  // namespace

response health_sources_route(context& ctx, app::pipeline_health& health, std::string_view ws,
                              const app::delivery_path& path, health_op op) {
  if (op == health_op::update) return update(ctx, health, ws);
  return list(ctx, health, ws, path);
}

}  // namespace sesami::http
