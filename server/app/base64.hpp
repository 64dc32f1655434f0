#pragma once
// Base64 both ways, the one copy the server uses (libsodium underneath): the standard alphabet
// with padding (RFC 4648 section 4: MIME parts, HTTP Basic, webhook secrets and signatures) and
// base64url without padding (section 5: tokens, JWTs, cookies). Decoding is strict: any byte
// outside the alphabet (or, when allowed, whitespace) is an error, never silently skipped.
#include <optional>
#include <string>
#include <string_view>

namespace sesami::app {

std::string base64_encode(std::string_view raw);
/// `ignore_whitespace`: spaces, tabs and line breaks between the characters are skipped (MIME
/// bodies wrap their base64 at 76 columns).
std::optional<std::string> base64_decode(std::string_view text, bool ignore_whitespace = false);

std::string base64url_encode(std::string_view raw);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace sesami::app
