#include "cookies.hpp"

#include <sesami/ascii.hpp>

namespace sesami::http {

std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    auto part = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.starts_with(name) && part[name.size()] == '=')
      return part.substr(name.size() + 1);
  }
  return {};
}

bool secure_cookie(const context& ctx, std::string_view public_url) {
  if (public_url.starts_with("https://")) return true;
  auto xfp = ctx.header("X-Forwarded-Proto");  // "https" or "https, http" (first hop first)
  xfp = xfp.substr(0, xfp.find(','));
  while (!xfp.empty() && xfp.back() == ' ') xfp.remove_suffix(1);
  while (!xfp.empty() && xfp.front() == ' ') xfp.remove_prefix(1);
  if (ascii_lower(xfp) == "https") return true;
  if (const auto fwd = ascii_lower(ctx.header("Forwarded"));
      fwd.find("proto=https") != std::string::npos)
    return true;
  auto host = ascii_lower(ctx.header("Host"));
  if (host.starts_with("[::1]")) return true;
  host = host.substr(0, host.rfind(':'));  // no port (IPv6 literals other than [::1] never match)
  return host == "localhost" || host.ends_with(".localhost") ||
         (host.starts_with("127.") && host.find_first_not_of("0123456789.") == std::string::npos);
}

std::string session_set_cookie(std::string_view name, std::string_view value, bool secure,
                               long long max_age_s) {
  return std::string(name) + "=" + std::string(value) + "; Path=/; HttpOnly; " +
         (secure ? "Secure; " : "") + "SameSite=Strict; Max-Age=" + std::to_string(max_age_s);
}

}  // namespace sesami::http
