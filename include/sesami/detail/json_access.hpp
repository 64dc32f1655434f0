#pragma once
// Non-throwing field access on Boost.JSON values. Every reader in the core goes through these so a
// missing field or a field of the wrong type is a value the caller can turn into an error, never an
// exception (at() and as_string() throw; the wasm build runs without exception support).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <sesami/ascii.hpp>  // ascii_lower, iequals, icontains

namespace sesami::detail {

inline std::string_view to_sv(const boost::json::string& s) noexcept {
  return {s.data(), s.size()};
}

/// The member `key` of `o` as an object, or nullptr when absent or not an object.
inline const boost::json::object* get_object(const boost::json::object& o,
                                             std::string_view key) noexcept {
  const boost::json::value* v = o.if_contains(key);
  return v ? v->if_object() : nullptr;
}
inline const boost::json::array* get_array(const boost::json::object& o,
                                           std::string_view key) noexcept {
  const boost::json::value* v = o.if_contains(key);
  return v ? v->if_array() : nullptr;
}
/// The member `key` as a string; nullopt when absent, null or not a string.
inline std::optional<std::string_view> get_string(const boost::json::object& o,
                                                  std::string_view key) noexcept {
  const boost::json::value* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (const boost::json::string* s = v->if_string()) return to_sv(*s);
  return std::nullopt;
}
/// The member `key` as a string, "" when absent or not a string (for optional descriptive fields).
inline std::string_view string_or_empty(const boost::json::object& o,
                                        std::string_view key) noexcept {
  return get_string(o, key).value_or(std::string_view{});
}
/// An integral number (or an integral double, or a decimal string, as some SDKs re-encode them).
inline std::optional<std::int64_t> get_int64(const boost::json::object& o,
                                             std::string_view key) noexcept {
  const boost::json::value* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (const std::int64_t* i = v->if_int64()) return *i;
  if (const std::uint64_t* u = v->if_uint64())
    return *u > static_cast<std::uint64_t>(INT64_MAX)
               ? std::nullopt
               : std::optional<std::int64_t>(static_cast<std::int64_t>(*u));
  if (const double* d = v->if_double()) {
    if (!(*d >= -9.2e18 && *d <= 9.2e18)) return std::nullopt;  // also rejects NaN
    return static_cast<std::int64_t>(*d);
  }
  if (const boost::json::string* s = v->if_string()) {
    if (s->empty() || s->size() > 18) return std::nullopt;
    std::int64_t r = 0;
    for (char c : *s) {
      if (c < '0' || c > '9') return std::nullopt;
      r = r * 10 + (c - '0');
    }
    return r;
  }
  return std::nullopt;
}

constexpr std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

/// "Jane Doe <Jane@Example.COM>" → "jane@example.com"; a bare address is trimmed and lower-cased.
/// The display name may itself contain '<' inside quotes, so the address is the last <...> group.
inline std::string normalize_address(std::string_view in) {
  std::string_view s = trim(in);
  if (!s.empty() && s.back() == '>') {
    const std::size_t open = s.rfind('<');
    if (open != std::string_view::npos) s = trim(s.substr(open + 1, s.size() - open - 2));
  }
  return ascii_lower(s);
}

}  // namespace sesami::detail
