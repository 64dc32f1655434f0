#pragma once
// Cookies: reading one from a Cookie header, and whether a cookie set now may be Secure. Shared by
// the API's sessions and the OpenID Connect sign-in's state cookie.
#include <string>
#include <string_view>

#include "router.hpp"

namespace sesami::http {

/// The value of cookie `name` in a Cookie header ("" when absent).
std::string_view cookie_value(std::string_view header, std::string_view name);

/// Whether a cookie set on this response is Secure: when the browser reached us over HTTPS (an
/// https `public_url`, or a proxy saying so in X-Forwarded-Proto / Forwarded), or on a loopback
/// name (localhost, *.localhost, 127.x, [::1]), which browsers treat as a secure context and where
/// they keep Secure cookies over plain HTTP. Elsewhere over plain HTTP a browser drops a Secure
/// cookie, so nobody could sign in; there the cookie travels in clear like everything else. The
/// headers only ever add Secure, so a client forging them harms nobody but itself.
bool secure_cookie(const context& ctx, std::string_view public_url);

/// The Set-Cookie value of a session cookie (HttpOnly, SameSite=Strict, Path=/); an empty value
/// with max_age 0 ends it.
std::string session_set_cookie(std::string_view name, std::string_view value, bool secure,
                               long long max_age_s);

}  // namespace sesami::http
