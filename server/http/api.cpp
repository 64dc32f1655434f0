#include "api.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <string_view>

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <sesami/aggregate_json.hpp>
#include <sesami/ascii.hpp>
#include <sesami/batch.hpp>
#include <sesami/detail/iso8601.hpp>
#include <sesami/filter.hpp>
#include <sesami/to_json.hpp>
#include <sesami/version.hpp>

#include "../app/aws_connection.hpp"
#include "../app/import.hpp"
#include "../app/ingest_http.hpp"
#include "../app/onboarding.hpp"
#include "../app/stats.hpp"
#include "../app/suppression.hpp"
#include "cookies.hpp"
#include "export_route.hpp"
#include "guard_routes.hpp"
#include "health_routes.hpp"
#include "log.hpp"
#include "preference_page.hpp"
#include "route_helpers.hpp"
#include "scopes.hpp"
#include "ses_api.hpp"
#include "static_files.hpp"
#include "template_routes.hpp"
#include "topic_routes.hpp"
#include "webhook_routes.hpp"

namespace sesami::http {
namespace {
namespace json = boost::json;
using app::role;
using bhttp::status;
using bhttp::verb;

// ---- small helpers ------------------------------------------------------------------------------
response fail(const context& ctx, const app::failure& f) {
  return error_response(ctx, api_error{f.code, f.message});
}
response fail_store(const context& ctx, const store::error& e) {
  return error_response(ctx, api_error{std::string(e.id()), e.message});
}

response raw_json(const context& ctx, status st, std::string body) {
  response res{st, ctx.req.version()};
  res.set(bhttp::field::content_type, "application/json");
  res.set(bhttp::field::cache_control, "no-store");
  res.set("X-Request-Id", ctx.request_id);
  res.body() = std::move(body);
  res.keep_alive(ctx.req.keep_alive());
  res.prepare_payload();
  return res;
}

std::string time_json(std::int64_t ms) { return sesami::detail::format_iso8601(ms); }

// A JSON request body: an object, or a 400/415 answer.
std::optional<json::object> body_object(const context& ctx, response& err) {
  const auto ct = ctx.header("Content-Type");
  if (!ct.empty() && ct.find("json") == std::string_view::npos) {
    err = error_response(ctx, code::unsupported_media_type, "send application/json");
    return std::nullopt;
  }
  boost::system::error_code ec;
  auto v = json::parse(ctx.req.body(), ec);
  if (ec) {
    err = error_response(ctx, "sesami.bad_json", "invalid JSON: " + ec.message());
    return std::nullopt;
  }
  if (!v.is_object()) {
    err = error_response(ctx, "sesami.not_an_object", "expected a JSON object");
    return std::nullopt;
  }
  return std::move(v.as_object());
}

std::optional<std::string_view> str_field(const json::object& o, std::string_view k) {
  if (const auto* v = o.if_contains(k); v && v->is_string())
    return std::string_view(v->get_string());
  return std::nullopt;
}

bool unsafe_method(verb v) { return v != verb::get && v != verb::head && v != verb::options; }

// ---- the API ------------------------------------------------------------------------------------
class api : public std::enable_shared_from_this<api> {
 public:
  api(api_deps& d, const api_options& o) : d_(d), opt_(o) {}

  /// Who is calling, in which workspace, with at least `need`; or the answer to send instead.
  /// A session of a one-time password gets 403 auth.password_change_required everywhere except
  /// where `allow_must_change` (setting the password, the session, signing out).
  std::optional<app::principal> authenticate(const context& ctx, role need, response& err,
                                             bool allow_must_change = false) {
    const auto authz = ctx.header("Authorization");
    const auto ws_hint = ctx.header("X-Sesami-Workspace");
    app::outcome<app::principal> p = app::failure{};
    if (!authz.empty()) {
      if (!authz.starts_with("Bearer ") || authz.size() <= 7) {
        err = error_response(ctx, code::unauthenticated, "use Authorization: Bearer <API key>");
        return std::nullopt;
      }
      p = d_.auth.from_api_key(authz.substr(7));
      // A key belongs to one workspace: naming another one is asking for data that is not there.
      if (p && !ws_hint.empty() && ws_hint != p->workspace) {
        err = error_response(ctx, code::not_found, "no such workspace");
        return std::nullopt;
      }
    } else {
      const auto cookie = cookie_value(ctx.header("Cookie"), session_cookie);
      if (cookie.empty()) {
        err = error_response(ctx, code::unauthenticated, "sign in, or send an API key");
        return std::nullopt;
      }
      p = d_.auth.from_session(cookie, ws_hint);
      if (p && unsafe_method(ctx.req.method())) {
        // Cookies ride along on cross-site requests; the CSRF token (readable only by our own
        // page) proves the request came from it.
        const auto sent = ctx.header("X-CSRF-Token");
        if (sent.empty() || !app::auth::equal_secret(sent, p->csrf)) {
          err = error_response(ctx, code::csrf, "missing or wrong X-CSRF-Token header");
          return std::nullopt;
        }
      }
    }
    if (!p) {
      err = fail(ctx, p.error());
      return std::nullopt;
    }
    if (p->must_change_password && !allow_must_change) {
      err = error_response(ctx, code::password_change_required,
                           "signed in with a one-time password: set your own password first "
                           "(POST /auth/password)");
      return std::nullopt;
    }
    // The key's scope first (issue #17): one rule for every route, never per handler.
    if (!scope_allows(p->scope, ctx.req.method(), ctx.route)) {
      err = error_response(ctx, code::scope,
                           "this API key's scope (" + std::string(app::to_string(p->scope)) +
                               ") does not include " + std::string(ctx.req.method_string()) + " " +
                               std::string(ctx.route));
      return std::nullopt;
    }
    if (!p->allows(need)) {
      err = error_response(ctx, code::forbidden,
                           "this needs the " + std::string(app::to_string(need)) + " role");
      return std::nullopt;
    }
    return *p;
  }

  void add(router& r) {
    // Each handler co-owns the api object, so it lives exactly as long as the router's routes.
    auto bind = [this](response (api::*fn)(context&)) {
      return [self = shared_from_this(), fn](context& c) { return ((*self).*fn)(c); };
    };
    // A handler that serves several routes, told apart by an operation (webhook_op, ...).
    auto bind_op = [this]<class Op>(response (api::*fn)(context&, Op), Op op) {
      return [self = shared_from_this(), fn, op](context& c) { return ((*self).*fn)(c, op); };
    };
    r.add(verb::get, "/health", bind(&api::health));
    r.add(verb::get, "/metrics", bind(&api::metrics_text));
    // Pipeline health (issue #18): handlers in health_routes.cpp.
    r.add(verb::get, "/health/sources", bind_op(&api::health_sources, health_op::list));
    r.add(verb::patch, "/health/sources/{id}", bind_op(&api::health_sources, health_op::update));
    r.add(verb::post, "/auth/login", bind(&api::login));
    r.add(verb::post, "/auth/logout", bind(&api::logout));
    r.add(verb::get, "/auth/session", bind(&api::session));
    r.add(verb::post, "/auth/password", bind(&api::password));
    r.add(verb::get, "/events", bind(&api::events));
    r.add(verb::get, "/events/export", bind(&api::events_export));
    r.add(verb::get, "/stats", bind(&api::stats));
    r.add(verb::get, "/recipients/{address}", bind(&api::recipient));
    r.add(verb::get, "/messages/{messageId}", bind(&api::message));
    r.add(verb::get, "/suppression-list", bind(&api::suppression_list));
    r.add(verb::post, "/suppression-list", bind(&api::suppression_add));
    r.add(verb::delete_, "/suppression-list/{address}", bind(&api::suppression_remove));
    r.add(verb::patch, "/suppression-list/{address}", bind(&api::suppression_patch));
    r.add(verb::post, "/suppression-list/sync", bind(&api::suppression_sync_run));
    r.add(verb::get, "/suppression-list/sync", bind(&api::suppression_sync_last));
    r.add(verb::get, "/verify-sts", bind(&api::verify_sts));
    r.add(verb::get, "/settings/aws", bind(&api::aws_settings));
    r.add(verb::put, "/settings/aws", bind(&api::aws_settings_put));
    r.add(verb::delete_, "/settings/aws", bind(&api::aws_settings_delete));
    r.add(verb::post, "/settings/aws/template", bind(&api::aws_template));
    r.add(verb::post, "/mail", bind(&api::mail));
    r.add(verb::get, "/mail/attempts", bind(&api::mail_attempts));
    r.add(verb::post, "/mail/bulk", bind(&api::mail_bulk));
    r.add(verb::get, "/mail/bulk/{id}", bind(&api::mail_bulk_status));
    r.add(verb::get, "/unsubscribe/{token}", bind(&api::unsubscribe_page));
    r.add(verb::post, "/unsubscribe/{token}", bind(&api::unsubscribe_post));
    r.add(verb::post, "/ingest/sns/{token}", bind(&api::ingest_sns));
    r.add(verb::post, "/ingest/eventbridge/{token}", bind(&api::ingest_eventbridge));
    r.add(verb::get, "/workspace", bind(&api::workspace));
    r.add(verb::patch, "/workspace", bind(&api::change_workspace));
    r.add(verb::post, "/workspace/ingest-token", bind(&api::rotate_ingest));
    r.add(verb::get, "/workspace/ingest-token", bind(&api::ingest_token));
    r.add(verb::get, "/workspace/aws-accounts", bind(&api::aws_accounts));
    r.add(verb::post, "/workspace/aws-accounts", bind(&api::connect_aws_account));
    r.add(verb::get, "/api-keys", bind(&api::api_keys));
    r.add(verb::post, "/api-keys", bind(&api::create_api_key));
    r.add(verb::delete_, "/api-keys/{id}", bind(&api::delete_api_key));
    r.add(verb::get, "/users", bind(&api::users));
    r.add(verb::post, "/users", bind(&api::add_user));
    r.add(verb::patch, "/users/{id}", bind(&api::change_user));
    r.add(verb::delete_, "/users/{id}", bind(&api::remove_user));
    r.add(verb::get, "/invitations", bind(&api::invitations));
    r.add(verb::post, "/invitations/redeem", bind(&api::redeem_invitation));
    r.add(verb::post, "/invitations/{id}/accept", bind(&api::accept_invitation));
    r.add(verb::post, "/invitations/{id}/decline", bind(&api::decline_invitation));
    // Outbound webhooks (issue #18): handlers in webhook_routes.cpp, an admin's job.
    auto hooks = [&](webhook_op op) { return bind_op(&api::webhook, op); };
    r.add(verb::post, "/webhooks", hooks(webhook_op::create));
    r.add(verb::get, "/webhooks", hooks(webhook_op::list));
    r.add(verb::patch, "/webhooks/{id}", hooks(webhook_op::update));
    r.add(verb::delete_, "/webhooks/{id}", hooks(webhook_op::remove));
    r.add(verb::post, "/webhooks/{id}/rotate-secret", hooks(webhook_op::rotate));
    r.add(verb::post, "/webhooks/{id}/test", hooks(webhook_op::test));
    r.add(verb::get, "/webhooks/{id}/deliveries", hooks(webhook_op::deliveries));
    r.add(verb::post, "/webhooks/{id}/deliveries/{deliveryId}/retry", hooks(webhook_op::retry));
    // The reputation guard and alerts (issue #18): handlers in guard_routes.cpp.
    auto guarded = [&](guard_op op) { return bind_op(&api::guard, op); };
    r.add(verb::get, "/reputation", guarded(guard_op::status));
    r.add(verb::post, "/reputation/resume", guarded(guard_op::resume));
    r.add(verb::get, "/reputation/settings", guarded(guard_op::settings));
    r.add(verb::patch, "/reputation/settings", guarded(guard_op::update_settings));
    r.add(verb::get, "/alerts", guarded(guard_op::alerts));
    r.add(verb::post, "/alerts/read", guarded(guard_op::read_all));
    r.add(verb::post, "/alerts/{id}/read", guarded(guard_op::read));
    // Topics and contacts (issue #20): handlers in topic_routes.cpp; viewers read, admins write.
    auto topic = [&](topic_op op) { return bind_op(&api::topic_call, op); };
    r.add(verb::post, "/topics", topic(topic_op::create));
    r.add(verb::get, "/topics", topic(topic_op::list));
    r.add(verb::patch, "/topics/{name}", topic(topic_op::update));
    r.add(verb::delete_, "/topics/{name}", topic(topic_op::remove));
    r.add(verb::get, "/contacts", topic(topic_op::contacts));
    r.add(verb::get, "/contacts/export", topic(topic_op::export_csv));  // before {address}
    r.add(verb::post, "/contacts/import", topic(topic_op::import_csv));
    r.add(verb::get, "/contacts/{address}", topic(topic_op::contact));
    r.add(verb::put, "/contacts/{address}", topic(topic_op::put_contact));
    r.add(verb::delete_, "/contacts/{address}", topic(topic_op::remove_contact));
    // Email templates (issue #20): handlers in template_routes.cpp; writes are an admin's.
    auto tmpl = [&](template_op op) { return bind_op(&api::email_template, op); };
    r.add(verb::post, "/templates", tmpl(template_op::create));
    r.add(verb::get, "/templates", tmpl(template_op::list));
    r.add(verb::get, "/templates/{name}", tmpl(template_op::get));
    r.add(verb::put, "/templates/{name}", tmpl(template_op::replace));
    r.add(verb::delete_, "/templates/{name}", tmpl(template_op::remove));
    r.add(verb::post, "/templates/{name}/render", tmpl(template_op::render));
    if (opt_.bench_endpoint) r.add(verb::post, "/bench/bare", bind(&api::bare));
    if (opt_.debug_routes)
      r.add(verb::get, "/debug/fail", [](context&) -> response {
        throw std::runtime_error("deliberate failure (debug route)");
      });
    if (!opt_.static_dir.empty()) r.set_fallback(static_files(opt_.static_dir));
  }

 private:
  // ---- operations ----
  response health(context& ctx) {
    // Storage readiness: a real read through the store.
    auto w = d_.store.find_workspace("default");
    json::object o{{"status", w ? "ok" : "degraded"},
                   {"storage", w ? "ok" : "unavailable"},
                   {"version", sesami::version_string}};
    if (d_.extra_health) d_.extra_health(o);  // e.g. redis: degraded, still 200
    return json_response(ctx, w ? status::ok : status::service_unavailable, o);
  }

  // The numbers are the whole server's (every workspace's volumes, queue names): on the main
  // listener only the operator's metrics token opens them, never a workspace's credential.
  response metrics_text(context& ctx) {
    if (opt_.metrics_token.empty())
      return error_response(ctx, code::not_found,
                            "metrics are not served on this listener (see --metrics-token-file "
                            "and --metrics-address)");
    const auto authz = ctx.header("Authorization");
    if (!authz.starts_with("Bearer ") ||
        !app::auth::equal_secret(authz.substr(7), opt_.metrics_token))
      return error_response(ctx, code::unauthenticated,
                            "GET /metrics needs Authorization: Bearer <metrics token>");
    return metrics_open(ctx);
  }

 public:
  response metrics_open(context& ctx) {
    response res{status::ok, ctx.req.version()};
    res.set(bhttp::field::content_type, "text/plain; version=0.0.4");
    res.set("X-Request-Id", ctx.request_id);
    res.body() = d_.stats.render();
    if (d_.extra_metrics) d_.extra_metrics(res.body());
    if (d_.guard) d_.guard->render_metrics(res.body());
    d_.auth.render_metrics(res.body());
    if (d_.health) {
      (void)d_.health->flush();
      app::render_health_metrics(d_.health->store(), app::now_ms(), res.body());
    }
    res.keep_alive(ctx.req.keep_alive());
    res.prepare_payload();
    return res;
  }

 private:
  // ---- auth ----
  // Whether the session cookie is Secure (cookies.hpp).
  bool secure_cookie(const context& ctx) const { return http::secure_cookie(ctx, opt_.public_url); }

  response login(context& ctx) {
    response err;
    auto body = body_object(ctx, err);
    if (!body) return err;
    const auto email = str_field(*body, "email"), password = str_field(*body, "password");
    if (!email || !password)
      return error_response(ctx, "validation.login", "send {\"email\": ..., \"password\": ...}");
    if (!opt_.password_login) return password_login_off(ctx);
    auto r = d_.auth.login(*email, *password, ctx.remote);
    if (!r) return password_refusal(ctx, r.error());
    return signed_in(ctx, *r);
  }

  response password_login_off(const context& ctx) {
    return error_response(ctx, code::forbidden,
                          "passwords are switched off on this server (--disable-password-login): "
                          "sign in with the identity provider (GET /auth/config)");
  }

  // A refused password check; throttled and busy answers say when to come back.
  response password_refusal(const context& ctx, const app::failure& f) {
    auto res = fail(ctx, f);
    if (f.code == code::throttled) res.set(bhttp::field::retry_after, "900");
    if (f.code == code::busy) res.set(bhttp::field::retry_after, "1");
    return res;
  }

  // The answer to a sign-in (POST /auth/login, POST /invitations/redeem): the session cookie.
  response signed_in(const context& ctx, const app::login_result& r) {
    json::array ws;
    for (const auto& m : r.workspaces) ws.push_back({{"id", m.workspace}, {"role", m.role}});
    auto res = json_response(ctx, status::ok,
                             {{"user", {{"id", r.user_id}, {"email", r.email}}},
                              {"csrfToken", r.csrf},
                              {"workspaces", std::move(ws)},
                              {"mustChangePassword", r.must_change_password}});
    res.set(bhttp::field::set_cookie,
            session_set_cookie(session_cookie, r.session, secure_cookie(ctx),
                               app::auth::session_lifetime_ms / 1000));
    return res;
  }

  /// The signed-in user of the session cookie, in no workspace (invitations are the user's own,
  /// not a workspace's), the CSRF token checked on unsafe methods; or the answer to send instead.
  std::optional<store::session_row> signed_in_user(const context& ctx, response& err) {
    if (!ctx.header("Authorization").empty()) {
      err = error_response(ctx, code::forbidden, "invitations are a signed-in user's, not a key's");
      return std::nullopt;
    }
    const auto cookie = cookie_value(ctx.header("Cookie"), session_cookie);
    if (cookie.empty()) {
      err = error_response(ctx, code::unauthenticated, "sign in first");
      return std::nullopt;
    }
    auto s = d_.auth.session_user(cookie);
    if (!s) {
      err = fail(ctx, s.error());
      return std::nullopt;
    }
    if (s->must_change_password) {  // as authenticate(): a one-time password sets a password first
      err = error_response(ctx, code::password_change_required,
                           "signed in with a one-time password: set your own password first "
                           "(POST /auth/password)");
      return std::nullopt;
    }
    if (unsafe_method(ctx.req.method())) {
      const auto sent = ctx.header("X-CSRF-Token");
      if (sent.empty() || !app::auth::equal_secret(sent, s->csrf)) {
        err = error_response(ctx, code::csrf, "missing or wrong X-CSRF-Token header");
        return std::nullopt;
      }
    }
    return *s;
  }

  response logout(context& ctx) {
    const auto cookie = cookie_value(ctx.header("Cookie"), session_cookie);
    if (cookie.empty()) return error_response(ctx, code::unauthenticated, "not signed in");
    response err;
    if (!authenticate(ctx, role::viewer, err, true)) return err;
    d_.auth.logout(cookie);
    auto res = no_content(ctx);
    res.set(bhttp::field::set_cookie,
            session_set_cookie(session_cookie, "", secure_cookie(ctx), 0));
    return res;
  }

  response session(context& ctx) {
    const auto cookie = cookie_value(ctx.header("Cookie"), session_cookie);
    if (cookie.empty()) return error_response(ctx, code::unauthenticated, "not signed in");
    response err;
    auto p = authenticate(ctx, role::viewer, err, true);
    if (!p) return err;
    auto ws = d_.auth.session_workspaces(cookie);
    if (!ws) return fail(ctx, ws.error());
    json::array list;
    for (const auto& m : *ws) list.push_back({{"id", m.workspace}, {"role", m.role}});
    return json_response(ctx, status::ok,
                         {{"user", {{"id", p->user_id}}},
                          {"workspace", p->workspace},
                          {"role", app::to_string(p->access)},
                          {"csrfToken", p->csrf},
                          {"workspaces", std::move(list)},
                          {"mustChangePassword", p->must_change_password}});
  }

  response password(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::viewer, err, true);
    if (!p) return err;
    if (p->user_id.empty())
      return error_response(ctx, code::forbidden, "API keys have no password");
    auto body = body_object(ctx, err);
    if (!body) return err;
    if (!opt_.password_login) return password_login_off(ctx);
    const auto cur = str_field(*body, "currentPassword"), nw = str_field(*body, "newPassword");
    if (!cur || !nw)
      return error_response(ctx, "validation.password",
                            "send {\"currentPassword\": ..., \"newPassword\": ...}");
    const auto cookie = cookie_value(ctx.header("Cookie"), session_cookie);
    if (auto r = d_.auth.change_password(p->user_id, *cur, *nw, cookie, ctx.remote); !r)
      return password_refusal(ctx, r.error());
    return no_content(ctx);
  }

  // ---- events and stats ----
  response events(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::viewer, err);
    if (!p) return err;
    std::vector<query_param> qp;
    qp.reserve(ctx.query.size());
    for (const auto& [k, v] : ctx.query) qp.emplace_back(k, v);
    static constexpr std::string_view own[] = {"limit", "cursor"};
    auto f = filter_from_query(qp, own);
    if (!f) return error_response(ctx, from_core(f.error()));
    store::event_query q;
    q.filter = std::move(*f);
    // The columnar form feeds the dashboard's in-browser aggregation: it is ~90 bytes an event,
    // so a window of many events is one request; JSON pages stay small.
    const bool columnar = ctx.header("Accept").find(columnar_media_type) != std::string_view::npos;
    const std::size_t max_limit = columnar ? store::max_event_page : 1000;
    if (const auto* l = ctx.query_one("limit")) {
      std::size_t n = 0;
      const auto [ptr, ec] = std::from_chars(l->data(), l->data() + l->size(), n);
      if (ec != std::errc{} || ptr != l->data() + l->size() || n < 1 || n > max_limit)
        return error_response(ctx, "validation.limit",
                              "limit must be 1.." + std::to_string(max_limit));
      q.limit = n;
    }
    if (const auto* c = ctx.query_one("cursor")) q.cursor = *c;
    auto page = d_.store.list_events(p->workspace, q);
    if (!page) return fail_store(ctx, page.error());

    if (columnar) {
      std::vector<sesami::event> evs;
      evs.reserve(page->events.size());
      for (const auto& e : page->events) {
        auto ev = event_from_json(std::string_view(e.doc));
        if (!ev) return error_response(ctx, code::internal, "a stored event does not decode");
        evs.push_back(std::move(*ev));
      }
      auto b = make_batch(evs);
      if (!b) return error_response(ctx, from_core(b.error()));
      response res{status::ok, ctx.req.version()};
      res.set(bhttp::field::content_type, columnar_media_type);
      res.set(bhttp::field::cache_control, "no-store");
      res.set("X-Request-Id", ctx.request_id);
      if (page->next) res.set("X-Next-Cursor", *page->next);
      res.body() = encode(*b);
      res.keep_alive(ctx.req.keep_alive());
      res.prepare_payload();
      return res;
    }
    // The stored documents are already the core's to_json: splice them, do not re-serialize.
    std::string out = "{\"events\":[";
    std::size_t total = 0;
    for (const auto& e : page->events) total += e.doc.size() + 1;
    out.reserve(total + 64);
    for (std::size_t i = 0; i < page->events.size(); ++i) {
      if (i) out.push_back(',');
      out += page->events[i].doc;
    }
    out += "],\"next\":";
    out += page->next ? json::serialize(json::value(*page->next)) : "null";
    out.push_back('}');
    return raw_json(ctx, status::ok, std::move(out));
  }

  // The whole filtered range, streamed (export_route.cpp): no page limit, memory bounded.
  response events_export(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::viewer, err);
    if (!p) return err;
    return export_events(ctx, d_.store, p->workspace);
  }

  response stats(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::viewer, err);
    if (!p) return err;
    app::stats_request sr;
    for (const auto& [k, v] : ctx.query) {
      if (k == "from" || k == "to") {
        auto t = sesami::detail::parse_iso8601(v);
        if (!t) return error_response(ctx, "sesami.bad_timestamp", k + ": not an ISO 8601 time");
        (k == "from" ? sr.from : sr.to) = *t;
      } else if (k == "bucket") {
        auto b = parse_bucket(v);
        if (!b) return error_response(ctx, "validation.bucket", "bucket: hour, day, week or month");
        sr.bucket = *b;
      } else if (k == "offset") {
        int m = 0;
        const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), m);
        if (ec != std::errc{} || ptr != v.data() + v.size() || m % 60 != 0 ||
            m < -max_offset_minutes || m > max_offset_minutes)
          return error_response(ctx, "validation.offset",
                                "offset: minutes from UTC, whole hours, -840..840");
        sr.offset_minutes = m;
      } else {
        return error_response(ctx, "validation.parameter", "unknown parameter '" + k + "'");
      }
    }
    if (sr.from && sr.to && *sr.from > *sr.to)
      return error_response(ctx, "sesami.bad_filter", "from is after to");
    auto a = app::stats(d_.store, p->workspace, sr);
    if (!a) return fail_store(ctx, a.error());
    return raw_json(ctx, status::ok, to_json(*a));
  }

  static json::object status_json(const store::recipient_status& s) {
    return {{"messageId", s.message_id},
            {"recipient", s.recipient},
            {"status", to_string(s.status)},
            {"firstSeen", time_json(s.first_seen)},
            {"lastSeen", time_json(s.last_seen)}};
  }
  static json::array docs_json(const std::vector<store::stored_event>& evs) {
    json::array out;
    out.reserve(evs.size());
    for (const auto& e : evs) out.push_back(json::parse(e.doc));
    return out;
  }

  // `limit` (1..1000, default 100) and `cursor` of a history page (store::history_query); an
  // error response when they do not parse.
  std::optional<store::history_query> history_query_of(context& ctx, response& err) {
    store::history_query q;
    if (const auto* l = ctx.query_one("limit")) {
      std::size_t n = 0;
      const auto [ptr, ec] = std::from_chars(l->data(), l->data() + l->size(), n);
      if (ec != std::errc{} || ptr != l->data() + l->size() || n < 1 ||
          n > store::max_history_page) {
        err = error_response(ctx, "validation.limit",
                             "limit must be 1.." + std::to_string(store::max_history_page));
        return std::nullopt;
      }
      q.limit = n;
    }
    if (const auto* c = ctx.query_one("cursor")) q.cursor = *c;
    return q;
  }

  // Histories come a page at a time: up to `limit` statuses and `limit` events, and `next` (the
  // cursor of the following page, null on the last). The first page is what the route always
  // answered, plus `next`.
  response recipient(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::viewer, err);
    if (!p) return err;
    const auto q = history_query_of(ctx, err);
    if (!q) return err;
    const auto address = ascii_lower(ctx.param("address"));
    auto h = d_.store.recipient(p->workspace, address, *q);
    if (!h) return fail_store(ctx, h.error());
    if (q->cursor.empty() && h->messages.empty() && h->events.empty() && !h->suppressed)
      return error_response(ctx, code::not_found, "no events for this recipient");
    json::array msgs;
    for (const auto& m : h->messages) msgs.push_back(status_json(m));
    json::object o{
        {"address", h->address},
        // The highest-ranked status over all the recipient's messages, on every page.
        {"status", h->status ? json::value(to_string(*h->status)) : json::value(nullptr)},
        {"suppressed", h->suppressed ? json::value(*h->suppressed) : json::value(nullptr)},
        {"messages", std::move(msgs)},
        {"events", docs_json(h->events)},
        {"next", h->next ? json::value(*h->next) : json::value(nullptr)}};
    return json_response(ctx, status::ok, o);
  }

  response message(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::viewer, err);
    if (!p) return err;
    const auto q = history_query_of(ctx, err);
    if (!q) return err;
    auto h = d_.store.message(p->workspace, ctx.param("messageId"), *q);
    if (!h) return fail_store(ctx, h.error());
    if (q->cursor.empty() && h->recipients.empty() && h->events.empty())
      return error_response(ctx, code::not_found, "no such message");
    json::array rs;
    for (const auto& r : h->recipients) rs.push_back(status_json(r));
    return json_response(ctx, status::ok,
                         {{"messageId", h->message_id},
                          {"recipients", std::move(rs)},
                          {"events", docs_json(h->events)},
                          {"next", h->next ? json::value(*h->next) : json::value(nullptr)}});
  }

  // ---- suppression list ----
  static json::object entry_json(const store::suppression_entry& e) {
    return {{"address", e.address},
            {"reason", e.reason},
            {"source", to_string(e.source)},
            {"eventId", e.event_id.empty() ? json::value(nullptr) : json::value(e.event_id)},
            {"createdAt", time_json(e.created_at)}};
  }

  response suppression_list(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::viewer, err);
    if (!p) return err;
    store::suppression_query q;
    bool csv = ctx.header("Accept").find("text/csv") != std::string_view::npos;
    for (const auto& [k, v] : ctx.query) {
      if (k == "contains") {
        q.contains = ascii_lower(v);
      } else if (k == "reason") {
        q.reason = v;
      } else if (k == "source") {
        q.source = store::parse_suppression_source(v);
        if (!q.source)
          return error_response(ctx, "validation.source",
                                "source: event, manual, import or ses-sync");
      } else if (k == "cursor") {
        q.cursor = v;
      } else if (k == "format") {
        if (v != "csv" && v != "json")
          return error_response(ctx, "validation.format", "format: csv or json");
        csv = v == "csv";
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
    if (csv) {
      // The export is the whole (filtered) list, paged through internally.
      std::vector<store::suppression_entry> all;
      q.limit = 1000;
      q.cursor.clear();
      for (;;) {
        auto page = d_.store.list_suppressions(p->workspace, q);
        if (!page) return fail_store(ctx, page.error());
        all.insert(all.end(), page->entries.begin(), page->entries.end());
        if (!page->next) break;
        q.cursor = *page->next;
      }
      response res{status::ok, ctx.req.version()};
      res.set(bhttp::field::content_type, "text/csv; charset=utf-8");
      res.set(bhttp::field::content_disposition, "attachment; filename=\"suppression-list.csv\"");
      res.set("X-Request-Id", ctx.request_id);
      res.body() = app::suppression_to_csv(all);
      res.keep_alive(ctx.req.keep_alive());
      res.prepare_payload();
      return res;
    }
    auto page = d_.store.list_suppressions(p->workspace, q);
    if (!page) return fail_store(ctx, page.error());
    json::array entries;
    for (const auto& e : page->entries) entries.push_back(entry_json(e));
    return json_response(ctx, status::ok,
                         {{"entries", std::move(entries)},
                          {"next", page->next ? json::value(*page->next) : json::value(nullptr)}});
  }

  response suppression_add(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::admin, err);
    if (!p) return err;
    const auto now = app::now_ms();
    if (ctx.header("Content-Type").starts_with("text/csv")) {
      auto parsed = app::suppression_from_csv(ctx.req.body(), now);
      auto added = d_.store.add_suppressions(p->workspace, parsed.entries);
      if (!added) return fail_store(ctx, added.error());
      json::array problems;
      for (const auto& pr : parsed.problems)
        problems.push_back({{"line", pr.line}, {"message", pr.message}});
      return json_response(
          ctx, status::ok,
          {{"added", *added}, {"read", parsed.entries.size()}, {"problems", std::move(problems)}});
    }
    auto body = body_object(ctx, err);
    if (!body) return err;
    const auto address = str_field(*body, "address");
    if (!address || !app::plausible_address(*address))
      return error_response(ctx, "validation.address", "address: an email address");
    store::suppression_entry e;
    e.address = ascii_lower(*address);
    e.reason = std::string(str_field(*body, "reason").value_or("manual"));
    if (app::reason_too_long(e.reason))
      return error_response(
          ctx, "validation.reason_too_long",
          "reason: at most " + std::to_string(app::max_reason_chars) + " characters");
    e.source = store::suppression_source::manual;
    e.created_at = now;
    auto added = d_.store.add_suppressions(p->workspace, std::span(&e, 1));
    if (!added) return fail_store(ctx, added.error());
    auto found = d_.store.find_suppression(p->workspace, e.address);
    if (!found) return fail_store(ctx, found.error());
    return json_response(ctx, *added ? status::created : status::ok,
                         {{"added", *added == 1}, {"entry", entry_json(found->value_or(e))}});
  }

  // PATCH /suppression-list/{address} {"reason"}: the entry keeps its source and date.
  response suppression_patch(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::admin, err);
    if (!p) return err;
    auto body = body_object(ctx, err);
    if (!body) return err;
    for (const auto& kv : *body)
      if (kv.key() != "reason")
        return error_response(ctx, "validation.field",
                              "unknown field '" + std::string(kv.key()) + "' (only reason)");
    const auto reason = str_field(*body, "reason");
    if (!reason || reason->empty())
      return error_response(ctx, "validation.reason", "reason: a non-empty string");
    if (app::reason_too_long(*reason))
      return error_response(
          ctx, "validation.reason_too_long",
          "reason: at most " + std::to_string(app::max_reason_chars) + " characters");
    auto r = d_.store.set_suppression_reason(p->workspace, ctx.param("address"), *reason);
    if (!r) return fail_store(ctx, r.error());
    if (!*r) return error_response(ctx, code::not_found, "address not on the suppression list");
    return json_response(ctx, status::ok, entry_json(**r));
  }

  response suppression_remove(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::admin, err);
    if (!p) return err;
    auto r = d_.store.remove_suppression(p->workspace, ascii_lower(ctx.param("address")));
    if (!r) return fail_store(ctx, r.error());
    if (!*r) return error_response(ctx, code::not_found, "address not on the suppression list");
    return no_content(ctx);
  }

  // ---- AWS connection (issue #5): settings and the live check ----
  bool aws_ready(const context& ctx, response& err) {
    if (d_.aws) return true;
    err = error_response(ctx, code::shutting_down,
                         "AWS connections are not available in this process");
    return false;
  }

  static json::value null_if_empty(const std::string& s) {
    return s.empty() ? json::value(nullptr) : json::value(s);
  }

  response aws_settings_json(const context& ctx, const store::aws_connection_row& r) {
    return json_response(ctx, status::ok,
                         {{"connected", r.connected()},
                          {"roleArn", null_if_empty(r.role_arn)},
                          {"region", null_if_empty(r.region)},
                          {"externalId", r.external_id},
                          {"configurationSet", null_if_empty(r.configuration_set)},
                          {"queueUrl", null_if_empty(r.queue_url)},
                          {"mode", null_if_empty(r.mode)}});
  }

  response aws_settings(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::viewer, err);
    if (!p || !aws_ready(ctx, err)) return err;
    auto r = d_.aws->get(p->workspace);
    if (!r) return fail(ctx, r.error());
    return aws_settings_json(ctx, *r);
  }

  response aws_settings_put(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::admin, err);
    if (!p || !aws_ready(ctx, err)) return err;
    auto body = body_object(ctx, err);
    if (!body) return err;
    app::aws_settings_input in;
    struct field_ref {
      const char* name;  // in the JSON body
      const char* id;    // its validation.* code (the same as app::validate's)
      std::string* dest;
    };
    for (const auto& f :
         {field_ref{"roleArn", "validation.role_arn", &in.role_arn},
          field_ref{"region", "validation.region", &in.region},
          field_ref{"configurationSet", "validation.configuration_set", &in.configuration_set},
          field_ref{"queueUrl", "validation.queue_url", &in.queue_url},
          field_ref{"mode", "validation.mode", &in.mode}}) {
      const auto* v = body->if_contains(f.name);
      if (!v || v->is_null()) continue;
      if (!v->is_string())
        return error_response(ctx, f.id, std::string(f.name) + " must be a string");
      *f.dest = std::string(v->get_string());
    }
    auto r = d_.aws->put(p->workspace, in);
    if (!r) return fail(ctx, r.error());
    return aws_settings_json(ctx, *r);
  }

  // The onboarding template with this workspace's values (app/onboarding.hpp, the same filling-in
  // as `sesami connect`). Admin: connecting is an admin's job. The ingest secret is never in the
  // answer (it is stored hashed; the command reads it from $SESAMI_INGEST_SECRET).
  response aws_template(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::admin, err);
    if (!p || !aws_ready(ctx, err)) return err;
    auto body = body_object(ctx, err);
    if (!body) return err;
    auto saved = d_.aws->get(p->workspace);
    if (!saved) return fail(ctx, saved.error());
    app::template_request in;
    in.external_id = saved->external_id;
    in.mode = saved->mode.empty() ? "sqs" : saved->mode;
    in.configuration_set = saved->configuration_set;
    in.sesami_account = app::configured_sesami_account();
    for (auto [name, dest] :
         {std::pair{"mode", &in.mode}, std::pair{"sesamiAccountId", &in.sesami_account},
          std::pair{"configurationSet", &in.configuration_set},
          std::pair{"ingestUrl", &in.ingest_url}, std::pair{"eventBusArn", &in.event_bus_arn},
          std::pair{"stackName", &in.stack_name}}) {
      const auto* v = body->if_contains(name);
      if (!v || v->is_null()) continue;
      if (!v->is_string() || v->get_string().size() > 2048)
        return error_response(ctx, "validation.template", std::string(name) + " must be a string");
      if (!v->get_string().empty()) *dest = std::string(v->get_string());
    }
    if (const auto* v = body->if_contains("identities"); v && !v->is_null()) {
      if (!v->is_array() || v->get_array().size() > 5)
        return error_response(ctx, "validation.identities",
                              "identities: an array of at most 5 verified SES identities");
      for (const auto& i : v->get_array()) {
        if (!i.is_string() || i.get_string().size() > 320)
          return error_response(ctx, "validation.identities", "identities must be strings");
        in.identities.emplace_back(i.get_string());
      }
    }
    if (in.stack_name.find_first_of(" \t\r\n") != std::string::npos)
      return error_response(ctx, "validation.template", "stackName has no spaces");
    auto t = app::fill_customer_template(in);
    if (!t) return fail(ctx, t.error());
    json::array missing;
    for (const auto& m : t->missing) missing.emplace_back(m);
    return json_response(ctx, status::ok,
                         {{"mode", t->mode},
                          {"fileName", t->file_name},
                          {"externalId", in.external_id},
                          {"parameters", t->parameters},
                          {"missing", std::move(missing)},
                          {"command", t->command},
                          {"template", t->text}});
  }

  // ---- suppression sync with SES (app/suppression_sync.hpp says what two-way means) ----
  static boost::json::object sync_json(const store::sync_record& r) {
    boost::json::array errors, changes;
    for (auto& e : r.errors)
      errors.push_back(
          {{"address", e.address.empty() ? boost::json::value() : boost::json::value(e.address)},
           {"operation", e.operation},
           {"code", e.code},
           {"message", e.message}});
    for (auto& c : r.changes)
      changes.push_back({{"address", c.address}, {"change", c.change}, {"reason", c.reason}});
    return {{"at", app::iso_ms(r.at)},
            {"trigger", r.cause},
            {"pulled", r.pulled},
            {"pushed", r.pushed},
            {"removedLocal", r.removed_local},
            {"removedRemote", r.removed_remote},
            {"errors", std::move(errors)},
            {"changes", std::move(changes)}};
  }
  response suppression_sync_run(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::admin, err);
    if (!p) return err;
    if (!d_.sync)
      return error_response(ctx, code::aws_not_connected,
                            "suppression sync needs an AWS connection; none is configured");
    auto r = d_.sync->sync(p->workspace, "manual");
    if (!r) return error_response(ctx, api_error{r.error().code, r.error().message});
    return json_response(ctx, status::ok, sync_json(*r));
  }
  response suppression_sync_last(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::viewer, err);
    if (!p) return err;
    if (!d_.sync) return json_response(ctx, status::ok, {{"at", nullptr}});
    auto r = d_.sync->last(p->workspace);
    if (!r) return error_response(ctx, api_error{r.error().code, r.error().message});
    if (!*r) return json_response(ctx, status::ok, {{"at", nullptr}});
    return json_response(ctx, status::ok, sync_json(**r));
  }

  response aws_settings_delete(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::admin, err);
    if (!p || !aws_ready(ctx, err)) return err;
    if (auto r = d_.aws->remove(p->workspace); !r) return fail(ctx, r.error());
    return no_content(ctx);
  }

  response verify_sts(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::admin, err);
    if (!p) return err;
    if (!d_.aws)
      return error_response(
          ctx, code::aws_not_connected,
          "this workspace has no AWS connection configured (role ARN and region); "
          "nothing was checked");
    auto r = d_.aws->verify(p->workspace);
    if (!r) return fail(ctx, r.error());
    // "ok": the connection works (as before); "ready": its events reach SESami as well.
    const auto& ed = r->event_destination;
    return json_response(ctx, status::ok,
                         {{"ok", true},
                          {"ready", !ed || ed->status != "fail"},
                          {"accountId", r->account_id},
                          {"region", r->region},
                          {"assumedRoleArn", r->assumed_role_arn},
                          {"productionAccess", r->account.production_access},
                          {"sendingEnabled", r->account.sending_enabled},
                          {"maxSendRate", r->account.max_send_rate},
                          {"max24HourSend", r->account.max_24_hour_send},
                          {"sentLast24Hours", r->account.sent_last_24_hours},
                          {"credentialsExpireAt", aws::format_iso8601(r->credentials_expire_at)},
                          {"eventDestination", ed ? event_destination_json(*ed) : json::value()}});
  }

  static json::value event_destination_json(const aws::event_destination_verdict& v) {
    const auto opt = [](const std::string& s) {
      return s.empty() ? json::value() : json::value(s);
    };
    json::array req, optional;
    for (const auto& t : v.missing_required) req.emplace_back(t);
    for (const auto& t : v.missing_optional) optional.emplace_back(t);
    return json::object{{"status", v.status},
                        {"code", opt(v.code)},
                        {"name", opt(v.destination)},
                        {"kind", opt(v.kind)},
                        {"targetArn", opt(v.target_arn)},
                        {"enabled", v.enabled},
                        {"expected", v.expected},
                        {"missingRequired", std::move(req)},
                        {"missingOptional", std::move(optional)},
                        {"message", v.message}};
  }

  response mail_reply_response(const context& ctx, const app::mail_reply& r, status ok) {
    std::string body = r.body;
    if (!r.code.empty()) {
      // Errors carry the request id like every other error answer.
      boost::system::error_code ec;
      auto v = json::parse(body, ec);
      if (!ec && v.is_object())
        if (auto* e = v.get_object().if_contains("error"); e && e->is_object()) {
          e->get_object()["requestId"] = ctx.request_id;
          body = json::serialize(v);
        }
    }
    auto res = raw_json(ctx, r.code.empty() ? ok : status_for(r.code), std::move(body));
    if (r.replayed) res.set("Idempotent-Replayed", "true");
    if (r.retry_after_s > 0) res.set(bhttp::field::retry_after, std::to_string(r.retry_after_s));
    return res;
  }

  std::optional<app::principal> mail_caller(context& ctx, response& err) {
    if (!d_.mail) {
      err = error_response(ctx, code::shutting_down, "sending is not available in this process");
      return std::nullopt;
    }
    return authenticate(ctx, role::admin, err);
  }

  bool json_content(const context& ctx, response& err) {
    const auto ct = ctx.header("Content-Type");
    if (!ct.empty() && ct.find("json") == std::string_view::npos) {
      err = error_response(ctx, code::unsupported_media_type, "send application/json");
      return false;
    }
    return true;
  }

  response mail(context& ctx) {
    response err;
    auto p = mail_caller(ctx, err);
    if (!p || !json_content(ctx, err)) return err;
    return mail_reply_response(
        ctx, d_.mail->send(p->workspace, ctx.req.body(), ctx.header("Idempotency-Key")),
        status::ok);
  }

  response mail_attempts(context& ctx) {
    response err;
    if (!d_.mail) return error_response(ctx, code::shutting_down, "sending is not available");
    auto p = authenticate(ctx, role::viewer, err);
    if (!p) return err;
    store::attempt_query q;
    for (const auto& [k, v] : ctx.query) {
      if (k == "cursor") {
        q.cursor = v;
      } else if (k == "correlationId") {
        q.correlation_id = v;
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
    auto r = d_.mail->attempts(p->workspace, q);
    if (!r) return fail(ctx, r.error());
    return raw_json(ctx, status::ok, std::move(*r));
  }

  response mail_bulk(context& ctx) {
    response err;
    auto p = mail_caller(ctx, err);
    if (!p || !json_content(ctx, err)) return err;
    return mail_reply_response(ctx, d_.mail->bulk(p->workspace, ctx.req.body()), status::accepted);
  }

  response mail_bulk_status(context& ctx) {
    response err;
    if (!d_.mail) return error_response(ctx, code::shutting_down, "sending is not available");
    auto p = authenticate(ctx, role::viewer, err);
    if (!p) return err;
    auto r = d_.mail->bulk_status(p->workspace, ctx.param("id"));
    if (!r) return fail(ctx, r.error());
    return raw_json(ctx, status::ok, std::move(*r));
  }

  // ---- one-click unsubscribe (RFC 8058) and the preference page: no sign-in, the signed token
  // is the authority (preference_page.cpp) ----
  response unsubscribe_page(context& ctx) {
    if (!d_.mail) return error_response(ctx, code::shutting_down, "sending is not available");
    return preference_page_get(ctx, {*d_.mail, d_.topics, d_.store, opt_.public_url});
  }

  response unsubscribe_post(context& ctx) {
    if (!d_.mail) return error_response(ctx, code::shutting_down, "sending is not available");
    return preference_page_post(ctx, {*d_.mail, d_.topics, d_.store, opt_.public_url});
  }

  // ---- ingestion ----
  response ingest_result(context& ctx, std::string_view source,
                         const app::outcome<app::ingest_report>& r) {
    if (!r) {
      d_.stats.add_reject(r.error().code);
      if (status_for(r.error().code) >= status::internal_server_error)
        log::warn("ingest failed", {{"requestId", ctx.request_id},
                                    {"source", source},
                                    {"code", r.error().code},
                                    {"reason", r.error().message}});
      return fail(ctx, r.error());
    }
    for (const auto& [t, n] : r->stored_by_type) d_.stats.add_events(source, to_string(t), n);
    if (r->action != "stored")
      log::info(
          "sns",
          {{"requestId", ctx.request_id}, {"workspace", r->workspace}, {"action", r->action}});
    return json_response(ctx, status::ok,
                         {{"action", r->action},
                          {"events", r->events},
                          {"stored", r->stored},
                          {"duplicates", r->duplicates}});
  }

  response ingest_sns(context& ctx) {
    return ingest_result(ctx, "sns",
                         app::ingest_sns(d_.store, d_.auth, d_.sns, ctx.param("token"),
                                         ctx.req.body(), d_.sns_dedupe, d_.aws, d_.health));
  }

  response ingest_eventbridge(context& ctx) {
    return ingest_result(
        ctx, "eventbridge",
        app::ingest_eventbridge(d_.store, d_.auth, ctx.param("token"),
                                ctx.header("X-Sesami-Secret"), ctx.req.body(), d_.health));
  }

  response bare(context& ctx) {
    // The benchmark's reference: the same server, parsing, no storage.
    boost::system::error_code ec;
    auto v = json::parse(ctx.req.body(), ec);
    if (ec) return error_response(ctx, "sesami.bad_json", "invalid JSON");
    return json_response(ctx, status::ok, {{"action", "none"}, {"stored", 0}});
  }

  // ---- workspace administration ----
  response workspace(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::viewer, err);
    if (!p) return err;
    return workspace_answer(ctx, *p);
  }

  response workspace_answer(context& ctx, const app::principal& p) {
    auto w = d_.store.find_workspace(p.workspace);
    if (!w) return fail_store(ctx, w.error());
    if (!*w) return error_response(ctx, code::not_found, "no such workspace");
    return json_response(
        ctx, status::ok,
        {{"id", (*w)->id},
         {"name", (*w)->name},
         {"role", app::to_string(p.access)},
         {"retentionDays",
          (*w)->retention_days > 0 ? json::value((*w)->retention_days) : json::value(nullptr)},
         {"createdAt", time_json((*w)->created_at)}});
  }

  // PATCH /workspace {"retentionDays": N | null}: an admin's setting; the purger starts at once.
  response change_workspace(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::admin, err);
    if (!p) return err;
    auto body = body_object(ctx, err);
    if (!body) return err;
    for (const auto& kv : *body)
      if (kv.key() != "retentionDays")
        return error_response(
            ctx, "validation.parameter",
            "unknown field '" + std::string(kv.key()) + "' (PATCH /workspace takes retentionDays)");
    const auto* v = body->if_contains("retentionDays");
    if (!v) return error_response(ctx, "validation.retention_days", "send {\"retentionDays\": N}");
    std::optional<std::int64_t> days;
    if (v->is_int64())
      days = v->get_int64();
    else if (v->is_uint64())
      days = std::numeric_limits<std::int64_t>::max();  // out of range: the check below says so
    else if (!v->is_null())
      return error_response(ctx, "validation.retention_days",
                            app::retention_days_problem(0));  // a string, a fraction, a boolean
    if (auto r = app::set_retention(d_.store, p->workspace, days); !r) return fail(ctx, r.error());
    log::info("retention changed", {{"requestId", ctx.request_id},
                                    {"workspace", p->workspace},
                                    {"retentionDays", days ? std::to_string(*days) : "forever"}});
    if (d_.retention) d_.retention->wake();
    return workspace_answer(ctx, *p);
  }

  response rotate_ingest(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::owner, err);
    if (!p) return err;
    auto r = d_.auth.rotate_ingest(p->workspace);
    if (!r) return fail(ctx, r.error());
    json::object o{{"ingestToken", r->first}, {"ingestSecret", r->second}};
    if (auto c = d_.auth.ingest_credentials_of(p->workspace)) ingest_times(o, *c);
    return json_response(ctx, status::ok, o);
  }

  static void ingest_times(json::object& o, const app::ingest_credentials& c) {
    o["rotatedAt"] = time_json(c.rotated_at);
    o["previousValidUntil"] =
        c.previous_valid_until ? json::value(time_json(c.previous_valid_until)) : nullptr;
  }

  // The workspace's ingestion token and secret, read again (sealed at rest with the server key),
  // and until when the pair a rotation replaced keeps working.
  response ingest_token(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::admin, err);
    if (!p) return err;
    auto c = d_.auth.ingest_credentials_of(p->workspace);
    if (!c) return fail(ctx, c.error());
    json::object o{{"ingestToken", c->token}, {"ingestSecret", c->secret}};
    ingest_times(o, *c);
    return json_response(ctx, status::ok, o);
  }

  response aws_accounts(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::viewer, err);
    if (!p) return err;
    auto r = d_.auth.aws_accounts(p->workspace);
    if (!r) return fail(ctx, r.error());
    json::array a;
    for (const auto& id : *r) a.push_back(json::value(id));
    return json_response(ctx, status::ok, {{"accounts", std::move(a)}});
  }

  response connect_aws_account(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::admin, err);
    if (!p) return err;
    auto body = body_object(ctx, err);
    if (!body) return err;
    const auto id = str_field(*body, "accountId");
    if (!id)
      return error_response(ctx, "validation.account", "send {\"accountId\": \"123456789012\"}");
    if (auto r = d_.auth.connect_aws_account(p->workspace, *id); !r) return fail(ctx, r.error());
    return json_response(ctx, status::created, {{"accountId", *id}});
  }

  static json::value time_or_null(std::int64_t ms) {
    return ms ? json::value(time_json(ms)) : json::value(nullptr);
  }
  response api_keys(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::admin, err);
    if (!p) return err;
    auto r = d_.auth.api_keys(p->workspace);
    if (!r) return fail(ctx, r.error());
    json::array a;
    for (const auto& k : *r)
      a.push_back({{"id", k.id},
                   {"name", k.name},
                   {"role", k.role},
                   {"scope", k.scope},
                   {"accessKeyId",
                    k.access_key_id.empty() ? json::value(nullptr) : json::value(k.access_key_id)},
                   {"createdAt", time_json(k.created_at)},
                   {"expiresAt", time_or_null(k.expires_at)},
                   {"lastUsedAt", time_or_null(k.last_used_at)},
                   {"revokedAt", time_or_null(k.revoked_at)}});
    return json_response(ctx, status::ok, {{"keys", std::move(a)}});
  }

  // {"name", "scope": send|read|admin, "role", "expiresAt": ISO 8601}. Without a role, a send
  // key is an admin (sending needs it), a read key a viewer, an admin-scope key a viewer (the
  // default before scopes existed).
  response create_api_key(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::admin, err);
    if (!p) return err;
    auto body = body_object(ctx, err);
    if (!body) return err;
    app::api_key_spec spec;
    const auto scope = app::parse_scope(str_field(*body, "scope").value_or("admin"));
    if (!scope) return error_response(ctx, "validation.scope", "scope: send, read or admin");
    spec.scope = *scope;
    const auto default_role = *scope == app::key_scope::send ? "admin" : "viewer";
    const auto r = app::parse_role(str_field(*body, "role").value_or(default_role));
    if (!r) return error_response(ctx, "validation.role", "role: owner, admin or viewer");
    if (!p->allows(*r))
      return error_response(ctx, code::forbidden, "cannot grant a role above your own");
    spec.access = *r;
    spec.name = str_field(*body, "name").value_or("");
    if (spec.name.size() > 200) return error_response(ctx, "validation.name", "name too long");
    if (const auto* e = body->if_contains("expiresAt"); e && !e->is_null()) {
      const auto t = e->is_string() ? sesami::detail::parse_iso8601(e->get_string())
                                    : std::optional<std::int64_t>{};
      if (!t || *t <= app::now_ms())
        return error_response(ctx, "validation.expiresAt",
                              "expiresAt: an ISO 8601 time in the future, or null");
      spec.expires_at = *t;
    }
    auto k = d_.auth.create_api_key(p->workspace, spec);
    if (!k) return fail(ctx, k.error());
    return json_response(
        ctx, status::created,
        {{"id", k->id},
         {"key", k->key},
         {"role", app::to_string(*r)},
         {"scope", app::to_string(spec.scope)},
         {"expiresAt", time_or_null(spec.expires_at)},
         {"accessKeyId",
          k->access_key_id.empty() ? json::value(nullptr) : json::value(k->access_key_id)},
         {"secretAccessKey", k->secret_access_key.empty() ? json::value(nullptr)
                                                          : json::value(k->secret_access_key)}});
  }

  // Revoking keeps the key listed (revokedAt) and refuses it from now on.
  response delete_api_key(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::admin, err);
    if (!p) return err;
    auto r = d_.auth.revoke_api_key(p->workspace, ctx.param("id"));
    if (!r) return fail(ctx, r.error());
    if (!*r) return error_response(ctx, code::not_found, "no such API key (or revoked already)");
    return no_content(ctx);
  }

  response topic_call(context& ctx, topic_op op) {
    response err;
    auto p = authenticate(ctx, topic_op_writes(op) ? role::admin : role::viewer, err);
    if (!p) return err;
    if (!d_.topics)
      return error_response(ctx, code::shutting_down, "topics are not available in this process");
    return topic_route(ctx, *d_.topics, p->workspace, op);
  }

  response webhook(context& ctx, webhook_op op) {
    response err;
    auto p = authenticate(ctx, role::admin, err);
    if (!p) return err;
    if (!d_.webhooks)
      return error_response(ctx, code::shutting_down, "webhooks are not available in this process");
    return webhook_route(ctx, *d_.webhooks, p->workspace, op);
  }

  response guard(context& ctx, guard_op op) {
    response err;
    auto p = authenticate(ctx, guard_role(op), err);
    if (!p) return err;
    if (!d_.guard || !d_.alerts)
      return error_response(ctx, code::shutting_down,
                            "the reputation guard is not available in this process");
    // Who resumed, for the record: the person's address, or the API key's id.
    std::string who = p->key_id.empty() ? p->user_id : "api key " + p->key_id;
    if (!p->user_id.empty())
      if (auto u = d_.accounts.user_by_id(p->user_id); u && *u) who = (*u)->email;
    return guard_route(ctx, *d_.guard, *d_.alerts, p->workspace, who, op);
  }

  // A viewer reads the sources and findings; setting a silence window is an admin's.
  response health_sources(context& ctx, health_op op) {
    response err;
    auto p = authenticate(ctx, op == health_op::list ? role::viewer : role::admin, err);
    if (!p) return err;
    if (!d_.health)
      return error_response(ctx, code::shutting_down,
                            "pipeline health is not available in this process");
    app::delivery_path path;
    if (d_.aws && op == health_op::list)
      if (auto c = d_.aws->get(p->workspace); c && c->connected())
        path = {c->mode.empty() ? "sqs" : c->mode, c->queue_url, c->configuration_set};
    return health_sources_route(ctx, *d_.health, p->workspace, path, op);
  }

  response email_template(context& ctx, template_op op) {
    response err;
    const bool writes =
        op == template_op::create || op == template_op::replace || op == template_op::remove;
    auto p = authenticate(ctx, writes ? role::admin : role::viewer, err);
    if (!p) return err;
    if (!d_.templates)
      return error_response(ctx, code::shutting_down,
                            "templates are not available in this process");
    return template_route(ctx, *d_.templates, p->workspace, op);
  }

  // ---- members and invitations (docs/security.md, section 3) ----
  static json::object invitation_json(const store::invitation_row& i) {
    return {{"id", i.id},
            {"email", i.email},
            {"role", i.role},
            {"status", "invited"},
            {"invitedAt", time_json(i.created_at)},
            {"expiresAt", time_json(i.expires_at)}};
  }

  response users(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::admin, err);
    if (!p) return err;
    auto ms = d_.accounts.members_of(p->workspace);
    if (!ms) return fail_store(ctx, ms.error());
    json::array a;
    for (const auto& m : *ms) {
      auto u = d_.accounts.user_by_id(m.user_id);
      if (!u) return fail_store(ctx, u.error());
      a.push_back({{"id", m.user_id},
                   {"email", *u ? json::value((*u)->email) : json::value(nullptr)},
                   {"role", m.role},
                   {"status", "active"}});
    }
    auto inv = d_.accounts.invitations_of(p->workspace);
    if (!inv) return fail_store(ctx, inv.error());
    const auto now = app::now_ms();
    for (const auto& i : *inv)
      if (i.expires_at > now) a.push_back(invitation_json(i));
    return json_response(ctx, status::ok, {{"users", std::move(a)}});
  }

  // Adding someone is always an invitation, answered alike whether or not the email has an
  // account: the account accepts after signing in, a new person redeems the token.
  response add_user(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::admin, err);
    if (!p) return err;
    auto body = body_object(ctx, err);
    if (!body) return err;
    const auto email = str_field(*body, "email");
    if (!email) return error_response(ctx, "validation.user", "send {\"email\", \"role\"}");
    if (body->contains("password"))
      return error_response(ctx, "validation.user",
                            "an inviter sets no password: the invitation's token lets the person "
                            "choose one (POST /invitations/redeem)");
    const auto r = app::parse_role(str_field(*body, "role").value_or("viewer"));
    if (!r) return error_response(ctx, "validation.role", "role: owner, admin or viewer");
    if (!p->allows(*r))
      return error_response(ctx, code::forbidden, "cannot grant a role above your own");
    auto inv = d_.auth.invite(*p, *email, *r);
    if (!inv) return fail(ctx, inv.error());
    return json_response(
        ctx, status::created,
        {{"status", "invited"}, {"invitation", invitation_json(inv->row)}, {"token", inv->token}});
  }

  response change_user(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::admin, err);
    if (!p) return err;
    auto body = body_object(ctx, err);
    if (!body) return err;
    const auto r = app::parse_role(str_field(*body, "role").value_or(""));
    if (!r)
      return error_response(ctx, "validation.role", "send {\"role\": owner, admin or viewer}");
    auto done = d_.auth.change_role(*p, ctx.param("id"), *r);
    if (!done) return fail(ctx, done.error());
    return json_response(ctx, status::ok,
                         {{"id", ctx.param("id")}, {"role", app::to_string(*done)}});
  }

  response remove_user(context& ctx) {
    response err;
    auto p = authenticate(ctx, role::admin, err);
    if (!p) return err;
    if (auto r = d_.auth.remove_member(*p, ctx.param("id")); !r) return fail(ctx, r.error());
    return no_content(ctx);
  }

  response invitations(context& ctx) {
    response err;
    auto u = signed_in_user(ctx, err);
    if (!u) return err;
    auto list = d_.auth.invitations_for(u->user_id);
    if (!list) return fail(ctx, list.error());
    json::array a;
    for (const auto& i : *list)
      a.push_back({{"id", i.row.id},
                   {"workspace", i.row.workspace},
                   {"workspaceName", i.workspace_name},
                   {"role", i.row.role},
                   {"invitedAt", time_json(i.row.created_at)},
                   {"expiresAt", time_json(i.row.expires_at)}});
    return json_response(ctx, status::ok, {{"invitations", std::move(a)}});
  }

  response accept_invitation(context& ctx) {
    response err;
    auto u = signed_in_user(ctx, err);
    if (!u) return err;
    auto m = d_.auth.accept_invitation(u->user_id, ctx.param("id"));
    if (!m) return fail(ctx, m.error());
    return json_response(ctx, status::ok, {{"workspace", m->workspace}, {"role", m->role}});
  }

  response decline_invitation(context& ctx) {
    response err;
    auto u = signed_in_user(ctx, err);
    if (!u) return err;
    if (auto r = d_.auth.decline_invitation(u->user_id, ctx.param("id")); !r)
      return fail(ctx, r.error());
    return no_content(ctx);
  }

  // No credential but the invitation's one-time token (and, for an existing account, its
  // password): a sign-in, throttled like one.
  response redeem_invitation(context& ctx) {
    response err;
    auto body = body_object(ctx, err);
    if (!body) return err;
    const auto token = str_field(*body, "token"), password = str_field(*body, "password");
    if (!token || !password)
      return error_response(ctx, "validation.invitation",
                            "send {\"token\": ..., \"password\": ...}");
    if (!opt_.password_login) return password_login_off(ctx);
    auto r = d_.auth.redeem_invitation(*token, *password, ctx.remote);
    if (!r) return password_refusal(ctx, r.error());
    return signed_in(ctx, *r);
  }

  api_deps& d_;
  api_options opt_;
};
}  // namespace

void add_api_routes(router& r, api_deps& deps, const api_options& opt) {
  std::make_shared<api>(deps, opt)->add(r);
  add_ses_api_routes(r, deps, opt.ses);  // SES's own protocol on the same listener (issue #22)
  add_sign_in_routes(r, deps, opt);      // GET /auth/config and OpenID Connect (oidc_routes.cpp)
}

void add_private_metrics_route(router& r, api_deps& deps) {
  r.add(verb::get, "/metrics", [a = std::make_shared<api>(deps, api_options{})](context& c) {
    return a->metrics_open(c);
  });
}

}  // namespace sesami::http
