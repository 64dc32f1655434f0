// Sign-in routes beside the password ones: GET /auth/config tells the dashboard which ways in
// exist; GET /auth/oidc/login and GET /auth/oidc/callback are the browser's round trip through the
// OpenID provider (app/oidc.hpp). Both are top-level navigations, so they answer with redirects:
// to the provider, then back into the dashboard signed in, or to its sign-in page with the
// refusal's code (?signin_error=oidc.bad_state); the detail goes to the log, not to the browser.
#include <boost/beast/http/field.hpp>

#include "../app/oidc_sign_in.hpp"
#include "api.hpp"
#include "cookies.hpp"
#include "log.hpp"

namespace sesami::http {
namespace {
using bhttp::status;
using bhttp::verb;
namespace json = boost::json;

constexpr std::string_view state_cookie = "sesami_oidc";

// The state cookie rides along on the provider's redirect back to us, a cross-site top-level GET:
// SameSite=Lax (Strict would not be sent), HttpOnly, only under /auth/oidc, for the sign-in's
// lifetime.
std::string state_set_cookie(std::string_view value, bool secure, long long max_age_s) {
  return std::string(state_cookie) + "=" + std::string(value) + "; Path=/auth/oidc; HttpOnly; " +
         (secure ? "Secure; " : "") + "SameSite=Lax; Max-Age=" + std::to_string(max_age_s);
}

response redirect(const context& ctx, const std::string& location) {
  response res{status::found, ctx.req.version()};
  res.set(bhttp::field::location, location);
  res.set(bhttp::field::cache_control, "no-store");
  res.set("X-Request-Id", ctx.request_id);
  res.keep_alive(ctx.req.keep_alive());
  res.prepare_payload();
  return res;
}

class sign_in_routes {
 public:
  sign_in_routes(api_deps& d, const api_options& o) : d_(d), opt_(o) {}

  response config(context& ctx) {
    json::value oidc = nullptr;
    if (d_.oidc)
      oidc = json::object{{"name", d_.oidc->options().provider_name},
                          {"loginUrl", "/auth/oidc/login"}};
    return json_response(ctx, status::ok,
                         {{"passwordLogin", opt_.password_login}, {"oidc", std::move(oidc)}});
  }

  response login(context& ctx) {
    if (!d_.oidc)
      return error_response(ctx, code::not_found,
                            "OpenID Connect is not configured on this server (--oidc-issuer)");
    const auto* ret = ctx.query_one("return");
    auto s = d_.oidc->begin(ret ? *ret : "/");
    if (!s) return refused(ctx, s.error());
    auto res = redirect(ctx, s->authorize_url);
    res.set(
        bhttp::field::set_cookie,
        state_set_cookie(s->cookie, secure(ctx), d_.oidc->options().state_lifetime.count() / 1000));
    return res;
  }

  response callback(context& ctx) {
    if (!d_.oidc)
      return error_response(ctx, code::not_found,
                            "OpenID Connect is not configured on this server (--oidc-issuer)");
    const auto cookie = cookie_value(ctx.header("Cookie"), state_cookie);
    if (const auto* e = ctx.query_one("error")) {  // the provider refused (or the person cancelled)
      const auto* desc = ctx.query_one("error_description");
      return refused(ctx, {"oidc.provider_refused",
                           "the provider answered " + *e + (desc ? ": " + *desc : "")});
    }
    const auto* code = ctx.query_one("code");
    const auto* state = ctx.query_one("state");
    auto id = d_.oidc->finish(code ? *code : "", state ? *state : "", cookie);
    if (!id) return refused(ctx, id.error());
    auto r = app::oidc_sign_in(d_.auth, d_.accounts, d_.store, *id);
    if (!r) return refused(ctx, r.error());
    log::info("signed in with OpenID Connect",
              {{"requestId", ctx.request_id}, {"user", r->user_id}, {"subject", id->subject}});
    auto res = redirect(ctx, id->return_to);
    res.insert(bhttp::field::set_cookie, state_set_cookie("", secure(ctx), 0));
    res.insert(bhttp::field::set_cookie, session_set_cookie(session_cookie, r->session, secure(ctx),
                                                            app::auth::session_lifetime_ms / 1000));
    return res;
  }

 private:
  bool secure(const context& ctx) const { return secure_cookie(ctx, opt_.public_url); }

  // Back to the dashboard's sign-in page with the refusal's code; the state cookie is spent.
  response refused(const context& ctx, const app::failure& f) {
    log::warn("OpenID Connect sign-in refused",
              {{"requestId", ctx.request_id}, {"code", f.code}, {"reason", f.message}});
    auto res = redirect(ctx, "/?signin_error=" + f.code);
    res.set(bhttp::field::set_cookie, state_set_cookie("", secure(ctx), 0));
    return res;
  }

  api_deps& d_;
  api_options opt_;
};
}  // namespace

void add_sign_in_routes(router& r, api_deps& deps, const api_options& opt) {
  auto s = std::make_shared<sign_in_routes>(deps, opt);
  r.add(verb::get, "/auth/config", [s](context& c) { return s->config(c); });
  r.add(verb::get, "/auth/oidc/login", [s](context& c) { return s->login(c); });
  r.add(verb::get, "/auth/oidc/callback", [s](context& c) { return s->callback(c); });
}

}  // namespace sesami::http
