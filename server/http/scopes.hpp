#pragma once
// The one rule of API key scopes (issue #17), applied where every caller is authenticated (the
// JSON API's authenticate() and the SES API's SigV4 check), never per handler: a `send` key may
// send and follow its sends (and read and preview the templates it sends), a `read` key may
// read, an `admin` key may do all its role allows.
#include <string_view>

#include <boost/beast/http/verb.hpp>

#include "../app/auth.hpp"

namespace sesami::http {

/// Whether a key of scope `s` may call the route `pattern` (as the router matched it) with
/// `method`. The role check comes on top of this.
inline bool scope_allows(app::key_scope s, boost::beast::http::verb method,
                         std::string_view pattern) noexcept {
  using boost::beast::http::verb;
  const bool reads = method == verb::get || method == verb::head;
  switch (s) {
    case app::key_scope::admin:
      return true;
    case app::key_scope::read:  // rendering a template changes nothing: a read too
      return reads ||
             (method == verb::post && (pattern == "/templates/{name}/render" ||
                                       pattern == "/v2/email/templates/{TemplateName}/render"));
    case app::key_scope::send: {
      struct allowed {
        verb method;
        std::string_view pattern;
      };
      static constexpr allowed sends[] = {
          {verb::post, "/mail"},
          {verb::post, "/mail/bulk"},
          {verb::get, "/mail/attempts"},
          {verb::get, "/mail/bulk/{id}"},
          {verb::get, "/templates"},  // what it sends by name, and its preview
          {verb::get, "/templates/{name}"},
          {verb::post, "/templates/{name}/render"},
          {verb::post, "/v2/email/outbound-emails"},
          {verb::post, "/v2/email/outbound-bulk-emails"},
          {verb::get, "/v2/email/account"},
          {verb::get, "/v2/email/templates"},
          {verb::get, "/v2/email/templates/{TemplateName}"},
          {verb::post, "/v2/email/templates/{TemplateName}/render"},
          {verb::post, "/"},  // the SES v1 Query API: its actions are sends and the quota
      };
      for (const auto& a : sends)
        if ((a.method == method || (a.method == verb::get && method == verb::head)) &&
            a.pattern == pattern)
          return true;
      return false;
    }
  }
  return false;
}

}  // namespace sesami::http
