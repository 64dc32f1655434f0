#pragma once
// Signed JSON Web Tokens (RFC 7515/7519) as OpenID Connect ID tokens use them: the compact form,
// RS256 or ES256 only (never "none", never HMAC, which a public key would sign), verified with
// OpenSSL against a JSON Web Key Set (RFC 7517). The signature is checked over exactly the bytes
// the claims are then read from. No sockets: the key set is given (app/oidc.hpp fetches it).
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include "base64.hpp"  // base64url, which JWTs are made of

namespace sesami::app {

/// Why a token was refused: a stable code ("oidc.bad_signature", ...) and a message for logs.
struct jwt_refusal {
  std::string code;
  std::string message;
};
template <class T>
using jwt_result = boost::system::result<T, jwt_refusal>;

/// The protected header and claims of a compact JWS, not yet verified.
struct jws_parts {
  std::string alg;
  std::string kid;  // empty when the header has none
  boost::json::object claims;
  std::string signing_input;  // header.payload, as received
  std::string signature;      // raw bytes
};
/// Splits and decodes a compact JWS; refuses anything that is not three base64url parts with
/// JSON object header and payload ("oidc.bad_token").
jwt_result<jws_parts> parse_jws(std::string_view token);

/// Whether `keys` (a JWKS "keys" array) has a key usable for `alg` with this `kid` (or, for a
/// token without kid, exactly one key of the algorithm's type).
bool jwks_has_key(const boost::json::array& keys, std::string_view alg, std::string_view kid);

/// Verifies the signature of `t` with the matching key of `keys`: "oidc.bad_alg" for an algorithm
/// other than RS256/ES256, "oidc.unknown_key" when no key matches, "oidc.bad_signature" when the
/// signature does not verify (RSA keys under 2048 bits and EC keys off P-256 are refused too).
jwt_result<void> verify_jws(const jws_parts& t, const boost::json::array& keys);

/// What an ID token must say (OpenID Connect Core 3.1.3.7).
struct id_token_expect {
  std::string issuer;     // iss, exactly
  std::string client_id;  // in aud (and azp when aud has several)
  std::string nonce;      // the nonce of this sign-in
  long long now_s = 0;    // seconds since the epoch
  long long leeway_s = 60;
};
/// Checks iss, aud/azp, exp, iat, nonce and sub: "oidc.bad_issuer", "oidc.bad_audience",
/// "oidc.expired", "oidc.bad_iat", "oidc.bad_nonce", "oidc.bad_token".
jwt_result<void> check_id_token_claims(const boost::json::object& claims, const id_token_expect& e);

}  // namespace sesami::app
