#pragma once
// Percent-decoding and query strings, as browsers and curl send them.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sesami::http {

using query_params = std::vector<std::pair<std::string, std::string>>;  // in order, repeats kept

/// Decodes %XX (and '+' as a space when form is true). nullopt for a malformed escape or a NUL,
/// which never belongs in a path or parameter and would cut C strings short further down.
std::optional<std::string> percent_decode(std::string_view s, bool form = false);

/// Splits "a=1&b=2&a=3" into decoded pairs; nullopt when any part does not decode.
std::optional<query_params> parse_query(std::string_view q);

/// Splits a request target into path and query ("/events?limit=5" -> "/events", "limit=5").
std::pair<std::string_view, std::string_view> split_target(std::string_view target) noexcept;

/// Percent-encodes everything outside RFC 3986's unreserved set.
std::string percent_encode(std::string_view s);

}  // namespace sesami::http
