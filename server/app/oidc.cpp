#include "oidc.hpp"

#include <cstring>

#include <sodium.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "../aws/outbound_url.hpp"
#include "../aws/sigv4.hpp"  // uri_encode
#include "base64.hpp"
#include "import.hpp"  // now_ms
#include "jwt.hpp"

namespace sesami::app {
namespace json = boost::json;
namespace {
constexpr std::string_view state_ad = "sesami.oidc.state-cookie";

failure fail(std::string_view code, std::string message) {
  return {std::string(code), std::move(message)};
}
failure from_jwt(const jwt_refusal& r) { return {r.code, r.message}; }

std::string_view str(const json::object& o, std::string_view k) {
  if (const auto* v = o.if_contains(k); v && v->is_string()) return v->get_string();
  return {};
}

// A path on this server: "/x" but never "//host" or "/\host" (an open redirect elsewhere).
std::string local_path(std::string_view p) {
  if (p.empty() || p.front() != '/' || p.size() > 512 ||
      (p.size() > 1 && (p[1] == '/' || p[1] == '\\')))
    return "/";
  for (char c : p)
    if (static_cast<unsigned char>(c) < 0x21 || c == '\\' || static_cast<unsigned char>(c) >= 0x7f)
      return "/";
  return std::string(p);
}

std::string form(std::initializer_list<std::pair<std::string_view, std::string_view>> kv) {
  std::string out;
  for (const auto& [k, v] : kv) {
    if (!out.empty()) out += '&';
    out += aws::uri_encode(k);
    out += '=';
    out += aws::uri_encode(v);
  }
  return out;
}
}  // namespace

oidc_client::oidc_client(oidc_options o, aws::http_client& http, const secret_box& box)
    : opt_(std::move(o)), http_(http), box_(box) {}

void oidc_client::set_redirect_url(std::string url) {
  std::lock_guard lock(mu_);
  opt_.redirect_url = std::move(url);
}

std::string oidc_client::redirect_url() {
  std::lock_guard lock(mu_);
  return opt_.redirect_url;
}

std::uint64_t oidc_client::jwks_fetches() const noexcept {
  return fetches_.load(std::memory_order_relaxed);
}

outcome<json::object> oidc_client::get_json(const std::string& url) {
  aws::http_request req;
  req.url = url;
  req.headers.push_back({"Accept", "application/json"});
  req.policy = opt_.policy;
  auto r = http_.perform(req);
  if (!r) return fail("oidc.unavailable", url + ": " + r.error().message);
  if (r->status != 200)
    return fail("oidc.unavailable", url + " answered HTTP " + std::to_string(r->status));
  boost::system::error_code ec;
  auto v = json::parse(r->body, ec);
  if (ec || !v.is_object()) return fail("oidc.unavailable", url + " did not answer a JSON object");
  return std::move(v.as_object());
}

outcome<oidc_client::discovery> oidc_client::discover() {
  {
    std::lock_guard lock(mu_);
    if (disc_) return *disc_;
  }
  auto base = opt_.issuer;
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto doc = get_json(base + "/.well-known/openid-configuration");
  if (!doc) return doc.error();
  // OpenID Connect Discovery 4.3: the document's issuer is exactly the configured one.
  if (str(*doc, "issuer") != opt_.issuer)
    return fail("oidc.unavailable", "the discovery document names issuer '" +
                                        std::string(str(*doc, "issuer")) + "', not '" +
                                        opt_.issuer + "'");
  discovery d;
  d.authorization_endpoint = std::string(str(*doc, "authorization_endpoint"));
  d.token_endpoint = std::string(str(*doc, "token_endpoint"));
  d.jwks_uri = std::string(str(*doc, "jwks_uri"));
  for (const auto* u : {&d.authorization_endpoint, &d.token_endpoint, &d.jwks_uri})
    if (auto t = aws::parse_outbound_url(*u); !t)
      return fail("oidc.unavailable", "discovery document: '" + *u + "': " + t.error().message);
  if (const auto* m = doc->if_contains("token_endpoint_auth_methods_supported");
      m && m->is_array()) {
    bool basic = false, post = false;
    for (const auto& x : m->get_array()) {
      if (x.is_string() && x.get_string() == "client_secret_basic") basic = true;
      if (x.is_string() && x.get_string() == "client_secret_post") post = true;
    }
    d.post_secret = !basic && post;
  }
  std::lock_guard lock(mu_);
  disc_ = d;
  return d;
}

outcome<json::array> oidc_client::keys_for(std::string_view alg, std::string_view kid) {
  std::lock_guard lock(keys_mu_);
  const auto now = std::chrono::steady_clock::now();
  const bool stale = !have_keys_ || now - keys_at_ >= opt_.jwks_max_age;
  // A key we do not know: the issuer may have rotated. Re-read, but not more often than
  // jwks_min_refresh, so tokens naming made-up kids cannot make us hammer the issuer.
  const bool unknown =
      have_keys_ && !jwks_has_key(keys_, alg, kid) && now - keys_at_ >= opt_.jwks_min_refresh;
  if (stale || unknown) {
    auto d = discover();
    if (!d) return d.error();
    auto doc = get_json(d->jwks_uri);
    fetches_.fetch_add(1, std::memory_order_relaxed);
    if (doc) {
      const auto* k = doc->if_contains("keys");
      if (!k || !k->is_array()) return fail("oidc.unavailable", "the JWKS has no \"keys\" array");
      keys_ = k->get_array();
      keys_at_ = now;
      have_keys_ = true;
    } else if (!have_keys_) {
      return doc.error();
    }  // else: keep the keys we have; the next unknown kid tries again after the interval
  }
  return keys_;
}

outcome<oidc_start> oidc_client::begin(std::string_view return_to) {
  auto d = discover();
  if (!d) return d.error();
  const auto state = auth::random_token(), nonce = auth::random_token();
  const auto verifier = auth::random_token(32);  // 43 characters of [A-Za-z0-9_-] (RFC 7636)
  const auto challenge = base64url_encode(auth::sha256(verifier));
  json::object c{{"s", state},
                 {"n", nonce},
                 {"v", verifier},
                 {"r", local_path(return_to)},
                 {"e", now_ms() + opt_.state_lifetime.count()}};
  oidc_start out;
  out.cookie = box_.seal_text(json::serialize(c), state_ad);
  const auto sep = d->authorization_endpoint.find('?') == std::string::npos ? '?' : '&';
  out.authorize_url = d->authorization_endpoint + sep +
                      form({{"response_type", "code"},
                            {"client_id", opt_.client_id},
                            {"redirect_uri", redirect_url()},
                            {"scope", "openid email"},
                            {"state", state},
                            {"nonce", nonce},
                            {"code_challenge", challenge},
                            {"code_challenge_method", "S256"}});
  return out;
}

bool oidc_client::consume_state(const std::string& state, std::int64_t expires_ms) {
  std::lock_guard lock(mu_);
  const auto now = now_ms();
  std::erase_if(used_states_, [now](const auto& kv) { return kv.second <= now; });
  return used_states_.emplace(state, expires_ms).second;
}

outcome<std::string> oidc_client::redeem(const discovery& d, std::string_view code,
                                         std::string_view verifier) {
  aws::http_request req;
  req.method = "POST";
  req.url = d.token_endpoint;
  req.policy = opt_.policy;
  req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
  req.headers.push_back({"Accept", "application/json"});
  req.body = form({{"grant_type", "authorization_code"},
                   {"code", code},
                   {"redirect_uri", redirect_url()},
                   {"code_verifier", verifier},
                   {"client_id", opt_.client_id}});
  if (!opt_.client_secret.empty()) {
    if (d.post_secret) {
      req.body += "&" + form({{"client_secret", opt_.client_secret}});
    } else {  // RFC 6749 2.3.1: each part form-encoded, then Basic
      const auto creds =
          aws::uri_encode(opt_.client_id) + ":" + aws::uri_encode(opt_.client_secret);
      req.headers.push_back({"Authorization", "Basic " + base64_encode(creds)});
    }
  }
  auto r = http_.perform(req);
  if (!r) return fail("oidc.unavailable", "token endpoint: " + r.error().message);
  boost::system::error_code ec;
  auto v = json::parse(r->body, ec);
  const auto* o = ec ? nullptr : v.if_object();
  if (r->status != 200 || !o) {
    const auto why =
        o ? std::string(str(*o, "error")) + " " + std::string(str(*o, "error_description"))
          : "HTTP " + std::to_string(r->status);
    return fail("oidc.token_refused", "the token endpoint refused the code: " + why);
  }
  const auto id_token = str(*o, "id_token");
  if (id_token.empty()) return fail("oidc.bad_token", "the token endpoint sent no id_token");
  return std::string(id_token);
}

outcome<oidc_identity> oidc_client::finish(std::string_view code, std::string_view state,
                                           std::string_view cookie) {
  // 1. This browser started this sign-in, recently, and it has not finished before.
  auto plain = cookie.empty() ? std::nullopt : box_.open_text(cookie, state_ad);
  boost::system::error_code ec;
  json::value c = plain ? json::parse(*plain, ec) : json::value();
  const auto* o = plain && !ec ? c.if_object() : nullptr;
  if (!o) return fail("oidc.bad_state", "no sign-in was started in this browser (or it expired)");
  const auto* e = o->if_contains("e");
  const std::int64_t expires = e && e->is_int64() ? e->get_int64() : 0;
  if (expires <= now_ms()) return fail("oidc.bad_state", "the sign-in took too long; start again");
  const std::string want(str(*o, "s"));
  if (state.empty() || !auth::equal_secret(state, want))
    return fail("oidc.bad_state", "the state does not match the sign-in this browser started");
  if (!consume_state(want, expires))
    return fail("oidc.bad_state", "this sign-in was finished already");
  if (code.empty()) return fail("oidc.bad_state", "the callback has no code");

  // 2. The code becomes an ID token at the issuer's token endpoint (with the PKCE verifier).
  auto d = discover();
  if (!d) return d.error();
  auto token = redeem(*d, code, str(*o, "v"));
  if (!token) return token.error();

  // 3. The token's signature, against the issuer's keys, then its claims.
  auto t = parse_jws(*token);
  if (!t) return from_jwt(t.error());
  if (t->alg != "RS256" && t->alg != "ES256")
    return fail("oidc.bad_alg", "ID token algorithm '" + t->alg + "' (RS256 or ES256 only)");
  auto keys = keys_for(t->alg, t->kid);
  if (!keys) return keys.error();
  if (auto v = verify_jws(*t, *keys); !v) return from_jwt(v.error());
  id_token_expect x{opt_.issuer, opt_.client_id, std::string(str(*o, "n")), now_ms() / 1000};
  if (auto v = check_id_token_claims(t->claims, x); !v) return from_jwt(v.error());

  // 4. Who it is: a verified email address.
  const auto* ev = t->claims.if_contains("email_verified");
  const bool verified =
      ev && ((ev->is_bool() && ev->get_bool()) || (ev->is_string() && ev->get_string() == "true"));
  std::string email(str(t->claims, "email"));
  for (auto& ch : email)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  if (!valid_email(email))
    return fail("oidc.no_email", "the ID token has no email address (ask for the email scope)");
  if (!verified) return fail("oidc.email_unverified", "the issuer has not verified " + email);
  oidc_identity id;
  id.subject = std::string(str(t->claims, "sub"));
  id.email = std::move(email);
  id.return_to = local_path(str(*o, "r"));
  if (!opt_.membership_claim.empty())
    if (const auto* g = t->claims.if_contains(opt_.membership_claim)) {
      if (g->is_string()) id.groups.emplace_back(g->get_string());
      if (g->is_array())
        for (const auto& v : g->get_array())
          if (v.is_string()) id.groups.emplace_back(v.get_string());
    }
  return id;
}

}  // namespace sesami::app
