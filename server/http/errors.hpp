#pragma once
// API errors: a stable string code ("auth.forbidden", "sesami.bad_json") and a message for people.
// status_for() is the one place that maps codes to HTTP statuses; domain code never sees HTTP.
#include <string>
#include <string_view>

#include <boost/beast/http/status.hpp>

#include <sesami/error.hpp>

namespace sesami::http {

struct api_error {
  std::string code;     // stable id, carried unchanged in the JSON body
  std::string message;  // human readable
};

/// The HTTP status for an error code. Unknown codes are server faults (500).
boost::beast::http::status status_for(std::string_view code) noexcept;

/// A core parsing error as an API error (its id, e.g. "sesami.bad_json", and its message).
inline api_error from_core(const sesami::error& e) { return {std::string(e.id()), e.message}; }

// Codes used across the server, named once so a typo is a compile error.
namespace code {
inline constexpr std::string_view bad_request = "http.bad_request";
inline constexpr std::string_view not_found = "http.not_found";
inline constexpr std::string_view method_not_allowed = "http.method_not_allowed";
inline constexpr std::string_view payload_too_large = "http.payload_too_large";
inline constexpr std::string_view header_too_large = "http.header_too_large";
inline constexpr std::string_view unsupported_media_type = "http.unsupported_media_type";
inline constexpr std::string_view overloaded = "http.overloaded";
inline constexpr std::string_view shutting_down = "http.shutting_down";
inline constexpr std::string_view unauthenticated = "auth.unauthenticated";
inline constexpr std::string_view bad_credentials = "auth.bad_credentials";
inline constexpr std::string_view forbidden = "auth.forbidden";
inline constexpr std::string_view csrf = "auth.csrf";
inline constexpr std::string_view scope = "auth.scope";  // the API key's scope excludes the route
inline constexpr std::string_view password_change_required = "auth.password_change_required";
inline constexpr std::string_view throttled = "auth.throttled";
inline constexpr std::string_view busy = "auth.busy";
inline constexpr std::string_view bad_token = "ingest.bad_token";
inline constexpr std::string_view bad_signature = "sns.bad_signature";
inline constexpr std::string_view cert_refused = "sns.cert_refused";
inline constexpr std::string_view cert_unavailable = "sns.cert_unavailable";
inline constexpr std::string_view account_not_connected = "eventbridge.account_not_connected";
inline constexpr std::string_view aws_not_connected = "aws.not_connected";
inline constexpr std::string_view conflict = "conflict";
inline constexpr std::string_view store_unavailable = "store.unavailable";
inline constexpr std::string_view internal = "internal";
}  // namespace code

}  // namespace sesami::http
