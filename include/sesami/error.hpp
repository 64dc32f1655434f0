#pragma once
// Errors as values. Every failure the core reports has a stable string id ("sesami.bad_json")
// that the CLI, the server's JSON errors and the wasm package's SesamiError.code carry unchanged.
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include <boost/system/result.hpp>
#include <boost/throw_exception.hpp>

namespace sesami {

enum class errc {
  ok = 0,
  bad_json,        // not JSON at all, or truncated
  not_an_object,   // JSON, but the document is not an object
  unknown_shape,   // an object that is none of the shapes SES, SNS, SQS or EventBridge produce
  missing_field,   // a field the shape requires is absent
  wrong_type,      // a field has the wrong JSON type
  bad_timestamp,   // a timestamp that is not ISO 8601
  bad_value,       // a field has a value outside its domain
  too_deep,        // nesting beyond the configured limit
  too_large,       // an input beyond the configured size limit
  bad_batch,       // a columnar batch that does not decode
  bad_filter,      // a filter that does not make sense (unknown type, from > to ...)
  limit_exceeded,  // beyond a documented limit: recipients, tags (docs/events.md "Limits")
};

namespace detail {
struct entry {
  errc code;
  std::string_view id;
  std::string_view message;
};
inline constexpr entry error_table[] = {
    {errc::ok, "sesami.ok", "success"},
    {errc::bad_json, "sesami.bad_json", "invalid JSON"},
    {errc::not_an_object, "sesami.not_an_object", "expected a JSON object"},
    {errc::unknown_shape, "sesami.unknown_shape", "not an SES, SNS, SQS or EventBridge payload"},
    {errc::missing_field, "sesami.missing_field", "a required field is missing"},
    {errc::wrong_type, "sesami.wrong_type", "a field has the wrong type"},
    {errc::bad_timestamp, "sesami.bad_timestamp", "not an ISO 8601 timestamp"},
    {errc::bad_value, "sesami.bad_value", "a field has an invalid value"},
    {errc::too_deep, "sesami.too_deep", "nesting too deep"},
    {errc::too_large, "sesami.too_large", "input too large"},
    {errc::bad_batch, "sesami.bad_batch", "not a valid columnar batch"},
    {errc::bad_filter, "sesami.bad_filter", "invalid filter"},
    {errc::limit_exceeded, "sesami.limit_exceeded", "beyond a documented limit"},
};
inline const entry& lookup(int code) noexcept {
  for (const auto& e : error_table)
    if (static_cast<int>(e.code) == code) return e;
  return error_table[0];
}

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sesami"; }
  std::string message(int code) const override { return std::string(lookup(code).message); }
};
}  // namespace detail

inline const std::error_category& sesami_category() noexcept {
  static const detail::category_impl instance;
  return instance;
}

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), sesami_category()};
}

/// The stable id of an error ("sesami.bad_json"); "sesami.unknown" for codes of other categories.
inline std::string_view error_id(std::error_code ec) noexcept {
  if (ec.category() != sesami_category()) return "sesami.unknown";
  return detail::lookup(ec.value()).id;
}

/// An error with the detail a person needs: which field, what was found.
struct error {
  errc code = errc::ok;
  std::string
      message;  // human readable, names the field: "bounce.bouncedRecipients: expected an array"
  std::string_view id() const noexcept { return detail::lookup(static_cast<int>(code)).id; }
};

template <class T>
using result = boost::system::result<T, error>;

/// Found by boost::system::result<T, error>::value() through ADL when a caller insists on a value.
[[noreturn]] inline void throw_exception_from_error(const error& e,
                                                    const boost::source_location& loc) {
  boost::throw_exception(std::system_error(make_error_code(e.code), e.message), loc);
}

}  // namespace sesami

template <>
struct std::is_error_code_enum<sesami::errc> : std::true_type {};
