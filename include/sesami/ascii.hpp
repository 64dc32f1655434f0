#pragma once
// ASCII case helpers, the one copy the core and the server share. Addresses' domains, header
// names, tag and status names are compared without regard to ASCII case; nothing here depends on
// the C locale, and bytes outside A-Z (UTF-8 included) pass through unchanged.
#include <cstddef>      // sizes
#include <string>       // lower-cased copies
#include <string_view>  // inputs

namespace sesami {

/// 'A'..'Z' to 'a'..'z'; any other byte unchanged.
constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// A copy of `s` with 'A'..'Z' lower-cased.
inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

/// Equal when lower-cased (ASCII).
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

/// `needle` occurs in `hay`, ignoring ASCII case: user agents and diagnostics vary in case.
constexpr bool icontains(std::string_view hay, std::string_view needle) noexcept {
  if (needle.empty()) return true;
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    std::size_t j = 0;
    while (j < needle.size() && ascii_lower(hay[i + j]) == ascii_lower(needle[j])) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

}  // namespace sesami
