// The unsubscribe link's page (see preference_page.hpp). Server-rendered HTML without scripts, so
// that it works in every browser and its CSP can forbid everything but its own forms.
//
// Forgery: the token's MAC covers workspace, address and topic (app/mail.cpp), so a link opens
// one address's preferences and nothing else; the address is never read from the form. The forms
// that change choices carry a second MAC (the form token, derived from the link) and are refused
// from another origin (Origin / Sec-Fetch-Site), so another site cannot re-subscribe someone
// whose link it learned. The RFC 8058 one-click POST needs neither: mail providers send it from
// their servers, and all it can do is what the link itself grants — unsubscribe.
#include "preference_page.hpp"

#include <map>

#include "log.hpp"
#include "url.hpp"

namespace sesami::http {
namespace {
using bhttp::status;

std::string esc(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

response page(const context& ctx, status st, std::string_view title, std::string_view inner) {
  response res{st, ctx.req.version()};
  res.set(bhttp::field::content_type, "text/html; charset=utf-8");
  res.set(bhttp::field::cache_control, "no-store");
  // same-origin (not no-referrer): the page's own form posts then carry a real Origin header,
  // which the POST checks; other sites still learn nothing of the link.
  res.set("Referrer-Policy", "same-origin");
  res.set("Content-Security-Policy",
          "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
          "frame-ancestors 'none'; base-uri 'none'");
  res.set("X-Frame-Options", "DENY");
  res.set("X-Request-Id", ctx.request_id);
  std::string body =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width, initial-scale=1\"><title>";
  body += esc(title);
  body +=
      "</title><style>body{font:1.05rem/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem "
      "auto;padding:0 1rem}button{font:inherit;padding:.5rem 1.1rem;margin-top:.5rem}"
      "fieldset{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem}label{display:block;"
      "margin:.4rem 0}.note{background:#eef6ee;padding:.5rem 1rem;border-radius:6px}"
      ".muted{color:#555;font-size:.95rem}</style></head><body><main>";
  body += inner;
  body += "</main></body></html>";
  res.body() = std::move(body);
  res.keep_alive(ctx.req.keep_alive());
  res.prepare_payload();
  return res;
}

response bad_link(const context& ctx) {
  return page(ctx, status::bad_request, "Link not valid",
              "<h1>This link is not valid</h1><p>It may have been altered. Use the "
              "unsubscribe link of the message itself.</p>");
}

std::string topic_label(const app::topic_standing& t) {
  return "<strong>" + esc(t.topic) + "</strong>" +
         (t.description.empty() ? ""
                                : " <span class=\"muted\">— " + esc(t.description) + "</span>");
}

// The page for the link's address: what it may change, and (after a POST) what just happened.
response render(const context& ctx, const preference_deps& d,
                const app::mailer::unsubscribe_target& t, std::string_view notice) {
  const std::string token = ctx.param("token");
  std::string h = "<h1>Email preferences</h1><p>For <strong>" + esc(t.address) + "</strong></p>";
  if (!notice.empty()) h += "<p class=\"note\" role=\"status\">" + esc(notice) + "</p>";
  std::optional<app::contact_view> v;
  if (d.topics) {
    auto s = d.topics->standing(t.workspace, t.address);
    if (s) v = std::move(*s);
  }
  std::optional<std::string> suppressed;
  if (v) {
    suppressed = v->suppressed;
  } else if (auto s = d.store.find_suppression(t.workspace, t.address); s && *s) {
    suppressed = (*s)->reason;
  }
  const std::string form = d.mail.form_token(token);
  const std::string form_fields =
      "<input type=\"hidden\" name=\"form\" value=\"" + esc(form) + "\">";
  if (suppressed && *suppressed == "unsubscribe") {
    h += "<p>You unsubscribed from all mail from this sender.</p><form method=\"post\">" +
         form_fields +
         "<input type=\"hidden\" name=\"action\" value=\"resubscribe\"><button type=\"submit\" "
         "name=\"resubscribe\">Receive mail again</button></form>";
  } else if (suppressed) {
    h += "<p>Mail to this address is stopped (" + esc(*suppressed) +
         "). Contact the sender to receive mail again.</p>";
  } else {
    // The link's own one-click unsubscribe, as a mail client would send it.
    std::string what = "all mail from this sender";
    if (!t.topic.empty()) {
      what = "<strong>" + esc(t.topic) + "</strong>";
      if (v)
        for (const auto& s : v->topics)
          if (s.topic == t.topic && !s.subscribed) what.clear();
    }
    if (!what.empty())
      h += "<form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" "
           "value=\"One-Click\"><p>Unsubscribe from " +
           what + "?</p><button type=\"submit\" name=\"one-click\">Unsubscribe</button></form>";
    else
      h += "<p>You no longer receive <strong>" + esc(t.topic) + "</strong>.</p>";
  }
  if (v && !v->topics.empty()) {
    h += "<form method=\"post\"><fieldset><legend>Topics you receive</legend>" + form_fields +
         "<input type=\"hidden\" name=\"action\" value=\"save\">";
    for (const auto& s : v->topics) {
      h += "<input type=\"hidden\" name=\"shown\" value=\"" + esc(s.topic) + "\"><label>" +
           "<input type=\"checkbox\" name=\"topic\" value=\"" + esc(s.topic) + "\"" +
           (s.subscribed ? " checked" : "") + "> " + topic_label(s) + "</label>";
    }
    h += "<button type=\"submit\" name=\"save\">Save preferences</button></fieldset></form>";
    if (!suppressed)
      h += "<p class=\"muted\">Receipts and other messages you need (not on a topic) still "
           "arrive.</p>";
  }
  return page(ctx, status::ok, "Email preferences", h);
}

// This server's origin(s): --public-url's, and the one the request was addressed to.
bool same_origin(const context& ctx, const std::string& public_url, std::string_view origin) {
  if (!public_url.empty()) {
    const auto scheme_end = public_url.find("://");
    const auto path =
        scheme_end == std::string::npos ? std::string::npos : public_url.find('/', scheme_end + 3);
    if (origin == std::string_view(public_url).substr(0, path)) return true;
  }
  const auto host = ctx.header("Host");
  if (host.empty()) return false;
  for (std::string_view scheme : {"http://", "https://"})
    if (origin.size() == scheme.size() + host.size() && origin.starts_with(scheme) &&
        origin.substr(scheme.size()) == host)
      return true;
  return false;
}

}  // namespace

response preference_page_get(context& ctx, const preference_deps& d) {
  auto t = d.mail.check_token(ctx.param("token"));
  if (!t) return bad_link(ctx);
  return render(ctx, d, *t, {});
}

response preference_page_post(context& ctx, const preference_deps& d) {
  auto t = d.mail.check_token(ctx.param("token"));
  if (!t) return error_response(ctx, t.error().code, t.error().message);
  const std::string& body = ctx.req.body();
  // RFC 8058: the body is "List-Unsubscribe=One-Click" (form-encoded, from a mail client or
  // from the page's button).
  if (body.find("List-Unsubscribe=One-Click") != std::string::npos) {
    auto u = d.mail.unsubscribe(ctx.param("token"));
    if (!u) return error_response(ctx, u.error().code, u.error().message);
    log::info("unsubscribed",
              {{"requestId", ctx.request_id}, {"workspace", u->workspace}, {"topic", u->topic}});
    return render(ctx, d, *u,
                  u->topic.empty() ? "You are unsubscribed: no more mail will be sent to you."
                                   : "You are unsubscribed from " + u->topic + ".");
  }
  // The page's forms (which can re-subscribe) are refused from another site whatever they carry
  // (a page of ours sends this origin). The one-click above needs no such check: mail providers
  // post it from anywhere, and all it can do is what the link grants.
  const auto site = ctx.header("Sec-Fetch-Site");
  const auto origin = ctx.header("Origin");
  if (site == "cross-site" || (!origin.empty() && !same_origin(ctx, d.public_url, origin)))
    return error_response(ctx, "unsubscribe.foreign_origin",
                          "this form may only be sent from its own page");
  auto fields = parse_query(body);
  if (!fields)
    return error_response(ctx, "validation.body",
                          "send List-Unsubscribe=One-Click (RFC 8058) or the page's form");
  std::string form, action;
  std::map<std::string, bool> choices;
  for (const auto& [k, v] : *fields) {
    if (k == "form") form = v;
    if (k == "action") action = v;
    if (k == "shown" && app::valid_topic_name(v)) choices.emplace(v, false);
  }
  for (const auto& [k, v] : *fields)
    if (k == "topic" && choices.count(v)) choices[v] = true;
  if (form.empty() && action.empty())  // neither RFC 8058 nor the page's forms
    return error_response(ctx, "validation.body",
                          "send List-Unsubscribe=One-Click (RFC 8058) or the page's form");
  if (!d.mail.check_form_token(ctx.param("token"), form))
    return error_response(ctx, "unsubscribe.bad_form",
                          "this form is not from this link's page: open the link again");
  if (action == "save") {
    if (!d.topics) return error_response(ctx, code::shutting_down, "topics are not available");
    if (auto r = d.topics->choose(t->workspace, t->address, choices); !r)
      return error_response(ctx, r.error().code, r.error().message);
    log::info("preferences saved", {{"requestId", ctx.request_id}, {"workspace", t->workspace}});
    return render(ctx, d, *t, "Your preferences are saved.");
  }
  if (action == "resubscribe") {
    // Only the recipient's own "stop everything" is undone here; a bounce or a complaint stays.
    auto s = d.store.find_suppression(t->workspace, t->address);
    if (!s) return error_response(ctx, std::string(s.error().id()), s.error().message);
    if (*s && (*s)->reason == "unsubscribe") {
      if (auto r = d.store.remove_suppression(t->workspace, t->address); !r)
        return error_response(ctx, std::string(r.error().id()), r.error().message);
      log::info("resubscribed", {{"requestId", ctx.request_id}, {"workspace", t->workspace}});
      return render(ctx, d, *t, "Welcome back: you receive mail again.");
    }
    return render(ctx, d, *t, {});
  }
  return error_response(ctx, "validation.action", "action: save or resubscribe");
}

}  // namespace sesami::http
