#include "base64.hpp"

#include <sodium.h>

namespace sesami::app {
namespace {
std::string encode(std::string_view raw, int variant) {
  std::string out(sodium_base64_ENCODED_LEN(raw.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), variant);
  out.resize(out.size() - 1);  // the terminating NUL sodium writes and counts
  return out;
}

std::optional<std::string> decode(std::string_view text, const char* ignore, int variant) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), ignore, &len, nullptr, variant) != 0)
    return std::nullopt;
  out.resize(len);
  return out;
}
}  // namespace

std::string base64_encode(std::string_view raw) {
  return encode(raw, sodium_base64_VARIANT_ORIGINAL);
}

std::optional<std::string> base64_decode(std::string_view text, bool ignore_whitespace) {
  return decode(text, ignore_whitespace ? " \r\n\t" : nullptr, sodium_base64_VARIANT_ORIGINAL);
}

std::string base64url_encode(std::string_view raw) {
  return encode(raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::optional<std::string> base64url_decode(std::string_view text) {
  return decode(text, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

}  // namespace sesami::app
